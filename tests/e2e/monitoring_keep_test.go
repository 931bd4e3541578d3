//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/tests/kube"
)

// promSamples is an instant query's result: the series' sample timestamps (Unix seconds).
func promSamples(t *testing.T, prom, query string, at float64) ([]float64, error) {
	t.Helper()
	q := prom + "/api/v1/query?query=" + url.QueryEscape(query)
	if at > 0 {
		q += "&time=" + strconv.FormatFloat(at, 'f', 3, 64)
	}
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(q, &r); err != nil {
		return nil, err
	}
	var out []float64
	for _, s := range r.Data.Result {
		if len(s.Value) == 2 {
			if ts, ok := s.Value[0].(float64); ok {
				out = append(out, ts)
			}
		}
	}
	return out, nil
}

// Issue 12, item 4, live: the monitoring namespace the release creates outlives `helm
// uninstall`, with Prometheus' volume in it, and a reinstall under the same name adopts it and
// still answers for a series scraped before the uninstall. (Only Prometheus runs: the item is
// about its data, and the other suites already run the rest.)
func TestMonitoringDataSurvivesUninstallAndReinstall(t *testing.T) {
	parallel(t)
	ns := namespace(t, "keep")
	monNS := ns + "-monitoring"
	// Registered before the release's own cleanup, so it runs after the final uninstall: the
	// namespace is kept by design, the test removes it.
	t.Cleanup(func() {
		if os.Getenv("STACK_KEEP_NAMESPACES") == "" {
			_ = env.Clientset.CoreV1().Namespaces().Delete(context.Background(), monNS, metav1.DeleteOptions{})
		}
	})
	values := valuesFile(t, "keep.yaml", `services: {enabled: false}
gateway: {enabled: false}
mysql: {enabled: false}
redis: {enabled: false}
rabbitmq: {enabled: false}
monitoring:
  enabled: true
  namespace:
    labels: {stack.dev/e2e: "true"}
  prometheus:
    scrapeInterval: 10s
    persistence: {size: 1Gi}
  alertmanager: {enabled: false}
  grafana: {enabled: false}
  kubeStateMetrics: {enabled: false}
  nodeExporter: {enabled: false}
`)
	opts := installRelease(t, ns, "keep", values)
	ctx := context.Background()

	prom := "http://" + waitTunnel(t, monNS, "stack-monitoring-prometheus", 9090)
	var before float64
	kube.Wait(t, kube.WaitOptions{What: "Prometheus has scraped itself", Timeout: 2 * time.Minute, Interval: 3 * time.Second}, func(context.Context) (bool, string, error) {
		ts, err := promSamples(t, prom, `up{job="prometheus"} == 1`, 0)
		if err != nil || len(ts) == 0 {
			return false, fmt.Sprint("no sample yet ", err), nil
		}
		before = ts[0]
		return true, "", nil
	})
	// A few more scrapes, so the sample at `before` is well inside what Prometheus has written.
	time.Sleep(12 * time.Second)
	progress(t, "keep: Prometheus has up{job=prometheus} at %s", time.Unix(int64(before), 0).UTC().Format(time.RFC3339))

	pvcs, err := env.Clientset.CoreV1().PersistentVolumeClaims(monNS).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, pvcs.Items, "Prometheus has a volume")
	claims := map[string]string{}
	for _, c := range pvcs.Items {
		claims[c.Name] = string(c.UID)
	}

	require.NoError(t, helm.DeleteE(t, opts, "stack", true))
	kube.Wait(t, kube.WaitOptions{What: "the release's monitoring pods gone", Timeout: 3 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		pods, err := env.Clientset.CoreV1().Pods(monNS).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(pods.Items) == 0, fmt.Sprintf("%d pods left", len(pods.Items)), nil
	})
	kept, err := env.Clientset.CoreV1().Namespaces().Get(ctx, monNS, metav1.GetOptions{})
	require.NoError(t, err, "helm uninstall keeps the monitoring namespace")
	require.Nil(t, kept.DeletionTimestamp, "and does not start deleting it")
	for name, uid := range claims {
		c, err := env.Clientset.CoreV1().PersistentVolumeClaims(monNS).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err, "PVC %s kept", name)
		require.Equal(t, uid, string(c.UID), "PVC %s is the same claim", name)
	}
	progress(t, "keep: after helm uninstall the namespace %s and its %d PVC(s) are still there", monNS, len(claims))

	start := time.Now()
	// The release helper again: it waits in every namespace of the manifest, the kept monitoring
	// namespace included (the release's own has no pods here).
	installRelease(t, ns, "keep", values)
	progress(t, "keep: reinstalled (adopting the kept namespace) and Ready in %s", time.Since(start).Round(100*time.Millisecond))
	prom = "http://" + waitTunnel(t, monNS, "stack-monitoring-prometheus", 9090)
	var found []float64
	kube.Wait(t, kube.WaitOptions{What: "the pre-uninstall sample queryable", Timeout: 2 * time.Minute, Interval: 3 * time.Second}, func(context.Context) (bool, string, error) {
		found, err = promSamples(t, prom, `up{job="prometheus"}`, before)
		return err == nil && len(found) > 0, fmt.Sprint("not found ", err), nil
	})
	progress(t, "keep: after the reinstall Prometheus still answers up{job=prometheus} at %s (scraped before the uninstall)", time.Unix(int64(before), 0).UTC().Format(time.RFC3339))
}
