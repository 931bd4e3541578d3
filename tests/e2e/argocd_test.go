//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/internal/gitserver"
	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
)

const argoNamespace = "argocd"

var (
	applicationsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
	projectsGVR     = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "appprojects"}
)

// TestArgoCDSyncsTheUmbrellaFromGit is the "Argo CD Application source" way of using the stack:
// Argo CD (the core install, built from its module) follows a Git repository holding this
// repository's charts, through the example Application and AppProject (examples/argocd), and
// the suite proves: Synced and Healthy at commit A with the `helm test` checks run as PostSync
// hooks; no drift on a hard refresh a minute later; commit B's value is live; a Deployment
// deleted by hand comes back (self-heal); an app removed from values is pruned while the
// Secret and PVC the charts keep survive.
func TestArgoCDSyncsTheUmbrellaFromGit(t *testing.T) {
	parallel(t)
	if env.Mode != cluster.AirGap {
		t.Skip("Argo CD runs from the air-gapped substrate's images (make images): image mode is " + env.Mode)
	}
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(env.RESTConfig)
	require.NoError(t, err)
	suite := time.Now()
	phase := func(name string, start time.Time) {
		progress(t, "argocd: %s in %s", name, time.Since(start).Round(100*time.Millisecond))
	}

	start := time.Now()
	images := installArgoCD(t, dyn)
	phase("Argo CD core install Ready", start)

	// The Git server and the repository: this checkout's charts at commit A.
	start = time.Now()
	gitNS := namespace(t, "gitsrv")
	pushURL, cloneURL := startGitServer(t, gitNS, images["git-server"])
	work := t.TempDir()
	copyCharts(t, filepath.Join(root, "charts"), filepath.Join(work, "charts"))
	const e2eValues = "e2e-argocd.yaml" // beside the profile, changed by commits B and C
	// Node ports of its own: the dev-profile suite's release may hold the default ones.
	const nodePorts = "global:\n  edge:\n    nodePort: {gateway: 30480, frontend: 30481}\n"
	writeFile(t, filepath.Join(work, "charts", "stack", e2eValues), nodePorts)
	commitA := commit(t, work, pushURL, "A: the stack charts")
	phase("Git server up and commit A pushed", start)

	// The example AppProject and Application, pointed at the Git server and this suite's namespace.
	appNS := "argo-" + strings.ToLower(random.UniqueId())
	deleteAtEnd(t, appNS) // created by Argo CD (CreateNamespace=true)
	project := exampleObject(t, "project")
	project.SetName(appNS)
	project.SetLabels(map[string]string{"stack.dev/e2e": "true"})
	require.NoError(t, unstructured.SetNestedStringSlice(project.Object, []string{cloneURL}, "spec", "sourceRepos"))
	require.NoError(t, unstructured.SetNestedSlice(project.Object, []any{
		map[string]any{"server": "https://kubernetes.default.svc", "namespace": appNS},
		map[string]any{"server": "https://kubernetes.default.svc", "namespace": appNS + "-monitoring"},
	}, "spec", "destinations"))
	_, err = dyn.Resource(projectsGVR).Namespace(argoNamespace).Create(ctx, project, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = dyn.Resource(projectsGVR).Namespace(argoNamespace).Delete(context.Background(), appNS, metav1.DeleteOptions{})
	})

	app := exampleObject(t, "application")
	app.SetName(appNS)
	app.SetLabels(map[string]string{"stack.dev/e2e": "true"})
	require.NoError(t, unstructured.SetNestedField(app.Object, appNS, "spec", "project"))
	require.NoError(t, unstructured.SetNestedField(app.Object, cloneURL, "spec", "source", "repoURL"))
	require.NoError(t, unstructured.SetNestedField(app.Object, "main", "spec", "source", "targetRevision"))
	require.NoError(t, unstructured.SetNestedField(app.Object, appNS, "spec", "destination", "namespace"))
	files, _, _ := unstructured.NestedStringSlice(app.Object, "spec", "source", "helm", "valueFiles")
	require.NoError(t, unstructured.SetNestedStringSlice(app.Object, append(files, e2eValues), "spec", "source", "helm", "valueFiles"))
	values, _, _ := unstructured.NestedMap(app.Object, "spec", "source", "helm", "valuesObject")
	overlay := map[string]any{}
	raw, err := os.ReadFile(env.Overlay)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, &overlay))
	require.NoError(t, unstructured.SetNestedMap(app.Object, chartutil.CoalesceTables(overlay, values), "spec", "source", "helm", "valuesObject"))
	require.NoError(t, unstructured.SetNestedStringMap(app.Object, map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted", "stack.dev/e2e": "true"}, "spec", "syncPolicy", "managedNamespaceMetadata", "labels"))
	start = time.Now()
	_, err = dyn.Resource(applicationsGVR).Namespace(argoNamespace).Create(ctx, app, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { deleteApplication(t, dyn, appNS) })
	apps := dyn.Resource(applicationsGVR).Namespace(argoNamespace)
	t.Cleanup(func() { dumpArgoCD(t, apps, appNS) }) // runs before the deletion

	// A: Synced and Healthy, the PostSync checks run and passed.
	status := waitApplication(t, apps, appNS, commitA, 8*time.Minute)
	phase("commit A Synced and Healthy (PostSync checks included)", start)
	synced := time.Now()
	hooks := postSyncHooks(status)
	require.Len(t, hooks, 4, "the gateway, MySQL, Redis and RabbitMQ checks ran as PostSync hooks: %v", hooks)
	for name, hookPhase := range hooks {
		require.Equal(t, "Succeeded", hookPhase, "PostSync hook %s", name)
	}
	progress(t, "argocd: PostSync checks %v", hooks)

	// No perpetual OutOfSync: a hard refresh a minute after the sync still finds nothing to do.
	if wait := time.Minute - time.Since(synced); wait > 0 {
		time.Sleep(wait)
	}
	start = time.Now()
	status = refresh(t, apps, appNS, "hard")
	require.Equal(t, "Synced", syncStatus(status), "after a hard refresh: %v", outOfSync(status))
	require.Empty(t, outOfSync(status), "no resource differs from Git a minute after the sync")
	phase("hard refresh a minute later: Synced, no diff", start)

	// B: a commit changes a value; it syncs and is live.
	start = time.Now()
	writeFile(t, filepath.Join(work, "charts", "stack", e2eValues), nodePorts+"gateway:\n  replicas: 3\n")
	commitB := commit(t, work, pushURL, "B: three gateway replicas")
	refresh(t, apps, appNS, "hard")
	waitApplication(t, apps, appNS, commitB, 5*time.Minute)
	kube.Wait(t, kube.WaitOptions{What: "3 gateway replicas available", Timeout: 3 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		d, err := env.Clientset.AppsV1().Deployments(appNS).Get(ctx, "stack-gateway", metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return ptr.Deref(d.Spec.Replicas, 0) == 3 && d.Status.AvailableReplicas == 3, fmt.Sprintf("spec %d, available %d", ptr.Deref(d.Spec.Replicas, 0), d.Status.AvailableReplicas), nil
	})
	phase("commit B (gateway.replicas 3) Synced and live", start)

	// Self-heal: a Deployment deleted by hand is put back.
	start = time.Now()
	before, err := env.Clientset.AppsV1().Deployments(appNS).Get(ctx, "stack-users", metav1.GetOptions{})
	require.NoError(t, err)
	require.NoError(t, env.Clientset.AppsV1().Deployments(appNS).Delete(ctx, "stack-users", metav1.DeleteOptions{}))
	kube.Wait(t, kube.WaitOptions{What: "stack-users recreated by self-heal and available", Timeout: 3 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		d, err := env.Clientset.AppsV1().Deployments(appNS).Get(ctx, "stack-users", metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return d.UID != before.UID && d.Status.AvailableReplicas >= 1, fmt.Sprintf("uid %s, available %d", d.UID, d.Status.AvailableReplicas), nil
	})
	waitApplication(t, apps, appNS, commitB, 3*time.Minute)
	phase("self-heal: deleted Deployment back and available", start)

	// C: an app and a backing service removed from values are pruned; what the charts keep stays.
	start = time.Now()
	secretBefore, err := env.Clientset.CoreV1().Secrets(appNS).Get(ctx, "stack-rabbitmq", metav1.GetOptions{})
	require.NoError(t, err)
	pvcs, err := env.Clientset.CoreV1().PersistentVolumeClaims(appNS).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var rabbitPVC string
	for _, p := range pvcs.Items {
		if strings.Contains(p.Name, "rabbitmq") {
			rabbitPVC = p.Name
		}
	}
	require.NotEmpty(t, rabbitPVC, "RabbitMQ has a PVC before the prune")
	writeFile(t, filepath.Join(work, "charts", "stack", e2eValues), nodePorts+`gateway:
  replicas: 3
rabbitmq:
  enabled: false
services:
  apps:
    mailer: {enabled: false}
    orders:
      uses: [mysql]
`)
	commitC := commit(t, work, pushURL, "C: no mailer, no RabbitMQ")
	refresh(t, apps, appNS, "hard")
	status = waitSyncedTo(t, apps, appNS, commitC, 5*time.Minute)
	for _, gone := range []struct{ kind, name string }{{"Deployment", "stack-mailer"}, {"StatefulSet", "stack-rabbitmq"}} {
		kube.Wait(t, kube.WaitOptions{What: gone.kind + " " + gone.name + " pruned", Timeout: 2 * time.Minute}, func(ctx context.Context) (bool, string, error) {
			var err error
			if gone.kind == "Deployment" {
				_, err = env.Clientset.AppsV1().Deployments(appNS).Get(ctx, gone.name, metav1.GetOptions{})
			} else {
				_, err = env.Clientset.AppsV1().StatefulSets(appNS).Get(ctx, gone.name, metav1.GetOptions{})
			}
			return apierrors.IsNotFound(err), fmt.Sprintf("get: %v", err), nil
		})
	}
	secretAfter, err := env.Clientset.CoreV1().Secrets(appNS).Get(ctx, "stack-rabbitmq", metav1.GetOptions{})
	require.NoError(t, err, "the kept RabbitMQ Secret survives the prune")
	require.Equal(t, secretBefore.UID, secretAfter.UID, "the same Secret, not a re-created one")
	_, err = env.Clientset.CoreV1().PersistentVolumeClaims(appNS).Get(ctx, rabbitPVC, metav1.GetOptions{})
	require.NoError(t, err, "RabbitMQ's PVC survives the prune")
	// Argo CD lists what it keeps as needing a prune it will not do: the Application stays
	// OutOfSync for it (the README's "what Argo CD does differently").
	require.Equal(t, []string{"Secret/stack-rabbitmq OutOfSync"}, keptResources(status), "only the kept Secret is left over")
	progress(t, "argocd: after commit C Argo CD reports the kept Secret as %v", keptResources(status))
	phase("commit C: mailer and RabbitMQ pruned, Secret and PVC kept", start)
	progress(t, "argocd: suite wall time %s (images %v)", time.Since(suite).Round(time.Second), images)
}

// installArgoCD loads the substrate's Argo CD images into the nodes and applies its core install
// (server-side, idempotent: a reused cluster keeps it between runs), then waits for its pods.
// It returns the images by name (argocd, git-server, redis).
func installArgoCD(t *testing.T, dyn dynamic.Interface) map[string]string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(env.Overlay), "argocd")
	images := map[string]string{}
	raw, err := os.ReadFile(filepath.Join(dir, "images.txt"))
	require.NoError(t, err, "no Argo CD in the substrate: run make images (ci/substrate/argocd.sh)")
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		name, tag, _ := strings.Cut(line, " ")
		images[name] = tag
	}
	for name, tag := range images {
		t.Logf("image %s = %s", name, tag)
	}
	env.Cluster.LoadImages(t, images["argocd"], images["git-server"], images["redis"])
	ctx := context.Background()
	_, err = env.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: argoNamespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
	require.NoError(t, env.Cluster.ApplyManifestInE(filepath.Join(dir, "install.yaml"), argoNamespace))
	// The AppProject kind is served once the install's CRDs are established.
	kube.Wait(t, kube.WaitOptions{What: "the default AppProject applied", Timeout: time.Minute, Interval: 2 * time.Second}, func(context.Context) (bool, string, error) {
		err := env.Cluster.ApplyManifestInE(filepath.Join(dir, "default-project.yaml"), argoNamespace)
		return err == nil, fmt.Sprint(err), nil
	})
	kube.Wait(t, kube.WaitOptions{What: "Argo CD pods Ready", Timeout: 4 * time.Minute, Interval: 2 * time.Second}, kube.WorkloadsReady(env.Clientset, argoNamespace, ""))
	return images
}

