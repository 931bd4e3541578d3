package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func pod(name string, ready bool, phase corev1.PodPhase, annotations map[string]string) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "x"}, Annotations: annotations},
		Status:     corev1.PodStatus{Phase: phase, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

func TestPodsReadyCountsWorkloadsOnly(t *testing.T) {
	cs := fake.NewSimpleClientset(
		pod("web", true, corev1.PodRunning, nil),
		pod("job", false, corev1.PodSucceeded, nil),
		pod("helm-test", false, corev1.PodFailed, map[string]string{"helm.sh/hook": "test"}),
	)
	done, status, err := PodsReady(cs, "ns", "app=x")(context.Background())
	require.NoError(t, err)
	assert.True(t, done, status)
	assert.Equal(t, "1/1 Ready; waiting for ", status)

	_, err = cs.CoreV1().Pods("ns").Create(context.Background(), pod("api", false, corev1.PodPending, nil), metav1.CreateOptions{})
	require.NoError(t, err)
	done, status, _ = PodsReady(cs, "ns", "app=x")(context.Background())
	assert.False(t, done)
	assert.Contains(t, status, "1/2 Ready; waiting for api (Pending)")

	done, status, _ = PodsReady(fake.NewSimpleClientset(), "ns", "")(context.Background())
	assert.False(t, done, "no pods is not ready")
	assert.Equal(t, "no pods yet", status)
}

func TestWaitReportsTheLastRealStatusOnTimeout(t *testing.T) {
	n := 0
	start := time.Now()
	var lastCall time.Time
	_, err := WaitE(context.Background(), WaitOptions{What: "the thing", Timeout: 300 * time.Millisecond, Interval: 50 * time.Millisecond},
		func(ctx context.Context) (bool, string, error) {
			n++
			lastCall = time.Now()
			// What client-go's rate limiter does: refuse to wait when the wait would pass the deadline.
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < time.Second {
				return false, "client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline", nil
			}
			return false, fmt.Sprintf("still 1/2 (look %d)", n), nil
		})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("the thing: not done after 300ms; last status: still 1/2 (look %d)", n))
	assert.Greater(t, n, 2, "it polls")
	assert.GreaterOrEqual(t, lastCall.Sub(start), 300*time.Millisecond, "the last look is taken at the deadline")

	d, err := WaitE(context.Background(), WaitOptions{What: "quick"}, func(context.Context) (bool, string, error) { return true, "", nil })
	require.NoError(t, err)
	assert.Less(t, d, time.Second)

	_, err = WaitE(context.Background(), WaitOptions{What: "broken"}, func(context.Context) (bool, string, error) { return false, "", errors.New("boom") })
	assert.EqualError(t, err, "broken: boom")
}

func TestEventsSortByWhenTheyHappenedWhicheverFieldHoldsIt(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 1, 1, 0, 0, s, 0, time.UTC) }
	events := []corev1.Event{
		{Reason: "third", LastTimestamp: metav1.NewTime(at(30))},
		{Reason: "second", EventTime: metav1.NewMicroTime(at(20))},
		{Reason: "first", ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(at(10))}},
		{Reason: "fourth", FirstTimestamp: metav1.NewTime(at(40))},
	}
	SortEvents(events)
	var got []string
	for _, e := range events {
		got = append(got, e.Reason)
	}
	assert.Equal(t, []string{"first", "second", "third", "fourth"}, got)
}

func TestDumpIncludesThePreviousRunOfARestartedContainer(t *testing.T) {
	p := pod("crashy", false, corev1.PodRunning, nil)
	p.Spec.Containers = []corev1.Container{{Name: "main"}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", RestartCount: 2}}
	var out strings.Builder
	Dump(context.Background(), fake.NewSimpleClientset(p), "ns", &out)
	assert.Contains(t, out.String(), "---- logs crashy/main (previous run; 2 restarts) ----")
	assert.Contains(t, out.String(), "---- logs crashy/main ----")
}
