package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// writeChart writes a chart from a map of relative path -> content.
func writeChart(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
}

func parentAndChild(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeChart(t, filepath.Join(root, "child"), map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: child\nversion: 0.1.0\n",
		"values.yaml":         "enabled: true\ngreeting: hello\n",
		"templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: child}\ndata: {greeting: {{ .Values.greeting | quote }}, source: fresh}\n",
		"templates/test.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: child-test\n  annotations: {helm.sh/hook: test}\nspec: {containers: [{name: t, image: busybox:1.36}]}\n",
	})
	writeChart(t, filepath.Join(root, "parent"), map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n  - {name: child, version: 0.1.0, repository: file://../child, condition: child.enabled}\n",
		"values.yaml": "replicas: 2\n",
		"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.28.0"}]}
{{- if .Capabilities.APIVersions.Has "example.org/v1/Widget" }}
---
apiVersion: example.org/v1
kind: Widget
metadata: {name: w}
spec: {kube: {{ .Capabilities.KubeVersion.Version | quote }}}
{{- end }}
`,
		"templates/NOTES.txt": "release {{ .Release.Name }} in {{ .Release.Namespace }}\n",
		// A stale packaged copy of the child, as `helm dependency update` leaves it: must be ignored.
		"charts/child/Chart.yaml":        "apiVersion: v2\nname: child\nversion: 0.1.0\n",
		"charts/child/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: child}\ndata: {source: stale}\n",
	})
	return filepath.Join(root, "parent")
}

func TestRenderResolvesFileDependenciesFromTheirSourceNotAStaleCopy(t *testing.T) {
	r := Render(t, parentAndChild(t), Options{})
	cm := Get[*corev1.ConfigMap](t, r, "child")
	assert.Equal(t, "fresh", cm.Data["source"])
	assert.Equal(t, "hello", cm.Data["greeting"])
	assert.EqualValues(t, 2, *Get[*appsv1.Deployment](t, r, "web").Spec.Replicas)
	assert.Equal(t, "release test in default", strings.TrimSpace(r.Notes))
	assert.True(t, Has[*corev1.Pod](r, "child-test"), "test hooks are kept by default")
	assert.True(t, r.Objects[len(r.Objects)-1].Hook, "hooks come last")
}

func TestOptionsReachTheRender(t *testing.T) {
	dir := parentAndChild(t)
	valuesFile := filepath.Join(t.TempDir(), "v.yaml")
	require.NoError(t, os.WriteFile(valuesFile, []byte("replicas: 5\n"), 0o644))
	r := Render(t, dir, Options{
		ReleaseName: "shop", Namespace: "prod", ValuesFiles: []string{valuesFile},
		Values: map[string]any{"child": map[string]any{"greeting": "hi"}}, SetString: []string{"child.greeting=yo"},
		KubeVersion: "v1.35.2", APIVersions: []string{"example.org/v1/Widget"}, SkipTests: true,
	})
	assert.EqualValues(t, 5, *Get[*appsv1.Deployment](t, r, "web").Spec.Replicas)
	assert.Equal(t, "yo", Get[*corev1.ConfigMap](t, r, "child").Data["greeting"], "--set-string wins over values")
	w := Unstructured(t, r, "Widget", "w")
	kube, _, _ := unstructured.NestedString(w.Object, "spec", "kube")
	assert.Equal(t, "v1.35.2", kube)
	assert.False(t, Has[*corev1.Pod](r, "child-test"), "SkipTests")
	assert.Contains(t, r.Notes, "release shop in prod")

	r = Render(t, dir, Options{Set: []string{"child.enabled=false"}})
	assert.False(t, Has[*corev1.ConfigMap](r, "child"), "a dependency's condition is honoured")
	assert.Zero(t, r.Count("Widget"), "no Widget unless the API is served")
}

func TestErrorsSayWhatWasExpected(t *testing.T) {
	dir := parentAndChild(t)
	err := FailsE(dir, Options{}, "anything")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `expected the render to fail with "anything", but it succeeded`)
	err = FailsE(dir, Options{Set: []string{"replicas=[broken"}}, "not in the message")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `expected the render error to contain "not in the message"`)
	_, err = GetE[*appsv1.Deployment](Render(t, dir, Options{}), "api")
	assert.EqualError(t, err, `no *v1.Deployment named "api" in the render (have: web)`)
	_, err = RenderE(filepath.Join(t.TempDir(), "missing"), Options{})
	assert.ErrorContains(t, err, "load chart")
}

func TestDecodeIsStrictForBuiltInKinds(t *testing.T) {
	_, err := Decode("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {sessionAfinity: ClientIP}\n")
	assert.ErrorContains(t, err, `unknown field "spec.sessionAfinity"`)
	_, err = Decode("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\ndata: {c: d}\n")
	assert.Error(t, err, "duplicate fields are refused")
	o, err := Decode("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: ns}\nspec: {anything: goes}\n")
	require.NoError(t, err)
	assert.Equal(t, "ns", o.Namespace)
	assert.Equal(t, "cert-manager.io", o.GVK().Group)
	_, err = Decode("just: text\n")
	assert.ErrorContains(t, err, "no kind/apiVersion")
}

func TestYAMLIsTheWholeRenderInOrder(t *testing.T) {
	y := Render(t, parentAndChild(t), Options{}).YAML()
	assert.Less(t, strings.Index(y, "kind: ConfigMap"), strings.Index(y, "kind: Deployment"), "Helm's install order")
	assert.Contains(t, y, "# Source: parent/charts/child/templates/cm.yaml")
}

// A dependency from a repository that is not in charts/ is refused, at any level, as `helm
// template` refuses it (issue 17: the chart was rendered without it, silently).
func TestAMissingRemoteDependencyIsRefused(t *testing.T) {
	root := t.TempDir()
	writeChart(t, filepath.Join(root, "app"), map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - {name: redis, version: 20.0.0, repository: https://charts.example.test, condition: redis.enabled}\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
	})
	_, err := RenderE(filepath.Join(root, "app"), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing in charts/ directory: redis")
	assert.Contains(t, err.Error(), "helm dependency")

	// One level down: a file:// subchart whose own remote dependency is missing.
	writeChart(t, filepath.Join(root, "top"), map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n  - {name: app, version: 0.1.0, repository: file://../app}\n",
	})
	_, err = RenderE(filepath.Join(root, "top"), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chart app: found in Chart.yaml, but missing in charts/ directory: redis")

	// Present in charts/: rendered.
	writeChart(t, filepath.Join(root, "app"), map[string]string{
		"charts/redis/Chart.yaml":        "apiVersion: v2\nname: redis\nversion: 20.0.0\n",
		"charts/redis/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: redis}\n",
	})
	r, err := RenderE(filepath.Join(root, "top"), Options{})
	require.NoError(t, err)
	assert.Equal(t, 2, r.Count("ConfigMap"))
}
