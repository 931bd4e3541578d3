//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/stack-charts/stack/internal/discord"
	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
	"github.com/stack-charts/stack/tests/promql"
)

// getJSON fetches url into v.
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// deploySink runs the Discord-format receiver (tests/discord) in ns and returns its webhook URL
// as Alertmanager sees it (Discord's path shape: /api/webhooks/ID/TOKEN).
func deploySink(t *testing.T, ns string) string {
	t.Helper()
	img, ok := env.Images["discord-sink"]
	if !ok {
		t.Skip("the Discord-format receiver image is built by ci/substrate (air-gapped mode); none in this image mode")
	}
	ctx := context.Background()
	labels := map[string]string{"app": "discord-sink"}
	pod := restrictedPod("sink", labels, "/discord-sink", "-listen", ":8080").Spec
	pod.RestartPolicy = corev1.RestartPolicyAlways
	pod.Containers[0].Image, pod.Containers[0].ImagePullPolicy = img, corev1.PullIfNotPresent
	pod.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	pod.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 2}
	_, err := env.Clientset.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "discord-sink"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = env.Clientset.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "discord-sink"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromString("http")}}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	kube.Wait(t, kube.WaitOptions{What: "Discord-format receiver Ready"}, kube.PodsReady(env.Clientset, ns, "app=discord-sink"))
	progress(t, "monitoring: Discord-format receiver %s running in %s", img, ns)
	return fmt.Sprintf("http://discord-sink.%s.svc.cluster.local:8080/api/webhooks/4242/e2e-token", ns)
}

