// Package cluster manages the kind clusters the e2e suites run in, through kind's Go API:
// create from a config file, reuse a healthy cluster, load images, export a kubeconfig, delete.
//
// Two image modes: air-gapped (the default here), where the node image and every workload image
// are built locally by ci/substrate and loaded into the nodes, and upstream, where kind uses its
// kindest/node image and pods pull public images.
package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kind "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindlog "sigs.k8s.io/kind/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/tests/kube"
)

// Options says which cluster to get.
type Options struct {
	// Name of the kind cluster (required).
	Name string
	// ConfigFile is the kind cluster config (v1alpha4); empty: one control-plane node.
	ConfigFile string
	// NodeImage is the node image; empty uses kind's default (upstream mode).
	NodeImage string
	// CacheDir is where kubeconfigs and per-node scratch directories live (default CacheDir()).
	CacheDir string
	// KubeconfigPath is where the cluster's kubeconfig is written (default
	// <CacheDir>/kind/<name>.kubeconfig; never the user's ~/.kube/config).
	KubeconfigPath string
	// DockerWrapperDir is prepended to PATH before kind runs docker (e.g. this repository's
	// --privileged compatibility wrapper, ci/substrate/wrapper); empty: docker as installed.
	DockerWrapperDir string
	// Recreate deletes an existing cluster of that name instead of reusing it.
	Recreate bool
	// Retain keeps the node containers when creation fails, to debug them.
	Retain bool
	// Workers adds worker nodes to the config's nodes (like its control plane: same image,
	// patches and mounts). 0: the config as written.
	Workers int
	// Zones label the workers round robin with topology.kubernetes.io/zone (worker i gets
	// Zones[i % len(Zones)]), so topology spread over zones is real; empty: no zone labels.
	Zones []string
	// NodeMounts are extra mounts of every node, used as given: a HostPath containing "{node}"
	// gets the node's index (0 = control plane). Missing directories are created; nothing in
	// them is ever deleted.
	NodeMounts []v1alpha4.Mount
	// FreshMounts are container paths where each node gets its own new, empty directory, which
	// the framework creates and owns under <CacheDir>/kind/<name>/node-<i>/ (emptied when the
	// cluster is created: what a previous cluster left there, e.g. a CNI config with its
	// subnets, must not leak into this one).
	FreshMounts []string
	// WaitForReady bounds how long creation waits for the control plane (default 3m).
	WaitForReady time.Duration
	// Log receives progress lines (default os.Stderr).
	Log io.Writer
}

// Cluster is a running kind cluster.
type Cluster struct {
	Name       string
	Kubeconfig string
	// Reused is true when an existing healthy cluster was reused.
	Reused bool
	// CreateTime is how long creation took (zero when reused).
	CreateTime time.Duration

	provider *kind.Provider
	log      io.Writer
	nodes    int // expected node count (0: not checked)
	// registry, when set (UseRegistryE), is where LoadImagesE puts images for the nodes to pull.
	registry *Registry
}

