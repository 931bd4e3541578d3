package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/stack-charts/stack/tests/kube"
)

// Mode is where images come from.
type Mode string

const (
	// AirGap uses the node image and workload images built by ci/substrate (no registry needed).
	AirGap Mode = "airgap"
	// Upstream uses kind's kindest/node image and public images (needs a registry).
	Upstream Mode = "upstream"
)

// PrepareOptions says which cluster the stack needs.
type PrepareOptions struct {
	// RepoRoot is the repository root (ci/ configs and add-ons are found from it).
	RepoRoot string
	// Name of the kind cluster.
	Name string
	// Mode (default: $STACK_IMAGES, else AirGap).
	Mode Mode
	// Recreate deletes an existing cluster first.
	Recreate bool
	// Retain keeps the nodes of a failed creation for debugging.
	Retain bool
	// Workers adds worker nodes (default: $STACK_KIND_WORKERS, else 0: one node). Air-gapped,
	// kube-router then also routes pod traffic between the nodes (BGP) and writes each node's
	// CNI config for its pod CIDR, instead of the node image's single-node config.
	Workers int
}

// Env is a cluster ready for the stack, with what an install needs to know.
type Env struct {
	Cluster   *Cluster
	Clientset *kubernetes.Clientset
	// RESTConfig is the client configuration (for exec and port-forwards).
	RESTConfig *rest.Config
	Mode       Mode
	// Overlay is the values file pointing the umbrella at the air-gapped images ("" upstream).
	Overlay string
	// Images are the workload images loaded into the nodes (name -> tag; empty upstream).
	Images map[string]string
	// SystemReady is how long the kube-system pods took to be Ready after the cluster was there.
	SystemReady time.Duration
}

// PrepareE gets a cluster (reusing a healthy one), loads the air-gapped images, installs the
// add-ons the stack relies on (NetworkPolicy enforcement) and waits for kube-system.
func PrepareE(opts PrepareOptions) (*Env, error) {
	env := &Env{Mode: opts.Mode}
	if env.Mode == "" {
		env.Mode = Mode(os.Getenv("STACK_IMAGES"))
	}
	if env.Mode == "" {
		env.Mode = AirGap
	}
	substrate := filepath.Join(CacheDir(), "substrate")
	if opts.Workers == 0 {
		if n, err := strconv.Atoi(os.Getenv("STACK_KIND_WORKERS")); err == nil && n > 0 {
			opts.Workers = n
		}
	}
	copts := Options{Name: opts.Name, Recreate: opts.Recreate, Retain: opts.Retain, Workers: opts.Workers}
	switch env.Mode {
	case AirGap:
		node, err := os.ReadFile(filepath.Join(substrate, "node-image.txt"))
		if err != nil {
			return nil, fmt.Errorf("no air-gapped node image: build the substrate first (make images): %w", err)
		}
		copts.NodeImage = strings.TrimSpace(string(node))
		copts.ConfigFile = filepath.Join(opts.RepoRoot, "ci", "kind", "cluster.yaml")
		copts.DockerWrapperDir = filepath.Join(opts.RepoRoot, "ci", "substrate", "wrapper")
		if opts.Workers > 0 {
			// Each node's /etc/cni/net.d is its own empty directory (hiding the node image's
			// single-node config) where kube-router writes the config for the node's pod CIDR.
			copts.NodeMounts = []v1alpha4.Mount{{HostPath: filepath.Join(CacheDir(), "kind", opts.Name, "node-{node}", "cni"), ContainerPath: "/etc/cni/net.d"}}
		}
		env.Overlay = filepath.Join(substrate, "airgap-values.yaml")
		images, err := readImageList(filepath.Join(substrate, "workload-images.txt"))
		if err != nil {
			return nil, err
		}
		env.Images = images
	case Upstream:
		copts.ConfigFile = filepath.Join(opts.RepoRoot, "ci", "kind", "cluster-upstream.yaml")
	default:
		return nil, fmt.Errorf("image mode %q: want %s or %s", env.Mode, AirGap, Upstream)
	}
	c, err := GetE(copts)
	if err != nil {
		return nil, err
	}
	env.Cluster = c
	if env.Clientset, err = c.ClientsetE(); err != nil {
		return nil, err
	}
	if env.RESTConfig, err = c.RESTConfigE(); err != nil {
		return nil, err
	}
	if env.Mode == AirGap {
		tags := []string{}
		for _, a := range addons {
			tags = append(tags, a.images...)
		}
		for _, tag := range env.Images {
			tags = append(tags, tag)
		}
		if err := c.LoadImagesE(tags...); err != nil {
			return nil, err
		}
		for _, a := range addons {
			var manifests []string
			if a.manifest != "" {
				manifests = append(manifests, a.manifest)
			}
			if opts.Workers > 0 && a.multiNode != "" {
				manifests = append(manifests, a.multiNode)
			}
			for _, m := range manifests {
				if !filepath.IsAbs(m) {
					m = filepath.Join(opts.RepoRoot, "ci", "kind", "addons", m)
				}
				if err := c.ApplyManifestE(m); err != nil {
					return nil, err
				}
			}
		}
	}
	env.SystemReady, err = kube.WaitE(context.Background(), kube.WaitOptions{What: "kube-system pods Ready", Timeout: 4 * time.Minute, Interval: 2 * time.Second},
		kube.PodsReady(env.Clientset, "kube-system", ""))
	if err != nil {
		return nil, err
	}
	if env.Mode == AirGap {
		d, err := kube.WaitE(context.Background(), kube.WaitOptions{What: "cert-manager pods Ready", Timeout: 4 * time.Minute, Interval: 2 * time.Second},
			kube.PodsReady(env.Clientset, "cert-manager", ""))
		if err != nil {
			return nil, err
		}
		c.logf("cert-manager %s Ready after %s", CertManagerVersion, d.Round(time.Second))
	}
	c.logf("cluster %q ready: kube-system pods Ready %s after the control plane", c.Name, env.SystemReady.Round(time.Second))
	return env, nil
}

// addons are the cluster add-ons of the air-gapped cluster and their images: NetworkPolicy
// enforcement, the resource metrics API for HPAs, cert-manager for the TLS suites and
// kube-state-metrics for the monitoring chart (an image only: the chart deploys it). manifest is
// in ci/kind/addons or an absolute path (empty: nothing to apply); multiNode is applied after it
// on clusters with workers.
type addon struct {
	manifest  string
	images    []string
	multiNode string
}

var addons = []addon{
	{manifest: "kube-router.yaml", images: []string{"stack.local/kube-router:v1.4.0"}, multiNode: "kube-router-routing.yaml"},
	{manifest: "metrics-server.yaml", images: []string{"stack.local/metrics-server:v0.9.0"}},
	// Rendered by ci/substrate/cert-manager.sh from the module's own CRDs and chart.
	{manifest: filepath.Join(CacheDir(), "substrate", "addons", "cert-manager.yaml"), images: []string{
		"stack.local/cert-manager-controller:" + CertManagerVersion,
		"stack.local/cert-manager-webhook:" + CertManagerVersion,
		"stack.local/cert-manager-cainjector:" + CertManagerVersion}},
	// Built by component-images.sh.
	{images: []string{"stack.local/kube-state-metrics:v2.16.0"}},
}

// CertManagerVersion is the cert-manager the air-gapped cluster runs (ci/substrate/lib.sh).
const CertManagerVersion = "v1.11.5"

func readImageList(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no workload image list: build the substrate first (make images): %w", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if name, tag, ok := strings.Cut(line, " "); ok {
			out[name] = tag
		}
	}
	return out, nil
}
