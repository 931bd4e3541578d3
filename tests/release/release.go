// Package release installs a chart into a cluster for a test and takes it away afterwards: helm
// install, upgrade, rollback and uninstall (terratest's helm module, so the helm CLI on PATH),
// each followed by a wait until the release is really up — its workloads rolled out
// (kube.WorkloadsReady) and its pods programmed by the NetworkPolicy enforcer
// (kube.PolicyProgrammed) — before the test sends traffic.
package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/tests/kube"
)

// Options say what to install where.
type Options struct {
	// Kubeconfig is the cluster's kubeconfig file (required).
	Kubeconfig string
	// Namespace (required) and Name (the release name, required).
	Namespace, Name string
	// Chart is a chart directory, archive or reference (required for Install).
	Chart string
	// ChartArgs are helm's chart flags for install and upgrade (e.g. --version, --verify and
	// --keyring, --ca-file of an oci:// chart); an upgrade uses the release's ChartArgs as they are
	// then (set them to upgrade to another version).
	ChartArgs []string
	// ValuesFiles (-f, in order) and Set (--set) are the release's values.
	ValuesFiles []string
	Set         map[string]string
	// Timeout bounds helm's --wait and each wait after it (default 5m).
	Timeout time.Duration
	// Selector finds the release's objects (default app.kubernetes.io/instance=<Name>).
	Selector string
	// Clientset and RESTConfig let the waits after helm read the cluster; without them only
	// helm's own --wait is waited for.
	Clientset  kubernetes.Interface
	RESTConfig *rest.Config
	// KeepOnFailure leaves a release of a failed test installed, to look at.
	KeepOnFailure bool
	// OnFailure, when the test failed, is called with the release's namespaces (its manifest's,
	// the release's first) before the uninstall takes the pods and their logs away: the place
	// for a diagnostics dump (kube.Dump of each).
	OnFailure func(namespaces []string)
}

// Release is an installed release.
type Release struct {
	Options
	helm *helm.Options
}

