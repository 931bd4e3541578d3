package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

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
}

// Env is a cluster ready for the stack, with what an install needs to know.
type Env struct {
	Cluster   *Cluster
	Clientset *kubernetes.Clientset
	Mode      Mode
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
	copts := Options{Name: opts.Name, Recreate: opts.Recreate, Retain: opts.Retain}
	switch env.Mode {
	case AirGap:
		node, err := os.ReadFile(filepath.Join(substrate, "node-image.txt"))
		if err != nil {
			return nil, fmt.Errorf("no air-gapped node image: build the substrate first (make images): %w", err)
		}
		copts.NodeImage = strings.TrimSpace(string(node))
		copts.ConfigFile = filepath.Join(opts.RepoRoot, "ci", "kind", "cluster.yaml")
		copts.DockerWrapperDir = filepath.Join(opts.RepoRoot, "ci", "substrate", "wrapper")
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
	if env.Mode == AirGap {
		tags := []string{}
		for _, a := range addons {
			tags = append(tags, a.image)
		}
		for _, tag := range env.Images {
			tags = append(tags, tag)
		}
		if err := c.LoadImagesE(tags...); err != nil {
			return nil, err
		}
		for _, a := range addons {
			if err := c.ApplyManifestE(filepath.Join(opts.RepoRoot, "ci", "kind", "addons", a.manifest)); err != nil {
				return nil, err
			}
		}
	}
	env.SystemReady, err = kube.WaitE(context.Background(), kube.WaitOptions{What: "kube-system pods Ready", Timeout: 4 * time.Minute, Interval: 2 * time.Second},
		kube.PodsReady(env.Clientset, "kube-system", ""))
	if err != nil {
		return nil, err
	}
	c.logf("cluster %q ready: kube-system pods Ready %s after the control plane", c.Name, env.SystemReady.Round(time.Second))
	return env, nil
}

// addons are the cluster add-ons of the air-gapped cluster (ci/kind/addons) and their images:
// NetworkPolicy enforcement and the resource metrics API for HPAs.
var addons = []struct{ manifest, image string }{
	{"kube-router.yaml", "stack.local/kube-router:v1.4.0"},
	{"metrics-server.yaml", "stack.local/metrics-server:v0.9.0"},
}

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
