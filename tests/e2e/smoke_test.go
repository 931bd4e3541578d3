//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stack-charts/stack/tests/kube"
	stackrelease "github.com/stack-charts/stack/tests/release"
)

// namespace creates a namespace for one test, enforcing Pod Security "restricted", and registers
// its deletion (and, when the test failed, a diagnostics dump) before anything is installed.
func namespace(t *testing.T, prefix string) string {
	t.Helper()
	return createNamespace(t, fmt.Sprintf("%s-%s", prefix, strings.ToLower(random.UniqueId())), "restricted")
}

// helmOptions installs the umbrella into ns with the dev profile and, in air-gapped mode, the
// overlay that points every image at the local builds.
// createNamespace creates a namespace with a fixed name (e.g. the monitoring namespace a
// release's policies name) at a Pod Security level, deleted when the test ends.
func createNamespace(t *testing.T, name, level string) string {
	t.Helper()
	_, err := env.Clientset.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": level, "stack.dev/e2e": "true"},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)
	deleteAtEnd(t, name)
	return name
}

// deleteAtEnd registers the deletion of a namespace when the test ends (kept with
// STACK_KEEP_NAMESPACES), with a diagnostics dump first when the test failed; the suite's slot is
// given back when the namespace is gone (parallel).
func deleteAtEnd(t *testing.T, name string) {
	recordNamespace(t, name)
	t.Cleanup(func() {
		if t.Failed() {
			dumpNamespaces([]string{name})
		}
		if os.Getenv("STACK_KEEP_NAMESPACES") == "" {
			// The pods go first and at once (grace period 0): a graceful stop of an umbrella's
			// pods (preStop sleeps, MySQL and RabbitMQ shutting down) took 1-1.5 min of the
			// suite's slot, for data nobody reads again.
			_ = env.Clientset.CoreV1().Pods(name).DeleteCollection(context.Background(), metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}, metav1.ListOptions{})
			_ = env.Clientset.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})
}

// dumped are the namespaces whose diagnostics a failed test already wrote.
var dumped sync.Map

// dumpNamespaces writes the diagnostics (kube.Dump) of each namespace not dumped yet: a release's
// namespaces before its uninstall (stackrelease.Options.OnFailure, while the pods and their logs
// are still there), the rest when their deletion comes.
func dumpNamespaces(namespaces []string) {
	for _, ns := range namespaces {
		if _, done := dumped.LoadOrStore(ns, true); !done {
			kube.Dump(context.Background(), env.Clientset, ns, os.Stdout)
		}
	}
}

func helmOptions(ns string, extraValues ...string) *helm.Options {
	files := []string{filepath.Join(root, "charts", "stack", "profiles", "dev.yaml")}
	if env.Overlay != "" {
		files = append(files, env.Overlay)
	}
	return &helm.Options{
		KubectlOptions: k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, ns),
		ValuesFiles:    append(files, extraValues...),
		Logger:         logger.Discard,
		ExtraArgs:      map[string][]string{"install": {"--wait", "--timeout", "5m"}, "upgrade": {"--wait", "--timeout", "5m"}},
	}
}

// withoutBackingServices is a values file that leaves MySQL, Redis and RabbitMQ out of the
// release and points their consumers at external hosts (creating the Secret with the passwords
// they read), for suites whose subject is elsewhere — the edge's certificate, rollouts under
// load, autoscaling — which then install in a fraction of the CPU: the backing services' first
// start (MariaDB's initialisation, RabbitMQ's boot) is most of an umbrella install. The full
// umbrella is installed by the dev-profile, upgrade and monitoring suites.
func withoutBackingServices(t *testing.T, ns string) string {
	t.Helper()
	secret(t, ns, "external-deps", map[string]string{"mysql-password": "unused", "redis-password": "unused", "rabbitmq-password": "unused"})
	return valuesFile(t, "without-backing-services.yaml", `mysql: {enabled: false}
redis: {enabled: false}
rabbitmq: {enabled: false}
global:
  dependencies:
    mysql: {host: mysql.external.invalid, secretName: external-deps}
    redis: {host: redis.external.invalid, secretName: external-deps}
    rabbitmq: {host: rabbitmq.external.invalid, secretName: external-deps}
`)
}

// valuesFile writes a suite's extra values into its temporary directory and returns the path.
func valuesFile(t *testing.T, name, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	return path
}

// installRelease installs the umbrella as release "stack" into ns with the dev profile, the image
// overlay and extra values files, uninstalling it when the test ends; it reports the time to Ready.
func installRelease(t *testing.T, ns, suite string, values ...string) *helm.Options {
	t.Helper()
	start := time.Now()
	r := stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, OnFailure: dumpNamespaces, Namespace: ns, Name: "stack",
		Chart: filepath.Join(root, "charts", "stack"), ValuesFiles: helmOptions(ns, values...).ValuesFiles, Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	progress(t, "%s: umbrella installed and Ready in %s", suite, time.Since(start).Round(100*time.Millisecond))
	return r.Helm()
}

// TestTheDevProfileUmbrella installs the umbrella once (dev profile, image overlay, the gateway
// rate limit gatewaySuite needs) and runs the suites that only read it against that one release,
// in parallel: the smoke test (Ready, `helm test`), the gateway's routes, auth, rate limits and
// request IDs, and the NetworkPolicy pairs. One install instead of three: each costs ~30 s of
// the node's CPU (MariaDB's first start, RabbitMQ's boot).
func TestTheDevProfileUmbrella(t *testing.T) {
	parallel(t)
	ns := namespace(t, "dev")
	t.Logf("images: %s (overlay %s)", env.Mode, cmp.Or(env.Overlay, "none: public images"))
	for name, tag := range env.Images {
		t.Logf("  %s = %s", name, tag)
	}
	limits := valuesFile(t, "rate-limit.yaml", "gateway:\n  rateLimit: {requestsPerSecond: 2, burst: 20}\n")
	start := time.Now()
	opts := installRelease(t, ns, "dev", limits)
	progress(t, "umbrella install-to-Ready: %s (helm install --wait, every workload rolled out, every pod programmed by the enforcer)", time.Since(start).Round(100*time.Millisecond))

	t.Run("InstallsBecomesReadyAndPassesHelmTest", func(t *testing.T) {
		parallelSubtest(t)
		out, err := helm.RunHelmCommandAndGetOutputE(t, opts, "test", "stack", "--logs", "--timeout", "3m")
		require.NoError(t, err, "helm test failed:\n%s", out)
		require.Contains(t, out, "gateway routes and auth OK")
		require.Contains(t, out, "ok: wrote 3 rows (1 duplicate ignored by the UNIQUE key)", "mysql round trip")
		require.Contains(t, out, "ok: without the password: NOAUTH", "redis refuses anonymous clients")
		require.Contains(t, out, "was consumed back", "rabbitmq round trip")
		require.Equal(t, 4, strings.Count(out, "Phase:          Succeeded"), "the gateway, mysql, redis and rabbitmq tests all passed")
		t.Logf("helm test:\n%s", out)
	})
	t.Run("GatewayRoutesAuthenticatesRateLimitsAndTagsRequests", func(t *testing.T) {
		parallelSubtest(t)
		gatewaySuite(t, ns)
	})
	t.Run("NetworkPoliciesAdmitExactlyTheWiredFlows", func(t *testing.T) {
		parallelSubtest(t)
		netpolSuite(t, ns)
	})
}
