package cli

import (
	"bytes"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	helmcli "helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/stack-charts/stack/plugin/internal/check"
	"github.com/stack-charts/stack/plugin/internal/kube"
	"github.com/stack-charts/stack/plugin/internal/kube/kubetest"
	"github.com/stack-charts/stack/plugin/internal/render"
	"github.com/stack-charts/stack/plugin/pkg/chartload"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cluster is a fake cluster for the shop test chart: one node, a default StorageClass, the
// namespace with Pod Security restricted, and (when withSecret) the Secret the chart references.
func cluster(t *testing.T, withSecret bool, extra ...runtime.Object) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	objs := []runtime.Object{n,
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}, Provisioner: "rancher.io/local-path"},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}},
	}
	if withSecret {
		objs = append(objs, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-db", Namespace: "shop"}, Data: map[string][]byte{"password": []byte("x")}})
	}
	clients, fakes := kubetest.New(t, "v1.36.3", append(objs, extra...))
	fakes.Typed.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = true
		return true, r, nil
	})
	fakes.Dynamic.PrependReactor("patch", "*", func(a k8stesting.Action) (bool, runtime.Object, error) { return true, nil, nil })
	old := connect
	connect = func(_, ns string, _ time.Duration) (*kube.Clients, string, error) {
		if ns == "" {
			ns = "shop"
		}
		return clients, ns, nil
	}
	t.Cleanup(func() { connect = old })
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

var chart = filepath.Join("testdata", "shop")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./plugin/internal/cli -update to create it")
	assert.Equal(t, string(want), got, "output differs from %s (go test ./plugin/internal/cli -update if intended)", path)
}

func TestPreflightOutputsAreStable(t *testing.T) {
	for _, format := range []string{"table", "json", "junit"} {
		t.Run(format, func(t *testing.T) {
			cluster(t, false)
			code, out, _ := run("preflight", "shop", chart, "-n", "shop", "-o", format)
			assert.Equal(t, ExitFailed, code, "the missing Secret fails the preflight")
			golden(t, "preflight-"+format, out)
		})
	}
}

func TestExitCodes(t *testing.T) {
	cluster(t, true)
	code, out, _ := run("preflight", "shop", chart, "-n", "shop")
	assert.Equal(t, ExitOK, code, out)
	assert.Contains(t, out, "0 failed: PASS")

	code, out, _ = run("preflight", "shop", chart, "--namespace", "elsewhere", "--only", "pod-security,secrets")
	assert.Equal(t, ExitFailed, code, "another namespace: the Secret is missing there: %s", out)
	code, out, _ = run("preflight", "shop", chart, "--namespace", "elsewhere", "--only", "pod-security")
	assert.Equal(t, ExitWarnings, code, "a namespace that does not exist only warns: %s", out)
	code, _, _ = run("preflight", "shop", chart, "--namespace", "elsewhere", "--only", "pod-security", "--fail-on", "fail")
	assert.Equal(t, ExitOK, code, "--fail-on fail: warnings do not fail")

	code, _, errOut := run("preflight", "shop", chart, "--set", "replicas=zero")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, "replicas", "the schema's message names the key")
	code, _, errOut = run("preflight", "shop", filepath.Join("testdata", "nope"))
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, "load chart")
	code, _, errOut = run("preflight", chart, "--only", "capacty")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, `unknown check "capacty"`)
	code, _, errOut = run("preflight", chart, "-o", "yaml")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, `--output "yaml"`)
	code, _, _ = run("preflight", chart, "--fail-on", "pass")
	assert.Equal(t, ExitBadInput, code)
	code, _, _ = run("preflight", chart, "--no-such-flag")
	assert.Equal(t, ExitBadInput, code)

	connect = func(string, string, time.Duration) (*kube.Clients, string, error) {
		return nil, "", errors.New("cannot reach the cluster at https://127.0.0.1:6443: connection refused")
	}
	code, _, errOut = run("preflight", chart)
	assert.Equal(t, ExitCannot, code)
	assert.Contains(t, errOut, "connection refused")
	// Issue 17, item 8: the chart is loaded before the cluster is asked: a wrong path is bad input
	// (2) even when no cluster answers (it was 1).
	code, _, errOut = run("preflight", "shop", filepath.Join("testdata", "nope"))
	assert.Equal(t, ExitBadInput, code, errOut)
	assert.Contains(t, errOut, "load chart")
}

