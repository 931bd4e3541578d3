package render

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/internal/repo"
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
