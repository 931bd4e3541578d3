package chartload

import (
	"path"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
)

// withoutRepeatedPartials is ch for Helm's engine without the partials ("_*" templates, never
// rendered themselves) whose every byte is repeated by a partial the engine parses after them:
// each copy of a library chart (common, a dependency of every subchart) is otherwise parsed again,
// and the umbrella's eight copies of this repository's common were two thirds of the text the
// engine parsed. Nothing the templates can see changes: the engine parses the templates in one
// order (deepest path first, then by path, descending) into one set, a define parsed later
// replacing an earlier one, so every define of a dropped copy was replaced by the same text from
// the copy kept, and a partial is never executed by its own name except by a template that names
// its file, which then fails to find it: the caller renders the whole chart again on any error
// (renderEngine), so errors stay Helm's own. ch is returned itself when nothing repeats; otherwise
// the copy shares everything with ch but its charts' Templates lists.
func withoutRepeatedPartials(ch *chart.Chart) *chart.Chart {
	type tpl struct {
		path string
		file *chart.File
	}
	var all []tpl
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, d := range c.Dependencies() {
			walk(d)
		}
		for _, t := range c.Templates {
			if t != nil && strings.HasPrefix(path.Base(t.Name), "_") {
				all = append(all, tpl{path.Join(c.ChartFullPath(), t.Name), t})
			}
		}
	}
	walk(ch)
	// The engine's parse order (its sortTemplates), reversed: the last parsed first.
	slices.SortFunc(all, func(a, b tpl) int {
		if da, db := strings.Count(a.path, "/"), strings.Count(b.path, "/"); da != db {
			return da - db
		}
		return strings.Compare(a.path, b.path)
	})
	kept := map[string]bool{}
	drop := map[*chart.File]bool{}
	for _, t := range all {
		if kept[string(t.file.Data)] {
			drop[t.file] = true
			continue
		}
		kept[string(t.file.Data)] = true
	}
	if len(drop) == 0 {
		return ch
	}
	var prune func(c *chart.Chart) *chart.Chart
	prune = func(c *chart.Chart) *chart.Chart {
		n := *c
		n.Templates = slices.DeleteFunc(slices.Clone(c.Templates), func(f *chart.File) bool { return drop[f] })
		deps := make([]*chart.Chart, 0, len(c.Dependencies()))
		for _, d := range c.Dependencies() {
			deps = append(deps, prune(d))
		}
		n.SetDependencies(deps...)
		return &n
	}
	return prune(ch)
}