// Issue 17, item 5: a chart's own crds/ are installed by Helm before its objects, so its custom
// resources are of served kinds (api-groups failed them before), and the dry-run says it could not
// check them.
func TestAChartsOwnCRDsServeItsCustomResources(t *testing.T) {
	cluster(t, true)
	dir := filepath.Join(t.TempDir(), "shop")
	require.NoError(t, os.CopyFS(dir, os.DirFS(chart)))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "crds"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crds", "widgets.yaml"), []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates", "widget.yaml"), []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: {{ .Release.Name }}-w}\n"), 0o644))
	code, out, _ := run("preflight", "shop", dir, "-n", "shop", "--only", "api-groups,dry-run", "-o", "json")
	assert.Equal(t, ExitWarnings, code, out)
	assert.Contains(t, out, "of kinds the chart's own crds/ define, installed before them")
	assert.Contains(t, out, "1 objects are of kinds the chart's own crds/ define, not served yet: they were not dry-run")
	assert.NotContains(t, out, `"status": "fail"`)

	require.NoError(t, os.RemoveAll(filepath.Join(dir, "crds")))
	code, out, _ = run("preflight", "shop", dir, "-n", "shop", "--only", "api-groups")
	assert.Equal(t, ExitFailed, code, "without its CRD the kind is not served: %s", out)
	assert.Contains(t, out, "the cluster does not serve example.com/v1 Widget")
}

// Issue 17, item 8: a value of the wrong type in a chart without a schema rendered into a field
// (replicas: two) failed a check with a Go decode message (exit 3); it is bad input naming the
// object and the field, for preflight and lint alike.
func TestAValueOfTheWrongTypeIsBadInputNamingTheField(t *testing.T) {
	cluster(t, true)
	dir := filepath.Join(t.TempDir(), "shop")
	require.NoError(t, os.CopyFS(dir, os.DirFS(chart)))
	require.NoError(t, os.Remove(filepath.Join(dir, "values.schema.json")))
	for _, args := range [][]string{{"preflight", "shop", dir, "-n", "shop"}, {"lint", dir}} {
		code, _, errOut := run(append(args, "--set", "replicas=two")...)
		assert.Equal(t, ExitBadInput, code, "%v: %s", args, errOut)
		assert.Contains(t, errOut, "/shop-web (shop/templates/all.yaml): spec.replicas is a string where the API wants int32", args)
	}
}

func TestHelpIsHandledByTheTool(t *testing.T) {
	code, out, _ := run("-h")
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, out, "Exit codes: 0 passed, 1 could not run")
	code, out, _ = run("preflight", "--help")
	assert.Equal(t, ExitOK, code)
	for _, name := range []string{"kube-version", "api-lifecycle", "api-groups", "storage", "edge-class", "capacity", "metrics-api", "rbac", "node-ports", "secrets", "pod-security", "dry-run"} {
		assert.Regexp(t, regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(name)+` `), out, "preflight --help lists check %s", name)
	}
	for _, f := range []string{"--values", "--set-string", "--set-file", "--kube-context", "--timeout", "--only", "--skip", "--fail-on", "--output"} {
		assert.Contains(t, out, f)
	}
}

func TestLintNeedsNoCluster(t *testing.T) {
	connect = func(string, string, time.Duration) (*kube.Clients, string, error) {
		t.Fatal("lint must not connect")
		return nil, "", nil
	}
	code, out, _ := run("lint", chart)
	assert.Equal(t, ExitOK, code, out)
	golden(t, "lint-table", out)
	code, out, _ = run("lint", chart, "--set", "replicas=1", "-o", "json")
	assert.Equal(t, ExitOK, code, out)
	code, _, errOut := run("lint", chart, "--kube-version", "one.two")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, "--kube-version")
}

