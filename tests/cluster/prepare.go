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

// PrepareOptions says which cluster the stack needs. Every path has a default from RepoRoot (this
// repository's layout); another repository sets the paths, or RepoRoot to a tree laid out alike.
type PrepareOptions struct {
	// RepoRoot is the repository whose ci/ holds the defaults of the paths below.
	RepoRoot string
	// Name of the kind cluster (required).
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
	// Zones label the workers with topology.kubernetes.io/zone, round robin (default:
	// $STACK_KIND_ZONES, comma-separated; empty: no zone labels).
	Zones []string
	// CacheDir holds kubeconfigs and scratch directories (default CacheDir()).
	CacheDir string
	// SubstrateDir is where the air-gapped build left node-image.txt, workload-images.txt,
	// airgap-values.yaml and addons/ (default <CacheDir>/substrate).
	SubstrateDir string
	// ConfigFile is the kind config (default <RepoRoot>/ci/kind/cluster.yaml, upstream
	// cluster-upstream.yaml; neither: one control-plane node).
	ConfigFile string
	// DockerWrapperDir is put first on PATH for kind (default, air-gapped:
	// <RepoRoot>/ci/substrate/wrapper).
	DockerWrapperDir string
	// AddonsDir is where relative add-on manifests are (default <RepoRoot>/ci/kind/addons).
	AddonsDir string
	// Addons are applied air-gapped, their images loaded first (default DefaultAddons).
	Addons []Addon
	// ImageTransport is how air-gapped images reach the nodes (default $STACK_IMAGE_TRANSPORT,
	// else TransportRegistry).
	ImageTransport Transport
}

// Transport is how the air-gapped images reach the nodes.
type Transport string

const (
	// TransportRegistry pushes them to the air-gapped registry (StartRegistryE), which every
	// node's containerd uses as the mirror of stack.local: pods pull what they need. Measured
	// against side-loading in one run (make bench-transport): the same 9 images into the node in
	// 1.7 s by pull, 31 s by side-load.
	TransportRegistry Transport = "registry"
	// TransportSideLoad copies each image into each node (docker save | ctr import).
	TransportSideLoad Transport = "sideload"
)

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
	// Registry is the air-gapped registry the nodes pull from (nil when images are side-loaded).
	Registry *Registry
}

func (o *PrepareOptions) defaults() {
	if o.Mode == "" {
		o.Mode = Mode(os.Getenv("STACK_IMAGES"))
	}
	if o.Mode == "" {
		o.Mode = AirGap
	}
	if o.ImageTransport == "" {
		o.ImageTransport = Transport(os.Getenv("STACK_IMAGE_TRANSPORT"))
	}
	if o.ImageTransport == "" {
		o.ImageTransport = TransportRegistry
	}
	if o.Workers == 0 {
		if n, err := strconv.Atoi(os.Getenv("STACK_KIND_WORKERS")); err == nil && n > 0 {
			o.Workers = n
		}
	}
	if len(o.Zones) == 0 && os.Getenv("STACK_KIND_ZONES") != "" {
		o.Zones = strings.Split(os.Getenv("STACK_KIND_ZONES"), ",")
	}
	if o.CacheDir == "" {
		o.CacheDir = CacheDir()
	}
	if o.SubstrateDir == "" {
		o.SubstrateDir = filepath.Join(o.CacheDir, "substrate")
	}
	fromRepo := func(field *string, parts ...string) {
		if *field == "" && o.RepoRoot != "" {
			*field = filepath.Join(append([]string{o.RepoRoot}, parts...)...)
		}
	}
	if o.Mode == AirGap {
		fromRepo(&o.ConfigFile, "ci", "kind", "cluster.yaml")
		fromRepo(&o.DockerWrapperDir, "ci", "substrate", "wrapper")
	} else {
		fromRepo(&o.ConfigFile, "ci", "kind", "cluster-upstream.yaml")
	}
	fromRepo(&o.AddonsDir, "ci", "kind", "addons")
	if o.Addons == nil {
		o.Addons = DefaultAddons(o.SubstrateDir)
	}
}

