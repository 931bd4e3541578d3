package check

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/internal/repo"
	"github.com/stack-charts/stack/plugin/internal/render"
	framework "github.com/stack-charts/stack/tests/render"
)

// The pod templates the checks read are the same whether they come from the render's own typed
// decoding (render.Object.Typed) or are converted from the unstructured objects, for the umbrella
// in each profile (Deployments, StatefulSets, a CronJob, Jobs, helm test Pods, HPAs).
func TestWorkloadsFromTheRendersTypesAreTheConvertedOnes(t *testing.T) {
	charts := filepath.Join(repo.Root(), "charts")
	for _, profile := range []string{"dev", "prod"} {
		values, err := framework.MergeValues(framework.Options{ValuesFiles: []string{filepath.Join(charts, "stack", "profiles", profile+".yaml")}})
		require.NoError(t, err)
		res, err := render.Render(render.Options{Chart: filepath.Join(charts, "stack"), Values: values, Release: "same", Namespace: "ns"})
		require.NoError(t, err)
		fromTypes, err := workloads(res.Objects, true)
		require.NoError(t, err)
		untyped := make([]render.Object, len(res.Objects))
		typed := 0
		for i, o := range res.Objects {
			if o.Typed != nil {
				typed++
			}
			o.Typed = nil
			untyped[i] = o
		}
		converted, err := workloads(untyped, true)
		require.NoError(t, err)
		require.Greater(t, len(converted), 3, profile)
		require.Greater(t, typed, len(res.Objects)/2, profile)
		for i := range converted {
			id := converted[i].Object.ID()
			require.Equal(t, id, fromTypes[i].Object.ID(), profile)
			require.Equal(t, converted[i].Spec, fromTypes[i].Spec, "%s: %s", profile, id)
			require.Equal(t, converted[i].Pods, fromTypes[i].Pods, "%s: %s", profile, id)
			require.Equal(t, converted[i].PerNode, fromTypes[i].PerNode, "%s: %s", profile, id)
		}
		require.Equal(t, len(converted), len(fromTypes))
	}
}
