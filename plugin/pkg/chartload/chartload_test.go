package chartload

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/stack-charts/stack/internal/repo"
)

// summary is everything of a chart tree a render reads, in order, as text to compare.
func summary(ch *chart.Chart) string {
	var b strings.Builder
	var walk func(c *chart.Chart, indent string)
	walk = func(c *chart.Chart, indent string) {
		meta, _ := json.Marshal(c.Metadata)
		vals, _ := json.Marshal(c.Values)
		fmt.Fprintf(&b, "%schart %s values %x schema %x\n", indent, meta, sha256.Sum256(vals), sha256.Sum256(c.Schema))
		for _, f := range c.Templates {
			fmt.Fprintf(&b, "%s  template %s %x\n", indent, f.Name, sha256.Sum256(f.Data))
		}
		for _, f := range c.Files {
			fmt.Fprintf(&b, "%s  file %s %x\n", indent, f.Name, sha256.Sum256(f.Data))
		}
		for _, d := range c.Dependencies() {
			walk(d, indent+"  ")
		}
	}
	walk(ch, "")
	return b.String()
}

// helmsLoadWithSources is the loader before this one: Helm's loader.Load of the whole directory
// (the packaged copies under charts/ read too), then each file:// dependency replaced by its
// source directory, loaded the same way.
func helmsLoadWithSources(t *testing.T, dir string) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(dir)
	require.NoError(t, err)
	fromSource := map[string]*chart.Chart{}
	var names []string
	for _, dep := range ch.Metadata.Dependencies {
		if repoDir, ok := strings.CutPrefix(dep.Repository, "file://"); ok {
			fromSource[dep.Name] = helmsLoadWithSources(t, filepath.Join(dir, repoDir))
			names = append(names, dep.Name)
		}
	}
	var deps []*chart.Chart
	for _, d := range ch.Dependencies() {
		if fromSource[d.Name()] == nil {
			deps = append(deps, d)
		}
	}
	ch.SetDependencies(deps...)
	slices.Sort(names)
	for _, n := range names {
		ch.AddDependency(fromSource[n])
	}
	return ch
}

func TestLoadGivesWhatHelmsLoaderAndTheSourcesGive(t *testing.T) {
	for _, name := range []string{"stack", "services", "common"} {
		dir := filepath.Join(repo.Root(), "charts", name)
		ours, err := Load(dir)
		require.NoError(t, err)
		assert.Equal(t, summary(helmsLoadWithSources(t, dir)), summary(ours), name)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

func TestLoadDoesNotReadThePackagedCopiesItReplaces(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "lib", "Chart.yaml"), "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n")
	write(t, filepath.Join(root, "lib", "templates", "_x.tpl"), `{{- define "lib.x" -}}from source{{- end -}}`)
	remote := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "remote", Version: "1.0.0"},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte("kind: ConfigMap\n")}}}
	app := filepath.Join(root, "app")
	write(t, filepath.Join(app, "Chart.yaml"), `apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - {name: lib, version: 0.1.0, repository: file://../lib}
  - {name: remote, version: 1.0.0, repository: https://charts.example.com}
`)
	write(t, filepath.Join(app, "templates", "cm.yaml"), `kind: ConfigMap
data: {x: {{ include "lib.x" . | quote }}}
`)
	write(t, filepath.Join(app, ".helmignore"), "*.bak\n")
	write(t, filepath.Join(app, "notes.bak"), "ignored")
	// A stale copy that cannot even be read: the source replaces it, so it is never opened.
	write(t, filepath.Join(app, "charts", "lib-0.1.0.tgz"), "not a gzip archive")
	require.NoError(t, os.MkdirAll(filepath.Join(app, "charts"), 0o755))
	_, err := chartutil.Save(remote, filepath.Join(app, "charts"))
	require.NoError(t, err)

	ch, err := Load(app)
	require.NoError(t, err)
	var deps []string
	for _, d := range ch.Dependencies() {
		deps = append(deps, d.Name())
	}
	assert.Equal(t, []string{"remote", "lib"}, deps, "the packaged remote chart, then the file:// one from its source")
	assert.Equal(t, "templates/_x.tpl", ch.Dependencies()[1].Templates[0].Name)
	for _, f := range ch.Files {
		assert.NotEqual(t, "notes.bak", f.Name, ".helmignore is honoured")
	}
	_, err = loader.Load(app)
	require.Error(t, err, "Helm's own loader reads the stale copy")

	// A symbolic link: Helm's loader follows it, and Load leaves the directory to it.
	write(t, filepath.Join(root, "shared.yaml"), "kind: ConfigMap\nmetadata: {name: shared}\n")
	require.NoError(t, os.Remove(filepath.Join(app, "charts", "lib-0.1.0.tgz")))
	require.NoError(t, os.Symlink(filepath.Join(root, "shared.yaml"), filepath.Join(app, "templates", "shared.yaml")))
	ch, err = Load(app)
	require.NoError(t, err)
	var templates []string
	for _, f := range ch.Templates {
		templates = append(templates, f.Name)
	}
	assert.Contains(t, templates, "templates/shared.yaml")

	// A file:// dependency whose source is missing is named.
	write(t, filepath.Join(app, "Chart.yaml"), "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: gone, version: 0.1.0, repository: file://../gone}\n")
	_, err = Load(app)
	require.ErrorContains(t, err, "dependency gone of app")
}
