//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stack-charts/stack/tests/kube"
)

// The autoscaling suite: with metrics-server in the cluster, load on the users service
// (in-cluster clients calling it directly) drives its HPA above the minimum within the deadline;
// the replica curve is reported.
func TestLoadScalesAServiceWithAnHPA(t *testing.T) {
	parallel(t)
	needsAddon(t, "metrics-server")
	ns := namespace(t, "hpa")
	// A low target on the dev profile's small request (10m) so a few hundred requests per
	// second are enough; the HPA's own stabilization defaults apply.
	values := valuesFile(t, "hpa.yaml", `services:
  apps:
    users:
      hpa: {enabled: true, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50}
`)
	installRelease(t, ns, "hpa", withoutBackingServices(t, ns), values)
	progress(t, "hpa: umbrella installed with an HPA on users (1..3, 50%% of 10m CPU)")

	hpas := env.Clientset.AutoscalingV2().HorizontalPodAutoscalers(ns)
	kube.Wait(t, kube.WaitOptions{What: "the HPA reads CPU metrics", Timeout: 3 * time.Minute, Interval: 5 * time.Second}, func(ctx context.Context) (bool, string, error) {
		h, err := hpas.Get(ctx, "stack-users", metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		for _, m := range h.Status.CurrentMetrics {
			if m.Resource != nil && m.Resource.Current.AverageUtilization != nil {
				return true, "", nil
			}
		}
		return false, "no current CPU utilization yet", nil
	})

	// Load: clients inside the namespace (callers of users of this release: the wiring labels admit
	// them) calling users, ~60 requests a second in all: several times the 5m of CPU the target asks.
	callInALoop(t, ns, "stack", "users", "stack-users", 1)
	start := time.Now()
	var curve []string
	last := int32(-1)
	d := kube.Wait(t, kube.WaitOptions{What: "users scaled above its minimum", Timeout: 5 * time.Minute, Interval: 5 * time.Second}, func(ctx context.Context) (bool, string, error) {
		h, err := hpas.Get(ctx, "stack-users", metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		util := "?"
		for _, m := range h.Status.CurrentMetrics {
			if m.Resource != nil && m.Resource.Current.AverageUtilization != nil {
				util = fmt.Sprintf("%d%%", *m.Resource.Current.AverageUtilization)
			}
		}
		if h.Status.DesiredReplicas != last {
			last = h.Status.DesiredReplicas
			curve = append(curve, fmt.Sprintf("+%ds: %d replicas (cpu %s)", int(time.Since(start).Seconds()), h.Status.DesiredReplicas, util))
		}
		return h.Status.CurrentReplicas > 1, fmt.Sprintf("current %d desired %d cpu %s", h.Status.CurrentReplicas, h.Status.DesiredReplicas, util), nil
	})
	progress(t, "hpa: users scaled above its minimum %s after the load started; replica curve: %s", d.Round(time.Second), strings.Join(curve, " -> "))
}

// loadCPULimit is each load pod's CPU limit (requests 10m, so the pods fit beside the suites
// that run alongside).
const loadCPULimit = "300m"

// callInALoop starts three in-cluster clients of app (pods labelled as its callers in release,
// so the wiring's policies admit them under a default deny), each sending `loops` streams of
// requests to the Service's ClusterIP, each stream on one keep-alive connection at ~20 requests a
// second (measured: one stream at 100 a second kept podinfo at 59m of CPU), and returns what
// stops them. They are also stopped, and waited for, when the test ends (before its namespace is
// deleted), so they do not slow the suites after it.
//
// The load is the HPA's subject, not a stress test of the node: an earlier version (24 unpaced
// wget loops, a DNS lookup, a process and a connection per request) kept 26 to 41 processes in
// the 2-core node's run queue and the two CoreDNS pods at a quarter of a core each; metrics-server
// could then not scrape (the HPA read "cpu ?" for 5 minutes and never scaled) and the suites
// beside it timed out (Argo CD not Ready, pods in ContainerCreating, cert-manager's webhook
// refusing).
func callInALoop(t *testing.T, ns, release, app, service string, loops int) (stop func()) {
	t.Helper()
	svc, err := env.Clientset.CoreV1().Services(ns).Get(context.Background(), service, metav1.GetOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, svc.Spec.Ports, "service %s has no port", service)
	addr, port := svc.Spec.ClusterIP, svc.Spec.Ports[0].Port
	// printf is the shell's builtin: a request costs no process; sleep paces it. A stream whose
	// connection drops (a pod replaced) reconnects after a second.
	stream := fmt.Sprintf(`while true; do (while true; do printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n'; sleep 0.05; done) | nc %s %d >/dev/null; sleep 1; done`, service, addr, port)
	script := fmt.Sprintf("for i in $(seq %d); do (%s) & done; wait", loops, stream)
	labels := map[string]string{"calls.stack.dev/" + app: "true", "app.kubernetes.io/instance": release, "stack.dev/load": "true"}
	stop = func() {
		for i := range 3 {
			_ = env.Clientset.CoreV1().Pods(ns).Delete(context.Background(), fmt.Sprintf("load-%d", i), metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		}
	}
	t.Cleanup(func() {
		stop()
		_, _ = kube.WaitE(context.Background(), kube.WaitOptions{What: "load pods gone", Timeout: time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
			list, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "stack.dev/load=true"})
			if err != nil {
				return false, err.Error(), nil
			}
			return len(list.Items) == 0, fmt.Sprintf("%d load pods left", len(list.Items)), nil
		})
	})
	for i := range 3 {
		pod := restrictedPod(fmt.Sprintf("load-%d", i), labels, "sh", "-c", script)
		pod.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(loadCPULimit)},
		}
		_, err := env.Clientset.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	return stop
}
