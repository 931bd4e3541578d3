//go:build bench

// Package bench measures, on the e2e cluster, how long after `helm install` each backing service's
// chart alone and the umbrella (dev profile) are up — installed one after another on an idle node,
// in the same run, so the figures compare. It prints figures and asserts nothing: `make
// bench-ready`.
package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/internal/repo"
	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/release"
	"github.com/stack-charts/stack/tests/render"
)

func TestInstallToReady(t *testing.T) {
	root := repo.Root()
	env, err := cluster.PrepareE(cluster.PrepareOptions{RepoRoot: root, Name: "stack-e2e"})
	require.NoError(t, err)
	rounds := 2
	type result struct {
		name  string
		times []time.Duration
	}
	var results []result
	measure := func(name, chart string, values ...string) {
		r := result{name: name}
		for i := 0; i < rounds; i++ {
			ns := fmt.Sprintf("bench-%s-%d-%d", name, i, time.Now().Unix()%100000)
			_, err := env.Clientset.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
				Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "stack.dev/e2e": "true"}}}, metav1.CreateOptions{})
			require.NoError(t, err)
			start := time.Now()
			rel := release.Install(t, release.Options{Kubeconfig: env.Cluster.Kubeconfig, Namespace: ns, Name: "stack", Chart: filepath.Join(root, "charts", chart),
				ValuesFiles: values, Clientset: env.Clientset, RESTConfig: env.RESTConfig})
			r.times = append(r.times, time.Since(start))
			rel.Uninstall(t)
			require.NoError(t, env.Clientset.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}))
		}
		results = append(results, r)
	}
	// section writes the chart's section of a umbrella values file as the chart's own values.
	section := func(file, chart string) string {
		f, err := render.SectionFile(file, chart, t.TempDir())
		require.NoError(t, err)
		return f
	}
	// The components with the dev profile's values for them (so each starts as it does in the
	// umbrella) and the air-gapped images.
	dev := filepath.Join(root, "charts", "stack", "profiles", "dev.yaml")
	for _, c := range []string{"mysql", "redis", "rabbitmq"} {
		measure(c, c, section(dev, c), section(env.Overlay, c))
	}
	measure("umbrella", "stack", dev, env.Overlay)

	slowest := time.Duration(0)
	var b strings.Builder
	fmt.Fprintf(&b, "install-to-up (helm install --wait, workloads rolled out, pods programmed by the enforcer), %d rounds each, one after another on an idle node:\n", rounds)
	for _, r := range results {
		best := r.times[0]
		for _, d := range r.times {
			best = min(best, d)
		}
		fmt.Fprintf(&b, "  %-9s %v (best %s)\n", r.name, r.times, best.Round(100*time.Millisecond))
		if r.name != "umbrella" {
			slowest = max(slowest, best)
		}
		if r.name == "umbrella" {
			fmt.Fprintf(&b, "  umbrella / slowest component: %.2f (target <= 1.5)\n", best.Seconds()/slowest.Seconds())
		}
	}
	fmt.Print(b.String())
}