func (o *Options) defaults() error {
	if o.Kubeconfig == "" || o.Namespace == "" || o.Name == "" {
		return errors.New("release.Options: Kubeconfig, Namespace and Name are required")
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Selector == "" {
		o.Selector = "app.kubernetes.io/instance=" + o.Name
	}
	return nil
}

func (o Options) helmOptions() *helm.Options {
	wait := []string{"--wait", "--timeout", o.Timeout.String()}
	withChart := append(slices.Clone(wait), o.ChartArgs...)
	return &helm.Options{
		KubectlOptions: k8s.NewKubectlOptions("", o.Kubeconfig, o.Namespace),
		ValuesFiles:    o.ValuesFiles,
		SetValues:      o.Set,
		Logger:         logger.Discard,
		ExtraArgs:      map[string][]string{"install": withChart, "upgrade": withChart, "rollback": wait},
	}
}

// Install installs the chart and waits until the release is up. Its uninstall is registered
// with t.Cleanup before helm runs, so a half-done install is taken away too.
func Install(t testing.TB, o Options) *Release {
	t.Helper()
	r, err := InstallE(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// InstallE is Install returning the error (the cleanup is registered all the same).
func InstallE(t testing.TB, o Options) (*Release, error) {
	t.Helper()
	if err := o.defaults(); err != nil {
		return nil, err
	}
	r := &Release{Options: o, helm: o.helmOptions()}
	t.Cleanup(func() {
		if t.Failed() && r.OnFailure != nil {
			r.OnFailure(r.namespaces(t))
		}
		if r.KeepOnFailure && t.Failed() {
			t.Logf("release %s kept in %s: the test failed", r.Name, r.Namespace)
			return
		}
		_ = helm.DeleteE(t, r.helm, r.Name, true)
	})
	start := time.Now()
	if err := helm.InstallE(t, r.helm, o.Chart, o.Name); err != nil {
		return r, fmt.Errorf("helm install %s: %w", o.Name, err)
	}
	return r, r.settle(t, "installed", start)
}

// Upgrade upgrades the release to chart (its own when empty) with the release's values plus
// extra values files, and waits until it is up again.
func (r *Release) Upgrade(t testing.TB, chart string, extraValues ...string) {
	t.Helper()
	if err := r.UpgradeE(t, chart, extraValues...); err != nil {
		t.Fatal(err)
	}
}

// UpgradeE is Upgrade returning the error.
func (r *Release) UpgradeE(t testing.TB, chart string, extraValues ...string) error {
	t.Helper()
	if chart == "" {
		chart = r.Chart
	}
	r.ValuesFiles = append(r.ValuesFiles, extraValues...)
	r.helm.ValuesFiles = r.ValuesFiles
	r.helm.ExtraArgs = r.Options.helmOptions().ExtraArgs
	start := time.Now()
	if err := helm.UpgradeE(t, r.helm, chart, r.Name); err != nil {
		return fmt.Errorf("helm upgrade %s: %w", r.Name, err)
	}
	r.Chart = chart
	return r.settle(t, "upgraded", start)
}

// Rollback rolls the release back to a revision (0: the previous one) and waits until it is up.
func (r *Release) Rollback(t testing.TB, revision int) {
	t.Helper()
	rev := ""
	if revision > 0 {
		rev = strconv.Itoa(revision)
	}
	start := time.Now()
	if err := helm.RollbackE(t, r.helm, r.Name, rev); err != nil {
		t.Fatalf("helm rollback %s %s: %v", r.Name, rev, err)
	}
	if err := r.settle(t, "rolled back", start); err != nil {
		t.Fatal(err)
	}
}

// Uninstall uninstalls the release now (the registered cleanup then has nothing left to do).
func (r *Release) Uninstall(t testing.TB) {
	t.Helper()
	if err := helm.DeleteE(t, r.helm, r.Name, true); err != nil {
		t.Fatalf("helm uninstall %s: %v", r.Name, err)
	}
}

// Helm are the terratest helm options of the release (for `helm test`, `helm status`...).
func (r *Release) Helm() *helm.Options { return r.helm }

// settle waits, after helm returned, until the workloads are rolled out and the enforcer has
// programmed the pods — in every namespace the release's manifest puts objects in (a chart may
// install into namespaces beside the release's) — and logs how long the whole change took.
func (r *Release) settle(t testing.TB, what string, start time.Time) error {
	t.Helper()
	namespaces := []string{r.Namespace}
	if r.Clientset != nil {
		var err error
		if namespaces, err = r.namespacesE(t); err != nil {
			return err
		}
	}
	for _, ns := range namespaces {
		if r.Clientset != nil {
			_, err := kube.WaitE(context.Background(), kube.WaitOptions{What: "release " + r.Name + " workloads ready in " + ns, Timeout: r.Timeout, Interval: time.Second},
				kube.WorkloadsReady(r.Clientset, ns, r.Selector))
			if err != nil {
				return err
			}
		}
		if r.Clientset != nil && r.RESTConfig != nil {
			// Every pod of the namespace: a policy of the release may select pods it does not label.
			_, err := kube.WaitE(context.Background(), kube.WaitOptions{What: "release " + r.Name + " pods in " + ns + " programmed by the NetworkPolicy enforcer", Timeout: r.Timeout, Interval: 500 * time.Millisecond},
				kube.PolicyProgrammed(r.RESTConfig, r.Clientset, ns, ""))
			switch {
			case errors.Is(err, kube.ErrNoEnforcer):
				t.Logf("release %s: %v; not waited for", r.Name, err)
			case err != nil:
				return err
			}
		}
	}
	t.Logf("release %s %s in %s and up after %s", r.Name, what, strings.Join(namespaces, ", "), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// namespacesE are the namespaces of the release's manifest as installed now.
func (r *Release) namespacesE(t testing.TB) ([]string, error) {
	manifest, err := helm.RunHelmCommandAndGetOutputE(t, r.helm, "get", "manifest", r.Name)
	if err != nil {
		return nil, fmt.Errorf("helm get manifest %s: %w", r.Name, err)
	}
	return Namespaces(manifest, r.Namespace), nil
}

// namespaces is namespacesE with only the release's namespace when helm cannot say (an install
// that failed early).
func (r *Release) namespaces(t testing.TB) []string {
	if ns, err := r.namespacesE(t); err == nil {
		return ns
	}
	return []string{r.Namespace}
}

// Namespaces are the namespaces a release manifest's objects are in (those without one are in
// the release's), sorted with the release's first.
func Namespaces(manifest, releaseNamespace string) []string {
	seen := map[string]bool{releaseNamespace: true}
	out := []string{releaseNamespace}
	for _, doc := range strings.Split(manifest, "\n---") {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if yaml.Unmarshal([]byte(doc), &obj) != nil || obj.Kind == "" || obj.Kind == "Namespace" {
			continue
		}
		if ns := obj.Metadata.Namespace; ns != "" && !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	sort.Strings(out[1:])
	return out
}
