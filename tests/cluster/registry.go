package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// Registry is an OCI registry in a container on the kind clusters' Docker network: reached from
// this host at Host (a published loopback port) and, through the containerd entry TrustRegistryE
// writes into each node, by the same name from the nodes, so an image reference works on both
// sides. It serves HTTPS with a certificate signed by CAFile.
type Registry struct {
	// Container is the registry's container name (its name on the kind network too).
	Container string
	// Host is HOST:PORT of image and chart references (localhost:5001 by default).
	Host string
	// CAFile is the CA that signed the registry's certificate.
	CAFile string
	// Image is the registry's image.
	Image string
}

// RegistryOptions say which registry to start; every field has a default.
type RegistryOptions struct {
	// SubstrateDir holds registry/images.txt and registry/ca.pem (ci/substrate/registry.sh;
	// default <CacheDir()>/substrate).
	SubstrateDir string
	// Container name (default stack-registry).
	Container string
	// Port on this host's loopback (default 5001).
	Port int
	// Network is the kind clusters' Docker network (default $KIND_EXPERIMENTAL_DOCKER_NETWORK, else kind).
	Network string
	// Volume keeps the registry's storage across restarts (default <Container>-data).
	Volume string
}

// StartRegistryE starts the registry (or reuses a running one of the same image) and waits until
// it answers /v2/ over HTTPS with its CA.
func StartRegistryE(opts RegistryOptions) (*Registry, error) {
	if opts.SubstrateDir == "" {
		opts.SubstrateDir = filepath.Join(CacheDir(), "substrate")
	}
	if opts.Container == "" {
		opts.Container = "stack-registry"
	}
	if opts.Port == 0 {
		opts.Port = 5001
	}
	if opts.Network == "" {
		opts.Network = os.Getenv("KIND_EXPERIMENTAL_DOCKER_NETWORK")
	}
	if opts.Network == "" {
		opts.Network = "kind"
	}
	if opts.Volume == "" {
		opts.Volume = opts.Container + "-data"
	}
	list, err := readImageList(filepath.Join(opts.SubstrateDir, "registry", "images.txt"))
	if err != nil || list["registry"] == "" {
		return nil, fmt.Errorf("no registry image: build the substrate first (make images; ci/substrate/registry.sh): %v", err)
	}
	r := &Registry{Container: opts.Container, Host: fmt.Sprintf("localhost:%d", opts.Port),
		CAFile: filepath.Join(opts.SubstrateDir, "registry", "ca.pem"), Image: list["registry"]}
	running, _ := exec.Command("docker", "inspect", "-f", "{{.State.Running}} {{.Config.Image}}", r.Container).Output()
	reused := strings.TrimSpace(string(running)) == "true "+r.Image
	if !reused {
		_ = exec.Command("docker", "rm", "-f", r.Container).Run()
		out, err := exec.Command("docker", "run", "-d", "--restart=unless-stopped", "--name", r.Container, "--network", opts.Network,
			"-p", fmt.Sprintf("127.0.0.1:%d:5000", opts.Port), "-v", opts.Volume+":/var/lib/registry", r.Image).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("docker run %s: %w: %s", r.Image, err, out)
		}
	}
	client, err := r.httpClient()
	if err != nil {
		return nil, err
	}
	if reused {
		// A container the restart policy brought back with dockerd can come up without its
		// network (seen after a machine restart: the published port resets every connection, the
		// container's own address refuses them) until it is restarted: give it a while, then restart
		// it once.
		if r.answers(client, 10*time.Second) == nil {
			return r, nil
		}
		if out, err := exec.Command("docker", "restart", r.Container).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("docker restart %s: %w: %s", r.Container, err, out)
		}
	}
	if err := r.answers(client, 30*time.Second); err != nil {
		logs, _ := exec.Command("docker", "logs", "--tail", "20", r.Container).CombinedOutput()
		return nil, fmt.Errorf("registry %s did not answer at https://%s/v2/ within 30s: %v\n%s", r.Container, r.Host, err, logs)
	}
	return r, nil
}

// answers waits up to d for the registry to answer GET /v2/ with 200; it returns the last error.
func (r *Registry) answers(client *http.Client, d time.Duration) error {
	var last error
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		resp, err := client.Get("https://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		last = err
	}
	return last
}

