package unit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/stack-charts/stack/tests/render"
)

// Issue 13, item 4: every workload with more than one replica in any profile has a PDB and
// spread; prod's zone spread is a preference that never leaves pods Pending on unzoned nodes.
func TestMultiReplicaWorkloadsAreDisruptionSafeInEveryProfile(t *testing.T) {
	t.Parallel()
	prod := shopProdRender(t)
	dev := render.Render(t, chart("stack"), stackOpts(nil))
	for name, r := range map[string]*render.Result{"prod": prod, "dev": dev} {
		pdbs := render.All[*policyv1.PodDisruptionBudget](r)
		covered := func(podLabels map[string]string) bool {
			for _, p := range pdbs {
				match := true
				for k, v := range p.Spec.Selector.MatchLabels {
					if podLabels[k] != v {
						match = false
					}
				}
				if match {
					return true
				}
			}
			return false
		}
		check := func(kind, obj string, replicas int32, tpl corev1.PodTemplateSpec) {
			if replicas < 2 {
				return
			}
			assert.True(t, covered(tpl.Labels), "%s: %s %s has %d replicas and no PDB", name, kind, obj, replicas)
			assert.NotEmpty(t, tpl.Spec.TopologySpreadConstraints, "%s: %s %s has %d replicas and no spread", name, kind, obj, replicas)
			for _, c := range tpl.Spec.TopologySpreadConstraints {
				assert.Equal(t, corev1.ScheduleAnyway, c.WhenUnsatisfiable, "%s: %s %s spreads over %s as a preference", name, kind, obj, c.TopologyKey)
			}
		}
		for _, d := range render.All[*appsv1.Deployment](r) {
			replicas := int32(2) // no replicas: an HPA owns them, from at least 2
			if d.Spec.Replicas != nil {
				replicas = *d.Spec.Replicas
			}
			check("Deployment", d.Name, replicas, d.Spec.Template)
		}
		for _, s := range render.All[*appsv1.StatefulSet](r) {
			check("StatefulSet", s.Name, *s.Spec.Replicas, s.Spec.Template)
		}
	}
	am := render.Get[*policyv1.PodDisruptionBudget](t, prod, "shop-monitoring-alertmanager")
	assert.Equal(t, "prod-monitoring", am.Namespace, "the PDB lives beside the Alertmanagers")
	assert.Equal(t, int32(1), am.Spec.MinAvailable.IntVal)

	// A hard zone spread is an opt-in; one replica gets neither PDB nor spread; the knobs.
	one := renderMon(t, map[string]any{"alertmanager": map[string]any{"replicas": 1}})
	assert.False(t, render.Has[*policyv1.PodDisruptionBudget](one, "shop-monitoring-alertmanager"))
	assert.Empty(t, render.Get[*appsv1.StatefulSet](t, one, "shop-monitoring-alertmanager").Spec.Template.Spec.TopologySpreadConstraints)
	three := renderMon(t, map[string]any{"alertmanager": map[string]any{"replicas": 3, "pdb": map[string]any{"enabled": true, "minAvailable": 2},
		"topologySpread": map[string]any{"enabled": true, "maxSkew": 1, "topologyKeys": []any{"topology.kubernetes.io/zone"}, "whenUnsatisfiable": "DoNotSchedule"}}})
	assert.Equal(t, int32(2), render.Get[*policyv1.PodDisruptionBudget](t, three, "shop-monitoring-alertmanager").Spec.MinAvailable.IntVal)
	c := render.Get[*appsv1.StatefulSet](t, three, "shop-monitoring-alertmanager").Spec.Template.Spec.TopologySpreadConstraints
	require.Len(t, c, 1)
	assert.Equal(t, corev1.DoNotSchedule, c[0].WhenUnsatisfiable)
	assert.Equal(t, "topology.kubernetes.io/zone", c[0].TopologyKey)
	off := renderMon(t, map[string]any{"alertmanager": map[string]any{"replicas": 2, "pdb": map[string]any{"enabled": false}, "topologySpread": map[string]any{"enabled": false}}})
	assert.False(t, render.Has[*policyv1.PodDisruptionBudget](off, "shop-monitoring-alertmanager"))

	// node-exporter declares its exemption.
	ds := render.Get[*appsv1.DaemonSet](t, renderMon(t, map[string]any{"nodeExporter": map[string]any{"podSecurity": map[string]any{"level": "privileged", "reason": "host metrics need the host"}}}), "shop-monitoring-node-exporter")
	assert.Equal(t, "privileged", ds.Annotations["stack.dev/pod-security-level"])
	assert.Equal(t, "host metrics need the host", ds.Annotations["stack.dev/pod-security-reason"])
}

// The MySQL backup CronJob never overlaps and skips a run it could not start in time.
func TestTheBackupCronJobSkipsLateRunsAndNeverOverlaps(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("mysql"), render.Options{ReleaseName: "shop", Values: map[string]any{
		"auth":   map[string]any{"rootPassword": "r", "password": "a", "exporterPassword": "e"},
		"backup": map[string]any{"enabled": true, "startingDeadlineSeconds": 900}}})
	cj := render.Get[*batchv1.CronJob](t, r, "shop-mysql-backup")
	assert.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy)
	require.NotNil(t, cj.Spec.StartingDeadlineSeconds)
	assert.Equal(t, int64(900), *cj.Spec.StartingDeadlineSeconds)
	render.Fails(t, chart("stack"), devOpts(nil, "mysql.backup.enabled=true", "mysql.backup.schedule=0 3 * * * *"), "mysql.backup.schedule", "not a cron schedule")
	render.Fails(t, chart("stack"), devOpts(nil, "mysql.backup.enabled=true", "mysql.backup.timeZone=UTC+2"), "mysql.backup.timeZone", "IANA")
}