func TestVerifyReadsTheReleaseAndJudgesStatus(t *testing.T) {
	cluster(t, true)
	old := releaseObjects
	releaseObjects = func(name, _, ns string) ([]render.Object, *check.Deployed, error) {
		objs, err := render.Parse("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: " + name + "-data, namespace: " + ns + "}\nspec: {accessModes: [ReadWriteOnce]}\n")
		return objs, &check.Deployed{Status: "deployed", Revision: 1, At: time.Now()}, err
	}
	t.Cleanup(func() { releaseObjects = old })
	code, out, _ := run("verify", "shop", "-n", "shop")
	assert.Equal(t, ExitFailed, code)
	assert.True(t, strings.Contains(out, `persistentvolumeclaims "shop-data" not found`), out)

	// Issue 17, item 7: --wait that runs out of time exits 1 (could not verify in time), after the
	// last report.
	start := time.Now()
	code, out, errOut := run("verify", "shop", "-n", "shop", "--wait", "--timeout", "2s")
	assert.Equal(t, ExitCannot, code, errOut)
	assert.Contains(t, out, `persistentvolumeclaims "shop-data" not found`, "the last look is reported")
	assert.Contains(t, errOut, "release shop not healthy after --timeout 2s")
	assert.Less(t, time.Since(start), 10*time.Second)
}

// Issue 17, item 7: warnings are facts waiting does not change (restarts since the deploy): a
// release that is up but restarted at startup ends `verify --wait` at once with exit 4, instead
// of waiting out the timeout.
func TestVerifyWaitEndsOnWarnings(t *testing.T) {
	deployed := time.Now().Add(-time.Minute)
	one := int32(1)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "shop-web", Namespace: "shop", UID: "d1"}, Spec: appsv1.DeploymentSpec{Replicas: &one},
		Status: appsv1.DeploymentStatus{UpdatedReplicas: 1, AvailableReplicas: 1}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "shop-web-1", Namespace: "shop", UID: "r1",
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "shop-web", UID: "d1", Controller: ptr.To(true)}}}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "shop-web-1-x", Namespace: "shop", CreationTimestamp: metav1.NewTime(deployed.Add(time.Second)),
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "shop-web-1", UID: "r1", Controller: ptr.To(true)}}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: 3, Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}}
	cluster(t, true, dep, rs, pod)
	old := releaseObjects
	releaseObjects = func(name, _, ns string) ([]render.Object, *check.Deployed, error) {
		objs, err := render.Parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop-web, namespace: shop}\nspec: {replicas: 1}\n")
		return objs, &check.Deployed{Status: "deployed", Revision: 1, At: deployed}, err
	}
	t.Cleanup(func() { releaseObjects = old })
	start := time.Now()
	code, out, _ := run("verify", "shop", "-n", "shop", "--wait", "--timeout", "30s")
	assert.Equal(t, ExitWarnings, code, out)
	assert.Contains(t, out, "container web restarted 3 times since the release was deployed")
	assert.Less(t, time.Since(start), 5*time.Second, "no waiting on a warning")
}

// The project's own prod profile passes `stackcheck lint` (issue 13): Alertmanager's two replicas
// have a PDB and spread, and node-exporter's host access is an explicit, justified exemption.
func TestTheProdProfileOfTheStackPassesLint(t *testing.T) {
	connect = func(string, string, time.Duration) (*kube.Clients, string, error) {
		t.Fatal("lint must not connect")
		return nil, "", nil
	}
	stack := filepath.Join("..", "..", "..", "charts", "stack")
	code, out, errOut := run("lint", stack, "-f", filepath.Join(stack, "profiles", "prod.yaml"), "-n", "shop")
	assert.Equal(t, ExitOK, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "exempt from restricted, checked against privileged: node metrics come from the host")
	assert.Contains(t, out, "StatefulSet/shop-monitoring/stack-monitoring-alertmanager  2 replicas, covered by a PDB")
	assert.Contains(t, out, "0 failed: PASS")
}

