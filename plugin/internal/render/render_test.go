package render

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/stack-charts/stack/internal/repo"
	"github.com/stack-charts/stack/plugin/pkg/chartload"
	framework "github.com/stack-charts/stack/tests/render"
)

// The plugin and the chart test framework render through one code path (plugin/pkg/chartload)
// with one default Kubernetes version: the same chart and values give the same objects, from the
// same templates, in the same order, with the same Capabilities.
func TestThePluginAndTheFrameworkRenderAlike(t *testing.T) {
	charts := filepath.Join(repo.Root(), "charts")
	values, err := framework.MergeValues(framework.Options{ValuesFiles: []string{filepath.Join(charts, "stack", "profiles", "dev.yaml")}})
	require.NoError(t, err)
	ours, err := Render(Options{Chart: filepath.Join(charts, "stack"), Values: values, Release: "same", Namespace: "ns"})
	require.NoError(t, err)
	theirs, err := framework.RenderE(filepath.Join(charts, "stack"), framework.Options{ReleaseName: "same", Namespace: "ns", Values: values})
	require.NoError(t, err)
	require.Len(t, ours.Objects, len(theirs.Objects))
	for i, o := range ours.Objects {
		require.Equal(t, theirs.Objects[i].Source, o.Source, "object %d", i)
		require.Equal(t, theirs.Objects[i].Kind, o.GetKind(), "object %d", i)
		require.Equal(t, theirs.Objects[i].Name, o.GetName(), "object %d", i)
	}
	require.NotEmpty(t, ours.Objects)
}

// BenchmarkRenderTheUmbrella is the render a preflight of the umbrella does (dev profile): Helm's
// install action, the split into objects and the type check of every built-in kind.
func BenchmarkRenderTheUmbrella(b *testing.B) {
	charts := filepath.Join(repo.Root(), "charts")
	values, err := framework.MergeValues(framework.Options{ValuesFiles: []string{filepath.Join(charts, "stack", "profiles", "dev.yaml")}})
	require.NoError(b, err)
	ch, err := Load(filepath.Join(charts, "stack"))
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		res, err := Render(Options{Loaded: ch, Values: values, Release: "bench", Namespace: "ns"})
		require.NoError(b, err)
		require.NotEmpty(b, res.Objects)
	}
}

// Each built-in object comes with its Go type decoded as the API server decodes it: field names
// are case-sensitive (`Replicas` is not spec.replicas), a kind without a Go type here has none.
func TestObjectsCarryTheirTypeAsTheServerReadsThem(t *testing.T) {
	docs := []chartload.Document{
		{Text: "# Source: c/templates/a.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {Replicas: 3, selector: {matchLabels: {a: b}}}"},
		{Text: "# Source: c/templates/b.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\nspec: {replicas: 2}", JSON: []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"b"},"spec":{"replicas":2}}`)},
		{Text: "# Source: c/templates/c.yaml\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: c}"},
	}
	objs, err := decodeAll(docs)
	require.NoError(t, err)
	require.Len(t, objs, 3)
	a := objs[0].Typed.(*appsv1.Deployment)
	require.Nil(t, a.Spec.Replicas, "a capitalised field the server drops was read")
	require.Equal(t, map[string]string{"a": "b"}, a.Spec.Selector.MatchLabels)
	require.Equal(t, int32(2), *objs[1].Typed.(*appsv1.Deployment).Spec.Replicas)
	require.Nil(t, objs[2].Typed)

	_, err = decodeAll([]chartload.Document{{Text: "# Source: c/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: two}"}})
	require.EqualError(t, err, "Deployment/d (c/templates/d.yaml): spec.replicas is a string where the API wants int32")
}