// startGitServer runs the Git server (one repository, "stack") in ns and returns the URL the
// test pushes to (a NodePort on the node) and the one Argo CD clones from (the Service).
func startGitServer(t *testing.T, ns, image string) (pushURL, cloneURL string) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app.kubernetes.io/name": "git-server"}
	_, err := env.Clientset.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "git-server", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{
						Name: "git", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
						Args:  []string{"-listen", ":8080", "-root", "/srv/git", "-repos", "stack"},
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
							PeriodSeconds: 1},
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
						VolumeMounts: []corev1.VolumeMount{{Name: "repos", MountPath: "/srv/git"}, {Name: "tmp", MountPath: "/tmp"}},
					}},
					Volumes: []corev1.Volume{{Name: "repos", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				},
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	svc, err := env.Clientset.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "git-server"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: labels,
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromString("http")}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	kube.Wait(t, kube.WaitOptions{What: "Git server Ready", Timeout: 2 * time.Minute}, kube.WorkloadsReady(env.Clientset, ns, ""))
	node := fmt.Sprintf("http://%s:%d", nodeAddress(t), svc.Spec.Ports[0].NodePort)
	// A Ready pod behind a NodePort kube-proxy has not programmed yet refuses connections.
	kube.Wait(t, kube.WaitOptions{What: "Git server answering on its node port", Timeout: time.Minute}, func(ctx context.Context) (bool, string, error) {
		resp, err := http.Get(node + "/healthz")
		if err != nil {
			return false, err.Error(), nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	})
	return node + "/stack.git", fmt.Sprintf("http://git-server.%s.svc.cluster.local:8080/stack.git", ns)
}

