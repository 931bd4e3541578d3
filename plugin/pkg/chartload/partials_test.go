package chartload

import (
	"path"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// lib is a library chart named common with one partial.
func lib(text string) *chart.Chart {
	return &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "common", Version: "0.1.0", Type: "library"},
		Templates: []*chart.File{{Name: "templates/_lib.tpl", Data: []byte(text)}}}
}

// app is an application chart with the given templates and a copy of the library.
func app(name string, lib *chart.Chart, templates map[string]string) *chart.Chart {
	c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: "0.1.0"}, Values: map[string]any{}}
	for n, t := range templates {
		c.Templates = append(c.Templates, &chart.File{Name: "templates/" + n, Data: []byte(t)})
	}
	if lib != nil {
		c.AddDependency(lib)
	}
	return c
}

func templatePaths(c *chart.Chart) []string {
	var out []string
	for _, t := range c.Templates {
		out = append(out, path.Join(c.ChartFullPath(), t.Name))
	}
	for _, d := range c.Dependencies() {
		out = append(out, templatePaths(d)...)
	}
	return out
}

func TestRepeatedPartialsAreParsedOnce(t *testing.T) {
	const common = `{{- define "common.name" -}}{{ .Chart.Name }}-x{{- end -}}`
	// top/charts/a/charts/common and top/charts/b/charts/common are the same; the umbrella's own
	// copy (top/charts/common, shallower) is parsed last and kept.
	top := app("top", lib(common), map[string]string{"cm.yaml": `name: {{ include "common.name" . }}`})
	top.AddDependency(app("a", lib(common), map[string]string{"cm.yaml": `name: {{ include "common.name" . }}`}))
	top.AddDependency(app("b", lib(common), map[string]string{"cm.yaml": `name: {{ include "common.name" . }}`, "_own.tpl": `{{- define "b.own" }}b{{ end }}`}))
	pruned := withoutRepeatedPartials(top)
	require.ElementsMatch(t, []string{"top/templates/cm.yaml", "top/charts/common/templates/_lib.tpl",
		"top/charts/a/templates/cm.yaml", "top/charts/b/templates/cm.yaml", "top/charts/b/templates/_own.tpl"}, templatePaths(pruned))
	// The chart itself is not changed.
	require.Len(t, templatePaths(top), 7)

	vals := func() chartutil.Values {
		v, err := chartutil.ToRenderValues(top, nil, chartutil.ReleaseOptions{Name: "r", Namespace: "ns"}, nil)
		require.NoError(t, err)
		return v
	}
	var e engine.Engine
	theirs, err := e.Render(top, vals())
	require.NoError(t, err)
	ours, err := renderEngine(top, vals(), func() (chartutil.Values, error) { return vals(), nil })
	require.NoError(t, err)
	require.Equal(t, theirs, ours)
	require.Equal(t, "name: a-x", ours["top/charts/a/templates/cm.yaml"])

	// A partial that is not a copy still overrides a define where Helm's order says it does:
	// b's own define is parsed after the kept copy of common (same depth, later by path).
	for _, d := range top.Dependencies() {
		for _, f := range d.Templates {
			if d.Name() == "b" && f.Name == "templates/_own.tpl" {
				f.Data = []byte(`{{- define "common.name" -}}b's{{- end -}}`)
			}
		}
	}
	theirs, err = e.Render(top, vals())
	require.NoError(t, err)
	ours, err = renderEngine(top, vals(), func() (chartutil.Values, error) { return vals(), nil })
	require.NoError(t, err)
	require.Equal(t, theirs, ours)
	require.Equal(t, "name: b's", ours["top/charts/a/templates/cm.yaml"])

	// Nothing repeats: the chart itself.
	single := app("single", lib(common), map[string]string{"cm.yaml": "x: 1"})
	require.Same(t, single, withoutRepeatedPartials(single))
}

// A template that names a dropped copy's file gets what Helm gives it: the chart is rendered
// again whole.
func TestATemplateNamingADroppedPartialGetsHelmsRender(t *testing.T) {
	const common = `{{- define "common.name" -}}n{{- end -}}`
	top := app("top", lib(common), map[string]string{"cm.yaml": `x: {{ include "common.name" . }}`})
	top.AddDependency(app("a", lib(common), map[string]string{"cm.yaml": `x: {{ include "top/charts/a/charts/common/templates/_lib.tpl" . | len }}`}))
	vals := func() (chartutil.Values, error) {
		return chartutil.ToRenderValues(top, nil, chartutil.ReleaseOptions{Name: "r", Namespace: "ns"}, nil)
	}
	v, err := vals()
	require.NoError(t, err)
	var e engine.Engine
	_, err = e.Render(withoutRepeatedPartials(top), v)
	require.ErrorContains(t, err, "_lib.tpl", "the file was not dropped")
	v, err = vals()
	require.NoError(t, err)
	theirs, err := e.Render(top, v)
	require.NoError(t, err)
	v, err = vals()
	require.NoError(t, err)
	ours, err := renderEngine(top, v, vals)
	require.NoError(t, err)
	require.Equal(t, theirs, ours)
}
