package unit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/stack-charts/stack/tests/render"
)

// Logs (issue 20): the VictoriaLogs store and the vlagent collector of the monitoring chart.

func TestLogsAreOffByDefaultAndOnInTheProdProfile(t *testing.T) {
	t.Parallel()
	assert.False(t, render.Has[*appsv1.DaemonSet](monDefaults(t), "shop-monitoring-logs-collector"))
	assert.False(t, render.Has[*appsv1.StatefulSet](monDefaults(t), "shop-monitoring-logs-store"))
	prod := profileRender(t, "prod")
	store := render.Get[*appsv1.StatefulSet](t, prod, "stack-monitoring-logs-store")
	assert.Contains(t, store.Spec.Template.Spec.Containers[0].Args, "-retentionPeriod=14d")
	assert.Contains(t, store.Spec.Template.Spec.Containers[0].Args, "-retention.maxDiskSpaceUsageBytes=40GiB")
	assert.True(t, render.Has[*appsv1.DaemonSet](prod, "stack-monitoring-logs-collector"))
}

func TestLogsStoreAndCollector(t *testing.T) {
	t.Parallel()
	fluentBit := map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "logging"}}}
	r := renderMon(t, map[string]any{
		"images": map[string]any{
			"logsStore":     map[string]any{"registry": "mirror.example", "repository": "vm/victoria-logs", "tag": "v1.52.1", "digest": "", "pullPolicy": "Always"},
			"logsCollector": map[string]any{"registry": "mirror.example", "repository": "vm/vlagent", "tag": "v1.52.1", "digest": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "pullPolicy": "IfNotPresent"},
		},
		"grafana": map[string]any{"admin": map[string]any{"existingSecret": "grafana-admin"}, "logsPlugin": "victoriametrics-logs-datasource"},
		"logs": map[string]any{"enabled": true,
			"store": map[string]any{"port": 9500, "retentionPeriod": "30d",
				"persistence": map[string]any{"enabled": true, "size": "20Gi", "storageClassName": "fast", "accessModes": []any{"ReadWriteOncePod"}},
				"resources":   map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "256Mi"}, "limits": map[string]any{"memory": "1Gi"}},
				"clients":     []any{fluentBit}},
			"collector": map[string]any{"extraFields": map[string]any{"cluster": "prod-eu"}, "maxBuffer": "1GiB", "port": 9600, "stateDir": "/var/lib/logs-state",
				"podSecurity": map[string]any{"level": "privileged", "reason": "reads the host logs"},
				"tolerations": []any{map[string]any{"key": "dedicated", "operator": "Exists"}},
				"resources":   map[string]any{"requests": map[string]any{"cpu": "30m", "memory": "80Mi"}, "limits": map[string]any{"memory": "300Mi"}}}}})

	store := render.Get[*appsv1.StatefulSet](t, r, "shop-monitoring-logs-store")
	c := store.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "mirror.example/vm/victoria-logs:v1.52.1", c.Image)
	assert.Equal(t, corev1.PullAlways, c.ImagePullPolicy)
	assert.Equal(t, []string{"-storageDataPath=/storage", "-httpListenAddr=:9500", "-retentionPeriod=30d",
		"-retention.maxDiskSpaceUsageBytes=17179869184", "-loggerFormat=json"}, c.Args, "80% of the 20Gi PVC")
	assert.Equal(t, "fast", *store.Spec.VolumeClaimTemplates[0].Spec.StorageClassName)
	assert.Equal(t, []corev1.PersistentVolumeAccessMode{"ReadWriteOncePod"}, store.Spec.VolumeClaimTemplates[0].Spec.AccessModes)
	assert.Equal(t, appsv1.RetainPersistentVolumeClaimRetentionPolicyType, store.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted, "uninstall keeps the logs")
	assert.Equal(t, "keep", store.Annotations["helm.sh/resource-policy"])
	assert.Equal(t, "1Gi", c.Resources.Limits.Memory().String())
	assert.Equal(t, "prod-monitoring", store.Namespace)
	svc := render.Get[*corev1.Service](t, r, "shop-monitoring-logs-store")
	assert.EqualValues(t, 9500, svc.Spec.Ports[0].Port)

	ds := render.Get[*appsv1.DaemonSet](t, r, "shop-monitoring-logs-collector")
	a := ds.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "mirror.example/vm/vlagent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", a.Image)
	assert.Contains(t, a.Args, "-remoteWrite.url=http://shop-monitoring-logs-store.prod-monitoring.svc:9500/internal/insert")
	assert.Contains(t, a.Args, "-remoteWrite.maxDiskUsagePerURL=1GiB")
	assert.Contains(t, a.Args, `-kubernetesCollector.extraFields={"cluster":"prod-eu"}`)
	assert.Contains(t, a.Args, "-httpListenAddr=:9600")
	assert.Equal(t, "/var/lib/logs-state", ds.Spec.Template.Spec.Volumes[1].HostPath.Path)
	assert.Equal(t, "/var/log", ds.Spec.Template.Spec.Volumes[0].HostPath.Path)
	assert.True(t, a.VolumeMounts[0].ReadOnly, "the nodes' logs are mounted read-only")
	assert.True(t, *a.SecurityContext.ReadOnlyRootFilesystem)
	assert.Equal(t, []corev1.Capability{"ALL"}, a.SecurityContext.Capabilities.Drop)
	assert.Equal(t, "privileged", ds.Annotations["stack.dev/pod-security-level"])
	assert.Equal(t, "reads the host logs", ds.Annotations["stack.dev/pod-security-reason"])
	assert.Equal(t, "dedicated", ds.Spec.Template.Spec.Tolerations[0].Key)
	assert.Equal(t, "300Mi", a.Resources.Limits.Memory().String())

	role := render.Get[*rbacv1.ClusterRole](t, r, "prod-shop-monitoring-logs-collector")
	assert.Equal(t, []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "namespaces", "nodes"}, Verbs: []string{"get", "list", "watch"}}}, role.Rules, "read-only, no secrets")

	// The store admits its namespace (the collector, Grafana, a LogsQL client) and the configured shippers.
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-monitoring-logs-store")
	require.Len(t, np.Spec.Ingress, 1)
	assert.EqualValues(t, 9500, np.Spec.Ingress[0].Ports[0].Port.IntVal)
	assert.Len(t, np.Spec.Ingress[0].From, 2)
	assert.Equal(t, "logging", np.Spec.Ingress[0].From[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	cnp := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-monitoring-logs-collector")
	assert.EqualValues(t, 9500, cnp.Spec.Egress[1].Ports[0].Port.IntVal, "the collector sends to the store")
	assert.Equal(t, "logs-store", cnp.Spec.Egress[1].To[0].PodSelector.MatchLabels["app.kubernetes.io/name"])

	// Grafana: the store as a datasource, its plugin installed at start.
	assert.Contains(t, configMapData(t, r, "shop-monitoring-grafana", "datasources.yaml"), "type: victoriametrics-logs-datasource")
	g := render.Get[*appsv1.Deployment](t, r, "shop-monitoring-grafana").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "victoriametrics-logs-datasource", envOf(g)["GF_PLUGINS_PREINSTALL"].Value)

	// Off: no PVC, an emptyDir; no size, no disk bound.
	ephemeral := renderMon(t, map[string]any{"logs": map[string]any{"enabled": true, "store": map[string]any{"persistence": map[string]any{"enabled": false}}}})
	es := render.Get[*appsv1.StatefulSet](t, ephemeral, "shop-monitoring-logs-store")
	assert.Empty(t, es.Spec.VolumeClaimTemplates)
	assert.NotNil(t, es.Spec.Template.Spec.Volumes[0].EmptyDir)
	assert.NotContains(t, es.Spec.Template.Spec.Containers[0].Args, "-retention.maxDiskSpaceUsageBytes=8589934592")

	render.Fails(t, chart("monitoring"), render.Options{Values: monValues(map[string]any{"logs": map[string]any{"store": map[string]any{"retentionPeriod": "a week"}}})}, "/logs/store/retentionPeriod")
	render.Fails(t, chart("monitoring"), render.Options{Values: monValues(map[string]any{"logs": map[string]any{"collector": map[string]any{"maxBuffer": "lots"}}})}, "/logs/collector/maxBuffer")
}