// copyCharts copies the charts tree as a user's repository holds it: sources only, without the
// packaged dependencies `make deps` leaves in charts/*/charts (Argo CD builds them itself).
func copyCharts(t *testing.T, from, to string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if parts := strings.Split(rel, string(filepath.Separator)); len(parts) >= 2 && parts[1] == "charts" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	}))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// commit commits everything in work and pushes it to main; returns the commit.
func commit(t *testing.T, work, url, msg string) string {
	t.Helper()
	run := func(args ...string) string {
		out, err := gitserver.Git(work, args...)
		require.NoError(t, err)
		return out
	}
	if _, err := os.Stat(filepath.Join(work, ".git")); err != nil {
		run("init", "--quiet", "--initial-branch=main")
	}
	run("add", "--all")
	run("commit", "--quiet", "-m", msg)
	run("push", "--quiet", url, "main")
	sha := run("rev-parse", "HEAD")
	progress(t, "argocd: pushed %s %q", sha[:8], msg)
	return sha
}

// exampleObject reads examples/argocd/<name>.yaml, the manifest users copy.
func exampleObject(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "examples", "argocd", name+".yaml"))
	require.NoError(t, err)
	obj := map[string]any{}
	require.NoError(t, yaml.Unmarshal(raw, &obj))
	return &unstructured.Unstructured{Object: obj}
}

