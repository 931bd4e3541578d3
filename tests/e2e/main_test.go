//go:build e2e

// Package e2e installs the charts into a kind cluster and asserts real behaviour. It is behind
// the e2e build tag because it needs Docker, a built substrate (ci/substrate/build.sh) and
// minutes, not seconds: `make test` runs it after the render tier.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stack-charts/stack/internal/repo"
	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
)

var root = repo.Root()

// env is the cluster every suite of this package shares (one per run, reused when healthy).
var env *cluster.Env

var suiteStart = time.Now()

// announce prints a line of the run's own (setup, end) with the time since the run began.
func announce(format string, args ...any) {
	fmt.Printf("[e2e +%6.1fs] %s\n", time.Since(suiteStart).Seconds(), fmt.Sprintf(format, args...))
}

// progress is a suite's milestone: logged through t so that, with suites running in parallel,
// go test -json (and the JUnit report) files it under the suite that printed it.
func progress(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("[e2e +%6.1fs] %s", time.Since(suiteStart).Seconds(), fmt.Sprintf(format, args...))
}

// exitFuncs run after every suite (for what suites share beyond one test's lifetime).
var exitFuncs []func()

// atExit registers f to run after every suite has ended.
func atExit(f func()) { exitFuncs = append(exitFuncs, f) }

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e setup failed: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	for _, f := range exitFuncs {
		f()
	}
	announce("e2e suites finished (exit %d)", code)
	os.Exit(code)
}

// multiNode is the run of the multi-node suites (TestHA*, STACK_E2E_HA=1, `make test-e2e-ha`): on
// their own cluster of a control plane and three workers in zones a, b and c. The two clusters do
// not fit the machine at once (two cores), so each phase deletes the other's cluster first.
var multiNode = os.Getenv("STACK_E2E_HA") != ""

// clusterName is the kind cluster of this run's phase.
func clusterName() string {
	if multiNode {
		return "stack-e2e-ha"
	}
	return "stack-e2e"
}

func setup() error {
	name, other := clusterName(), "stack-e2e-ha"
	opts := cluster.PrepareOptions{RepoRoot: root, Name: name, Recreate: os.Getenv("STACK_RECREATE_CLUSTER") != ""}
	if multiNode {
		other = "stack-e2e"
		opts.Workers, opts.Zones = 3, []string{"a", "b", stoppedZone}
	}
	if err := holdTheCluster(name); err != nil {
		return err
	}
	if err := holdTheCluster(other); err != nil {
		return fmt.Errorf("the other phase's cluster: %w", err)
	}
	if err := cluster.DeleteE(cluster.Options{Name: other}); err != nil {
		return err
	}
	var err error
	env, err = cluster.PrepareE(opts)
	if err != nil {
		return err
	}
	announce("image mode %s; cluster %s ready (created in %s, reused: %v)", env.Mode, env.Cluster.Name, env.Cluster.CreateTime.Round(time.Second), env.Cluster.Reused)
	if multiNode {
		if err := spreadClusterDNS(); err != nil {
			return err
		}
	}
	return removeLeftovers()
}

// clusterLock is held for the whole run (the process keeps it open; the kernel drops it when the
// process ends, however it ends).
var clusterLocks []*os.File

// holdTheCluster takes an exclusive lock per cluster: a second run against the same cluster would
// take the first one's namespaces for an interrupted run's leftovers and delete them (it happened:
// a second `go test -tags e2e` beside `make test` turned three of its suites red).
func holdTheCluster(name string) error {
	dir := os.Getenv("STACK_CACHE")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		dir = filepath.Join(home, ".cache", "stack")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "e2e-"+name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("another e2e run is using cluster %s (it holds %s): wait for it to end; running beside it would delete its namespaces as leftovers", name, path)
	}
	clusterLocks = append(clusterLocks, f)
	return nil
}

// parallel lets a suite run beside the others (`make test-e2e` sets how many at once:
// E2E_PARALLEL, admitted longest first by sched), each in its own namespaces, node ports and
// cluster-scoped names. Call it first in the suite: the slot is given back by the suite's last
// cleanup, after its releases are uninstalled and its namespaces are gone. A slot given back
// when the function returned let the next suites start beside the teardown (Argo CD deleting an
// umbrella, MySQL and RabbitMQ stopping): the scheduler still counts a terminating pod's CPU
// requests, so a CI run once had four umbrellas on the node, "Insufficient cpu" for the new
// ones, cert-manager's webhook refusing connections and the HPA without metrics. Subtests run
// under their parent's slot (parallelSubtest). Two suites stay serial and run first, alone,
// because Go runs serial tests before parallel ones: resilience (zero failed requests through
// rollouts, measured on an otherwise idle node) and the preflight failure cases (they take the
// cluster's default StorageClass away for a moment). STACK_E2E_SERIAL=1 runs every suite alone.
func parallel(t *testing.T) {
	if os.Getenv("STACK_E2E_SERIAL") != "" {
		return
	}
	t.Parallel()
	release := acquire(t)
	t.Cleanup(func() {
		waitNamespacesGone(t)
		release()
	})
}

// parallelSubtest runs a subtest beside its siblings, under the slot its parent holds (a subtest
// asking for a slot of its own could wait forever: every slot held by a parent waiting for its
// subtests).
func parallelSubtest(t *testing.T) {
	if os.Getenv("STACK_E2E_SERIAL") == "" {
		t.Parallel()
	}
}

// suiteNamespaces are the namespaces each top-level suite deletes at its end (deleteAtEnd), so
// its slot is given back only when they are gone.
var (
	suiteNamespacesMu sync.Mutex
	suiteNamespaces   = map[string][]string{} // suite name -> namespaces
)