// The monitoring suite: the umbrella with monitoring on (its namespace, Prometheus,
// Alertmanager, kube-state-metrics, node-exporter), every expected scrape job up, the stack's
// rules loaded, a test-only always-firing rule delivered by Alertmanager's native Discord
// receiver to a receiver that speaks Discord's webhook format, and the dashboards' metrics present.
func TestMonitoringScrapesTheStackAndDeliversAlertsToDiscord(t *testing.T) {
	parallel(t)
	ns := namespace(t, "mon")
	sinkNS := namespace(t, "discord")
	webhook := deploySink(t, sinkNS)
	// The monitoring namespace holds the webhook Secret before the release (managed outside it,
	// as in production), so the test creates it at the level node-exporter needs.
	monNS := createNamespace(t, ns+"-monitoring", "privileged")
	secret(t, monNS, "discord-webhook", map[string]string{"webhook-url": webhook})

	values := valuesFile(t, "monitoring.yaml", `monitoring:
  enabled: true
  namespace: {create: false}
  prometheus:
    scrapeInterval: 10s
    evaluationInterval: 10s
    persistence: {size: 1Gi}
  alertmanager:
    route: {groupWait: 5s, groupInterval: 10s, repeatInterval: 1h}
    receivers:
      discord: {enabled: true, existingSecret: discord-webhook, severities: [warning, critical]}
  grafana:
    admin: {password: e2e-only-grafana}
  rules:
    additionalGroups:
      - name: e2e
        rules:
          - alert: E2EAlwaysFiring
            expr: vector(1)
            labels: {severity: warning}
            annotations:
              summary: the e2e suite's always-firing alert
              description: proves the path rule -> Prometheus -> Alertmanager -> Discord receiver
`)
	installRelease(t, ns, "monitoring", values)
	for _, sts := range []string{"stack-monitoring-prometheus", "stack-monitoring-alertmanager"} {
		s, err := env.Clientset.AppsV1().StatefulSets(monNS).Get(context.Background(), sts, metav1.GetOptions{})
		require.NoError(t, err)
		progress(t, "monitoring: image under test: %s (%s images)", s.Spec.Template.Spec.Containers[0].Image, env.Mode)
	}

	prom := "http://" + waitTunnel(t, monNS, "stack-monitoring-prometheus", 9090)

	// 1. Every expected scrape job has a healthy target of this release (or of the cluster).
	want := []string{"gateway", "users", "orders", "auth", "frontend", "mailer", "mysql", "redis", "rabbitmq",
		"kube-state-metrics", "node-exporter", "prometheus", "alertmanager", "kubelet", "cadvisor", "apiserver"}
	ours := map[string]bool{ns: true, monNS: true, "": true}
	var up map[string]int
	d := kube.Wait(t, kube.WaitOptions{What: "every expected scrape job up", Timeout: 4 * time.Minute, Interval: 5 * time.Second}, func(context.Context) (bool, string, error) {
		var r struct {
			Data struct {
				ActiveTargets []struct {
					Labels    map[string]string `json:"labels"`
					Health    string            `json:"health"`
					LastError string            `json:"lastError"`
				} `json:"activeTargets"`
			} `json:"data"`
		}
		if err := getJSON(prom+"/api/v1/targets?state=active", &r); err != nil {
			return false, err.Error(), nil
		}
		up = map[string]int{}
		problems := map[string]string{}
		for _, tg := range r.Data.ActiveTargets {
			if !ours[tg.Labels["namespace"]] {
				continue
			}
			if tg.Health == "up" {
				up[tg.Labels["job"]]++
			} else {
				problems[tg.Labels["job"]] = tg.Health + " " + tg.LastError
			}
		}
		var missing []string
		for _, j := range want {
			if up[j] == 0 {
				missing = append(missing, fmt.Sprintf("%s (%s)", j, problems[j]))
			}
		}
		return len(missing) == 0, "not up yet: " + strings.Join(missing, ", "), nil
	})
	progress(t, "monitoring: all %d expected scrape jobs up after %s: %v", len(want), d.Round(time.Second), up)

	// 2. The stack's rules (and the test rule) are loaded.
	var rules struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name string `json:"name"`
					Type string `json:"type"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	require.NoError(t, getJSON(prom+"/api/v1/rules", &rules))
	loaded := map[string]bool{}
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			loaded[r.Name] = true
		}
	}
	for _, a := range []string{"HighErrorRate", "TargetDown", "PodCrashLooping", "PodNotReady", "NodeNotReady", "HPAMaxedOut", "MySQLDown",
		"RedisDown", "RedisMemoryHigh", "RabbitMQDown", "RabbitMQQueueBacklog", "PVCAlmostFull", "CertificateExpiringSoon", "E2EAlwaysFiring"} {
		assert.True(t, loaded[a], "Prometheus has loaded rule %s", a)
	}
	progress(t, "monitoring: %d rules loaded in %d groups", len(loaded), len(rules.Data.Groups))

	// 3. The always-firing alert reaches the Discord-format receiver through Alertmanager.
	sink := "http://" + waitTunnel(t, sinkNS, "discord-sink", 8080)
	var got discord.Delivery
	d = kube.Wait(t, kube.WaitOptions{What: "the alert delivered to the Discord receiver", Timeout: 3 * time.Minute, Interval: 3 * time.Second}, func(context.Context) (bool, string, error) {
		var ds []discord.Delivery
		if err := getJSON(sink+"/messages", &ds); err != nil {
			return false, err.Error(), nil
		}
		for _, x := range ds {
			for _, e := range x.Message.Embeds {
				if strings.Contains(e.Title, "E2EAlwaysFiring") {
					got = x
					return true, "", nil
				}
			}
		}
		return false, fmt.Sprintf("%d deliveries, none for E2EAlwaysFiring", len(ds)), nil
	})
	require.NotEmpty(t, got.Message.Embeds)
	embed := got.Message.Embeds[0]
	progress(t, "monitoring: alert delivered after %s: webhook %s, title %q, color %#x", d.Round(time.Second), got.Webhook, embed.Title, embed.Color)
	assert.Equal(t, "4242", got.Webhook, "posted to the webhook of the Secret")
	assert.True(t, strings.HasPrefix(embed.Title, "[FIRING:"), "Discord title says the alert fires: %q", embed.Title)
	assert.Contains(t, embed.Description, "alertname = E2EAlwaysFiring")
	assert.Contains(t, embed.Description, "the e2e suite's always-firing alert")
	assert.NotZero(t, embed.Color, "firing alerts are coloured")
	require.NoError(t, got.Message.Validate(), "the payload is one Discord accepts")

	// 4. The dashboards' metrics exist in this Prometheus (the render tests check each names a
	// metric some job produces; here the series are real). Some need objects the dev profile
	// does not create.
	absentBecause := map[string]string{
		"kube_horizontalpodautoscaler_status_current_replicas": "the dev profile has no HPA",
		"kube_horizontalpodautoscaler_spec_max_replicas":       "the dev profile has no HPA",
		"certmanager_certificate_expiration_timestamp_seconds": "no Certificate in this release",
		"kubelet_volume_stats_used_bytes":                      "local-path volumes report no volume stats",
		"kubelet_volume_stats_capacity_bytes":                  "local-path volumes report no volume stats",
	}
	cm, err := env.Clientset.CoreV1().ConfigMaps(monNS).Get(context.Background(), "stack-monitoring-grafana-dashboards", metav1.GetOptions{})
	if err != nil {
		// Grafana is off in the air-gapped overlay: read the dashboards from the chart instead.
		cm = &corev1.ConfigMap{Data: map[string]string{}}
		b, rerr := os.ReadFile(filepath.Join(root, "charts", "monitoring", "files", "dashboards", "stack-overview.json"))
		require.NoError(t, rerr)
		cm.Data["stack-overview.json"] = string(b)
	}
	names := map[string]bool{}
	for _, body := range cm.Data {
		var dash struct {
			Panels []struct {
				Targets []struct{ Expr string } `json:"targets"`
			} `json:"panels"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &dash))
		for _, p := range dash.Panels {
			for _, tg := range p.Targets {
				for _, m := range promql.MetricNames(tg.Expr) {
					names[m] = true
				}
			}
		}
	}
	var present, absent []string
	for m := range names {
		var r struct {
			Data struct {
				Result []any `json:"result"`
			} `json:"data"`
		}
		require.NoError(t, getJSON(prom+"/api/v1/query?query="+url.QueryEscape(fmt.Sprintf("count(%s)", m)), &r))
		if len(r.Data.Result) > 0 {
			present = append(present, m)
		} else {
			absent = append(absent, m)
		}
	}
	sort.Strings(present)
	sort.Strings(absent)
	for _, m := range absent {
		reason, ok := absentBecause[m]
		assert.True(t, ok, "the dashboards query %s, which this Prometheus has no series of", m)
		progress(t, "monitoring: dashboard metric %s absent: %s", m, reason)
	}
	progress(t, "monitoring: %d of %d dashboard metrics have series: %s", len(present), len(names), strings.Join(present, " "))

	// 5. Grafana.
	if env.Mode == cluster.AirGap {
		progress(t, "monitoring: Grafana SKIPPED — no Grafana image is available offline (not in Debian, not on the Go proxy); the chart deploys grafana/grafana where it can be pulled")
		return
	}
	graf := "http://admin:e2e-only-grafana@" + waitTunnel(t, monNS, "stack-monitoring-grafana", 3000)
	var health map[string]any
	require.NoError(t, getJSON(graf+"/api/health", &health))
	assert.Equal(t, "ok", health["database"])
	var datasources []map[string]any
	require.NoError(t, getJSON(graf+"/api/datasources", &datasources))
	assert.Len(t, datasources, 2)
	var found []map[string]any
	require.NoError(t, getJSON(graf+"/api/search?query=stack", &found))
	assert.NotEmpty(t, found, "the stack overview dashboard is provisioned")
}
