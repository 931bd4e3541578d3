package unit

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	psapi "k8s.io/pod-security-admission/api"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/tests/policy"
	"github.com/stack-charts/stack/tests/promql"
	"github.com/stack-charts/stack/tests/render"
)

// The monitoring chart rendered alone: release "shop" in namespace "prod", monitoring in
// "prod-monitoring" (the umbrella's default shape).

const monNS = "prod-monitoring"

func monValues(vals map[string]any) map[string]any {
	v := map[string]any{
		"global":  map[string]any{"networkPolicy": map[string]any{"monitoringNamespace": "{{ .Release.Namespace }}-monitoring"}},
		"grafana": map[string]any{"admin": map[string]any{"existingSecret": "grafana-admin"}},
	}
	for k, x := range vals {
		v[k] = x
	}
	return v
}

var (
	monDefaultOnce   sync.Once
	monDefaultResult *render.Result
)

// monDefaults is the chart rendered with monValues(nil), once for every test that only reads it.
func monDefaults(t *testing.T) *render.Result {
	t.Helper()
	monDefaultOnce.Do(func() { monDefaultResult = renderMon(t, nil) })
	require.NotNil(t, monDefaultResult, "the default monitoring render failed")
	return monDefaultResult
}

func renderMon(t *testing.T, vals map[string]any, opts ...func(*render.Options)) *render.Result {
	t.Helper()
	o := render.Options{ReleaseName: "shop", Namespace: "prod", Values: monValues(vals)}
	for _, f := range opts {
		f(&o)
	}
	return render.Render(t, chart("monitoring"), o)
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

func configMapData(t *testing.T, r *render.Result, name, key string) string {
	t.Helper()
	cm := render.Get[*corev1.ConfigMap](t, r, name)
	v, ok := cm.Data[key]
	require.True(t, ok, "ConfigMap %s has no key %s (has %v)", name, key, keysOf(cm.Data))
	return v
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestTheAlertRulesPassTheirPromtoolUnitTests(t *testing.T) {
	t.Parallel()
	r := monDefaults(t)
	dir := t.TempDir()
	rules := configMapData(t, r, "shop-monitoring-prometheus-rules", "stack.rules.yaml")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stack.rules.yaml"), []byte(rules), 0o644))
	tests, err := os.ReadFile(filepath.Join("testdata", "monitoring", "rules.test.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.test.yaml"), tests, 0o644))

	out := run(t, dir, "promtool", "check", "rules", "stack.rules.yaml")
	assert.Contains(t, out, "SUCCESS: 22 rules found")
	out = run(t, dir, "promtool", "test", "rules", "rules.test.yaml")
	assert.Contains(t, out, "SUCCESS")

	// Every alert the issue names exists, and every one of them has a test case.
	want := []string{"HighErrorRate", "TargetDown", "PodCrashLooping", "PodNotReady", "NodeNotReady", "HPAMaxedOut", "MySQLDown",
		"RedisDown", "RedisMemoryHigh", "RabbitMQDown", "RabbitMQQueueBacklog", "PVCAlmostFull", "CertificateExpiringSoon",
		// Issue 22: the Kubernetes and node alerts a cluster user expects beside the stack's own.
		"DeploymentReplicasMismatch", "StatefulSetReplicasMismatch", "JobFailed", "ContainerOOMKilled",
		"NodeFilesystemAlmostFull", "NodeMemoryHigh", "NodeCPUHigh",
		// Issue 20: the log collector's own health.
		"LogsCollectorDroppingLines", "LogsCollectorCannotSend"}
	assert.ElementsMatch(t, want, alertNames(t, rules))
	for _, a := range want {
		assert.Contains(t, string(tests), "alertname: "+a, "rules.test.yaml has no case for %s", a)
		assert.Contains(t, rules, "README.md#"+strings.ToLower(a), "%s has a runbook_url", a)
	}
}

func alertNames(t *testing.T, rules string) []string {
	t.Helper()
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(rules), &f))
	var out []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Alert)
			assert.NotEmpty(t, r.Annotations["summary"], "%s has a summary", r.Alert)
			assert.NotEmpty(t, r.Annotations["description"], "%s has a description", r.Alert)
		}
	}
	return out
}