func (r *Registry) httpClient() (*http.Client, error) {
	ca, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, fmt.Errorf("registry CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("registry CA %s: no certificate", r.CAFile)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

// HostsTOML is the containerd registry host entry (certs.d/<host>/hosts.toml) that sends pulls
// of <host>/… (the registry's own Host, or a name it mirrors) to the registry's container on the
// kind network, trusting its CA.
func (r *Registry) HostsTOML(host string) string {
	dir := "/etc/containerd/certs.d/" + host
	return fmt.Sprintf(`# %s: the air-gapped registry's container on the kind network (tests/cluster/registry.go)
server = "https://%s:5000"

[host."https://%s:5000"]
  capabilities = ["pull", "resolve"]
  ca = "%s/ca.crt"
`, host, r.Container, r.Container, dir)
}

// TrustRegistryE writes the registry's containerd host entry and CA into every node
// (/etc/containerd/certs.d/<Host>/; the node image's containerd reads that directory at each
// pull), and the same entry for each of mirrors: image references under those registry names
// (e.g. stack.local, the air-gapped builds' name) are then pulled from this registry.
func (c *Cluster) TrustRegistryE(r *Registry, mirrors ...string) error {
	ca, err := os.ReadFile(r.CAFile)
	if err != nil {
		return err
	}
	nodeList, err := c.Nodes()
	if err != nil {
		return err
	}
	for _, host := range append([]string{r.Host}, mirrors...) {
		if err := writeHostEntry(nodeList, r, host, ca); err != nil {
			return err
		}
	}
	return nil
}

// UseRegistryE makes the registry the way images reach the nodes: it trusts it for its own name
// and as the mirror of mirrors, and LoadImagesE pushes there from then on.
func (c *Cluster) UseRegistryE(r *Registry, mirrors ...string) error {
	if err := c.TrustRegistryE(r, mirrors...); err != nil {
		return err
	}
	c.registry = r
	return nil
}

func writeHostEntry(nodeList []nodes.Node, r *Registry, host string, ca []byte) error {
	dir := "/etc/containerd/certs.d/" + host
	entry := r.HostsTOML(host)
	for _, n := range nodeList {
		for name, content := range map[string][]byte{"ca.crt": ca, "hosts.toml": []byte(entry)} {
			cmd := n.Command("sh", "-c", fmt.Sprintf("mkdir -p '%s' && cat >'%s/%s'", dir, dir, name))
			cmd.SetStdin(bytes.NewReader(content))
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: write %s/%s: %w", n, dir, name, err)
			}
		}
	}
	return nil
}

// EnsureE pushes each local image the registry does not hold with the same content (its tag's
// manifest names the local image's config), logging what it pushed.
func (r *Registry) EnsureE(log io.Writer, images ...string) error {
	client, err := r.httpClient()
	if err != nil {
		return err
	}
	var missing []string
	for _, img := range images {
		id, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", img).Output()
		if err != nil {
			return fmt.Errorf("image %s is not in the local docker: %w", img, err)
		}
		if r.holds(client, RepositoryOf(img), strings.TrimSpace(string(id))) {
			continue
		}
		missing = append(missing, img)
	}
	if len(missing) == 0 {
		return nil
	}
	start := time.Now()
	if _, err := r.PushE(context.Background(), missing...); err != nil {
		return err
	}
	fmt.Fprintf(log, "[cluster] pushed %d image(s) to the registry %s in %s: %s\n", len(missing), r.Host, time.Since(start).Round(100*time.Millisecond), strings.Join(missing, " "))
	return nil
}

// holds reports whether the registry's manifest for repo:tag names the image config id.
func (r *Registry) holds(client *http.Client, ref, id string) bool {
	repo, tag, ok := strings.Cut(ref, ":")
	if !ok {
		return false
	}
	req, err := http.NewRequest(http.MethodGet, "https://"+r.Host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var m struct {
		Config struct{ Digest string } `json:"config"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&m) == nil && m.Config.Digest == id
}

// PushE tags each local image under the registry (stack.local/NAME:TAG -> <Host>/NAME:TAG: the
// repository and tag kept, the registry replaced, as a mirror holds them) and pushes it with
// docker. It returns the pushed references by local tag.
func (r *Registry) PushE(ctx context.Context, images ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, img := range images {
		ref := r.Host + "/" + RepositoryOf(img)
		if b, err := exec.CommandContext(ctx, "docker", "tag", img, ref).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("docker tag %s %s: %w: %s", img, ref, err, b)
		}
		if b, err := exec.CommandContext(ctx, "docker", "push", "-q", ref).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("docker push %s: %w: %s", ref, err, b)
		}
		out[img] = ref
	}
	return out, nil
}

// RepositoryOf is an image reference without its registry: "stack.local/redis:7.0" ->
// "redis:7.0", "docker.io/library/redis:7" -> "library/redis:7", "redis:7" -> "redis:7".
func RepositoryOf(img string) string {
	first, rest, ok := strings.Cut(img, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return rest
	}
	return img
}

// ctr runs containerd's ctr in a node's k8s.io namespace (the CRI's) and returns its output.
func ctr(n nodes.Node, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := n.Command("ctr", append([]string{"--namespace=k8s.io"}, args...)...)
	cmd.SetStdout(&out)
	cmd.SetStderr(&out)
	err := cmd.Run()
	return out.String(), err
}

// RemoveImagesE deletes the named images from every node's containerd (and their content no
// other image uses), so that the next pod using them pulls: "not found" is not an error.
func (c *Cluster) RemoveImagesE(images ...string) error {
	nodeList, err := c.Nodes()
	if err != nil {
		return err
	}
	for _, n := range nodeList {
		if out, err := ctr(n, append([]string{"images", "rm"}, images...)...); err != nil && !strings.Contains(out, "not found") {
			return fmt.Errorf("%s: ctr images rm: %w: %s", n, err, out)
		}
	}
	return nil
}

// PullImagesE pulls the images into every node's containerd (ctr, with the node's registry host
// entries, as the kubelet's pulls use them), one after another.
func (c *Cluster) PullImagesE(images ...string) error {
	nodeList, err := c.Nodes()
	if err != nil {
		return err
	}
	for _, n := range nodeList {
		for _, img := range images {
			if out, err := ctr(n, "images", "pull", "--hosts-dir", "/etc/containerd/certs.d", img); err != nil {
				return fmt.Errorf("%s: pull %s: %w: %s", n, img, err, out)
			}
		}
	}
	return nil
}

// ImagesE lists the image names each node's containerd holds (the k8s.io namespace, the CRI's),
// by node name.
func (c *Cluster) ImagesE() (map[string][]string, error) {
	nodeList, err := c.Nodes()
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, n := range nodeList {
		names, err := ctr(n, "images", "ls", "-q")
		if err != nil {
			return nil, fmt.Errorf("%s: ctr images ls: %w: %s", n, err, names)
		}
		out[n.String()] = strings.Fields(names)
	}
	return out, nil
}
