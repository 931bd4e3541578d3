package unit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tool finds a pinned tool: $STACK_CACHE/bin (where ci/tools.sh installs it), then PATH.
func tool(t testing.TB, name string) string {
	t.Helper()
	cache := os.Getenv("STACK_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "stack")
	}
	if p := filepath.Join(cache, "bin", name); fileExists(p) {
		return p
	}
	p, err := exec.LookPath(name)
	require.NoError(t, err, "%s is required: run ci/tools.sh (make tools)", name)
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestChartREADMEsAreGeneratedFromTheCurrentValues(t *testing.T) {
	t.Parallel()
	helmDocs := tool(t, "helm-docs")
	for _, c := range []string{"common", "services", "gateway", "mysql", "redis", "rabbitmq", "monitoring", "cert-issuer", "stack"} {
		t.Run(c, func(t *testing.T) {
			var out, stderr bytes.Buffer
			cmd := exec.Command(helmDocs, "--dry-run", "--log-level", "error", "--chart-search-root", chart(c), "--template-files", "README.md.gotmpl")
			cmd.Stdout, cmd.Stderr = &out, &stderr
			require.NoError(t, cmd.Run(), stderr.String())
			readme, err := os.ReadFile(filepath.Join(chart(c), "README.md"))
			require.NoError(t, err)
			assert.Equal(t, out.String(), string(readme), "charts/%s/README.md is stale: run `make docs`", c)
		})
	}
}