func TestRuleThresholdsAndExtraGroupsComeFromValues(t *testing.T) {
	t.Parallel()
	extra := []any{map[string]any{"name": "e2e", "rules": []any{map[string]any{
		"alert": "AlwaysFiring", "expr": "vector(1)", "labels": map[string]any{"severity": "warning"}}}}}
	r := renderMon(t, map[string]any{"rules": map[string]any{
		"errorRateRatio": 0.2, "redisMemoryRatio": 0.75, "queueBacklog": 5000, "pvcUsedRatio": 0.8,
		"certificateExpiryDays": 21, "crashLoopRestarts": 5, "runbookBaseURL": "https://runbooks.example.com/stack#",
		"nodeFilesystemUsedRatio": 0.7, "nodeMemoryUsedRatio": 0.85, "nodeCPUUsedRatio": 0.95,
		"additionalGroups": extra,
	}})
	rules := configMapData(t, r, "shop-monitoring-prometheus-rules", "stack.rules.yaml")
	for _, want := range []string{"> 0.2\n", "> 0.75\n", "> 5000\n", "> 0.8\n", "< 21 * 86400", "[15m]) > 5\n", "> 0.7\n", "> 0.85\n", "[5m])) > 0.95\n", "https://runbooks.example.com/stack#targetdown"} {
		assert.Contains(t, rules, want)
	}
	assert.NotContains(t, rules, "${", "every placeholder is filled")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stack.rules.yaml"), []byte(rules), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "additional.rules.yaml"), []byte(configMapData(t, r, "shop-monitoring-prometheus-rules", "additional.rules.yaml")), 0o644))
	run(t, dir, "promtool", "check", "rules", "stack.rules.yaml", "additional.rules.yaml")

	off := renderMon(t, map[string]any{"rules": map[string]any{"enabled": false}})
	assert.Empty(t, render.Get[*corev1.ConfigMap](t, off, "shop-monitoring-prometheus-rules").Data, "rules.enabled=false loads no rules")
}

