package chartload

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/stack-charts/stack/internal/repo"
)

// requireSameTree fails unless the two processed charts are the same: every chart's values,
// metadata (the dependencies' enabled flags, names, import-values) and subcharts, in order.
func requireSameTree(t *testing.T, theirs, ours *chart.Chart, msg string) {
	t.Helper()
	require.Equal(t, theirs.Name(), ours.Name(), msg)
	require.Equal(t, theirs.Values, ours.Values, "%s: %s's values", msg, theirs.ChartFullPath())
	require.Equal(t, theirs.Metadata, ours.Metadata, "%s: %s's metadata", msg, theirs.ChartFullPath())
	require.Len(t, ours.Dependencies(), len(theirs.Dependencies()), "%s: %s's subcharts", msg, theirs.ChartFullPath())
	for i := range theirs.Dependencies() {
		requireSameTree(t, theirs.Dependencies()[i], ours.Dependencies()[i], msg)
	}
}

// The dependencies come out of processDependencies as out of Helm's ProcessDependenciesWithMerge,
// for the umbrella (seven plain subcharts, each listing common) under each profile, with
// subcharts turned off by their conditions, with tags and globals (a null among them), and for a
// subchart alone.
func TestDependenciesAreProcessedAsHelmProcessesThem(t *testing.T) {
	charts := filepath.Join(repo.Root(), "charts")
	cases := map[string]struct {
		chart string
		vals  map[string]any
	}{
		"dev":  {"stack", profileValues(t, "dev")},
		"prod": {"stack", profileValues(t, "prod")},
		"off": {"stack", map[string]any{"mysql": map[string]any{"enabled": false}, "monitoring": map[string]any{"enabled": false},
			"tags": map[string]any{"x": true}, "global": map[string]any{"dependencies": map[string]any{"mysql": map[string]any{"host": "db.example.com"}}, "gone": nil}}},
		"services alone": {"services", map[string]any{"global": map[string]any{"a": 1}}},
		"none":           {"stack", nil},
	}
	for name, c := range cases {
		theirs, err := Load(filepath.Join(charts, c.chart))
		require.NoError(t, err)
		require.NoError(t, chartutil.ProcessDependenciesWithMerge(theirs, c.vals), name)
		ours, err := Load(filepath.Join(charts, c.chart))
		require.NoError(t, err)
		require.NoError(t, processDependencies(ours, c.vals), name)
		requireSameTree(t, theirs, ours, name)
		// and what the templates are given
		tv, err := chartutil.CoalesceValues(theirs, c.vals)
		require.NoError(t, err)
		ov, err := chartutil.CoalesceValues(ours, c.vals)
		require.NoError(t, err)
		require.Equal(t, tv, ov, name)
	}
}

func TestOnlyPlainSubchartsAreTakenApart(t *testing.T) {
	common := &chart.Chart{Metadata: &chart.Metadata{Name: "common", Version: "0.2.0", Type: "library"}}
	sub := func(req *chart.Dependency) *chart.Chart {
		c := &chart.Chart{Metadata: &chart.Metadata{Name: "sub", Version: "0.1.0", Dependencies: []*chart.Dependency{req}}}
		c.AddDependency(&chart.Chart{Metadata: &chart.Metadata{Name: "common", Version: "0.2.0", Type: "library"}})
		return c
	}
	require.True(t, isPlain(sub(&chart.Dependency{Name: "common", Version: "0.2.0"})))
	require.False(t, isPlain(sub(&chart.Dependency{Name: "common", Version: "0.2.0", Condition: "common.enabled"})))
	require.False(t, isPlain(sub(&chart.Dependency{Name: "common", Version: "0.2.0", Tags: []string{"t"}})))
	require.False(t, isPlain(sub(&chart.Dependency{Name: "common", Version: "0.2.0", Alias: "lib"})))
	require.False(t, isPlain(sub(&chart.Dependency{Name: "common", Version: "0.2.0", ImportValues: []any{"data"}})))
	require.False(t, isPlain(sub(&chart.Dependency{Name: "common", Version: "~0.3.0"})))
	require.False(t, isPlain(sub(&chart.Dependency{Name: "other", Version: "0.2.0"})))
	require.False(t, isPlain(common), "a chart without dependencies is Helm's at once")
	deeper := sub(&chart.Dependency{Name: "common", Version: "0.2.0"})
	deeper.Dependencies()[0].Metadata.Dependencies = []*chart.Dependency{{Name: "x"}}
	require.False(t, isPlain(deeper), "a subchart below it lists dependencies")
}
