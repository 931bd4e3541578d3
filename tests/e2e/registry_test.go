//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
	stackrelease "github.com/stack-charts/stack/tests/release"
)

// signingKey makes an OpenPGP key (RSA 2048) in dir, in the legacy keyring files Helm reads:
// the secret keyring to sign with (helm package --sign --keyring) and the public one to verify
// with (--verify --keyring).
func signingKey(dir, name, email string) (secring, pubring string, err error) {
	entity, err := openpgp.NewEntity(name, "", email, &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	if err != nil {
		return "", "", err
	}
	var sec, pub bytes.Buffer
	if err := entity.SerializePrivate(&sec, nil); err != nil {
		return "", "", err
	}
	if err := entity.Serialize(&pub); err != nil {
		return "", "", err
	}
	file := strings.ReplaceAll(name, " ", "-")
	secring, pubring = filepath.Join(dir, file+".secring.gpg"), filepath.Join(dir, file+".pubring.gpg")
	if err := os.WriteFile(secring, sec.Bytes(), 0o600); err != nil {
		return "", "", err
	}
	return secring, pubring, os.WriteFile(pubring, pub.Bytes(), 0o644)
}

// published is what the registry suites share: the air-gapped registry, and every chart packaged,
// signed and pushed by `make package`'s script once per run, plus the umbrella again as a newer
// version (the upgrade) and as one signed by a key the users do not trust.
type published struct {
	reg                        *cluster.Registry
	repo                       string // oci://HOST/PATH the charts were pushed to
	version, next, untrusted   string // the umbrella's versions there
	pubring                    string // the trusted public key
	packaged, pushed, umbrella time.Duration
	err                        error
}

var (
	publishOnce sync.Once
	publishedCh published
)

// publishCharts starts the registry, makes the signing keys and publishes the charts (once).
func publishCharts(t *testing.T) *published {
	t.Helper()
	publishOnce.Do(func() { publishedCh.err = publishedCh.publish() })
	require.NoError(t, publishedCh.err)
	return &publishedCh
}

func (p *published) publish() error {
	var err error
	if p.reg, err = cluster.StartRegistryE(cluster.RegistryOptions{}); err != nil {
		return err
	}
	if err := env.Cluster.TrustRegistryE(p.reg); err != nil {
		return err
	}
	// The keys and packages outlive the suite that published them (the other one reads them).
	dir, err := os.MkdirTemp("", "stack-e2e-oci-")
	if err != nil {
		return err
	}
	atExit(func() { os.RemoveAll(dir) })
	secring, pubring, err := signingKey(dir, "stack-e2e", "e2e@stack.test")
	if err != nil {
		return err
	}
	otherSec, _, err := signingKey(dir, "someone-else", "else@stack.test")
	if err != nil {
		return err
	}
	p.pubring, p.repo = pubring, "oci://"+p.reg.Host+"/charts"
	start := time.Now()
	cmd := exec.Command(filepath.Join(root, "ci", "package.sh"))
	cmd.Env = append(os.Environ(), "SIGN_KEY=stack-e2e", "KEYRING="+secring, "PUBRING="+pubring,
		"PACKAGE_DIR="+filepath.Join(dir, "packages"), "PUSH="+p.repo, "REGISTRY_CA="+p.reg.CAFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ci/package.sh: %w\n%s", err, out)
	}
	p.packaged = time.Since(start)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "[package] pushed") {
			fmt.Println("  " + line)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "charts", "stack", "Chart.yaml"))
	if err != nil {
		return err
	}
	var meta struct{ Version string }
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return err
	}
	v, err := semver.StrictNewVersion(meta.Version)
	if err != nil {
		return err
	}
	p.version = meta.Version
	next, _ := v.IncPatch().SetPrerelease("e2e.upgrade")
	untrusted, _ := v.IncPatch().SetPrerelease("e2e.untrusted")
	p.next, p.untrusted = next.String(), untrusted.String()
	start = time.Now()
	for _, c := range []struct{ version, keyring, key string }{{p.next, secring, "stack-e2e"}, {p.untrusted, otherSec, "someone-else"}} {
		pkgDir := filepath.Join(dir, c.version)
		if out, err := exec.Command("helm", "package", filepath.Join(root, "charts", "stack"), "--version", c.version, "-d", pkgDir,
			"--sign", "--key", c.key, "--keyring", c.keyring).CombinedOutput(); err != nil {
			return fmt.Errorf("helm package --version %s --sign: %w: %s", c.version, err, out)
		}
		if out, err := exec.Command("helm", "push", filepath.Join(pkgDir, "stack-"+c.version+".tgz"), p.repo, "--ca-file", p.reg.CAFile).CombinedOutput(); err != nil {
			return fmt.Errorf("helm push stack-%s: %w: %s", c.version, err, out)
		}
	}
	p.umbrella = time.Since(start)
	return nil
}

