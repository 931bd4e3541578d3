// Package stackup is the main job of the repository: get a kind cluster ready for the stack
// (air-gapped images by default) and install the umbrella chart into it with a profile.
package stackup

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/stack-charts/stack/internal/repo"
	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
)

type flags struct {
	cluster, namespace, release, profile, images string
	recreate, delete, retain, monitoring         bool
	workers                                      int
	timeout                                      time.Duration
}

// Main runs the job with command-line args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	var f flags
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.cluster, "cluster", "stack", "kind cluster name")
	fs.StringVar(&f.namespace, "namespace", "stack", "namespace of the release")
	fs.StringVar(&f.release, "release", "stack", "release name")
	fs.StringVar(&f.profile, "profile", "dev", "values profile (charts/stack/profiles/<name>.yaml)")
	fs.StringVar(&f.images, "images", "", "image mode: airgap (default, built by make images) or upstream")
	fs.BoolVar(&f.monitoring, "monitoring", true, "also install the monitoring chart (Prometheus, Alertmanager, kube-state-metrics, node-exporter; Grafana where its image can be pulled) in <namespace>-monitoring")
	fs.IntVar(&f.workers, "workers", 0, "worker nodes besides the control plane (default $STACK_KIND_WORKERS, else 0)")
	fs.BoolVar(&f.recreate, "recreate", false, "delete and recreate the cluster")
	fs.BoolVar(&f.delete, "delete", false, "delete the cluster instead (make down)")
	fs.BoolVar(&f.retain, "retain", false, "keep the nodes when cluster creation fails (debugging)")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long the install may take to be Ready")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if f.delete {
		if err := cluster.DeleteE(cluster.Options{Name: f.cluster, DockerWrapperDir: filepath.Join(repo.Root(), "ci", "substrate", "wrapper")}); err != nil {
			fmt.Fprintf(stderr, "up: %v\n", err)
			return 1
		}
		return 0
	}
	if err := run(f, stdout); err != nil {
		fmt.Fprintf(stderr, "up: %v\n", err)
		return 1
	}
	return 0
}

func run(f flags, out io.Writer) error {
	root := repo.Root()
	start := time.Now()
	env, err := cluster.PrepareE(cluster.PrepareOptions{RepoRoot: root, Name: f.cluster, Mode: cluster.Mode(f.images), Recreate: f.recreate, Retain: f.retain, Workers: f.workers})
	if err != nil {
		return err
	}
	profile := filepath.Join(root, "charts", "stack", "profiles", f.profile+".yaml")
	if _, err := os.Stat(profile); err != nil {
		return fmt.Errorf("profile %q: %w", f.profile, err)
	}
	args := []string{"upgrade", "--install", f.release, filepath.Join(root, "charts", "stack"),
		"--namespace", f.namespace, "--create-namespace", "--kubeconfig", env.Cluster.Kubeconfig,
		"-f", profile, "--wait", "--timeout", f.timeout.String()}
	if env.Overlay != "" {
		args = append(args, "-f", env.Overlay)
	}
	if f.monitoring {
		// DEV ONLY Grafana password, like the dev profile's other credentials.
		args = append(args, "--set", "monitoring.enabled=true", "--set-string", "monitoring.grafana.admin.password=dev-only-grafana-admin")
	}
	fmt.Fprintf(out, "up: helm %v\n", args)
	installStart := time.Now()
	cmd := exec.Command("helm", args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("helm upgrade --install: %w", err)
	}
	_, err = kube.WaitE(context.Background(), kube.WaitOptions{What: "pods of release " + f.release + " Ready", Timeout: f.timeout},
		kube.PodsReady(env.Clientset, f.namespace, "app.kubernetes.io/instance="+f.release))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nup: the stack runs in kind cluster %q (%s images): install-to-Ready %s, total %s\n",
		f.cluster, env.Mode, time.Since(installStart).Round(time.Second), time.Since(start).Round(time.Second))
	fmt.Fprintf(out, "up: export KUBECONFIG=%s\n", env.Cluster.Kubeconfig)
	fmt.Fprintf(out, "up: kubectl -n %s port-forward svc/%s-gateway 8080:80   # then: curl localhost:8080/healthz\n", f.namespace, f.release)
	if f.monitoring {
		fmt.Fprintf(out, "up: kubectl -n %s-monitoring port-forward svc/%s-monitoring-prometheus 9090   # then: curl localhost:9090/api/v1/targets\n", f.namespace, f.release)
	}
	return nil
}
