// Package kube holds the e2e suites' cluster helpers: waits that poll status with a deadline and
// report the last status seen (never bare sleeps), and the diagnostics dumped when a test fails.
package kube

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Condition reports whether a wait is over, and a status line for the report when it is not.
type Condition func(ctx context.Context) (done bool, status string, err error)

// WaitOptions bound a wait.
type WaitOptions struct {
	// What is waited for, for messages ("pods of namespace x Ready").
	What string
	// Timeout (default 2m) and Interval (default 1s).
	Timeout, Interval time.Duration
}

// WaitE polls cond until it is done, it errors, or the timeout passes; the timeout error quotes
// the last status seen. The last look is taken at the deadline, and every call gets a few seconds
// beyond it: a status cut short by the deadline (a client's rate limiter refusing to wait past it)
// would only say that time ran out, not what the wait was waiting for.
func WaitE(ctx context.Context, opts WaitOptions, cond Condition) (time.Duration, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Interval == 0 {
		opts.Interval = time.Second
	}
	start := time.Now()
	deadline := start.Add(opts.Timeout)
	last := "no status yet"
	for {
		callCtx, cancel := context.WithDeadline(ctx, deadline.Add(statusGrace))
		done, status, err := cond(callCtx)
		cancel()
		if err != nil && ctx.Err() == nil {
			return time.Since(start), fmt.Errorf("%s: %w", opts.What, err)
		}
		if status != "" {
			last = status
		}
		if done {
			return time.Since(start), nil
		}
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return time.Since(start), fmt.Errorf("%s: not done after %s; last status: %s", opts.What, opts.Timeout, last)
		}
		timer := time.NewTimer(min(opts.Interval, time.Until(deadline)))
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
	}
}

// statusGrace is how long past a wait's deadline its last status may take.
const statusGrace = 10 * time.Second

// PodsReady is a Condition: every pod of the namespace matching selector is Ready, and there is
// at least one. Pods of finished Jobs and Helm hook pods (e.g. a failed `helm test` pod, which
// Helm keeps for inspection) are not workloads and are not counted.
func PodsReady(cs kubernetes.Interface, namespace, selector string) Condition {
	return func(ctx context.Context) (bool, string, error) {
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, "list pods: " + err.Error(), nil
		}
		var notReady []string
		n := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodSucceeded || p.DeletionTimestamp != nil || p.Annotations["helm.sh/hook"] != "" {
				continue
			}
			n++
			if !PodReady(p) {
				notReady = append(notReady, fmt.Sprintf("%s (%s)", p.Name, podState(p)))
			}
		}
		if n == 0 {
			return false, "no pods yet", nil
		}
		sort.Strings(notReady)
		return len(notReady) == 0, fmt.Sprintf("%d/%d Ready; waiting for %s", n-len(notReady), n, strings.Join(notReady, ", ")), nil
	}
}

// PodReady reports the pod's Ready condition.
func PodReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// NodeReady reports the node's Ready condition.
func NodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podState is a short reason a pod is not Ready: a waiting container's reason, or the phase.
func podState(p corev1.Pod) string {
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			return cs.Name + ": " + cs.State.Waiting.Reason
		}
		if cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0 {
			return fmt.Sprintf("%s: exited %d", cs.Name, cs.State.Terminated.ExitCode)
		}
	}
	return string(p.Status.Phase)
}

// PodFinished is a Condition: the pod has Succeeded or Failed. The phase is stored in *phase.
func PodFinished(cs kubernetes.Interface, namespace, name string, phase *corev1.PodPhase) Condition {
	return func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "get pod: " + err.Error(), nil
		}
		*phase = p.Status.Phase
		done := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		return done, fmt.Sprintf("pod %s %s", name, podState(*p)), nil
	}
}

// Wait is WaitE that fails the test, logging how long the wait took.
func Wait(t testing.TB, opts WaitOptions, cond Condition) time.Duration {
	t.Helper()
	d, err := WaitE(context.Background(), opts, cond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s after %s", opts.What, d.Round(100*time.Millisecond))
	return d
}

// Dump writes the namespace's events, oldest first, and every container's recent logs — for a
// container that restarted, the previous run's too (the crash is usually there): what a failed
// e2e test leaves behind to read.
func Dump(ctx context.Context, cs kubernetes.Interface, namespace string, w io.Writer) {
	fmt.Fprintf(w, "===== diagnostics for namespace %s =====\n", namespace)
	if ev, err := cs.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{}); err == nil {
		SortEvents(ev.Items)
		for _, e := range ev.Items {
			fmt.Fprintf(w, "event %s %s %s/%s: %s %s\n", eventTime(e).Format("15:04:05"), e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(w, "list pods: %v\n", err)
		return
	}
	tail := int64(40)
	for _, p := range pods.Items {
		fmt.Fprintf(w, "pod %s: %s\n", p.Name, podState(p))
		restarts := map[string]int32{}
		for _, st := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			restarts[st.Name] = st.RestartCount
		}
		for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
			runs := []bool{false}
			if restarts[c.Name] > 0 {
				runs = []bool{true, false}
			}
			for _, previous := range runs {
				label := c.Name
				if previous {
					label += fmt.Sprintf(" (previous run; %d restarts)", restarts[c.Name])
				}
				raw, err := cs.CoreV1().Pods(namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, TailLines: &tail, Previous: previous}).DoRaw(ctx)
				if err != nil {
					fmt.Fprintf(w, "  logs %s: %v\n", label, err)
					continue
				}
				fmt.Fprintf(w, "  ---- logs %s/%s ----\n%s\n", p.Name, label, strings.TrimSpace(string(raw)))
			}
		}
	}
}

// SortEvents orders events oldest first by when they last happened: events.k8s.io-style events
// carry only EventTime, core ones LastTimestamp (FirstTimestamp, then creation, as fallbacks) —
// sorting on LastTimestamp alone puts every EventTime-only event first.
func SortEvents(events []corev1.Event) {
	sort.SliceStable(events, func(i, j int) bool { return eventTime(events[i]).Before(eventTime(events[j])) })
}

func eventTime(e corev1.Event) time.Time {
	for _, t := range []time.Time{e.LastTimestamp.Time, e.EventTime.Time, e.FirstTimestamp.Time} {
		if !t.IsZero() {
			return t
		}
	}
	return e.CreationTimestamp.Time
}