// registryOverlay is the air-gapped overlay with every image's registry and pullPolicy taken
// out: what remains names the air-gapped builds (their repositories and tags differ from the
// upstream images'), and global.imageRegistry alone says where they come from, pulled with the
// charts' default policy.
func registryOverlay(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(env.Overlay)
	require.NoError(t, err)
	var values map[string]any
	require.NoError(t, yaml.Unmarshal(b, &values))
	var strip func(any)
	strip = func(v any) {
		switch m := v.(type) {
		case map[string]any:
			if _, ok := m["repository"]; ok {
				delete(m, "registry")
				delete(m, "pullPolicy")
			}
			for _, child := range m {
				strip(child)
			}
		case []any:
			for _, child := range m {
				strip(child)
			}
		}
	}
	strip(values)
	out, err := yaml.Marshal(values)
	require.NoError(t, err)
	require.NotContains(t, string(out), "pullPolicy")
	return valuesFile(t, "registry-images.yaml", string(out))
}

var imageLine = regexp.MustCompile(`(?m)^\s*(?:-\s+)?image:\s+"?([^"\s]+)"?\s*$`)

// renderedImages are the images a chart reference renders with the values (helm template).
func renderedImages(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("helm", append([]string{"template", "stack"}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	seen := map[string]bool{}
	for _, m := range imageLine.FindAllStringSubmatch(string(out), -1) {
		seen[m[1]] = true
	}
	images := make([]string, 0, len(seen))
	for img := range seen {
		images = append(images, img)
	}
	sort.Strings(images)
	return images
}

// TestTheUmbrellaFromAnOCIRegistryWithItsImages is the path of a user whose registry mirrors
// everything (issue: distribution): the charts packaged, signed and pushed by `make package`'s
// script; the release's images pushed to the same registry; Helm 3 installs the umbrella from
// oci:// with --version and --verify, setting only global.imageRegistry for the images, and every
// pod's image is pulled from the registry by the kubelet (its Pulled events, and the registry's
// access log of the nodes' containerd), with the charts' default pull policy; then `helm upgrade` to a newer pushed version. A
// version signed by a key the user does not trust is refused. With STACK_BENCH_TRANSPORT set
// (make bench-transport) it also compares, in the same run, getting the release's images into the
// node by side-loading and by pulling.
func TestTheUmbrellaFromAnOCIRegistryWithItsImages(t *testing.T) {
	needsAddon(t, "registry")
	parallel(t)
	p := publishCharts(t)
	progress(t, "registry: %s (%s); charts packaged, signed, verified and pushed to %s in %s; umbrella %s and %s pushed in %s",
		p.reg.Host, p.reg.Image, p.repo, p.packaged.Round(100*time.Millisecond), p.next, p.untrusted, p.umbrella.Round(100*time.Millisecond))
	ns := namespace(t, "oci")
	ref := p.repo + "/stack"
	overlay := registryOverlay(t)
	values := []string{filepath.Join(root, "charts", "stack", "profiles", "dev.yaml"), overlay}
	chartArgs := []string{"--version", p.version, "--verify", "--keyring", p.pubring, "--ca-file", p.reg.CAFile}

	// The images this release renders, under the registry, and where each comes from locally.
	valueArgs := []string{"--set", "global.imageRegistry=" + p.reg.Host}
	for _, f := range values {
		valueArgs = append(valueArgs, "-f", f)
	}
	images := renderedImages(t, append(append([]string{ref}, chartArgs...), valueArgs...)...)
	require.NotEmpty(t, images)
	local := make([]string, 0, len(images))
	for _, img := range images {
		require.True(t, strings.HasPrefix(img, p.reg.Host+"/"), "every image under global.imageRegistry: %s", img)
		local = append(local, "stack.local/"+strings.TrimPrefix(img, p.reg.Host+"/"))
	}
	start := time.Now()
	pushed, err := p.reg.PushE(context.Background(), local...)
	require.NoError(t, err)
	progress(t, "registry: the release's %d images pushed (docker push) in %s", len(pushed), time.Since(start).Round(100*time.Millisecond))

	// Side-loading against pulling (make bench-transport: STACK_BENCH_TRANSPORT=1), the same images
	// into the same node, one after the other, each starting from a node without them (both reuse
	// the layers the node already unpacked for the stack.local copies of these images: this
	// compares the transfers, not a cold node). Not in every run: docker save of every image loads
	// the node the other suites share, and a benchmark is no test.
	if os.Getenv("STACK_BENCH_TRANSPORT") != "" {
		require.NoError(t, env.Cluster.RemoveImagesE(images...))
		start = time.Now()
		require.NoError(t, env.Cluster.SideLoadImagesE(images...))
		sideLoad := time.Since(start)
		require.NoError(t, env.Cluster.RemoveImagesE(images...))
		start = time.Now()
		require.NoError(t, env.Cluster.PullImagesE(images...))
		pull := time.Since(start)
		progress(t, "registry: %d images into the node: side-load (docker save | ctr import) %s, pull from the registry (ctr pull) %s",
			len(images), sideLoad.Round(100*time.Millisecond), pull.Round(100*time.Millisecond))
	}
	require.NoError(t, env.Cluster.RemoveImagesE(images...))

	// Helm 3 installs from the registry, verifying the signature.
	installed := time.Now()
	start = installed
	rel := stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, OnFailure: dumpNamespaces, Namespace: ns, Name: "stack", Chart: ref,
		ChartArgs: chartArgs, ValuesFiles: values, Set: map[string]string{"global.imageRegistry": p.reg.Host},
		Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	progress(t, "registry: helm install %s --version %s --verify: Ready in %s, every image pulled by the kubelet", ref, p.version, time.Since(start).Round(100*time.Millisecond))
	status, err := helm.RunHelmCommandAndGetOutputE(t, rel.Helm(), "list", "-o", "json")
	require.NoError(t, err)
	require.Contains(t, status, `"chart":"stack-`+p.version+`"`)

	pods, err := env.Clientset.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	ran := map[string]bool{}
	for _, pod := range pods.Items {
		for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
			require.True(t, strings.HasPrefix(c.Image, p.reg.Host+"/"), "%s/%s runs %s, not from the registry", pod.Name, c.Name, c.Image)
			require.Equal(t, corev1.PullIfNotPresent, c.ImagePullPolicy, "%s/%s: the chart's default pull policy", pod.Name, c.Name)
			ran[c.Image] = true
		}
	}
	events, err := env.Clientset.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=Pulled"})
	require.NoError(t, err)
	pulled := map[string]string{}
	for _, e := range events.Items {
		if m := regexp.MustCompile(`Successfully pulled image "([^"]+)" in (\S+)`).FindStringSubmatch(e.Message); m != nil {
			pulled[m[1]] = m[2]
		}
	}
	// Events are best effort (a kubelet under load drops some: a run saw only podinfo's), so
	// they are reported, and the proof is containerd's and the registry's: the names the pods run
	// are in the node's containerd again after they were removed (a pull put them there), and the
	// registry served each manifest to containerd.
	for img := range ran {
		if d, ok := pulled[img]; ok {
			t.Logf("  kubelet event: pulled %s in %s", img, d)
		} else {
			t.Logf("  kubelet event: none for %s (dropped)", img)
		}
	}
	have, err := env.Cluster.ImagesE()
	require.NoError(t, err)
	for img := range ran {
		for node, names := range have {
			if slices.Contains(names, img) {
				t.Logf("  %s's containerd holds %s", node, img)
			}
		}
	}
	for _, pod := range pods.Items {
		for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
			require.Contains(t, have[pod.Spec.NodeName], c.Image, "node %s's containerd holds %s again (pulled: it was removed before the install)", pod.Spec.NodeName, c.Image)
		}
	}
	// The registry's side: each image's manifest was asked for by the nodes' containerd, for the
	// name the pods use (containerd says which in ?ns=).
	logs, err := exec.Command("docker", "logs", "--since", installed.Format(time.RFC3339Nano), p.reg.Container).CombinedOutput()
	require.NoError(t, err, "%s", logs)
	for img := range ran {
		repo, tag, _ := strings.Cut(strings.TrimPrefix(img, p.reg.Host+"/"), ":")
		asked := regexp.MustCompile(`"(GET|HEAD) /v2/` + regexp.QuoteMeta(repo) + `/manifests/` + regexp.QuoteMeta(tag) + `\?ns=` +
			regexp.QuoteMeta(url.QueryEscape(p.reg.Host)) + ` [^"]*" 200 .*"containerd/`)
		require.Regexp(t, asked, string(logs), "the registry served %s to a node's containerd", img)
	}

	// A newer version from the registry.
	rel.ChartArgs = []string{"--version", p.next, "--verify", "--keyring", p.pubring, "--ca-file", p.reg.CAFile}
	start = time.Now()
	rel.Upgrade(t, ref)
	status, err = helm.RunHelmCommandAndGetOutputE(t, rel.Helm(), "list", "-o", "json")
	require.NoError(t, err)
	require.Contains(t, status, `"chart":"stack-`+p.next+`"`)
	progress(t, "registry: helm upgrade to %s --verify: Ready in %s", p.next, time.Since(start).Round(100*time.Millisecond))

	// A version whose signature is not from a trusted key.
	code, out := helmRun(t, "helm", t.TempDir(), nil, "pull", ref, "--version", p.untrusted, "--verify", "--keyring", p.pubring,
		"--ca-file", p.reg.CAFile, "-d", t.TempDir())
	require.NotZero(t, code, "helm pull --verify of a chart signed by an untrusted key passed: %s", out)
	require.Contains(t, out, "signature", out)
	progress(t, "registry: --verify refuses %s (signed by another key): %s", p.untrusted, strings.TrimSpace(out))
}

