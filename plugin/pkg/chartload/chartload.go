// Package chartload loads a chart from its directory with every file:// dependency loaded from
// the directory it references, recursively: in a repository of charts the source directories are
// the truth, so a packaged copy under charts/ (left by `helm dependency update`) is replaced and a
// missing one is not an error. Any other dependency (a repository or OCI chart) must be in charts/,
// at every level: a chart is refused without it, as `helm template` refuses it.
package chartload

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// Load loads the chart in dir (a directory or a packaged .tgz; file:// dependencies are resolved
// for directories only).
func Load(dir string) (*chart.Chart, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	if filepath.Ext(dir) != ".tgz" {
		if err := attachFileDeps(ch, dir); err != nil {
			return nil, err
		}
	}
	if err := checkDeps(ch); err != nil {
		return nil, fmt.Errorf("load chart %s: %w (run `helm dependency build` or `helm dependency update` first)", dir, err)
	}
	return ch, nil
}

// checkDeps refuses a chart, or any of its subcharts, whose Chart.yaml lists a dependency that is
// not loaded (helm's own check, applied at every level).
func checkDeps(ch *chart.Chart) error {
	if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
		return fmt.Errorf("chart %s: %w", ch.Name(), err)
	}
	for _, d := range ch.Dependencies() {
		if err := checkDeps(d); err != nil {
			return err
		}
	}
	return nil
}

func attachFileDeps(ch *chart.Chart, dir string) error {
	fromSource := map[string]*chart.Chart{}
	for _, dep := range ch.Metadata.Dependencies {
		repo, ok := strings.CutPrefix(dep.Repository, "file://")
		if !ok {
			continue
		}
		path := repo
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, repo)
		}
		sub, err := Load(path)
		if err != nil {
			return fmt.Errorf("dependency %s of %s: %w", dep.Name, ch.Name(), err)
		}
		fromSource[dep.Name] = sub
	}
	if len(fromSource) == 0 {
		return nil
	}
	var deps []*chart.Chart
	for _, d := range ch.Dependencies() {
		if _, replaced := fromSource[d.Name()]; !replaced {
			deps = append(deps, d)
		}
	}
	ch.SetDependencies(deps...)
	names := make([]string, 0, len(fromSource))
	for n := range fromSource {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ch.AddDependency(fromSource[n])
	}
	return nil
}