func (o *Options) defaults() error {
	if o.Name == "" {
		return errors.New("cluster.Options.Name is required (the kind cluster's name)")
	}
	if o.CacheDir == "" {
		o.CacheDir = CacheDir()
	}
	if o.WaitForReady == 0 {
		o.WaitForReady = 3 * time.Minute
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.KubeconfigPath == "" {
		o.KubeconfigPath = filepath.Join(o.CacheDir, "kind", o.Name+".kubeconfig")
	}
	if o.DockerWrapperDir != "" {
		path := os.Getenv("PATH")
		if !strings.HasPrefix(path, o.DockerWrapperDir+string(os.PathListSeparator)) {
			if err := os.Setenv("PATH", o.DockerWrapperDir+string(os.PathListSeparator)+path); err != nil {
				return err
			}
		}
	}
	return os.MkdirAll(filepath.Dir(o.KubeconfigPath), 0o755)
}

// CacheDir is the default Options.CacheDir: $STACK_CACHE, else ~/.cache/stack.
func CacheDir() string {
	if d := os.Getenv("STACK_CACHE"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "stack")
}

// GetE returns a ready cluster: the existing one when it is healthy and runs NodeImage, else a
// new one.
func GetE(opts Options) (*Cluster, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	c := &Cluster{Name: opts.Name, Kubeconfig: opts.KubeconfigPath, log: opts.Log, nodes: opts.nodeCount(),
		provider: kind.NewProvider(kind.ProviderWithDocker(), kind.ProviderWithLogger(kindlog.NoopLogger{}))}

	existing, err := c.provider.List()
	if err != nil {
		return nil, fmt.Errorf("list kind clusters: %w", err)
	}
	if slices.Contains(existing, opts.Name) {
		if !opts.Recreate {
			if why := c.unhealthy(opts.NodeImage); why == "" {
				c.Reused = true
				c.logf("reusing healthy kind cluster %q", opts.Name)
				return c, nil
			} else {
				c.logf("kind cluster %q exists but %s: recreating it", opts.Name, why)
			}
		}
		if err := c.DeleteE(); err != nil {
			return nil, err
		}
	}

	c.logf("creating kind cluster %q (node image %s)", opts.Name, cmp.Or(opts.NodeImage, "kind's default"))
	start := time.Now()
	createOpts := []kind.CreateOption{
		kind.CreateWithKubeconfigPath(opts.KubeconfigPath),
		kind.CreateWithWaitForReady(opts.WaitForReady),
		kind.CreateWithDisplayUsage(false),
		kind.CreateWithDisplaySalutation(false),
		kind.CreateWithRetain(opts.Retain),
	}
	if opts.Workers > 0 || len(opts.NodeMounts) > 0 || len(opts.FreshMounts) > 0 {
		cfg, err := opts.config()
		if err != nil {
			return nil, err
		}
		createOpts = append(createOpts, kind.CreateWithV1Alpha4Config(cfg))
	} else if opts.ConfigFile != "" {
		createOpts = append(createOpts, kind.CreateWithConfigFile(opts.ConfigFile))
	}
	if opts.NodeImage != "" {
		createOpts = append(createOpts, kind.CreateWithNodeImage(opts.NodeImage))
	}
	if err := c.provider.Create(opts.Name, createOpts...); err != nil {
		return nil, fmt.Errorf("create kind cluster %q: %w", opts.Name, err)
	}
	c.CreateTime = time.Since(start)
	c.logf("kind cluster %q created in %s", opts.Name, c.CreateTime.Round(100*time.Millisecond))
	return c, nil
}

// Get is GetE that fails the test.
func Get(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := GetE(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// unhealthy says why an existing cluster cannot be reused ("" when it can).
func (c *Cluster) unhealthy(nodeImage string) string {
	if _, err := os.Stat(c.Kubeconfig); err != nil {
		if err := c.provider.ExportKubeConfig(c.Name, c.Kubeconfig, false); err != nil {
			return "its kubeconfig cannot be exported"
		}
	}
	nodeList, err := c.provider.ListNodes(c.Name)
	if err != nil || len(nodeList) == 0 {
		return "it has no nodes"
	}
	if c.nodes > 0 && len(nodeList) != c.nodes {
		return fmt.Sprintf("it has %d nodes, not %d", len(nodeList), c.nodes)
	}
	for _, n := range nodeList {
		// A node container restarted since it was created (a docker daemon or host restart) brings
		// its control plane back unevenly: it can look Ready and still drop API connections for a
		// minute. kind does not support restarted nodes well, so a fresh cluster is the safe choice.
		out, err := exec.Command("docker", "inspect", "-f", "{{.Created}} {{.State.StartedAt}} {{.State.Running}}", n.String()).Output()
		if err != nil {
			return fmt.Sprintf("node %s cannot be inspected", n)
		}
		f := strings.Fields(string(out))
		if len(f) != 3 || f[2] != "true" {
			return fmt.Sprintf("node %s is not running", n)
		}
		created, err1 := time.Parse(time.RFC3339Nano, f[0])
		startedAt, err2 := time.Parse(time.RFC3339Nano, f[1])
		if err1 != nil || err2 != nil || startedAt.Sub(created) > 2*time.Minute {
			return fmt.Sprintf("node %s was restarted since it was created", n)
		}
	}
	if nodeImage != "" {
		for _, n := range nodeList {
			out, err := exec.Command("docker", "inspect", "-f", "{{.Config.Image}}", n.String()).Output()
			if err != nil || strings.TrimSpace(string(out)) != nodeImage {
				return fmt.Sprintf("node %s does not run %s", n, nodeImage)
			}
		}
	}
	cs, err := c.ClientsetE()
	if err != nil {
		return "its API server cannot be reached"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nl, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "its API server does not answer"
	}
	for _, n := range nl.Items {
		if !kube.NodeReady(n) {
			return fmt.Sprintf("node %s is not Ready", n.Name)
		}
	}
	return ""
}

// RESTConfigE is the client configuration for the cluster.
func (c *Cluster) RESTConfigE() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", c.Kubeconfig, err)
	}
	return cfg, nil
}

// ClientsetE is a typed client for the cluster.
func (c *Cluster) ClientsetE() (*kubernetes.Clientset, error) {
	cfg, err := c.RESTConfigE()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// Nodes are the cluster's node containers.
func (c *Cluster) Nodes() ([]nodes.Node, error) { return c.provider.ListNodes(c.Name) }

// LoadImagesE makes local docker images available to every node: with a registry (UseRegistryE)
// it pushes those the registry lacks and the nodes pull them when a pod needs them (through their
// containerd mirror entries); without one it side-loads them (SideLoadImagesE).
func (c *Cluster) LoadImagesE(images ...string) error {
	if c.registry != nil {
		return c.registry.EnsureE(c.log, images...)
	}
	return c.SideLoadImagesE(images...)
}

// SideLoadImagesE copies local docker images into every node, skipping those a node already has
// under the same ID. It streams `docker save` into the node's containerd (kind's own loader),
// without kind's crictl check, which needs a tool that cannot be built offline.
func (c *Cluster) SideLoadImagesE(images ...string) error {
	nodeList, err := c.Nodes()
	if err != nil {
		return err
	}
	for _, img := range images {
		id, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", img).Output()
		if err != nil {
			return fmt.Errorf("image %s is not in the local docker: %w", img, err)
		}
		var missing []nodes.Node
		for _, n := range nodeList {
			if !hasImage(n, img, strings.TrimSpace(string(id))) {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			continue
		}
		start := time.Now()
		if err := loadImage(missing, img); err != nil {
			return fmt.Errorf("load %s: %w", img, err)
		}
		c.logf("loaded %s into %d node(s) in %s", img, len(missing), time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// LoadImages is LoadImagesE that fails the test.
func (c *Cluster) LoadImages(t testing.TB, images ...string) {
	t.Helper()
	if err := c.LoadImagesE(images...); err != nil {
		t.Fatal(err)
	}
}

// hasImage reports whether the node's containerd holds img with the same content as the local
// docker image id (docker's image ID is the digest of the image config, which the manifest that
// containerd stores for that name references).
func hasImage(n nodes.Node, img, id string) bool {
	var out strings.Builder
	script := fmt.Sprintf("d=$(ctr --namespace=k8s.io images ls name==%s | awk 'NR==2 {print $3}'); [ -n \"$d\" ] && ctr --namespace=k8s.io content get \"$d\"", normalise(img))
	cmd := n.Command("sh", "-c", script)
	cmd.SetStdout(&out)
	if err := cmd.Run(); err != nil {
		return false
	}
	return strings.Contains(out.String(), id)
}

// loadImage streams `docker save` into one node's containerd (kind's own loader); for several
// nodes it saves the image once and imports the archive into all of them at once.
func loadImage(targets []nodes.Node, img string) error {
	if len(targets) == 1 {
		save := exec.Command("docker", "save", img)
		pipe, err := save.StdoutPipe()
		if err != nil {
			return err
		}
		if err := save.Start(); err != nil {
			return err
		}
		loadErr := nodeutils.LoadImageArchive(targets[0], pipe)
		// A load that stopped early leaves docker save blocked on a full pipe: close it, so save
		// ends (with an error) instead of hanging the test.
		_ = pipe.Close()
		return errors.Join(loadErr, save.Wait())
	}
	dir, err := os.MkdirTemp("", "stack-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	archive := filepath.Join(dir, "image.tar")
	if out, err := exec.Command("docker", "save", "-o", archive, img).CombinedOutput(); err != nil {
		return fmt.Errorf("docker save: %w: %s", err, out)
	}
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, n := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Open(archive)
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			if err := nodeutils.LoadImageArchive(n, f); err != nil {
				errs[i] = fmt.Errorf("%s: %w", n, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// normalise gives the name containerd stores for a docker image reference.
func normalise(img string) string {
	name := img
	first, _, hasSlash := strings.Cut(img, "/")
	if !hasSlash || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		name = "docker.io/" + img
		if !hasSlash {
			name = "docker.io/library/" + img
		}
	}
	return name
}

// DeleteE deletes the named cluster if it exists (a no-op otherwise).
func DeleteE(opts Options) error {
	if err := opts.defaults(); err != nil {
		return err
	}
	c := &Cluster{Name: opts.Name, Kubeconfig: opts.KubeconfigPath, log: opts.Log, nodes: opts.nodeCount(),
		provider: kind.NewProvider(kind.ProviderWithDocker(), kind.ProviderWithLogger(kindlog.NoopLogger{}))}
	existing, err := c.provider.List()
	if err != nil {
		return fmt.Errorf("list kind clusters: %w", err)
	}
	if !slices.Contains(existing, opts.Name) {
		c.logf("no kind cluster %q", opts.Name)
		return nil
	}
	return c.DeleteE()
}

// DeleteE deletes the cluster and its kubeconfig.
func (c *Cluster) DeleteE() error {
	c.logf("deleting kind cluster %q", c.Name)
	if err := c.provider.Delete(c.Name, c.Kubeconfig); err != nil {
		return fmt.Errorf("delete kind cluster %q: %w", c.Name, err)
	}
	_ = os.Remove(c.Kubeconfig)
	return nil
}

// CollectLogsE writes the nodes' logs (kind export logs) under dir.
func (c *Cluster) CollectLogsE(dir string) error { return c.provider.CollectLogs(c.Name, dir) }

var started = time.Now()

func (c *Cluster) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "[cluster +%5.1fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
}

// ApplyManifestE applies a manifest file with the control-plane node's kubectl (server-side),
// so cluster add-ons install without a kubectl on the test machine.
func (c *Cluster) ApplyManifestE(path string) error { return c.ApplyManifestInE(path, "") }

// ApplyManifestInE is ApplyManifestE with the namespace its namespaced objects go to when they
// name none (kubectl apply -n; empty: the manifest's own or default), e.g. an upstream install
// manifest written for `kubectl apply -n argocd`. Server-side, so objects too large for the
// last-applied annotation (some CRDs) apply too.
func (c *Cluster) ApplyManifestInE(path, namespace string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	nodeList, err := c.Nodes()
	if err != nil {
		return err
	}
	for _, n := range nodeList {
		role, _ := n.Role()
		if role != "control-plane" {
			continue
		}
		var out strings.Builder
		args := []string{"--kubeconfig=/etc/kubernetes/admin.conf", "apply", "--server-side", "--force-conflicts", "-f", "-"}
		if namespace != "" {
			args = append(args, "--namespace", namespace)
		}
		cmd := n.Command("kubectl", args...)
		cmd.SetStdin(f).SetStdout(&out).SetStderr(&out)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apply %s: %w\n%s", path, err, out.String())
		}
		c.logf("applied %s", filepath.Base(path))
		return nil
	}
	return fmt.Errorf("apply %s: no control-plane node", path)
}

// nodeCount is how many nodes the cluster should have (0: whatever the config says).
func (o Options) nodeCount() int {
	if o.Workers == 0 {
		return 0
	}
	return 1 + o.Workers
}

// config reads ConfigFile (a single control-plane node when empty), adds the workers and the
// per-node mounts.
func (o Options) config() (*v1alpha4.Cluster, error) {
	cfg := &v1alpha4.Cluster{}
	if o.ConfigFile != "" {
		b, err := os.ReadFile(o.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("kind config: %w", err)
		}
		if err := yaml.UnmarshalStrict(b, cfg); err != nil {
			return nil, fmt.Errorf("kind config %s: %w", o.ConfigFile, err)
		}
	}
	if len(cfg.Nodes) == 0 {
		cfg.Nodes = []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}}
	}
	for i := 0; i < o.Workers; i++ {
		w := cfg.Nodes[0]
		w.Role = v1alpha4.WorkerRole
		w.ExtraPortMappings = nil
		w.Labels = maps.Clone(w.Labels)
		if len(o.Zones) > 0 {
			if w.Labels == nil {
				w.Labels = map[string]string{}
			}
			w.Labels["topology.kubernetes.io/zone"] = o.Zones[i%len(o.Zones)]
		}
		cfg.Nodes = append(cfg.Nodes, w)
	}
	for i := range cfg.Nodes {
		nodeMounts := append([]v1alpha4.Mount(nil), cfg.Nodes[i].ExtraMounts...)
		for _, m := range o.NodeMounts {
			m.HostPath = strings.ReplaceAll(m.HostPath, "{node}", fmt.Sprint(i))
			if err := os.MkdirAll(m.HostPath, 0o755); err != nil {
				return nil, err
			}
			nodeMounts = append(nodeMounts, m)
		}
		for _, containerPath := range o.FreshMounts {
			dir := o.freshDir(i, containerPath)
			if err := os.RemoveAll(dir); err != nil {
				return nil, err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			nodeMounts = append(nodeMounts, v1alpha4.Mount{HostPath: dir, ContainerPath: containerPath})
		}
		cfg.Nodes[i].ExtraMounts = nodeMounts
	}
	return cfg, nil
}

// freshDir is the framework's own directory for node i's FreshMount at containerPath.
func (o Options) freshDir(i int, containerPath string) string {
	name := strings.Trim(strings.ReplaceAll(containerPath, "/", "-"), "-")
	return filepath.Join(o.CacheDir, "kind", o.Name, fmt.Sprintf("node-%d", i), name)
}
