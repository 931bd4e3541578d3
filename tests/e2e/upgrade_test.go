//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	stackrelease "github.com/stack-charts/stack/tests/release"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// previousRelease is the commit of the last release: $STACK_PREVIOUS_RELEASE, else the one
// pinned in testdata/previous-release (CI clones main without tags, so a tag lookup would find
// nothing there). A shallow clone that lacks the commit skips the suite, saying why; a full clone
// that lacks it fails.
func previousRelease(t *testing.T) string {
	t.Helper()
	if ref := os.Getenv("STACK_PREVIOUS_RELEASE"); ref != "" {
		return ref
	}
	pin, err := os.ReadFile(filepath.Join(root, "tests", "e2e", "testdata", "previous-release"))
	require.NoError(t, err)
	var commit, name string
	for _, line := range strings.Split(string(pin), "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			commit, name = f[0], f[1]
		}
	}
	require.NotEmpty(t, commit, "testdata/previous-release names no '<commit> <name>' line")
	if out, err := exec.Command("git", "-C", root, "cat-file", "-e", commit+"^{commit}").CombinedOutput(); err != nil {
		shallow, _ := exec.Command("git", "-C", root, "rev-parse", "--is-shallow-repository").Output()
		if strings.TrimSpace(string(shallow)) == "true" {
			t.Skipf("upgrade safety skipped: this shallow clone lacks %s (%s); run `git fetch --unshallow` or set STACK_PREVIOUS_RELEASE", name, commit)
		}
		require.NoError(t, err, "the previous release %s (%s) is not in this clone: %s", name, commit, out)
	}
	progress(t, "upgrade: previous release %s = %s", name, commit[:12])
	return commit
}

// chartsAt extracts charts/ as of ref into a temporary directory and packages their file://
// dependencies, as `make deps` does for the working tree.
func chartsAt(t *testing.T, ref string) string {
	t.Helper()
	dir := t.TempDir()
	archive := exec.Command("sh", "-c", fmt.Sprintf("git -C %q archive %q charts | tar -x -C %q", root, ref, dir))
	out, err := archive.CombinedOutput()
	require.NoError(t, err, "git archive %s: %s", ref, out)
	entries, err := os.ReadDir(filepath.Join(dir, "charts"))
	require.NoError(t, err)
	// Dependencies first: the umbrella last, common needs nothing.
	var charts []string
	for _, e := range entries {
		if e.Name() != "stack" && e.Name() != "common" {
			charts = append(charts, e.Name())
		}
	}
	sort.Strings(charts)
	for _, c := range append(charts, "stack") {
		out, err := exec.Command("helm", "dependency", "update", filepath.Join(dir, "charts", c)).CombinedOutput()
		require.NoError(t, err, "helm dependency update %s at %s: %s", c, ref, out)
	}
	return filepath.Join(dir, "charts")
}

// overlayFor keeps the air-gapped overlay's top-level keys the old umbrella's schema knows (it
// refuses the others, e.g. charts added since).
func overlayFor(t *testing.T, chartsDir string) string {
	t.Helper()
	if env.Overlay == "" {
		return ""
	}
	var schema struct {
		Properties map[string]any `json:"properties"`
	}
	var overlay map[string]any
	b, err := os.ReadFile(filepath.Join(chartsDir, "stack", "values.schema.json"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &schema))
	known := schema.Properties
	b, err = os.ReadFile(env.Overlay)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &overlay))
	for k := range overlay {
		if _, ok := known[k]; !ok {
			delete(overlay, k)
		}
	}
	b, err = yaml.Marshal(overlay)
	require.NoError(t, err)
	return valuesFile(t, "overlay.yaml", string(b))
}

func secretDigests(t *testing.T, ns string) map[string]string {
	t.Helper()
	list, err := env.Clientset.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	out := map[string]string{}
	for _, s := range list.Items {
		if s.Type == "helm.sh/release.v1" {
			continue
		}
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h := sha256.New()
		for _, k := range keys {
			fmt.Fprintf(h, "%s=%x;", k, s.Data[k])
		}
		out[s.Name] = fmt.Sprintf("%x", h.Sum(nil))[:16]
	}
	return out
}

func claimUIDs(t *testing.T, ns string) map[string]types.UID {
	t.Helper()
	list, err := env.Clientset.CoreV1().PersistentVolumeClaims(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	out := map[string]types.UID{}
	for _, c := range list.Items {
		out[c.Name] = c.UID
	}
	return out
}

// The upgrade-safety suite: install the umbrella as it was at the previous release,
// write data, upgrade to the working tree: the upgrade applies (no immutable-field error), the
// StatefulSets keep their volumes, the rows and every Secret are unchanged.
func TestUpgradeFromThePreviousReleaseKeepsDataAndSecrets(t *testing.T) {
	parallel(t)
	ref := previousRelease(t)
	old := chartsAt(t, ref)
	ns := namespace(t, "upgrade")
	files := []string{filepath.Join(old, "stack", "profiles", "dev.yaml")}
	if o := overlayFor(t, old); o != "" {
		files = append(files, o)
	}
	start := time.Now()
	stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, OnFailure: dumpNamespaces, Namespace: ns, Name: "stack",
		Chart: filepath.Join(old, "stack"), ValuesFiles: files, Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	progress(t, "upgrade: %s installed in %s", ref, time.Since(start).Round(100*time.Millisecond))

	db := mysqlConnTo(t, ns, "stack-mysql", "app", "dev-only-mysql-app", "app")
	_, err := db.Exec("CREATE TABLE upgrade_rows (id INT PRIMARY KEY, v VARCHAR(32))")
	require.NoError(t, err)
	for i := 1; i <= 50; i++ {
		_, err := db.Exec("INSERT INTO upgrade_rows VALUES (?, ?)", i, fmt.Sprintf("row-%d", i))
		require.NoError(t, err)
	}
	db.Close()
	secretsBefore, claimsBefore := secretDigests(t, ns), claimUIDs(t, ns)
	require.NotEmpty(t, claimsBefore, "the previous release has persistent volumes")

	start = time.Now()
	_, err = helm.RunHelmCommandAndGetOutputE(t, helmOptions(ns), "upgrade", "stack", filepath.Join(root, "charts", "stack"), "--wait", "--timeout", "5m")
	require.NoError(t, err, "upgrading %s to the working tree", ref)
	progress(t, "upgrade: %s -> working tree applied and Ready in %s", ref, time.Since(start).Round(100*time.Millisecond))

	after := secretDigests(t, ns)
	for name, digest := range secretsBefore {
		assert.Equal(t, digest, after[name], "Secret %s is unchanged by the upgrade", name)
	}
	assert.Equal(t, claimsBefore, claimUIDs(t, ns), "every PVC is the same object (no StatefulSet was recreated)")
	db = mysqlConnTo(t, ns, "stack-mysql", "app", "dev-only-mysql-app", "app")
	var n int
	var last string
	require.NoError(t, db.QueryRow("SELECT COUNT(*), MAX(v) FROM upgrade_rows").Scan(&n, &last))
	assert.Equal(t, 50, n, "every row survived the upgrade")
	progress(t, "upgrade: %d Secrets unchanged, %d PVCs kept, %d rows read back after the upgrade", len(secretsBefore), len(claimsBefore), n)
}
