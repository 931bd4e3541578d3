package unit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/tests/render"
)

// lintValuesFiles are the values files the lint tier runs charts with: every chart's ci/*.yaml
// and the umbrella's profiles, as chart directory → files.
func lintValuesFiles(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	files, err := filepath.Glob(filepath.Join(root, "charts", "*", "ci", "*.yaml"))
	require.NoError(t, err)
	profiles, err := filepath.Glob(filepath.Join(chart("stack"), "profiles", "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		dir := filepath.Dir(filepath.Dir(f))
		out[dir] = append(out[dir], f)
	}
	out[chart("stack")] = append(out[chart("stack")], profiles...)
	return out
}

// checkLintValues renders a chart with one lint values file exactly as `helm template` would and
// decodes every object strictly: `helm lint` reports a template's fail/required as [INFO] and
// passes, so this is the check that can fail.
func checkLintValues(dir, file string) error {
	if _, err := render.RenderE(dir, render.Options{ReleaseName: "lint", ValuesFiles: []string{file}}); err != nil {
		return fmt.Errorf("%s with %s does not render: %w", filepath.Base(dir), strings.TrimPrefix(file, root+"/"), err)
	}
	return nil
}

// Issue 13, item 5: every lint values file and profile renders and decodes strictly.
func TestEveryLintValuesFileAndProfileRenders(t *testing.T) {
	t.Parallel()
	n := 0
	for dir, files := range lintValuesFiles(t) {
		for _, f := range files {
			n++
			require.NoError(t, checkLintValues(dir, f))
		}
	}
	require.GreaterOrEqual(t, n, 16, "every chart's ci/*.yaml and both profiles")
}

// ... and the check fails on a values file that does not render (what `helm lint --strict`
// passed: charts/gateway/ci/demo-values.yaml lacked the JWT Secret its mode requires).
func TestTheLintValuesCheckFailsOnAFileThatDoesNotRender(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "demo-values.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("routes:\n  - {path: /api/users/, service: users, port: 80}\nauth:\n  responseHeaders: [X-User-Id]\n"), 0o644))
	err := checkLintValues(chart("gateway"), bad)
	require.Error(t, err)
	require.Contains(t, err.Error(), "auth.jwt.secret.name")
}