// A chart whose repository dependency was never fetched is refused (exit 2), not checked without it.
func TestAChartMissingADependencyIsBadInput(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - {name: postgresql, version: 16.0.0, repository: oci://registry.example.test/charts}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n"), 0o644))
	code, out, errOut := run("lint", dir)
	assert.Equal(t, ExitBadInput, code, out)
	assert.Contains(t, errOut, "missing in charts/ directory: postgresql")
}

// lint takes the namespace from HELM_NAMESPACE like the other commands, and a packaged chart's
// release name from the chart, not the archive's file name (issue 17, item 8 and chart references).
func TestLintReadsHelmNamespaceAndNamesAPackagedChartsRelease(t *testing.T) {
	connect = func(string, string, time.Duration) (*kube.Clients, string, error) {
		t.Fatal("lint must not connect")
		return nil, "", nil
	}
	t.Setenv("HELM_NAMESPACE", "payments")
	_, out, _ := run("lint", chart, "-o", "json")
	assert.Contains(t, out, `"namespace": "payments"`)

	ch, err := chartload.Load(chart)
	require.NoError(t, err)
	archive, err := chartutil.Save(ch, t.TempDir())
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(archive, ".tgz"))
	code, out, errOut := run("lint", archive, "-o", "json")
	assert.NotEqual(t, ExitBadInput, code, errOut)
	assert.Contains(t, out, `"release": "`+ch.Name()+`"`)
}

// chartRepository serves the shop chart at versions 0.1.0 and 0.2.0 (0.2.0 renders 3 replicas)
// as a Helm chart repository, and returns its URL.
func chartRepository(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range []string{"0.1.0", "0.2.0"} {
		ch, err := loader.Load(chart)
		require.NoError(t, err)
		ch.Metadata.Version = v
		if v == "0.2.0" {
			for _, f := range ch.Raw {
				if f.Name == chartutil.ValuesfileName {
					f.Data = regexp.MustCompile(`(?m)^replicas: .*$`).ReplaceAll(f.Data, []byte("replicas: 3"))
				}
			}
		}
		_, err = chartutil.Save(ch, dir)
		require.NoError(t, err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	index, err := repo.IndexDirectory(dir, srv.URL)
	require.NoError(t, err)
	require.NoError(t, index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644))
	return srv.URL
}

// Issue 17: chart references as Helm takes them — a packaged .tgz (the release is the chart's
// name, not the file's), a repository by URL (--repo) or by name (repo/chart, after `helm repo
// add`), --version; --set-json and --set-literal.
func TestChartReferencesAndValueFlagsLikeHelms(t *testing.T) {
	cluster(t, true)
	url := chartRepository(t)
	home := t.TempDir()
	t.Setenv("HELM_REPOSITORY_CONFIG", filepath.Join(home, "repositories.yaml"))
	t.Setenv("HELM_REPOSITORY_CACHE", filepath.Join(home, "cache"))
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(home, "registry.json"))

	// --repo URL, the latest version by default, or the one --version names.
	code, out, errOut := run("preflight", "shop", "--repo", url, "-n", "shop", "-o", "json", "--only", "capacity")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "the release's 3 pods", "the latest version (0.2.0) renders 3 replicas")
	assert.Contains(t, out, `"release": "shop"`)
	code, out, errOut = run("preflight", "shop", "--repo", url, "--version", "0.1.0", "-n", "shop", "-o", "json", "--only", "capacity")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "the release's 2 pods", "0.1.0")

	// repo/chart, with the repository added as `helm repo add acme URL` leaves it.
	f := repo.NewFile()
	f.Update(&repo.Entry{Name: "acme", URL: url})
	require.NoError(t, f.WriteFile(filepath.Join(home, "repositories.yaml"), 0o644))
	r, err := repo.NewChartRepository(&repo.Entry{Name: "acme", URL: url}, getter.All(helmcli.New()))
	require.NoError(t, err)
	r.CachePath = filepath.Join(home, "cache")
	_, err = r.DownloadIndexFile()
	require.NoError(t, err)
	code, out, errOut = run("preflight", "acme/shop", "--version", "0.1.0", "-n", "shop", "-o", "json", "--only", "capacity")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, `"release": "shop"`, "the chart's name, not the reference's")
	code, _, errOut = run("preflight", "acme/shop", "--version", "9.9.9", "-n", "shop")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, "9.9.9")

	// A packaged chart: the release is the chart's name (shop), not shop-0.2.0.tgz.
	tgz := filepath.Join(t.TempDir(), "pkg")
	ch, err := loader.Load(chart)
	require.NoError(t, err)
	archive, err := chartutil.Save(ch, tgz)
	require.NoError(t, err)
	code, out, errOut = run("preflight", archive, "-n", "shop", "-o", "json", "--only", "capacity")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, `"release": "shop"`)

	// --set-json and --set-literal.
	code, out, errOut = run("preflight", "shop", chart, "-n", "shop", "-o", "json", "--only", "capacity", "--set-json", `replicas=4`)
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "the release's 4 pods")
	code, _, errOut = run("preflight", "shop", chart, "-n", "shop", "--only", "capacity", "--set-literal", "replicas=3")
	assert.Equal(t, ExitBadInput, code, "a literal is a string, never a number: the schema refuses it")
	assert.Contains(t, errOut, "replicas")
}

