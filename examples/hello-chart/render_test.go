// Package hello shows the stack chart test framework used from another repository: render tests
// (this file, no cluster) and kind tests (kind_test.go, build tag e2e) of a one-service chart.
package hello

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/stack-charts/stack/tests/golden"
	"github.com/stack-charts/stack/tests/policy"
	"github.com/stack-charts/stack/tests/render"
)

// This package's own -update flag: the framework defines none, so there is no clash, and
// tests/golden honours it (GOLDEN_UPDATE=1 works too).
var _ = flag.Bool("update", false, "rewrite testdata/*.golden.yaml")

func TestTheChartRendersAsTheGoldenFileSays(t *testing.T) {
	r := render.Render(t, "chart", render.Options{ReleaseName: "web", Namespace: "demo"})
	golden.Assert(t, "testdata/web.golden.yaml", []byte(r.YAML()))
}

func TestValuesReachTheObjects(t *testing.T) {
	r := render.Render(t, "chart", render.Options{ReleaseName: "web", Set: []string{"replicas=3", "image.tag=6.9.1"}})
	d := render.Get[*appsv1.Deployment](t, r, "web-hello")
	assert.EqualValues(t, 3, *d.Spec.Replicas)
	assert.Equal(t, "ghcr.io/stefanprodan/podinfo:6.9.1", d.Spec.Template.Spec.Containers[0].Image)
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "web-hello")
	require.Len(t, np.Spec.Ingress, 1)
	assert.Equal(t, map[string]string{"hello.example.com/client": "true"}, np.Spec.Ingress[0].From[0].PodSelector.MatchLabels)
}

func TestPodsMeetPodSecurityRestricted(t *testing.T) {
	r := render.Render(t, "chart", render.Options{ReleaseName: "web"})
	assert.Empty(t, policy.Check(r.Objects, policy.Options{}))
}
