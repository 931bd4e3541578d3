//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"
)

// helmRun runs a helm binary with an isolated Helm home (plugins, config, cache) and the e2e
// cluster's kubeconfig; it returns the exit code and the combined output.
func helmRun(t *testing.T, bin, home string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env0(), "HELM_DATA_HOME="+filepath.Join(home, "data"), "HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s %v: %s", bin, args, out)
	return 0, string(out)
}

func env0() string { return env.Cluster.Kubeconfig }

type preflightJSON struct {
	Summary struct{ Status string }
	Results []struct{ Check, Status, Message string }
}

// The plugin proof: `helm plugin install ./plugin` works with Helm 3 and Helm 4 (both built
// from the module proxy), and under each `helm stackcheck` checks this live cluster: a preflight
// that passes, one that fails on a missing existing Secret (exit 3), and `verify` of an installed
// release, with the namespace taken from Helm's own -n (HELM_NAMESPACE).
func TestPluginInstallsAndChecksTheClusterUnderHelm3AndHelm4(t *testing.T) {
	defer parallel(t)()
	ns := namespace(t, "plugin")
	chart := filepath.Join(root, "charts", "redis")
	overlay := chartOptions(t, ns, "redis", nil).ValuesFiles
	valueArgs := []string{}
	for _, f := range overlay {
		valueArgs = append(valueArgs, "-f", f)
	}
	password := "pf-" + random.UniqueId()
	for _, bin := range []string{"helm", "helm4"} {
		t.Run(bin, func(t *testing.T) {
			path, err := exec.LookPath(bin)
			require.NoError(t, err, "%s is built by ci/tools.sh", bin)
			home := t.TempDir()
			start := time.Now()
			code, out := helmRun(t, path, home, nil, "plugin", "install", filepath.Join(root, "plugin"))
			require.Equal(t, 0, code, out)
			progress(t, "plugin: %s plugin install built and installed stackcheck in %s", bin, time.Since(start).Round(100*time.Millisecond))
			_, out = helmRun(t, path, home, nil, "plugin", "list")
			require.Contains(t, out, "stackcheck", out)
			_, version := helmRun(t, path, home, nil, "version", "--short")
			t.Logf("%s %s lists: %s", bin, strings.TrimSpace(version), strings.Join(strings.Fields(strings.Split(out, "\n")[1]), " "))
			code, out = helmRun(t, path, home, nil, "stackcheck", "version")
			require.Equal(t, 0, code, out)
			require.Contains(t, out, "stackcheck 0.1.0 (", "the version plugin.yaml declares, built in by the install hook")

			args := append([]string{"stackcheck", "preflight", "data", chart, "-n", ns, "--set", "auth.password=" + password, "-o", "json"}, valueArgs...)
			code, out = helmRun(t, path, home, nil, args...)
			var rep preflightJSON
			require.NoError(t, json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &rep), out)
			require.Equal(t, "pass", rep.Summary.Status, "a fresh namespace with PSS restricted and the redis chart: %s", out)
			require.Equal(t, 0, code)

			args = append([]string{"stackcheck", "preflight", "data", chart, "-n", ns, "--set", "auth.existingSecret=cache-secret-nobody-created"}, valueArgs...)
			code, out = helmRun(t, path, home, nil, args...)
			require.Equal(t, 3, code, out)
			require.Contains(t, out, "Secret "+ns+"/cache-secret-nobody-created does not exist")
			progress(t, "plugin: %s stackcheck preflight: pass on a good release, exit 3 naming the missing Secret", bin)
		})
	}

	installChart(t, ns, "redis", map[string]string{"auth.password": password})
	for _, bin := range []string{"helm", "helm4"} {
		path, _ := exec.LookPath(bin)
		home := t.TempDir()
		code, out := helmRun(t, path, home, nil, "plugin", "install", filepath.Join(root, "plugin"))
		require.Equal(t, 0, code, out)
		// -n before the plugin name is Helm's flag: Helm hands it over as HELM_NAMESPACE.
		code, out = helmRun(t, path, home, nil, "-n", ns, "stackcheck", "verify", "data", "--wait", "--timeout", "2m")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "StatefulSet/"+ns+"/data-redis")
		require.Contains(t, out, "0 failed: PASS")
		progress(t, "plugin: %s stackcheck verify of the installed release: PASS", bin)
	}
}