func TestThePrometheusConfigIsValidAndScrapesEveryKindOfTarget(t *testing.T) {
	t.Parallel()
	r := renderMon(t, map[string]any{"prometheus": map[string]any{
		"scrapeInterval": "15s", "scrapeTimeout": "5s", "evaluationInterval": "20s",
		"externalLabels": map[string]any{"cluster": "kind"}, "retention": "7d", "retentionSize": "4GB",
		"scrape":             map[string]any{"namespaces": []any{"prod", "cert-manager"}, "kubeletInsecureSkipVerify": false},
		"extraScrapeConfigs": []any{map[string]any{"job_name": "blackbox", "static_configs": []any{map[string]any{"targets": []any{"example.com:80"}}}}},
	}})
	cfg := configMapData(t, r, "shop-monitoring-prometheus", "prometheus.yml")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "rules"), 0o755))
	run(t, dir, "promtool", "check", "config", "--syntax-only", "prometheus.yml")

	var c struct {
		Global        map[string]any   `json:"global"`
		ScrapeConfigs []map[string]any `json:"scrape_configs"`
		Alerting      map[string]any   `json:"alerting"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(cfg), &c))
	var jobs []string
	for _, s := range c.ScrapeConfigs {
		jobs = append(jobs, s["job_name"].(string))
	}
	assert.Equal(t, []string{"kubernetes-pods", "kubernetes-services", "kubelet", "cadvisor", "apiserver", "blackbox"}, jobs)
	assert.Equal(t, "15s", c.Global["scrape_interval"])
	assert.Equal(t, map[string]any{"cluster": "kind"}, c.Global["external_labels"])
	assert.Contains(t, cfg, `names: ["prod","cert-manager"]`)
	assert.Contains(t, cfg, "insecure_skip_verify: false")
	assert.Contains(t, cfg, "shop-monitoring-alertmanager.prod-monitoring.svc:9093")

	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-monitoring-prometheus")
	assert.Equal(t, monNS, sts.Namespace)
	args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " ")
	assert.Contains(t, args, "--storage.tsdb.retention.time=7d")
	assert.Contains(t, args, "--storage.tsdb.retention.size=4GB")
	require.Len(t, sts.Spec.VolumeClaimTemplates, 1, "the TSDB is on a PVC by default")
	assert.Equal(t, "10Gi", sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String())

	// Without the kubelet and API server jobs; an emptyDir instead of a PVC.
	lean := renderMon(t, map[string]any{"prometheus": map[string]any{
		"scrape":                               map[string]any{"kubelet": false, "apiserver": false},
		"persistence":                          map[string]any{"enabled": false, "size": "1Gi", "storageClassName": "fast", "accessModes": []any{"ReadWriteOnce"}, "annotations": map[string]any{}},
		"persistentVolumeClaimRetentionPolicy": map[string]any{"whenDeleted": "Delete", "whenScaled": "Retain"},
		"resources":                            map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "256Mi"}, "limits": map[string]any{"memory": "512Mi"}},
		"service":                              map[string]any{"port": 9091},
	}})
	cfg = configMapData(t, lean, "shop-monitoring-prometheus", "prometheus.yml")
	assert.NotContains(t, cfg, "job_name: kubelet")
	assert.NotContains(t, cfg, "job_name: apiserver")
	sts = render.Get[*appsv1.StatefulSet](t, lean, "shop-monitoring-prometheus")
	assert.Empty(t, sts.Spec.VolumeClaimTemplates)
	assert.Equal(t, int32(9091), render.Get[*corev1.Service](t, lean, "shop-monitoring-prometheus").Spec.Ports[0].Port)
}

func TestAlertmanagerRoutesBySeverityToReceiversWhoseURLsStayInSecrets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		receivers map[string]any
		want      []string
		mounts    []string
	}{
		{"no receiver: alerts stay in Alertmanager", map[string]any{}, []string{`receiver: "null"`}, nil},
		{"Discord only", map[string]any{"discord": map[string]any{"enabled": true, "existingSecret": "discord", "secretKey": "url", "severities": []any{"critical"}, "sendResolved": false}},
			[]string{"discord_configs:", "webhook_url_file: /etc/alertmanager/secrets/discord/url", `severity=~"critical"`, "send_resolved: false"}, []string{"discord"}},
		{"every receiver", map[string]any{
			"discord": map[string]any{"enabled": true, "existingSecret": "receivers"},
			"slack":   map[string]any{"enabled": true, "existingSecret": "receivers", "secretKey": "slack-url", "channel": "#ops", "severities": []any{"critical", "warning"}, "sendResolved": true},
			"webhook": map[string]any{"enabled": true, "existingSecret": "receivers", "secretKey": "hook", "severities": []any{"info"}, "sendResolved": false},
		}, []string{"api_url_file: /etc/alertmanager/secrets/slack/slack-url", `channel: "#ops"`, "url_file: /etc/alertmanager/secrets/webhook/hook", `severity=~"info"`}, []string{"discord", "slack", "webhook"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := renderMon(t, map[string]any{"alertmanager": map[string]any{"receivers": c.receivers}})
			cfg := configMapData(t, r, "shop-monitoring-alertmanager", "alertmanager.yml")
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(cfg), 0o644))
			run(t, dir, "amtool", "check-config", "alertmanager.yml")
			for _, w := range c.want {
				assert.Contains(t, cfg, w)
			}
			assert.NotContains(t, cfg, "https://", "no receiver URL is written into the configuration")
			sts := render.Get[*appsv1.StatefulSet](t, r, "shop-monitoring-alertmanager")
			var mounted []string
			for _, v := range sts.Spec.Template.Spec.Volumes {
				if v.Secret != nil {
					mounted = append(mounted, v.Name)
				}
			}
			assert.ElementsMatch(t, c.mounts, mounted)
		})
	}

	// Routing knobs, inhibition and a gossip cluster of three.
	r := renderMon(t, map[string]any{"alertmanager": map[string]any{
		"replicas":     3,
		"route":        map[string]any{"groupBy": []any{"alertname"}, "groupWait": "10s", "groupInterval": "1m", "repeatInterval": "1h"},
		"inhibitRules": []any{map[string]any{"source_matchers": []any{`alertname="NodeNotReady"`}, "target_matchers": []any{`alertname="TargetDown"`}, "equal": []any{"node"}}},
		"persistence":  map[string]any{"enabled": true, "size": "2Gi", "storageClassName": "fast", "accessModes": []any{"ReadWriteOnce"}, "annotations": map[string]any{"a": "b"}},
		"resources":    map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "32Mi"}, "limits": map[string]any{"memory": "64Mi"}},
		"service":      map[string]any{"port": 9095},
	}})
	cfg := configMapData(t, r, "shop-monitoring-alertmanager", "alertmanager.yml")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(cfg), 0o644))
	run(t, dir, "amtool", "check-config", "alertmanager.yml")
	for _, w := range []string{`group_by: ["alertname"]`, "group_wait: 10s", "group_interval: 1m", "repeat_interval: 1h", `alertname="NodeNotReady"`} {
		assert.Contains(t, cfg, w)
	}
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-monitoring-alertmanager")
	assert.Equal(t, int32(3), *sts.Spec.Replicas)
	args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " ")
	assert.Contains(t, args, "--cluster.peer=shop-monitoring-alertmanager-2.shop-monitoring-alertmanager-headless:9094")
	assert.Equal(t, "2Gi", sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String())
	assert.Contains(t, configMapData(t, monDefaults(t), "shop-monitoring-prometheus", "prometheus.yml"), "alertmanager.prod-monitoring.svc:9093")
	assert.Contains(t, configMapData(t, r, "shop-monitoring-grafana", "datasources.yaml"), "shop-monitoring-alertmanager.prod-monitoring.svc:9095")
}

// metricSources says which scrape job produces each metric the rules and dashboards query: the
// exporters the stack runs (nginx-prometheus-exporter, podinfo, mysqld_exporter,
// redis_exporter, RabbitMQ's prometheus plugin, kube-state-metrics, node_exporter, cAdvisor,
// the kubelet, cert-manager, vlagent) and Prometheus itself. The e2e monitoring suite checks the same
// names against a live Prometheus.
var metricSources = map[string]string{
	"up":                                                   "prometheus",
	"nginx_http_requests_total":                            "gateway",
	"nginx_connections_active":                             "gateway",
	"nginx_up":                                             "gateway",
	"http_requests_total":                                  "podinfo services",
	"http_request_duration_seconds_bucket":                 "podinfo services",
	"mysql_up":                                             "mysql",
	"mysql_global_status_queries":                          "mysql",
	"mysql_global_status_threads_connected":                "mysql",
	"mysql_global_variables_max_connections":               "mysql",
	"redis_up":                                             "redis",
	"redis_memory_used_bytes":                              "redis",
	"redis_memory_max_bytes":                               "redis",
	"redis_connected_clients":                              "redis",
	"redis_evicted_keys_total":                             "redis",
	"rabbitmq_queue_messages_ready":                        "rabbitmq",
	"rabbitmq_queue_messages_unacked":                      "rabbitmq",
	"rabbitmq_global_messages_received_total":              "rabbitmq",
	"rabbitmq_global_messages_delivered_total":             "rabbitmq",
	"rabbitmq_connections":                                 "rabbitmq",
	"kube_pod_status_ready":                                "kube-state-metrics",
	"kube_pod_status_phase":                                "kube-state-metrics",
	"kube_pod_container_status_restarts_total":             "kube-state-metrics",
	"kube_node_status_condition":                           "kube-state-metrics",
	"kube_horizontalpodautoscaler_status_current_replicas": "kube-state-metrics",
	"kube_horizontalpodautoscaler_spec_max_replicas":       "kube-state-metrics",
	"kube_deployment_spec_replicas":                        "kube-state-metrics",
	"kube_deployment_status_replicas_available":            "kube-state-metrics",
	"kube_statefulset_replicas":                            "kube-state-metrics",
	"kube_statefulset_status_replicas_ready":               "kube-state-metrics",
	"kube_job_failed":                                      "kube-state-metrics",
	"kube_pod_container_status_last_terminated_reason":     "kube-state-metrics",
	"container_cpu_usage_seconds_total":                    "cadvisor",
	"container_memory_working_set_bytes":                   "cadvisor",
	"kubelet_volume_stats_used_bytes":                      "kubelet",
	"kubelet_volume_stats_capacity_bytes":                  "kubelet",
	"vlagent_remotewrite_packets_dropped_total":            "logs-collector",
	"vlagent_remotewrite_retries_count_total":              "logs-collector",
	"node_cpu_seconds_total":                               "node-exporter",
	"node_memory_MemAvailable_bytes":                       "node-exporter",
	"node_memory_MemTotal_bytes":                           "node-exporter",
	"node_filesystem_avail_bytes":                          "node-exporter",
	"node_filesystem_size_bytes":                           "node-exporter",
	"node_filesystem_readonly":                             "node-exporter",
	"certmanager_certificate_expiration_timestamp_seconds": "cert-manager",
}

type dashboard struct {
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// DashboardExprs returns every query of the chart's dashboards, by dashboard file.
func dashboardExprs(t *testing.T, r *render.Result) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for file, body := range render.Get[*corev1.ConfigMap](t, r, "shop-monitoring-grafana-dashboards").Data {
		var d dashboard
		require.NoError(t, json.Unmarshal([]byte(body), &d), "%s is valid JSON", file)
		require.NotEmpty(t, d.UID, "%s has a uid", file)
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				out[file] = append(out[file], strings.ReplaceAll(tg.Expr, "$namespace", "prod"))
			}
		}
	}
	return out
}

func TestDashboardsAreValidAndQueryOnlyMetricsTheScrapeJobsProduce(t *testing.T) {
	t.Parallel()
	r := monDefaults(t)
	exprs := dashboardExprs(t, r)
	require.Contains(t, exprs, "stack-overview.json")
	require.GreaterOrEqual(t, len(exprs["stack-overview.json"]), 20)

	// PromQL syntax: each query as a recording rule, checked by promtool.
	var rules []any
	for _, e := range exprs["stack-overview.json"] {
		rules = append(rules, map[string]any{"record": "dashboard:query", "expr": e})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dashboard.rules.yaml"), b, 0o644))
	run(t, dir, "promtool", "check", "rules", "dashboard.rules.yaml")

	// Every metric (dashboards and alert rules) comes from a scrape job of the stack.
	covered := map[string]bool{}
	check := func(where, expr string) {
		for _, m := range promql.MetricNames(expr) {
			_, ok := metricSources[m]
			assert.True(t, ok, "%s queries %q, which no scrape job of the stack produces", where, m)
			covered[metricSources[m]] = true
		}
	}
	for _, e := range exprs["stack-overview.json"] {
		check("the stack overview dashboard", e)
	}
	var f struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string } `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(configMapData(t, r, "shop-monitoring-prometheus-rules", "stack.rules.yaml")), &f))
	for _, g := range f.Groups {
		for _, rule := range g.Rules {
			check("alert "+rule.Alert, rule.Expr)
		}
	}
	for _, job := range []string{"gateway", "podinfo services", "mysql", "redis", "rabbitmq", "kube-state-metrics", "cadvisor", "node-exporter"} {
		assert.True(t, covered[job], "the dashboards and rules show something from %s", job)
	}
}