func suiteName(t *testing.T) string {
	name, _, _ := strings.Cut(t.Name(), "/")
	return name
}

// recordNamespace notes that the suite t belongs to deletes namespace name at its end.
func recordNamespace(t *testing.T, name string) {
	suiteNamespacesMu.Lock()
	defer suiteNamespacesMu.Unlock()
	suiteNamespaces[suiteName(t)] = append(suiteNamespaces[suiteName(t)], name)
}

// waitNamespacesGone waits (3 minutes at most, then goes on and says so) until the namespaces
// the suite deleted are gone, and logs how long that took.
func waitNamespacesGone(t *testing.T) {
	suiteNamespacesMu.Lock()
	names := suiteNamespaces[suiteName(t)]
	delete(suiteNamespaces, suiteName(t))
	suiteNamespacesMu.Unlock()
	if len(names) == 0 || os.Getenv("STACK_KEEP_NAMESPACES") != "" {
		return
	}
	took, err := kube.WaitE(context.Background(), kube.WaitOptions{What: "namespaces " + strings.Join(names, ", ") + " gone", Timeout: 3 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
		var left []string
		for _, n := range names {
			_, err := env.Clientset.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
			if err == nil || !apierrors.IsNotFound(err) {
				left = append(left, n)
			}
		}
		return len(left) == 0, fmt.Sprintf("still there: %v", left), nil
	})
	if err != nil {
		t.Logf("teardown: %v; giving the slot back all the same", err)
		return
	}
	t.Logf("teardown: %d namespace(s) gone after waiting %s", len(names), took.Round(100*time.Millisecond))
}

// needsAddon skips a suite that relies on a cluster add-on only the air-gapped substrate installs
// (metrics-server, cert-manager): kind's upstream node image has neither.
func needsAddon(t *testing.T, addon string) {
	t.Helper()
	if env.Mode != cluster.AirGap {
		t.Skipf("the upstream kind image has no %s; the air-gapped substrate installs it", addon)
	}
}

// removeLeftovers deletes the namespaces (and Argo CD Applications) an interrupted earlier run
// left in a reused cluster (labelled stack.dev/e2e): their pods would load the node and their
// node ports clash.
func removeLeftovers() error {
	ctx := context.Background()
	// First the Argo CD Applications such a run left: they would re-create their namespaces.
	if err := removeLeftoverApplications(ctx); err != nil {
		return err
	}
	list, err := env.Clientset.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: "stack.dev/e2e=true"})
	if err != nil {
		return err
	}
	if len(list.Items) == 0 {
		return nil
	}
	for _, ns := range list.Items {
		if ns.DeletionTimestamp == nil {
			announce("removing namespace %s left by an interrupted run", ns.Name)
			if err := env.Clientset.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
				return err
			}
		}
	}
	_, err = kube.WaitE(ctx, kube.WaitOptions{What: "leftover namespaces gone", Timeout: 3 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		l, err := env.Clientset.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: "stack.dev/e2e=true"})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(l.Items) == 0, fmt.Sprintf("%d left", len(l.Items)), nil
	})
	if err != nil {
		// Not fatal: the suites use fresh namespaces; only their load and node ports were in the way.
		announce("leftover namespaces still terminating, going on: %v", err)
	}
	return nil
}

// stoppedZone is the multi-node cluster's zone whose worker the node-loss step stops (MySQL's, in
// the sizing overlay); what stands for the world outside the release stays out of it.
const stoppedZone = "c"

// outOfStoppedZone is a pod affinity (JSON, for a patch) that keeps a pod off stoppedZone's nodes.
const outOfStoppedZone = `{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"topology.kubernetes.io/zone","operator":"NotIn","values":["` + stoppedZone + `"]}]}]}}}`

// spreadClusterDNS puts the multi-node cluster's two CoreDNS replicas on two different nodes and
// lets them leave a lost node after 30 s, as production clusters do (kubeadm's CoreDNS prefers
// other nodes; kind's left both on one worker, and stopping that worker took the cluster's DNS,
// and with it every name the gateway resolves, away for Kubernetes' default 300 s). The node-loss
// suite measures the release, not the test cluster's DNS, so CoreDNS also stays out of zone c,
// whose node it stops: with a DNS pod there, requests failed with 504 (nginx's answer when its
// resolver times out) until 83 s and once at ~90 s after the stop in one run, where without it
// the release's own window ends with the node's NotReady (the README says so).
func spreadClusterDNS() error {
	ctx := context.Background()
	patch := `{"spec":{"template":{"spec":{
	  "affinity":` + outOfStoppedZone + `,
	  "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],
	  "tolerations":[{"key":"CriticalAddonsOnly","operator":"Exists"},{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"},
	    {"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":30},
	    {"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}]}}}}`
	if _, err := env.Clientset.AppsV1().Deployments("kube-system").Patch(ctx, "coredns", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("spread CoreDNS: %w", err)
	}
	_, err := kube.WaitE(ctx, kube.WaitOptions{What: "CoreDNS spread over two nodes", Timeout: 3 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
		pods, err := env.Clientset.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
		if err != nil {
			return false, err.Error(), nil
		}
		nodes := map[string]bool{}
		ready := 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				return false, p.Name + " terminating", nil
			}
			nodes[p.Spec.NodeName] = true
			for _, c := range p.Status.Conditions {
				if c.Type == "Ready" && c.Status == "True" {
					ready++
				}
			}
		}
		return len(pods.Items) >= 2 && ready == len(pods.Items) && len(nodes) == len(pods.Items), fmt.Sprintf("%d pods, %d Ready, on %d nodes", len(pods.Items), ready, len(nodes)), nil
	})
	if err == nil {
		announce("CoreDNS spread over two nodes")
	}
	return err
}