// dumpArgoCD writes, when the test failed, what explains an Application that did not sync: its
// whole status (conditions, the operation and each resource's sync and health), and Argo CD's
// events and logs.
func dumpArgoCD(t *testing.T, apps dynamic.ResourceInterface, name string) {
	if !t.Failed() {
		return
	}
	ctx := context.Background()
	if u, err := apps.Get(ctx, name, metav1.GetOptions{}); err != nil {
		fmt.Printf("===== Application %s: %v\n", name, err)
	} else {
		status, _, _ := unstructured.NestedMap(u.Object, "status")
		raw, _ := yaml.Marshal(status)
		fmt.Printf("===== Application %s status =====\n%s\n", name, raw)
	}
	kube.Dump(ctx, env.Clientset, argoNamespace, os.Stdout)
}

// deleteApplication deletes an Application and waits until Argo CD has deleted what it deployed
// (the resources finalizer) and the Application is gone.
func deleteApplication(t *testing.T, dyn dynamic.Interface, name string) {
	t.Helper()
	apps := dyn.Resource(applicationsGVR).Namespace(argoNamespace)
	ctx := context.Background()
	if err := apps.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)}); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("delete Application %s: %v", name, err)
		return
	}
	_, err := kube.WaitE(ctx, kube.WaitOptions{What: "Application " + name + " deleted", Timeout: 3 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		_, err := apps.Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprintf("get: %v", err), nil
	})
	if err != nil {
		// Do not leave it re-creating the release: drop the finalizer.
		_, _ = apps.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		t.Logf("Application %s: %v; finalizer removed", name, err)
	}
}