func TestGrafanaIsProvisionedAndNeverHasADefaultPassword(t *testing.T) {
	t.Parallel()
	r := renderMon(t, map[string]any{"grafana": map[string]any{
		"admin":       map[string]any{"existingSecret": "{{ .Release.Name }}-grafana", "userKey": "user", "passwordKey": "pass"},
		"persistence": map[string]any{"enabled": true, "size": "2Gi", "storageClassName": "fast", "accessModes": []any{"ReadWriteOnce"}},
		"resources":   map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "256Mi"}, "limits": map[string]any{"memory": "512Mi"}},
		"service":     map[string]any{"port": 3001},
	}})
	d := render.Get[*appsv1.Deployment](t, r, "shop-monitoring-grafana")
	env := envOf(d.Spec.Template.Spec.Containers[0])
	assert.Equal(t, "shop-grafana", env["GF_SECURITY_ADMIN_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "pass", env["GF_SECURITY_ADMIN_PASSWORD"].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, "user", env["GF_SECURITY_ADMIN_USER"].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, int64(472), *d.Spec.Template.Spec.SecurityContext.RunAsUser, "Grafana's image runs as 472")
	assert.False(t, render.Has[*corev1.Secret](r, "shop-monitoring-grafana-admin"), "no Secret is written when an existing one is named")
	assert.True(t, render.Has[*corev1.PersistentVolumeClaim](r, "shop-monitoring-grafana"))
	ds := configMapData(t, r, "shop-monitoring-grafana", "datasources.yaml")
	assert.Contains(t, ds, "url: http://shop-monitoring-prometheus.prod-monitoring.svc:9090")
	assert.Contains(t, ds, "type: alertmanager")

	dev := renderMon(t, map[string]any{"grafana": map[string]any{"admin": map[string]any{"existingSecret": "", "user": "root", "password": "dev-only"}, "dashboards": false}})
	s := render.Get[*corev1.Secret](t, dev, "shop-monitoring-grafana-admin")
	assert.Equal(t, "root", string(s.Data["admin-user"]))
	assert.False(t, render.Has[*corev1.ConfigMap](dev, "shop-monitoring-grafana-dashboards"), "dashboards: false provisions none")

	render.Fails(t, chart("monitoring"), render.Options{Values: map[string]any{}}, "grafana.admin.existingSecret", "grafana.admin.password", "no default password")
}

func TestMonitoringRunsInItsOwnNamespaceAtThePodSecurityLevelItNeeds(t *testing.T) {
	t.Parallel()
	r := renderMon(t, map[string]any{"namespace": map[string]any{"create": true, "labels": map[string]any{"team": "platform"}}})
	ns := render.Get[*corev1.Namespace](t, r, monNS)
	assert.Equal(t, "privileged", ns.Labels["pod-security.kubernetes.io/enforce"], "node-exporter needs host access")
	assert.Equal(t, "platform", ns.Labels["team"])
	for _, o := range r.Objects {
		if o.Namespace != "" {
			assert.Equal(t, monNS, o.Namespace, "%s/%s is in the monitoring namespace", o.Kind, o.Name)
		}
	}
	// Every pod but node-exporter meets "restricted"; node-exporter is the documented exception.
	assert.Empty(t, policy.Check(r.Objects, policy.Options{Exempt: []string{"DaemonSet/shop-monitoring-node-exporter"}}))
	assert.NotEmpty(t, policy.Check(r.Objects, policy.Options{Level: psapi.LevelBaseline}), "node-exporter breaks baseline (hostNetwork, hostPID, hostPath)")

	lean := renderMon(t, map[string]any{"namespace": map[string]any{"create": true}, "nodeExporter": map[string]any{"enabled": false}})
	assert.Equal(t, "restricted", render.Get[*corev1.Namespace](t, lean, monNS).Labels["pod-security.kubernetes.io/enforce"])
	assert.Empty(t, policy.Check(lean.Objects, policy.Options{}))
	explicit := renderMon(t, map[string]any{"namespace": map[string]any{"create": true, "podSecurity": "baseline"}})
	assert.Equal(t, "baseline", render.Get[*corev1.Namespace](t, explicit, monNS).Labels["pod-security.kubernetes.io/enforce"])

	render.Fails(t, chart("monitoring"), render.Options{Namespace: "prod", Values: map[string]any{
		"namespace": map[string]any{"create": true}, "grafana": map[string]any{"admin": map[string]any{"password": "x"}}}},
		"namespace.create", "release namespace")
}

func TestMonitoringRBACIsReadOnlyAndFollowsTheCollectors(t *testing.T) {
	t.Parallel()
	r := renderMon(t, map[string]any{"kubeStateMetrics": map[string]any{"collectors": []any{"pods", "deployments", "horizontalpodautoscalers"},
		"resources": map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "32Mi"}, "limits": map[string]any{"memory": "64Mi"}}}})
	for _, cr := range render.All[*rbacv1.ClusterRole](r) {
		for _, rule := range cr.Rules {
			for _, v := range rule.Verbs {
				assert.Contains(t, []string{"get", "list", "watch"}, v, "%s may only read", cr.Name)
			}
			assert.NotContains(t, rule.Resources, "secrets", "%s reads no Secrets", cr.Name)
		}
	}
	ksm := render.Get[*rbacv1.ClusterRole](t, r, "prod-shop-monitoring-kube-state-metrics")
	assert.Equal(t, []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"list", "watch"}},
	}, ksm.Rules)
	d := render.Get[*appsv1.Deployment](t, r, "shop-monitoring-kube-state-metrics")
	assert.Contains(t, d.Spec.Template.Spec.Containers[0].Args, "--resources=pods,deployments,horizontalpodautoscalers")

	none := renderMon(t, map[string]any{"rbac": map[string]any{"create": false}})
	assert.Empty(t, render.All[*rbacv1.ClusterRole](none))
}