// PrepareE gets a cluster (reusing a healthy one), loads the air-gapped images, installs the
// add-ons (NetworkPolicy enforcement, metrics, cert-manager) and waits until their namespaces'
// pods are Ready.
func PrepareE(opts PrepareOptions) (*Env, error) {
	opts.defaults()
	env := &Env{Mode: opts.Mode}
	copts := Options{Name: opts.Name, Recreate: opts.Recreate, Retain: opts.Retain, Workers: opts.Workers, Zones: opts.Zones, CacheDir: opts.CacheDir, ConfigFile: opts.ConfigFile}
	switch env.Mode {
	case AirGap:
		node, err := os.ReadFile(filepath.Join(opts.SubstrateDir, "node-image.txt"))
		if err != nil {
			return nil, fmt.Errorf("no air-gapped node image: build the substrate first (make images): %w", err)
		}
		copts.NodeImage = strings.TrimSpace(string(node))
		copts.DockerWrapperDir = opts.DockerWrapperDir
		if opts.Workers > 0 {
			// Each node's /etc/cni/net.d is its own empty directory (hiding the node image's
			// single-node config) where kube-router writes the config for the node's pod CIDR.
			copts.FreshMounts = []string{"/etc/cni/net.d"}
		}
		env.Overlay = filepath.Join(opts.SubstrateDir, "airgap-values.yaml")
		images, err := readImageList(filepath.Join(opts.SubstrateDir, "workload-images.txt"))
		if err != nil {
			return nil, err
		}
		env.Images = images
	case Upstream:
	default:
		return nil, fmt.Errorf("image mode %q: want %s or %s", env.Mode, AirGap, Upstream)
	}
	c, err := GetE(copts)
	if err != nil {
		return nil, err
	}
	env.Cluster = c
	if err := c.IsolateServiceNetworkE(); err != nil {
		return nil, err
	}
	if env.Clientset, err = c.ClientsetE(); err != nil {
		return nil, err
	}
	if env.RESTConfig, err = c.RESTConfigE(); err != nil {
		return nil, err
	}
	waitFor := []string{"kube-system"}
	if env.Mode == AirGap {
		switch opts.ImageTransport {
		case TransportRegistry:
			r, err := StartRegistryE(RegistryOptions{SubstrateDir: opts.SubstrateDir})
			if err != nil {
				return nil, err
			}
			if err := c.UseRegistryE(r, "stack.local"); err != nil {
				return nil, err
			}
			env.Registry = r
			c.logf("images reach the nodes through the registry %s (%s), the nodes' mirror of stack.local", r.Host, r.Image)
		case TransportSideLoad:
		default:
			return nil, fmt.Errorf("image transport %q: want %s or %s", opts.ImageTransport, TransportRegistry, TransportSideLoad)
		}
		tags := []string{}
		for _, a := range opts.Addons {
			tags = append(tags, a.Images...)
		}
		for _, tag := range env.Images {
			tags = append(tags, tag)
		}
		if err := c.LoadImagesE(tags...); err != nil {
			return nil, err
		}
		for _, a := range opts.Addons {
			var manifests []string
			if a.Manifest != "" {
				manifests = append(manifests, a.Manifest)
			}
			if opts.Workers > 0 && a.MultiNode != "" {
				manifests = append(manifests, a.MultiNode)
			}
			for _, m := range manifests {
				if !filepath.IsAbs(m) {
					m = filepath.Join(opts.AddonsDir, m)
				}
				if err := c.ApplyManifestE(m); err != nil {
					return nil, err
				}
			}
			if a.Namespace != "" && a.Namespace != "kube-system" {
				waitFor = append(waitFor, a.Namespace)
			}
		}
	}
	for _, ns := range waitFor {
		d, err := kube.WaitE(context.Background(), kube.WaitOptions{What: ns + " pods Ready", Timeout: 4 * time.Minute, Interval: 2 * time.Second},
			kube.PodsReady(env.Clientset, ns, ""))
		if err != nil {
			return nil, err
		}
		if ns == "kube-system" {
			env.SystemReady = d
		}
		c.logf("%s pods Ready after %s", ns, d.Round(time.Second))
	}
	c.logf("cluster %q ready", c.Name)
	return env, nil
}

// Addon is a cluster add-on of the air-gapped cluster: a manifest (absolute, or relative to
// PrepareOptions.AddonsDir; empty: images only), the images it runs, a manifest applied after it
// on clusters with workers, and the namespace whose pods must be Ready before the cluster is
// (empty or kube-system: kube-system is always waited for).
type Addon struct {
	Manifest  string
	Images    []string
	MultiNode string
	Namespace string
}

// DefaultAddons are this repository's: NetworkPolicy enforcement (kube-router), the resource
// metrics API for HPAs, the Gateway API and Traefik CRDs (ci/substrate/edge.sh; before
// cert-manager, whose Gateway API solver watches them from its start), cert-manager for the TLS
// suites (rendered by ci/substrate/cert-manager.sh into the substrate) and the kube-state-metrics
// image the monitoring chart deploys.
func DefaultAddons(substrateDir string) []Addon {
	return []Addon{
		{Manifest: "kube-router.yaml", Images: []string{"stack.local/kube-router:v1.4.0"}, MultiNode: "kube-router-routing.yaml"},
		{Manifest: "metrics-server.yaml", Images: []string{"stack.local/metrics-server:v0.9.0"}},
		{Manifest: filepath.Join(substrateDir, "edge", "crds.yaml")},
		{Manifest: filepath.Join(substrateDir, "addons", "cert-manager.yaml"), Namespace: "cert-manager", Images: []string{
			"stack.local/cert-manager-controller:" + CertManagerVersion,
			"stack.local/cert-manager-webhook:" + CertManagerVersion,
			"stack.local/cert-manager-cainjector:" + CertManagerVersion,
			"stack.local/cert-manager-acmesolver:" + CertManagerVersion}},
		{Images: []string{"stack.local/kube-state-metrics:v2.16.0"}},
	}
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