// TestTheUmbrellaFromAnOCIRegistryUnderHelm4 installs the same pushed umbrella with Helm 4 from
// oci:// with --version and --verify, upgrades it to the newer pushed version and refuses the
// untrusted one. Its images are the side-loaded ones (the Helm 3 suite proves the image path) and
// the backing services are external: the subject is Helm 4's chart source.
func TestTheUmbrellaFromAnOCIRegistryUnderHelm4(t *testing.T) {
	needsAddon(t, "registry")
	parallel(t)
	p := publishCharts(t)
	ns := namespace(t, "oci4")
	ref := p.repo + "/stack"
	home := t.TempDir()
	args := []string{"-n", ns, "-f", filepath.Join(root, "charts", "stack", "profiles", "dev.yaml"), "-f", env.Overlay, "-f", withoutBackingServices(t, ns),
		"--verify", "--keyring", p.pubring, "--ca-file", p.reg.CAFile, "--wait", "--timeout", "5m"}
	t.Cleanup(func() { helmRun(t, "helm4", home, nil, "uninstall", "stack", "-n", ns, "--wait") })
	for i, version := range []string{p.version, p.next} {
		verb := []string{"install", "stack", ref}
		if i > 0 {
			verb[0] = "upgrade"
		}
		start := time.Now()
		code, out := helmRun(t, "helm4", home, nil, append(append(verb, "--version", version), args...)...)
		require.Zero(t, code, "helm4 %s --version %s: %s", verb[0], version, out)
		_, err := kube.WaitE(context.Background(), kube.WaitOptions{What: "the release's workloads rolled out", Timeout: 3 * time.Minute, Interval: 2 * time.Second},
			kube.WorkloadsReady(env.Clientset, ns, "app.kubernetes.io/instance=stack"))
		require.NoError(t, err)
		code, out = helmRun(t, "helm4", home, nil, "list", "-n", ns, "-o", "json")
		require.Zero(t, code, out)
		require.Contains(t, out, `"chart":"stack-`+version+`"`)
		progress(t, "registry: helm4 %s %s --version %s --verify: Ready in %s", verb[0], ref, version, time.Since(start).Round(100*time.Millisecond))
	}
	code, out := helmRun(t, "helm4", home, nil, "pull", ref, "--version", p.untrusted, "--verify", "--keyring", p.pubring,
		"--ca-file", p.reg.CAFile, "-d", t.TempDir())
	require.NotZero(t, code, "helm4 pull --verify of a chart signed by an untrusted key passed: %s", out)
	progress(t, "registry: helm4 --verify refuses %s: %s", p.untrusted, strings.TrimSpace(out))
}