func TestOperatorObjectsWhenTheClusterServesMonitoringCoreosV1(t *testing.T) {
	t.Parallel()
	withOperator := func(o *render.Options) {
		o.APIVersions = []string{"monitoring.coreos.com/v1/PrometheusRule", "monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor"}
	}
	r := renderMon(t, map[string]any{"operator": map[string]any{"selectorLabels": map[string]any{"release": "kube-prometheus-stack"}}}, withOperator)
	rule := render.Unstructured(t, r, "PrometheusRule", "shop-monitoring-rules")
	assert.Equal(t, monNS, rule.GetNamespace())
	assert.Equal(t, "kube-prometheus-stack", rule.GetLabels()["release"])
	groups, _, err := unstructured.NestedSlice(rule.Object, "spec", "groups")
	require.NoError(t, err)
	assert.Len(t, groups, 6)
	sm := render.Unstructured(t, r, "ServiceMonitor", "shop-monitoring-kube-state-metrics")
	assert.Equal(t, "kube-prometheus-stack", sm.GetLabels()["release"])
	render.Unstructured(t, r, "PodMonitor", "shop-monitoring-node-exporter")

	// Operator-only: no Prometheus of our own.
	only := renderMon(t, map[string]any{"prometheus": map[string]any{"enabled": false}}, withOperator)
	assert.False(t, render.Has[*appsv1.StatefulSet](only, "shop-monitoring-prometheus"))
	assert.Equal(t, 1, only.Count("PrometheusRule"))

	assert.Equal(t, 0, monDefaults(t).Count("PrometheusRule"), "no operator objects without the API")
	assert.Equal(t, 0, renderMon(t, map[string]any{"operator": map[string]any{"enabled": false}}, withOperator).Count("PrometheusRule"))
}

