//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/tests/kube"
)

// logsQuery runs a LogsQL query against the store at endpoint (host:port) and returns the rows.
func logsQuery(endpoint, query string) ([]map[string]any, error) {
	resp, err := http.PostForm("http://"+endpoint+"/select/logsql/query", url.Values{"query": {query}, "limit": {"10000"}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return nil, fmt.Errorf("query %q: %s: %s", query, resp.Status, b.String())
	}
	var rows []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// Issue 20, live: the umbrella with monitoring's logs on (the vlagent DaemonSet and the
// VictoriaLogs store; the other monitoring components off to spare the node). A request with a
// known X-Request-ID through the gateway is found by that id in the gateway's access log with its
// status and upstream; a service pod's line is found by pod name; lines pushed in Loki's format are
// found; the store scaled to zero and back loses no acknowledged line, and the lines written while
// it was gone arrive from the collector's buffer; the ingestion delay of 100 lines is reported.
func TestLogsAreCollectedStoredAndSearchable(t *testing.T) {
	parallel(t)
	ns := namespace(t, "logs")
	// The collector needs host access: its namespace is privileged (made before the release, as in production).
	monNS := createNamespace(t, ns+"-monitoring", "privileged")
	values := valuesFile(t, "logs.yaml", `monitoring:
  enabled: true
  namespace: {create: false}
  prometheus: {enabled: false}
  alertmanager: {enabled: false}
  grafana: {enabled: false}
  kubeStateMetrics: {enabled: false}
  nodeExporter: {enabled: false}
  logs:
    enabled: true
    store:
      retentionPeriod: 1d
      persistence: {size: 1Gi}
`)
	installRelease(t, ns, "logs", withoutBackingServices(t, ns), values)
	for _, name := range []string{"stack-monitoring-logs-store"} {
		s, err := env.Clientset.AppsV1().StatefulSets(monNS).Get(context.Background(), name, metav1.GetOptions{})
		require.NoError(t, err)
		progress(t, "logs: store image under test: %s (%s images)", s.Spec.Template.Spec.Containers[0].Image, env.Mode)
	}
	ds, err := env.Clientset.AppsV1().DaemonSets(monNS).Get(context.Background(), "stack-monitoring-logs-collector", metav1.GetOptions{})
	require.NoError(t, err)
	progress(t, "logs: collector image under test: %s on %d node(s)", ds.Spec.Template.Spec.Containers[0].Image, ds.Status.NumberReady)

	store := waitTunnel(t, monNS, "stack-monitoring-logs-store", 9428)
	gateway := "http://" + waitTunnel(t, ns, "stack-gateway", 80)
	token := jwtHS256(devJWTKey, map[string]any{"name": "alice", "iss": "podinfo", "exp": time.Now().Unix() + 3600})
	get := func(path, id string) int {
		req, err := http.NewRequest(http.MethodGet, gateway+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Request-ID", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	inNS := fmt.Sprintf(`kubernetes.pod_namespace:=%q`, ns)
	// waitRows waits until the query returns at least n rows and returns them.
	waitRows := func(what, query string, n int, timeout time.Duration) []map[string]any {
		var rows []map[string]any
		kube.Wait(t, kube.WaitOptions{What: what, Timeout: timeout, Interval: 500 * time.Millisecond}, func(context.Context) (bool, string, error) {
			var err error
			if rows, err = logsQuery(store, query); err != nil {
				return false, err.Error(), nil
			}
			return len(rows) >= n, fmt.Sprintf("%d of %d rows", len(rows), n), nil
		})
		return rows
	}
	run := strings.ToLower(random.UniqueId())

	// 1. One request, found by its id in the gateway's JSON access log with status and upstream.
	id := "e2e-logs-" + run
	require.Equal(t, 200, get("/api/users/", id))
	rows := waitRows("the gateway's access-log line of "+id, inNS+` "kubernetes.pod_labels.app.kubernetes.io/name":=gateway request_id:=`+fmt.Sprintf("%q", id), 1, 90*time.Second)
	require.Len(t, rows, 1, "one line for one request")
	line := rows[0]
	require.Equal(t, "200", fmt.Sprint(line["status"]), "%v", line)
	require.NotEmpty(t, line["upstream_addr"], "the upstream that served it: %v", line)
	require.Equal(t, "/api/users/", line["uri"])
	require.Contains(t, fmt.Sprint(line["kubernetes.pod_name"]), "stack-gateway-")
	progress(t, "logs: X-Request-ID %s found in the gateway's log: status %v, upstream %v, upstream time %v s, pod %v",
		id, line["status"], line["upstream_addr"], line["upstream_response_time"], line["kubernetes.pod_name"])

	// 2. A service pod's lines, found by the pod's name: every line the kubelet holds for it, those
	// written before the collector started included (a collector that dropped its first requests
	// lost exactly these).
	pods, err := env.Clientset.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=users"})
	require.NoError(t, err)
	require.NotEmpty(t, pods.Items)
	pod := pods.Items[0].Name
	raw, err := env.Clientset.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{}).DoRaw(context.Background())
	require.NoError(t, err)
	held := len(lines(string(raw)))
	require.Positive(t, held, "the pod has logged")
	rows = waitRows(fmt.Sprintf("the %d line(s) of pod %s", held, pod), inNS+fmt.Sprintf(` kubernetes.pod_name:=%q`, pod), held, 90*time.Second)
	require.Len(t, rows, held, "each of the pod's lines once")
	progress(t, "logs: all %d line(s) of service pod %s, e.g. %q (container %v, labels carried: app.kubernetes.io/name=%v)", len(rows), pod,
		fmt.Sprint(rows[0]["_msg"]), rows[0]["kubernetes.container_name"], rows[0]["kubernetes.pod_labels.app.kubernetes.io/name"])

	// 3. Lines pushed in Loki's push format (what Promtail or Fluent Bit's loki output send).
	const pushed = 20
	var lokiValues [][]string
	for i := 0; i < pushed; i++ {
		lokiValues = append(lokiValues, []string{fmt.Sprint(time.Now().UnixNano()), fmt.Sprintf("e2e loki line %d of %s", i, run)})
	}
	body, err := json.Marshal(map[string]any{"streams": []any{map[string]any{"stream": map[string]string{"job": "e2e-loki", "run": run}, "values": lokiValues}}})
	require.NoError(t, err)
	resp, err := http.Post("http://"+store+"/insert/loki/api/v1/push", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "the Loki push is accepted: %s", resp.Status)
	lokiQuery := fmt.Sprintf(`run:=%q job:="e2e-loki"`, run)
	rows = waitRows("the Loki-pushed lines", lokiQuery, pushed, 30*time.Second)
	require.Len(t, rows, pushed, "every pushed line, once")
	progress(t, "logs: %d lines pushed in Loki's format are found (HTTP %d)", pushed, resp.StatusCode)

	// 4. Ingestion delay: 100 requests, each timed from its answer to its line being searchable.
	const n = 100
	sent := map[string]time.Time{}
	prefix := "e2e-lat-" + run + "-"
	seen := map[string]time.Time{}
	latQuery := inNS + ` "kubernetes.pod_labels.app.kubernetes.io/name":=gateway request_id:` + fmt.Sprintf("%q", prefix) + `*`
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(3 * time.Minute)
		for len(seen) < n && time.Now().Before(deadline) {
			if rows, err := logsQuery(store, latQuery); err == nil {
				now := time.Now()
				for _, r := range rows {
					if k := fmt.Sprint(r["request_id"]); seen[k].IsZero() {
						seen[k] = now
					}
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	ids := make([]string, n)
	for i := 0; i < n; i++ {
		ids[i] = fmt.Sprintf("%s%03d", prefix, i)
		get("/api/users/", ids[i])
		sent[ids[i]] = time.Now()
		time.Sleep(50 * time.Millisecond)
	}
	<-done
	var delays []time.Duration
	for _, k := range ids {
		if s := seen[k]; !s.IsZero() {
			delays = append(delays, s.Sub(sent[k]))
		}
	}
	require.Len(t, delays, n, "every one of the %d lines became searchable within 3 minutes", n)
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	progress(t, "logs: ingestion delay (gateway answer -> line searchable, polled every 200 ms) over %d lines: p50 %s, p90 %s, max %s",
		n, delays[n/2].Round(10*time.Millisecond), delays[n*9/10].Round(10*time.Millisecond), delays[n-1].Round(10*time.Millisecond))

	// 5. The store gone and back: every acknowledged line is still there, and the lines written
	// while it was gone arrive from the collectors' buffers.
	before := map[string]int{}
	for what, q := range map[string]string{"gateway": latQuery, "loki": lokiQuery} {
		rows, err := logsQuery(store, q)
		require.NoError(t, err)
		before[what] = len(rows)
	}
	// The store is scaled to zero (its pod deleted, nothing to take lines), lines are written,
	// then it comes back on the same PVC.
	scale := func(n int32) {
		sts := env.Clientset.AppsV1().StatefulSets(monNS)
		s, err := sts.GetScale(context.Background(), "stack-monitoring-logs-store", metav1.GetOptions{})
		require.NoError(t, err)
		s.Spec.Replicas = n
		_, err = sts.UpdateScale(context.Background(), "stack-monitoring-logs-store", s, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	scale(0)
	kube.Wait(t, kube.WaitOptions{What: "the log store's pod gone", Timeout: 2 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		pods, err := env.Clientset.CoreV1().Pods(monNS).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=logs-store"})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(pods.Items) == 0, fmt.Sprintf("%d pod(s)", len(pods.Items)), nil
	})
	down := time.Now()
	outage := "e2e-outage-" + run + "-"
	const during = 20
	for i := 0; i < during; i++ {
		get("/api/users/", fmt.Sprintf("%s%02d", outage, i))
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(5 * time.Second) // the collector has read them and is retrying its sends
	scale(1)
	kube.Wait(t, kube.WaitOptions{What: "the log store back and Ready", Timeout: 3 * time.Minute}, kube.PodsReady(env.Clientset, monNS, "app.kubernetes.io/name=logs-store"))
	back := time.Now()
	store = waitTunnel(t, monNS, "stack-monitoring-logs-store", 9428)
	for what, q := range map[string]string{"gateway": latQuery, "loki": lokiQuery} {
		rows, err := logsQuery(store, q)
		require.NoError(t, err)
		require.Equal(t, before[what], len(rows), "%s lines acknowledged before the store's restart are all there after it", what)
	}
	rows = waitRows("the lines written while the store was down", inNS+` "kubernetes.pod_labels.app.kubernetes.io/name":=gateway request_id:`+fmt.Sprintf("%q", outage)+`*`, during, 3*time.Minute)
	require.Len(t, rows, during, "each line written during the outage, once")
	progress(t, "logs: store scaled to zero for %s: %d gateway and %d Loki lines before = after on its PVC; the %d lines written while it was gone arrived from the collector's buffer %s after it was Ready",
		back.Sub(down).Round(100*time.Millisecond), before["gateway"], before["loki"], during, time.Since(back).Round(100*time.Millisecond))

	// 6. Through all of it, no block of lines was given up: vlagent drops a block the store answers
	// with 400 or 404 (retrying only refusals and 5xx), and says so in its metrics.
	collectors, err := env.Clientset.CoreV1().Pods(monNS).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=logs-collector"})
	require.NoError(t, err)
	require.NotEmpty(t, collectors.Items)
	for _, c := range collectors.Items {
		tun := k8s.NewTunnelWithLogger(k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, monNS), k8s.ResourceTypePod, c.Name, 0, 9429, logger.Discard)
		require.NoError(t, tun.ForwardPortE(t))
		metrics, err := metricsPage(tun.Endpoint())
		tun.Close()
		require.NoError(t, err)
		dropped := 0.0
		for _, l := range lines(metrics) {
			if strings.HasPrefix(l, "vlagent_remotewrite_packets_dropped_total") {
				var v float64
				_, err := fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v)
				require.NoError(t, err, l)
				dropped += v
			}
		}
		require.Zero(t, dropped, "collector %s dropped blocks the store refused (vlagent_remotewrite_packets_dropped_total)", c.Name)
	}
	progress(t, "logs: %d collector(s), 0 blocks dropped (vlagent_remotewrite_packets_dropped_total)", len(collectors.Items))
}
