//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	stackrelease "github.com/stack-charts/stack/tests/release"
)

// needsMultiNode keeps a multi-node suite to its phase (`make test-e2e-ha`, STACK_E2E_HA=1): the
// single-node run skips it by name (-skip '^TestHA'), and run there by hand it says why it cannot.
func needsMultiNode(t *testing.T) {
	t.Helper()
	if !multiNode {
		t.Fatalf("%s runs on the multi-node cluster: STACK_E2E_HA=1 (make test-e2e-ha)", t.Name())
	}
}

// readmeCommands are the shell commands of the stack chart's README section "Before a prod
// install" (the Secrets and namespaces the prod profile expects), without its helm install line.
func readmeCommands(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "charts", "stack", "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## Before a prod install.*?```sh\n(.*?)```").FindStringSubmatch(string(raw))
	require.Len(t, m, 2, "the stack README has a sh block under \"Before a prod install\"")
	var keep []string
	for _, line := range strings.Split(m[1], "\n") {
		if !strings.HasPrefix(line, "helm install") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// runReadme runs the README's commands with kubectl and openssl as a user would, kubectl being
// the cluster's own (in the control-plane node, with its admin kubeconfig).
func runReadme(t *testing.T, script string) {
	t.Helper()
	node := env.Cluster.Name + "-control-plane"
	prelude := fmt.Sprintf("set -euo pipefail\nkubectl() { docker exec -i %s kubectl --kubeconfig=/etc/kubernetes/admin.conf \"$@\"; }\n", node)
	out, err := exec.Command("bash", "-c", prelude+script).CombinedOutput()
	require.NoError(t, err, "the README's commands:\n%s", out)
	progress(t, "ha: the README's commands before a prod install ran:\n%s", strings.TrimSpace(string(out)))
}

// The multi-node suite: the prod profile, as its README says to install it, on a control
// plane and three workers in three zones; stackcheck preflight before and verify after.
func TestHAProdProfileOnThreeZonedNodes(t *testing.T) {
	needsMultiNode(t)
	ctx := context.Background()
	nodes, err := env.Clientset.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	zoneOf := map[string]string{}
	for _, n := range nodes.Items {
		zoneOf[n.Name] = n.Labels["topology.kubernetes.io/zone"]
	}
	progress(t, "ha: nodes and zones %v", zoneOf)

	// The release and namespace names of the README's commands; both namespaces labelled so an
	// interrupted run's leftovers are removed like every suite's.
	const release, ns, monNS = "shop", "shop", "shop-monitoring"
	runReadme(t, readmeCommands(t))
	for _, n := range []string{ns, monNS} {
		deleteAtEnd(t, n)
		nsObj, err := env.Clientset.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
		require.NoError(t, err)
		nsObj.Labels["stack.dev/e2e"] = "true"
		_, err = env.Clientset.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	// Alerts go to the Discord-format receiver in the cluster instead of discord.com.
	webhook := deploySink(t, namespace(t, "discord"))
	s, err := env.Clientset.CoreV1().Secrets(monNS).Get(ctx, release+"-alert-receivers", metav1.GetOptions{})
	require.NoError(t, err)
	s.Data = map[string][]byte{"webhook-url": []byte(webhook)}
	_, err = env.Clientset.CoreV1().Secrets(monNS).Update(ctx, s, metav1.UpdateOptions{})
	require.NoError(t, err)

	umbrella := filepath.Join(root, "charts", "stack")
	prod := filepath.Join(umbrella, "profiles", "prod.yaml")
	values := []string{prod}
	if env.Overlay != "" {
		values = append(values, env.Overlay)
	}
	bin := stackcheck(t)
	preflight := func(files ...string) (int, string) {
		args := []string{"preflight", release, umbrella, "-n", ns}
		for _, f := range files {
			args = append(args, "-f", f)
		}
		code, out, took := runCheck(t, bin, nil, args...)
		progress(t, "ha: stackcheck preflight -f %s: exit %d in %s\n%s", strings.Join(files, " -f "), code, took.Round(time.Millisecond), out)
		return code, out
	}
	// The profile as written does not fit kind's nodes (testdata/prod-on-kind.yaml says why):
	// preflight must say so before anything is installed; the sizing overlay then fits.
	code, out := preflight(values...)
	require.Equal(t, 3, code, "preflight refuses the prod profile on three 2-core workers")
	require.Regexp(t, `FAIL\s+capacity`, out)
	values = append(values, filepath.Join(root, "tests", "e2e", "testdata", "prod-on-kind.yaml"))
	code, _ = preflight(values...)
	require.Equal(t, 0, code, "preflight passes the prod profile with the kind sizing overlay")

	start := time.Now()
	stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, Namespace: ns, Name: release, Chart: umbrella,
		ValuesFiles: values, Timeout: 15 * time.Minute, Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	progress(t, "ha: the prod profile installed and Ready in %s", time.Since(start).Round(time.Second))
	code, out, took := runCheck(t, bin, nil, "verify", release, "-n", ns, "--wait", "--timeout", "5m")
	progress(t, "ha: stackcheck verify --wait: exit %d in %s\n%s", code, took.Round(time.Millisecond), out)
	require.Equal(t, 0, code, "verify finds the release healthy")

	t.Run("ReplicasSpreadOverNodesAndZones", func(t *testing.T) {
		for _, n := range []string{ns, monNS} {
			pods, err := env.Clientset.CoreV1().Pods(n).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			byOwner := map[string][]corev1.Pod{}
			for _, p := range pods.Items {
				owner := metav1.GetControllerOf(&p)
				if owner == nil || p.Status.Phase != corev1.PodRunning || owner.Kind == "DaemonSet" || owner.Kind == "Job" {
					continue
				}
				name := p.Labels["app.kubernetes.io/name"] + "/" + p.Labels["app.kubernetes.io/component"]
				byOwner[name] = append(byOwner[name], p)
			}
			var names []string
			for name := range byOwner {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				ps := byOwner[name]
				if len(ps) < 2 {
					continue
				}
				nodesUsed, zonesUsed := map[string]bool{}, map[string]bool{}
				for _, p := range ps {
					nodesUsed[p.Spec.NodeName] = true
					zonesUsed[zoneOf[p.Spec.NodeName]] = true
				}
				progress(t, "ha: spread %s: %d pods on %d nodes in %d zones", name, len(ps), len(nodesUsed), len(zonesUsed))
				want := min(len(ps), 3)
				assert.Equal(t, want, len(zonesUsed), "%s: %d replicas over %d zones (%v)", name, len(ps), len(zonesUsed), zonesUsed)
			}
		}
	})
}