// removeLeftoverApplications deletes the Applications (and AppProjects) of this suite an
// interrupted run left (labelled stack.dev/e2e), without waiting for Argo CD to delete what they
// deployed: their namespaces are removed with the other leftovers. Nothing to do without Argo CD.
func removeLeftoverApplications(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(env.RESTConfig)
	if err != nil {
		return err
	}
	for _, gvr := range []schema.GroupVersionResource{applicationsGVR, projectsGVR} {
		res := dyn.Resource(gvr).Namespace(argoNamespace)
		list, err := res.List(ctx, metav1.ListOptions{LabelSelector: "stack.dev/e2e=true"})
		if apierrors.IsNotFound(err) {
			return nil // Argo CD's CRDs are not installed
		}
		if err != nil {
			return err
		}
		for _, o := range list.Items {
			announce("removing %s %s left by an interrupted run", o.GetKind(), o.GetName())
			_, _ = res.Patch(ctx, o.GetName(), types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
			if err := res.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// appStatus is the part of an Application's status the suite reads.
type appStatus struct {
	Sync struct {
		Status   string `json:"status"`
		Revision string `json:"revision"`
	} `json:"sync"`
	Health struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"health"`
	ReconciledAt   string `json:"reconciledAt"`
	OperationState *struct {
		Phase      string `json:"phase"`
		Message    string `json:"message"`
		SyncResult struct {
			Revision  string `json:"revision"`
			Resources []struct {
				Kind      string `json:"kind"`
				Name      string `json:"name"`
				Status    string `json:"status"`
				Message   string `json:"message"`
				HookType  string `json:"hookType"`
				HookPhase string `json:"hookPhase"`
			} `json:"resources"`
		} `json:"syncResult"`
	} `json:"operationState"`
	Resources []struct {
		Kind            string `json:"kind"`
		Namespace       string `json:"namespace"`
		Name            string `json:"name"`
		Status          string `json:"status"`
		RequiresPruning bool   `json:"requiresPruning"`
		Hook            bool   `json:"hook"`
	} `json:"resources"`
	Conditions []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"conditions"`
}

func getStatus(ctx context.Context, apps dynamic.ResourceInterface, name string) (*unstructured.Unstructured, *appStatus, error) {
	u, err := apps.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, err
	}
	raw, _, _ := unstructured.NestedMap(u.Object, "status")
	b, err := yaml.Marshal(raw)
	if err != nil {
		return nil, nil, err
	}
	s := &appStatus{}
	return u, s, yaml.Unmarshal(b, s)
}

func (s *appStatus) String() string {
	op := "no operation"
	if s.OperationState != nil {
		op = fmt.Sprintf("operation %s at %.8s: %s", s.OperationState.Phase, s.OperationState.SyncResult.Revision, s.OperationState.Message)
	}
	var conds []string
	for _, c := range s.Conditions {
		conds = append(conds, c.Type+": "+c.Message)
	}
	return fmt.Sprintf("sync %s at %.8s, health %s %s; %s; out of sync: %v; conditions: %v", s.Sync.Status, s.Sync.Revision, s.Health.Status, s.Health.Message, op, outOfSync(s), conds)
}

func syncStatus(s *appStatus) string { return s.Sync.Status }

// outOfSync lists the resources that differ from Git (kept resources awaiting a prune Argo CD
// will not do are listed by keptResources instead).
func outOfSync(s *appStatus) []string {
	var out []string
	for _, r := range s.Resources {
		if r.Status != "Synced" && !r.RequiresPruning && !r.Hook {
			out = append(out, r.Kind+"/"+r.Name+" "+r.Status)
		}
	}
	return out
}

// keptResources lists the live resources no longer in Git that Argo CD does not prune.
func keptResources(s *appStatus) []string {
	var out []string
	for _, r := range s.Resources {
		if r.RequiresPruning && !r.Hook {
			out = append(out, r.Kind+"/"+r.Name+" "+r.Status)
		}
	}
	return out
}

// postSyncHooks maps the last sync's PostSync hooks to their phase.
func postSyncHooks(s *appStatus) map[string]string {
	out := map[string]string{}
	if s.OperationState == nil {
		return out
	}
	for _, r := range s.OperationState.SyncResult.Resources {
		if r.HookType == "PostSync" {
			out[r.Kind+"/"+r.Name] = r.HookPhase
		}
	}
	return out
}

// waitApplication waits until the Application's last sync of revision succeeded and it is Synced
// and Healthy at revision.
func waitApplication(t *testing.T, apps dynamic.ResourceInterface, name, revision string, timeout time.Duration) *appStatus {
	t.Helper()
	return waitStatus(t, apps, name, "Synced and Healthy at "+revision[:8], timeout, func(s *appStatus) bool {
		return s.Sync.Status == "Synced" && s.Sync.Revision == revision && s.Health.Status == "Healthy" &&
			s.OperationState != nil && s.OperationState.Phase == "Succeeded" && s.OperationState.SyncResult.Revision == revision
	})
}

// waitSyncedTo waits until the Application's last sync of revision succeeded and nothing but
// kept resources differs from Git.
func waitSyncedTo(t *testing.T, apps dynamic.ResourceInterface, name, revision string, timeout time.Duration) *appStatus {
	t.Helper()
	return waitStatus(t, apps, name, "synced to "+revision[:8], timeout, func(s *appStatus) bool {
		return s.Sync.Revision == revision && s.Health.Status == "Healthy" && len(outOfSync(s)) == 0 &&
			s.OperationState != nil && s.OperationState.Phase == "Succeeded" && s.OperationState.SyncResult.Revision == revision
	})
}

func waitStatus(t *testing.T, apps dynamic.ResourceInterface, name, what string, timeout time.Duration, done func(*appStatus) bool) *appStatus {
	t.Helper()
	var last *appStatus
	kube.Wait(t, kube.WaitOptions{What: "Application " + name + " " + what, Timeout: timeout, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		_, s, err := getStatus(ctx, apps, name)
		if err != nil {
			return false, err.Error(), nil
		}
		if s.OperationState != nil && (s.OperationState.Phase == "Failed" || s.OperationState.Phase == "Error") {
			return false, "", fmt.Errorf("sync %s: %s", s.OperationState.Phase, s)
		}
		last = s
		return done(s), s.String(), nil
	})
	return last
}

// refresh asks Argo CD to compare the Application with Git now (kind "normal" or "hard": hard also
// regenerates the manifests, bypassing the repo server's cache) and waits until it has.
func refresh(t *testing.T, apps dynamic.ResourceInterface, name, kind string) *appStatus {
	t.Helper()
	ctx := context.Background()
	_, before, err := getStatus(ctx, apps, name)
	require.NoError(t, err)
	_, err = apps.Patch(ctx, name, types.MergePatchType, []byte(fmt.Sprintf(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":%q}}}`, kind)), metav1.PatchOptions{})
	require.NoError(t, err)
	var after *appStatus
	kube.Wait(t, kube.WaitOptions{What: "Application " + name + " refreshed (" + kind + ")", Timeout: 2 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		u, s, err := getStatus(ctx, apps, name)
		if err != nil {
			return false, err.Error(), nil
		}
		// The controller removes the annotation when it has compared (and saved the status).
		_, pending := u.GetAnnotations()["argocd.argoproj.io/refresh"]
		after = s
		return !pending, fmt.Sprintf("refresh pending %v, reconciled at %s (before: %s)", pending, s.ReconciledAt, before.ReconciledAt), nil
	})
	return after
}