func TestEveryMonitoringComponentCanBeTurnedOffAndTuned(t *testing.T) {
	t.Parallel()
	r := renderMon(t, map[string]any{
		"fullnameOverride": "shop-monitoring",
		"alertmanager":     map[string]any{"enabled": false},
		"grafana":          map[string]any{"enabled": false},
		"kubeStateMetrics": map[string]any{"enabled": false},
		"nodeExporter":     map[string]any{"enabled": false},
		"networkPolicy":    map[string]any{"enabled": false, "allowedClients": []any{}},
	})
	assert.Equal(t, []string{"ClusterRole", "ClusterRoleBinding", "ConfigMap", "Service", "ServiceAccount", "StatefulSet"}, r.Kinds())
	assert.NotContains(t, configMapData(t, r, "shop-monitoring-prometheus", "prometheus.yml"), "alertmanagers:")

	ingress := map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "ingress-nginx"}}}
	tuned := renderMon(t, map[string]any{
		"nodeExporter":       map[string]any{"port": 9101, "tolerations": []any{}, "resources": map[string]any{"requests": map[string]any{"cpu": "5m", "memory": "16Mi"}, "limits": map[string]any{"memory": "32Mi"}}},
		"networkPolicy":      map[string]any{"allowedClients": []any{ingress}},
		"podSecurityContext": map[string]any{"runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534},
		"securityContext":    map[string]any{"readOnlyRootFilesystem": true},
		"imagePullSecrets":   []any{"regcred"},
		"nodeSelector":       map[string]any{"pool": "infra"},
		"tolerations":        []any{map[string]any{"key": "infra", "operator": "Exists"}},
		"affinity":           map[string]any{},
		"priorityClassName":  "monitoring",
		"nameOverride":       "mon",
		"images": map[string]any{"prometheus": map[string]any{"registry": "mirror.example.com", "repository": "prom/prometheus", "tag": "v3.7.3", "digest": "", "pullPolicy": "Always"},
			"alertmanager":     map[string]any{"registry": "mirror.example.com", "repository": "prom/alertmanager", "tag": "v0.28.1", "digest": "", "pullPolicy": ""},
			"grafana":          map[string]any{"registry": "mirror.example.com", "repository": "grafana/grafana", "tag": "12.2.1", "digest": "", "pullPolicy": ""},
			"kubeStateMetrics": map[string]any{"registry": "mirror.example.com", "repository": "kube-state-metrics/kube-state-metrics", "tag": "v2.16.0", "digest": "", "pullPolicy": ""},
			"nodeExporter":     map[string]any{"registry": "mirror.example.com", "repository": "prom/node-exporter", "tag": "v1.9.1", "digest": "", "pullPolicy": ""}},
	})
	ds := render.Get[*appsv1.DaemonSet](t, tuned, "shop-mon-node-exporter")
	assert.Equal(t, int32(9101), ds.Spec.Template.Spec.Containers[0].Ports[0].HostPort)
	assert.Empty(t, ds.Spec.Template.Spec.Tolerations)
	sts := render.Get[*appsv1.StatefulSet](t, tuned, "shop-mon-prometheus")
	spec := sts.Spec.Template.Spec
	assert.Equal(t, "mirror.example.com/prom/prometheus:v3.7.3", spec.Containers[0].Image)
	assert.Equal(t, corev1.PullAlways, spec.Containers[0].ImagePullPolicy)
	assert.Equal(t, "monitoring", spec.PriorityClassName)
	assert.Equal(t, map[string]string{"pool": "infra"}, spec.NodeSelector)
	assert.Equal(t, "regcred", spec.ImagePullSecrets[0].Name)
	np := render.Get[*networkingv1.NetworkPolicy](t, tuned, "shop-mon-grafana")
	assert.Len(t, np.Spec.Ingress, 2, "the scraper and the allowed clients reach Grafana")
}

