package unit

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/tests/render"
)

// The common library renders nothing itself: a fixture chart calls each helper and prints the
// result into a ConfigMap, so the helpers are tested directly and not only through subcharts.
var fixture = filepath.Join(root, "tests", "unit", "testdata", "charts", "commonfixture")

func helpers(t *testing.T, release string, vals map[string]any) map[string]string {
	t.Helper()
	r := render.Render(t, fixture, render.Options{ReleaseName: release, Namespace: "ns", Values: vals})
	return render.Get[*corev1.ConfigMap](t, r, "results").Data
}

func TestNamesAreDNSLabelsOfAtMost63Characters(t *testing.T) {
	t.Parallel()
	hash := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:])[:6] }
	long, over := strings.Repeat("b", 50), strings.Repeat("c", 62)+"-d"
	for _, tc := range []struct {
		name    string
		release string
		vals    map[string]any
		want    string
	}{
		{"release-chart", "shop", nil, "shop-fixture"},
		{"a release named like the chart is used alone", "fixture", nil, "fixture"},
		{"a release containing the chart name still gets the suffix (the name other charts compute)", "fixture-prod", nil, "fixture-prod-fixture"},
		{"a long name keeps its suffix: the release is shortened and a hash of the whole name added", long, map[string]any{"nameOverride": strings.Repeat("y", 20)},
			strings.Repeat("b", 35) + "-" + hash(long+"-"+strings.Repeat("y", 20)) + "-" + strings.Repeat("y", 20)},
		{"a long override is shortened with its hash", "shop", map[string]any{"fullnameOverride": over}, strings.Repeat("c", 56) + "-" + hash(over)},
	} {
		got := helpers(t, tc.release, tc.vals)["fullname"]
		assert.Equal(t, tc.want, got, tc.name)
		assert.LessOrEqual(t, len(got), 63, tc.name)
	}
	assert.Equal(t, "edge", helpers(t, "shop", map[string]any{"fullnameOverride": "edge"})["fullname"])
	assert.Equal(t, "shop-api", helpers(t, "shop", map[string]any{"nameOverride": "api"})["fullname"])
	assert.Equal(t, "shop-users", helpers(t, "shop", nil)["component"])
	assert.Equal(t, "users", helpers(t, "users", nil)["component"], "a component named like the release is the release")
	assert.Equal(t, "svc.ns.svc.cluster.local", helpers(t, "shop", nil)["fqdn"])
	assert.Equal(t, "svc.ns.svc.example", helpers(t, "shop", map[string]any{"global": map[string]any{"clusterDomain": "example"}})["fqdn"])
}

func TestImagesArePinnedAndFollowTheGlobalRegistry(t *testing.T) {
	t.Parallel()
	h := helpers(t, "shop", nil)
	assert.Equal(t, "docker.io/library/nginx:1.28.0", h["image"])
	assert.Equal(t, "IfNotPresent", h["pullPolicy"])
	h = helpers(t, "shop", map[string]any{"global": map[string]any{"imageRegistry": "mirror:5000", "imagePullPolicy": "Always"}})
	assert.Equal(t, "mirror:5000/library/nginx:1.28.0", h["image"])
	assert.Equal(t, "Always", h["pullPolicy"])
	h = helpers(t, "shop", map[string]any{"image": map[string]any{"registry": "", "repository": "nginx", "tag": 1.28}})
	assert.Equal(t, "nginx:1.28", h["image"], "no registry, numeric tag")
	render.Fails(t, fixture, render.Options{Values: map[string]any{"image": map[string]any{"repository": "nginx", "tag": "latest"}}}, `image.tag: "latest" is not allowed`)
	render.Fails(t, fixture, render.Options{Values: map[string]any{"image": map[string]any{"repository": "nginx", "tag": ""}}}, "image: set tag or digest")
	render.Fails(t, fixture, render.Options{Values: map[string]any{"image": map[string]any{"repository": ""}}}, "image.repository is required")

	h = helpers(t, "shop", map[string]any{"pullSecrets": []any{"local", map[string]any{"name": "shared"}},
		"global": map[string]any{"imagePullSecrets": []any{"shared", "global"}}})
	var ps struct {
		ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(h["pullSecrets"]), &ps))
	assert.Equal(t, []corev1.LocalObjectReference{{Name: "shared"}, {Name: "global"}, {Name: "local"}}, ps.ImagePullSecrets, "global first, duplicates removed")
	assert.Empty(t, helpers(t, "shop", nil)["pullSecrets"])
}

func TestMergeLetsExplicitFalseZeroAndEmptyWin(t *testing.T) {
	t.Parallel()
	h := helpers(t, "shop", map[string]any{
		"mergeBase":     map[string]any{"a": map[string]any{"enabled": true, "n": 3, "s": "x", "list": []any{1, 2}, "keep": "k"}, "top": true},
		"mergeOverride": map[string]any{"a": map[string]any{"enabled": false, "n": 0, "s": "", "list": []any{}}, "new": map[string]any{"b": 1}},
	})
	var got map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(h["merged"]), &got))
	assert.Equal(t, map[string]any{
		"a":   map[string]any{"enabled": false, "n": float64(0), "s": "", "list": []any{}, "keep": "k"},
		"top": true,
		"new": map[string]any{"b": float64(1)},
	}, got)
}

