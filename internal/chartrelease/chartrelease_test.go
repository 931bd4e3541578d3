package chartrelease

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// chartsDir writes two charts, app depending on lib by file://, and records their release.
func chartsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("lib/Chart.yaml", "apiVersion: v2\nname: lib\ntype: library\nversion: 1.0.0\n")
	write("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.3.0\ndependencies:\n  - {name: lib, version: 1.0.0, repository: file://../lib}\n")
	write("app/values.yaml", "replicas: 1\n")
	write("app/templates/cm.yaml", "kind: ConfigMap\n")
	charts, err := Load(dir)
	require.NoError(t, err)
	require.NoError(t, Record(dir, charts))
	return dir
}

func check(t *testing.T, dir string) []string {
	t.Helper()
	charts, err := Load(dir)
	require.NoError(t, err)
	ledger, err := ReadLedger(dir)
	require.NoError(t, err)
	return Check(charts, ledger)
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), old)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

func TestAReleasedChartIsConsistent(t *testing.T) {
	dir := chartsDir(t)
	require.Empty(t, check(t, dir))
	// What helm dependency update writes does not count as a change.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "app", "charts"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app", "charts", "lib-1.0.0.tgz"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app", "Chart.lock"), []byte("generated: now"), 0o644))
	require.Empty(t, check(t, dir))
}

func TestAChangedChartMustBumpItsVersion(t *testing.T) {
	dir := chartsDir(t)
	edit(t, filepath.Join(dir, "app", "values.yaml"), "replicas: 1", "replicas: 2")
	problems := check(t, dir)
	require.Len(t, problems, 1)
	require.Contains(t, problems[0], "app: changed since its release 0.3.0")
	require.Contains(t, problems[0], "bump version in "+filepath.Join(dir, "app")+"/Chart.yaml")
	// A new file is a change too.
	edit(t, filepath.Join(dir, "app", "values.yaml"), "replicas: 2", "replicas: 1")
	require.Empty(t, check(t, dir))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app", "templates", "svc.yaml"), []byte("kind: Service\n"), 0o644))
	require.Len(t, check(t, dir), 1)
	// The bump makes it consistent again; a lower version does not.
	edit(t, filepath.Join(dir, "app", "Chart.yaml"), "version: 0.3.0", "version: 0.3.1")
	require.Empty(t, check(t, dir))
	edit(t, filepath.Join(dir, "app", "Chart.yaml"), "version: 0.3.1", "version: 0.2.9")
	require.Equal(t, []string{"app: version 0.2.9 is lower than its release 0.3.0"}, check(t, dir))
	edit(t, filepath.Join(dir, "app", "Chart.yaml"), "version: 0.2.9", "version: v0.4")
	require.Contains(t, check(t, dir)[0], `app: version "v0.4" is not SemVer 2`)
}

func TestADependencyBumpBumpsItsDependents(t *testing.T) {
	dir := chartsDir(t)
	edit(t, filepath.Join(dir, "lib", "Chart.yaml"), "version: 1.0.0", "version: 1.1.0")
	require.Equal(t, []string{`app: dependency lib has version "1.0.0", the chart is 1.1.0: name its exact version so that its bump bumps app`}, check(t, dir))
	// Naming the new version changes app's Chart.yaml, which is a change of app: it bumps too.
	edit(t, filepath.Join(dir, "app", "Chart.yaml"), "{name: lib, version: 1.0.0", "{name: lib, version: 1.1.0")
	require.Len(t, check(t, dir), 1)
	require.Contains(t, check(t, dir)[0], "app: changed since its release 0.3.0")
	edit(t, filepath.Join(dir, "app", "Chart.yaml"), "version: 0.3.0", "version: 0.4.0")
	require.Empty(t, check(t, dir))
}

func TestTheCommand(t *testing.T) {
	dir := chartsDir(t)
	var out, errs strings.Builder
	require.Equal(t, 0, Run([]string{"check", dir}, &out, &errs), errs.String())
	require.Contains(t, out.String(), "2 charts: versions consistent")
	edit(t, filepath.Join(dir, "app", "values.yaml"), "replicas: 1", "replicas: 3")
	out.Reset()
	require.Equal(t, 1, Run([]string{"check", dir}, &out, &errs))
	require.Contains(t, errs.String(), "app: changed since its release")
	require.Equal(t, 0, Run([]string{"record", dir}, &out, &errs))
	require.Equal(t, 0, Run([]string{"check", dir}, &out, &errs))
	require.Equal(t, 2, Run([]string{"publish"}, &out, &errs))
}