// Issue 22: Prometheus remote write with file credentials from mounted Secrets (promtool accepts
// the config; the NetworkPolicy opens each URL's port), and the Alertmanager escape hatch: a raw
// alertmanager.yml used verbatim (amtool accepts it), the receivers' Secrets still mounted.
func TestRemoteWriteAndTheRawAlertmanagerConfig(t *testing.T) {
	t.Parallel()
	remote := []any{
		map[string]any{"url": "https://metrics.example.com/api/v1/write", "name": "central",
			"basic_auth":            map[string]any{"username": "stack", "password_file": "/etc/prometheus/secrets/remote-write/password"},
			"write_relabel_configs": []any{map[string]any{"source_labels": []any{"__name__"}, "regex": "go_.*", "action": "drop"}}},
		map[string]any{"url": "http://thanos-receive.thanos.svc:19291/api/v1/receive", "queue_config": map[string]any{"max_shards": 10}},
	}
	raw := map[string]any{
		"route": map[string]any{"receiver": "team-a", "routes": []any{map[string]any{"receiver": "pager", "matchers": []any{`severity="critical"`}}}},
		"receivers": []any{
			map[string]any{"name": "team-a", "webhook_configs": []any{map[string]any{"url_file": "/etc/alertmanager/secrets/webhook/url"}}},
			map[string]any{"name": "pager", "pagerduty_configs": []any{map[string]any{"routing_key": "x"}}},
		},
	}
	r := renderMon(t, map[string]any{
		"prometheus":   map[string]any{"remoteWrite": remote, "secretMounts": []any{"remote-write"}},
		"alertmanager": map[string]any{"config": raw, "receivers": map[string]any{"webhook": map[string]any{"enabled": true, "existingSecret": "team-a-hook"}}},
	})
	dir := t.TempDir()
	cfg := configMapData(t, r, "shop-monitoring-prometheus", "prometheus.yml")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "rules"), 0o755))
	run(t, dir, "promtool", "check", "config", "--syntax-only", "prometheus.yml")
	var c struct {
		RemoteWrite []map[string]any `json:"remote_write"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(cfg), &c))
	require.Len(t, c.RemoteWrite, 2)
	assert.Equal(t, "https://metrics.example.com/api/v1/write", c.RemoteWrite[0]["url"])
	assert.Equal(t, "/etc/prometheus/secrets/remote-write/password", c.RemoteWrite[0]["basic_auth"].(map[string]any)["password_file"])

	prom := render.Get[*appsv1.StatefulSet](t, r, "shop-monitoring-prometheus")
	var mounted bool
	for _, m := range prom.Spec.Template.Spec.Containers[0].VolumeMounts {
		mounted = mounted || (m.Name == "secret-remote-write" && m.MountPath == "/etc/prometheus/secrets/remote-write" && m.ReadOnly)
	}
	assert.True(t, mounted, "the remote-write Secret is mounted read-only")
	var secretVolume bool
	for _, v := range prom.Spec.Template.Spec.Volumes {
		secretVolume = secretVolume || (v.Secret != nil && v.Secret.SecretName == "remote-write")
	}
	assert.True(t, secretVolume)

	ports := egressPorts(render.Get[*networkingv1.NetworkPolicy](t, r, "shop-monitoring-prometheus"))
	assert.Contains(t, ports, int32(19291), "egress to the http remote write's port")
	assert.Contains(t, ports, int32(443), "and to https's")

	am := configMapData(t, r, "shop-monitoring-alertmanager", "alertmanager.yml")
	var got map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(am), &got))
	assert.Equal(t, raw["route"], got["route"], "the raw config, verbatim")
	assert.NotContains(t, am, `"null"`, "nothing generated")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(am), 0o644))
	run(t, dir, "amtool", "check-config", "alertmanager.yml")
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-monitoring-alertmanager")
	var hook bool
	for _, v := range sts.Spec.Template.Spec.Volumes {
		hook = hook || (v.Secret != nil && v.Secret.SecretName == "team-a-hook")
	}
	assert.True(t, hook, "the enabled receiver's Secret is still mounted for the raw config to read")
}

// Issue 22: e-mail, PagerDuty and Opsgenie receivers (credentials as files from Secrets), the
// teams' own routes to extra receivers; amtool accepts the result, the NetworkPolicy opens the
// smarthost's port, and a route to a receiver that does not exist fails the render naming it.
func TestMoreReceiversAndTeamRoutes(t *testing.T) {
	t.Parallel()
	vals := map[string]any{"alertmanager": map[string]any{
		"receivers": map[string]any{
			"email": map[string]any{"enabled": true, "to": "oncall@example.com", "from": "alertmanager@example.com", "smarthost": "smtp.example.com:587",
				"authUsername": "alertmanager", "existingSecret": "smtp", "secretKey": "password", "requireTLS": true, "severities": []any{"critical", "warning"}, "sendResolved": false},
			"pagerduty": map[string]any{"enabled": true, "existingSecret": "pagerduty", "secretKey": "routing-key", "severities": []any{"critical"}, "sendResolved": true},
			"opsgenie":  map[string]any{"enabled": true, "existingSecret": "opsgenie", "secretKey": "api-key", "apiURL": "https://api.eu.opsgenie.com/", "severities": []any{"critical"}, "sendResolved": true},
		},
		"routes": []any{map[string]any{"matchers": []any{`team="payments"`}, "receiver": "payments-slack", "continue": false}},
		"extraReceivers": []any{map[string]any{"name": "payments-slack", "slack_configs": []any{map[string]any{
			"api_url_file": "/etc/alertmanager/secrets/payments-slack/url", "channel": "#payments-alerts"}}}},
		"secretMounts": []any{"payments-slack"},
	}}
	r := renderMon(t, vals)
	cfg := configMapData(t, r, "shop-monitoring-alertmanager", "alertmanager.yml")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(cfg), 0o644))
	run(t, dir, "amtool", "check-config", "alertmanager.yml")
	for _, want := range []string{"auth_password_file: /etc/alertmanager/secrets/email/password", "smarthost: \"smtp.example.com:587\"",
		"routing_key_file: /etc/alertmanager/secrets/pagerduty/routing-key", "api_key_file: /etc/alertmanager/secrets/opsgenie/api-key",
		`api_url: "https://api.eu.opsgenie.com/"`, "name: payments-slack"} {
		assert.Contains(t, cfg, want)
	}
	var c struct {
		Route struct {
			Routes []struct {
				Receiver string   `json:"receiver"`
				Matchers []string `json:"matchers"`
			} `json:"routes"`
		} `json:"route"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(cfg), &c))
	require.Equal(t, "payments-slack", c.Route.Routes[0].Receiver, "the team's route comes first")
	var receivers []string
	for _, rt := range c.Route.Routes[1:] {
		receivers = append(receivers, rt.Receiver)
	}
	assert.Equal(t, []string{"email", "pagerduty", "opsgenie"}, receivers)

	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-monitoring-alertmanager")
	secrets := map[string]bool{}
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			secrets[v.Secret.SecretName] = true
		}
	}
	for _, s := range []string{"smtp", "pagerduty", "opsgenie", "payments-slack"} {
		assert.True(t, secrets[s], "Secret %s mounted", s)
	}
	assert.Contains(t, egressPorts(render.Get[*networkingv1.NetworkPolicy](t, r, "shop-monitoring-alertmanager")), int32(587), "egress to the smarthost's port")

	// An e-mail receiver without a user needs no Secret.
	noAuth := renderMon(t, map[string]any{"alertmanager": map[string]any{"receivers": map[string]any{"email": map[string]any{
		"enabled": true, "to": "a@example.com", "from": "b@example.com", "smarthost": "mail.example.com:25"}}}})
	assert.NotContains(t, configMapData(t, noAuth, "shop-monitoring-alertmanager", "alertmanager.yml"), "auth_password_file")

	bad := monValues(map[string]any{"alertmanager": map[string]any{"routes": []any{map[string]any{"receiver": "nobody"}}}})
	render.Fails(t, chart("monitoring"), render.Options{ReleaseName: "shop", Namespace: "prod", Values: bad}, `alertmanager.routes[0].receiver: "nobody" is not a receiver`)
	noHost := monValues(map[string]any{"alertmanager": map[string]any{"receivers": map[string]any{"email": map[string]any{"enabled": true, "to": "a@example.com", "from": "b@example.com"}}}})
	render.Fails(t, chart("monitoring"), render.Options{ReleaseName: "shop", Namespace: "prod", Values: noHost}, "alertmanager.receivers.email.smarthost is required")
}

// egressPorts are the ports a NetworkPolicy's egress rules open (to any destination).
func egressPorts(np *networkingv1.NetworkPolicy) []int32 {
	var ports []int32
	for _, e := range np.Spec.Egress {
		for _, p := range e.Ports {
			ports = append(ports, p.Port.IntVal)
		}
	}
	return ports
}