func TestVersionSaysWhatRuns(t *testing.T) {
	code, out, _ := run("version")
	assert.Equal(t, ExitOK, code)
	assert.Regexp(t, `^stackcheck dev \(go1\.\d+.*, \w+/\w+\)\n$`, out, "a plain go build has no version set")
	Version = "0.1.0"
	t.Cleanup(func() { Version = "" })
	_, out, _ = run("version")
	assert.True(t, strings.HasPrefix(out, "stackcheck 0.1.0 ("), out)
}

// Issue 17: `lint --config` grades and exempts; a bad policy file is bad input naming the key.
func TestLintConfigGradesAndExempts(t *testing.T) {
	connect = func(string, string, time.Duration) (*kube.Clients, string, error) {
		t.Fatal("lint must not connect")
		return nil, "", nil
	}
	latest := filepath.Join(t.TempDir(), "shop")
	require.NoError(t, os.CopyFS(latest, os.DirFS(chart)))
	tpl := filepath.Join(latest, "templates", "all.yaml")
	raw, err := os.ReadFile(tpl)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(tpl, []byte(strings.Replace(string(raw), "example/web:1.0", "example/web:latest", 1)), 0o644))
	cfg := filepath.Join(t.TempDir(), "stackcheck.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("severity: {pinned-images: warning}\n"), 0o644))
	code, out, _ := run("lint", latest)
	assert.Equal(t, ExitFailed, code, "an unpinned image fails by default: %s", out)
	code, out, _ = run("lint", latest, "--config", cfg)
	assert.Equal(t, ExitWarnings, code, "a warning with the policy: %s", out)
	require.NoError(t, os.WriteFile(cfg, []byte("exemptions: [{check: pinned-images, object: 'Deployment/*/shop-web', reason: 'the vendor tags nothing else'}]\n"), 0o644))
	code, out, _ = run("lint", latest, "--config", cfg)
	assert.Equal(t, ExitOK, code, out)
	assert.Contains(t, out, "exempt (config): the vendor tags nothing else")
	require.NoError(t, os.WriteFile(cfg, []byte("severity: {probe: warning}\n"), 0o644))
	code, _, errOut := run("lint", chart, "--config", cfg)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, errOut, "severity.probe: no such check")
}