func TestSecurityContextDefaultsAreRestricted(t *testing.T) {
	t.Parallel()
	h := helpers(t, "shop", map[string]any{"podSecurityContext": map[string]any{"runAsUser": 101}, "securityContext": map[string]any{"readOnlyRootFilesystem": false}})
	var pod corev1.PodSecurityContext
	require.NoError(t, yaml.Unmarshal([]byte(h["podSecurity"]), &pod))
	assert.EqualValues(t, 101, *pod.RunAsUser)
	assert.True(t, *pod.RunAsNonRoot)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SeccompProfile.Type)
	var c corev1.SecurityContext
	require.NoError(t, yaml.Unmarshal([]byte(h["containerSecurity"]), &c))
	assert.False(t, *c.ReadOnlyRootFilesystem, "override")
	assert.False(t, *c.AllowPrivilegeEscalation)
	assert.Equal(t, []corev1.Capability{"ALL"}, c.Capabilities.Drop)
}

func TestProbesResourcesPDBAndHPAHelpers(t *testing.T) {
	t.Parallel()
	h := helpers(t, "shop", nil)
	var p corev1.Probe
	require.NoError(t, yaml.Unmarshal([]byte(h["probe"]), &p))
	assert.EqualValues(t, 10, p.PeriodSeconds)
	assert.EqualValues(t, 3, p.FailureThreshold)
	assert.Empty(t, helpers(t, "shop", map[string]any{"probe": map[string]any{"enabled": false}})["probe"])
	render.Fails(t, fixture, render.Options{Values: map[string]any{"probe": map[string]any{"httpGet": nil, "periodSeconds": 1}}}, "probe: a probe needs one of")
	render.Fails(t, fixture, render.Options{Values: map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": nil, "memory": "1Mi"}}}}, "resources.requests: set both cpu and memory")

	assert.Empty(t, h["pdb"], "one replica, no PDB")
	assert.Contains(t, helpers(t, "shop", map[string]any{"replicas": 2})["pdb"], "minAvailable: 1")
	assert.Contains(t, helpers(t, "shop", map[string]any{"pdb": map[string]any{"enabled": true}})["pdb"], "kind: PodDisruptionBudget")
	assert.Empty(t, helpers(t, "shop", map[string]any{"replicas": 5, "pdb": map[string]any{"enabled": false}})["pdb"])
	assert.Empty(t, h["hpa"])
	assert.Contains(t, helpers(t, "shop", map[string]any{"hpa": map[string]any{"enabled": true, "targetCPUUtilizationPercentage": 50}})["hpa"], "averageUtilization: 50")
	render.Fails(t, fixture, render.Options{Values: map[string]any{"hpa": map[string]any{"enabled": true}}}, "hpa: set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage")
}

func TestDependencyWiringHelpers(t *testing.T) {
	t.Parallel()
	h := helpers(t, "shop", map[string]any{"uses": []any{"redis"}})
	var env []corev1.EnvVar
	require.NoError(t, yaml.Unmarshal([]byte(h["depsEnv"]), &env))
	names := []string{}
	for _, e := range env {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"REDIS_HOST", "REDIS_PORT", "REDIS_ADDR", "REDIS_PASSWORD"}, names)
	assert.Contains(t, h["depsEgress"], "port: 6379")
	assert.Contains(t, h["clientLabels"], `uses.stack.dev/redis: "true"`)
	assert.Contains(t, h["clientLabels"], `calls.stack.dev/users: "true"`)
	render.Fails(t, fixture, render.Options{Values: map[string]any{"uses": []any{"postgres"}}}, `uses: unknown dependency "postgres"`, "mysql, redis, rabbitmq")
}

func TestChecksumFollowsTheTemplateItHashes(t *testing.T) {
	t.Parallel()
	a := helpers(t, "shop", nil)["checksum"]
	assert.Len(t, a, 64)
	assert.Equal(t, a, helpers(t, "shop", nil)["checksum"])
	assert.NotEqual(t, a, helpers(t, "shop", map[string]any{"image": map[string]any{"repository": "nginx", "tag": "1.29.0"}})["checksum"])
}

func TestLabelsKeepSelectorsSmallAndAddGlobalLabels(t *testing.T) {
	t.Parallel()
	r := render.Render(t, fixture, render.Options{ReleaseName: "shop", Values: map[string]any{"global": map[string]any{"labels": map[string]any{"team": "web"}}}})
	l := render.Get[*corev1.ConfigMap](t, r, "results").Labels
	assert.Equal(t, map[string]string{
		"app.kubernetes.io/name": "fixture", "app.kubernetes.io/instance": "shop", "helm.sh/chart": "fixture-0.1.0",
		"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/part-of": "stack", "app.kubernetes.io/version": "9.9.9",
		"app.kubernetes.io/component": "test", "team": "web",
	}, l)
}
