//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/stack-charts/stack/tests/kube"
	stackrelease "github.com/stack-charts/stack/tests/release"
)

const rolloutsNamespace = "argo-rollouts"

var (
	rolloutsGVR     = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}
	analysisRunsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "analysisruns"}
)

// installArgoRollouts loads the substrate's Argo Rollouts controller image into the nodes and
// applies the module's install (CRDs, RBAC, controller; server-side, idempotent: a reused
// cluster keeps it), then waits for the controller. It returns the image.
func installArgoRollouts(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(env.Overlay), "rollouts")
	raw, err := os.ReadFile(filepath.Join(dir, "images.txt"))
	require.NoError(t, err, "no Argo Rollouts in the substrate: run make images (ci/substrate/rollouts.sh)")
	_, image, _ := strings.Cut(strings.TrimSpace(string(raw)), " ")
	env.Cluster.LoadImages(t, image)
	ctx := context.Background()
	_, err = env.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: rolloutsNamespace,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
	require.NoError(t, env.Cluster.ApplyManifestInE(filepath.Join(dir, "install.yaml"), rolloutsNamespace))
	kube.Wait(t, kube.WaitOptions{What: "the Argo Rollouts controller Ready", Timeout: 3 * time.Minute, Interval: 2 * time.Second},
		kube.WorkloadsReady(env.Clientset, rolloutsNamespace, ""))
	// The services chart renders a Rollout only when the API server serves the kind (helm's
	// capabilities come from discovery), which can lag the CRD's creation: one make test run's
	// install was refused 17 s after the controller was Ready.
	kube.Wait(t, kube.WaitOptions{What: "discovery serving argoproj.io/v1alpha1 Rollout", Timeout: time.Minute, Interval: time.Second}, func(context.Context) (bool, string, error) {
		// The whole document, as helm reads it (aggregated discovery), not the group's own endpoint.
		// (A partial answer, an aggregated API failing, still lists the groups that answered.)
		_, lists, err := env.Clientset.Discovery().ServerGroupsAndResources()
		for _, l := range lists {
			for _, r := range l.APIResources {
				if l.GroupVersion == "argoproj.io/v1alpha1" && r.Kind == "Rollout" {
					return true, "", nil
				}
			}
		}
		return false, fmt.Sprintf("no Rollout in argoproj.io/v1alpha1 yet (%v)", err), nil
	})
	return image
}

// rolloutState is the part of an Argo Rollout's status the suite follows.
type rolloutState struct {
	Phase             string `json:"phase"`
	Message           string `json:"message"`
	Abort             bool   `json:"abort"`
	CurrentPodHash    string `json:"currentPodHash"`
	StableRS          string `json:"stableRS"`
	CurrentStepIndex  *int   `json:"currentStepIndex"`
	Replicas          int    `json:"replicas"`
	UpdatedReplicas   int    `json:"updatedReplicas"`
	AvailableReplicas int    `json:"availableReplicas"`
	BlueGreen         struct {
		ActiveSelector  string `json:"activeSelector"`
		PreviewSelector string `json:"previewSelector"`
	} `json:"blueGreen"`
	PauseConditions []struct {
		Reason string `json:"reason"`
	} `json:"pauseConditions"`
}

func (s rolloutState) String() string {
	step := "-"
	if s.CurrentStepIndex != nil {
		step = fmt.Sprint(*s.CurrentStepIndex)
	}
	return fmt.Sprintf("phase %s (%s) abort=%v step %s stable %s current %s replicas %d updated %d available %d",
		s.Phase, s.Message, s.Abort, step, s.StableRS, s.CurrentPodHash, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas)
}

func getRollout(ctx context.Context, dyn dynamic.Interface, ns, name string) (rolloutState, error) {
	var s rolloutState
	u, err := dyn.Resource(rolloutsGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return s, err
	}
	status, _ := u.Object["status"].(map[string]any)
	err = runtime.DefaultUnstructuredConverter.FromUnstructured(status, &s)
	return s, err
}

// waitRollout polls a Rollout until done says so, and returns its last state and the time taken.
func waitRollout(t *testing.T, dyn dynamic.Interface, ns, name, what string, timeout time.Duration, done func(rolloutState) bool) (rolloutState, time.Duration) {
	t.Helper()
	var s rolloutState
	d := kube.Wait(t, kube.WaitOptions{What: name + ": " + what, Timeout: timeout, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
		var err error
		s, err = getRollout(ctx, dyn, ns, name)
		if err != nil {
			return false, err.Error(), nil
		}
		return done(s), s.String(), nil
	})
	return s, d
}

// podsOf counts the running pods of an app by pod-template hash.
func podsOf(t *testing.T, ns, app string) map[string]int {
	t.Helper()
	pods, err := env.Clientset.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + app})
	require.NoError(t, err)
	out := map[string]int{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			out[p.Labels["rollouts-pod-template-hash"]]++
		}
	}
	return out
}

// onlyVersion waits until the app's pods are all of pod-template hash and n of them run: gone
// from the API, not only terminating (a terminating pod answers through its preStop sleep while
// the proxies drop it).
func onlyVersion(t *testing.T, ns, app, hash string, n int, what string) {
	t.Helper()
	kube.Wait(t, kube.WaitOptions{What: what, Timeout: 2 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
		pods, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + app + ",rollouts-pod-template-hash!=" + hash})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(pods.Items) == 0 && podsOf(t, ns, app)[hash] == n, fmt.Sprintf("%d pods of other versions", len(pods.Items)), nil
	})
}

// message is podinfo's "message" (PODINFO_UI_MESSAGE) as one request through the edge sees it.
func message(url string, header http.Header) (string, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	var info struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return "", fmt.Errorf("%s: %w", url, err)
	}
	return info.Message, nil
}

// loadFor runs the edge load while action runs and until at least min requests were sent.
func loadFor(base string, paths []string, header http.Header, min int, action func()) (sent, failed int, detail string) {
	return loadForWith(nil, 40, base, paths, header, min, action)
}

// loadForWith is loadFor with the load's own client (nil: runLoad's) and rate.
func loadForWith(client *http.Client, rps int, base string, paths []string, header http.Header, min int, action func()) (sent, failed int, detail string) {
	l := loadForTimed(client, rps, base, paths, header, min, action)
	return l.result()
}

// loadForTimed is loadForWith returning the finished load, whose firstFail and lastFail say when
// the failures happened.
func loadForTimed(client *http.Client, rps int, base string, paths []string, header http.Header, min int, action func()) *load {
	stop := make(chan struct{})
	if client == nil {
		client = loadClient()
	}
	l := runLoadWith(client, base, paths, header, rps, stop)
	stopped := false
	defer func() { // the action failed the test (runtime.Goexit): stop the load all the same
		if !stopped {
			close(stop)
			l.wg.Wait()
		}
	}()
	time.Sleep(2 * time.Second)
	action()
	for {
		l.mu.Lock()
		n := l.sent
		l.mu.Unlock()
		if n >= min {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	stopped = true
	close(stop)
	l.wg.Wait()
	return l
}

// The progressive-delivery suite: the Argo Rollouts controller built here, the umbrella
// with users on a canary and orders on a blue-green rollout judged by the release's own
// Prometheus, and steady load through the NodePort edge and the gateway during every release.
func TestProgressiveDeliveryCanaryAndBlueGreenUnderLoad(t *testing.T) {
	parallel(t)
	needsAddon(t, "Argo Rollouts")
	image := installArgoRollouts(t)
	progress(t, "rollouts: controller image under test %s", image)
	dyn, err := dynamic.NewForConfig(env.RESTConfig)
	require.NoError(t, err)

	// The new version of an app is a new image tag (the same podinfo build, tagged anew like a
	// CI pipeline's release), so `helm upgrade` of the tag is what starts each rollout.
	podinfo := env.Images["podinfo"]
	require.NotEmpty(t, podinfo, "the podinfo workload image")
	repo, tag, _ := strings.Cut(podinfo, ":")
	v2 := tag + "-v2"
	out, err := exec.Command("docker", "tag", podinfo, repo+":"+v2).CombinedOutput()
	require.NoError(t, err, "docker tag: %s", out)
	env.Cluster.LoadImages(t, repo+":"+v2)

	ns := namespace(t, "rollout")
	createNamespace(t, ns+"-monitoring", "restricted")
	values := valuesFile(t, "rollout.yaml", `global:
  edge:
    mode: nodeport
    nodePort: {gateway: 30290, frontend: 30291}
gateway:
  routes:
    - {path: /api/users/, service: users, port: 80}
    - {path: /api/orders/, service: orders, port: 80}
    - {path: /preview/orders/, service: orders, port: 80, preview: true}
    - {path: /api/auth/, service: auth, port: 80}
    - {path: /, service: frontend, port: 80, stripPrefix: false, auth: false}
services:
  defaults:
    strategy: {maxSurge: 1, maxUnavailable: 0}
  apps:
    users:
      replicas: 4
      env: [{name: PODINFO_UI_MESSAGE, value: users v1}]
      rollout:
        strategy: canary
        canary:
          steps:
            - setWeight: 25
            - pause: {duration: 60s}
            - setWeight: 50
            - pause: {duration: 15s}
            - setWeight: 75
            - pause: {duration: 15s}
        # p99 up to 1 s and one failed measurement tolerated: suites share two cores here (a p99 of
        # 0.27 s was seen on a fresh pod, and one measurement of 1.9 s among nine under 0.5 s while
        # the autoscaling suite loaded the node). The bad version fails every measurement on its
        # error ratio, so two failures still abort it within the first pause.
        analysis: {interval: 10s, initialDelay: 20s, window: 30s, failureLimit: 1, inconclusiveLimit: 4, latency: {maxSeconds: 1}}
    orders:
      env: [{name: PODINFO_UI_MESSAGE, value: orders v1}]
      hpa: {enabled: true, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 400}
      rollout:
        strategy: blueGreen
        blueGreen: {scaleDownDelaySeconds: 20}
        analysis: {interval: 10s, initialDelay: 20s, window: 30s, count: 3, failureLimit: 1, inconclusiveLimit: 3, latency: {maxSeconds: 1}}
    mailer: {enabled: false}
    pipeline: {enabled: false}
monitoring:
  enabled: true
  namespace: {create: false}
  prometheus:
    scrapeInterval: 5s
    scrapeTimeout: 5s
    evaluationInterval: 10s
    persistence: {size: 1Gi}
  alertmanager: {enabled: false}
  kubeStateMetrics: {enabled: false}
  nodeExporter: {enabled: false}
  networkPolicy:
    allowedClients:
      - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: argo-rollouts}}
        podSelector: {matchLabels: {app.kubernetes.io/name: argo-rollouts}}
`)
	start := time.Now()
	rel := stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, OnFailure: dumpNamespaces, Namespace: ns, Name: "stack",
		Chart: filepath.Join(root, "charts", "stack"), ValuesFiles: helmOptions(ns, withoutBackingServices(t, ns), values).ValuesFiles,
		Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	for _, app := range []string{"users", "orders"} {
		s, _ := waitRollout(t, dyn, ns, "stack-"+app, "Healthy", 3*time.Minute, func(s rolloutState) bool { return s.Phase == "Healthy" })
		progress(t, "rollouts: %s %s", app, s)
		kube.Wait(t, kube.WaitOptions{What: "the " + app + " Deployment scaled to zero by the controller", Timeout: 2 * time.Minute, Interval: time.Second},
			func(ctx context.Context) (bool, string, error) {
				d, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "stack-"+app, metav1.GetOptions{})
				if err != nil {
					return false, err.Error(), nil
				}
				return d.Status.Replicas == 0, fmt.Sprintf("%d pods", d.Status.Replicas), nil
			})
	}
	progress(t, "rollouts: umbrella installed, both Rollouts Healthy and their Deployments at zero in %s", time.Since(start).Round(time.Second))

	// HPA and PDB work on the Rollout's pods: the HPA reads and sets the Rollout's scale, the PDB
	// counts its pods.
	kube.Wait(t, kube.WaitOptions{What: "the orders HPA scaling the Rollout", Timeout: 2 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		h, err := env.Clientset.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "stack-orders", metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		var why []string
		ok := h.Status.CurrentReplicas >= 2
		for _, c := range h.Status.Conditions {
			why = append(why, fmt.Sprintf("%s=%s (%s)", c.Type, c.Status, c.Reason))
			if (c.Type == "AbleToScale" || c.Type == "ScalingActive") && c.Status != corev1.ConditionTrue {
				ok = false
			}
		}
		return ok && len(h.Status.Conditions) > 0, fmt.Sprintf("current %d: %s", h.Status.CurrentReplicas, strings.Join(why, ", ")), nil
	})
	for _, app := range []string{"users", "orders"} {
		var pdb *policyv1.PodDisruptionBudget
		pdb, err = env.Clientset.PolicyV1().PodDisruptionBudgets(ns).Get(context.Background(), "stack-"+app, metav1.GetOptions{})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, int(pdb.Status.CurrentHealthy), 2, "the %s PDB counts the Rollout's pods", app)
		assert.GreaterOrEqual(t, int(pdb.Status.DisruptionsAllowed), 1, "%s: %+v", app, pdb.Status)
		progress(t, "rollouts: PDB %s: %d healthy of %d expected, %d disruptions allowed", pdb.Name, pdb.Status.CurrentHealthy, pdb.Status.ExpectedPods, pdb.Status.DisruptionsAllowed)
	}

	base := "http://" + net.JoinHostPort(nodeAddress(t), "30290")
	token := jwtHS256(devJWTKey, map[string]any{"name": "load", "iss": "podinfo", "exp": time.Now().Add(time.Hour).Unix()})
	header := http.Header{"Authorization": {"Bearer " + token}}
	paths := []string{"/api/users/", "/api/orders/"}
	kube.Wait(t, kube.WaitOptions{What: "the edge answers for both apps", Timeout: time.Minute, Interval: time.Second}, func(context.Context) (bool, string, error) {
		u, err := message(base+"/api/users/", header)
		if err != nil {
			return false, err.Error(), nil
		}
		o, err := message(base+"/api/orders/", header)
		if err != nil {
			return false, err.Error(), nil
		}
		return u == "users v1" && o == "orders v1", u + ", " + o, nil
	})
	upgrade := func(name, yaml string) {
		t0 := time.Now()
		rel.Upgrade(t, "", valuesFile(t, name, yaml))
		progress(t, "rollouts: helm upgrade (%s) returned in %s", name, time.Since(t0).Round(100*time.Millisecond))
	}

	// 1. A good new version of users goes through every canary step, judged by the analysis.
	before, err := getRollout(context.Background(), dyn, ns, "stack-users")
	require.NoError(t, err)
	var good rolloutState
	var goodTook time.Duration
	steps := map[int]bool{}
	sent, failed, detail := loadFor(base, paths, header, 400, func() {
		t0 := time.Now()
		upgrade("users-v2.yaml", fmt.Sprintf("services:\n  apps:\n    users:\n      image: {tag: %q}\n      env: [{name: PODINFO_UI_MESSAGE, value: users v2}]\n", v2))
		good, _ = waitRollout(t, dyn, ns, "stack-users", "the good version promoted through every step", 6*time.Minute, func(s rolloutState) bool {
			if s.CurrentStepIndex != nil {
				steps[*s.CurrentStepIndex] = true
			}
			return s.Abort || (s.CurrentPodHash != before.CurrentPodHash && s.StableRS == s.CurrentPodHash && s.Phase == "Healthy")
		})
		goodTook = time.Since(t0)
	})
	progress(t, "rollouts: canary, good version: %s from helm upgrade to promoted (steps seen %v); %d requests, %d failed %s", goodTook.Round(time.Second), slices.Sorted(maps.Keys(steps)), sent, failed, detail)
	require.False(t, good.Abort, "the good version was aborted: %s (analysis: %s)", good, strings.Join(analysisRuns(t, dyn, ns, good.CurrentPodHash), "; "))
	assert.Zero(t, failed, "no request may fail while a good canary rolls out: %s", detail)
	for _, pause := range []int{1, 3, 5} {
		assert.True(t, steps[pause], "the canary paused at step %d (at 25, 50 and 75%%)", pause)
	}
	runs := analysisRuns(t, dyn, ns, good.CurrentPodHash)
	progress(t, "rollouts: the good version's analysis: %s", strings.Join(runs, "; "))
	require.NotEmpty(t, runs, "the canary was analysed")
	for _, r := range runs {
		assert.NotContains(t, r, "Failed", "the good version's analysis")
	}
	// Promoted is not yet alone: the old pods answer through their preStop sleep until the
	// controller's scale-down has removed them (one CI run read "users v1" right after).
	onlyVersion(t, ns, "users", good.CurrentPodHash, 4, "the old version's pods gone after the promotion")
	for range 10 {
		msg, err := message(base+"/api/users/", header)
		require.NoError(t, err)
		require.Equal(t, "users v2", msg, "every answer after the promotion is the new version")
	}

	// 2. A bad new version (podinfo's --random-error: a third of its answers are 500, 400 or 409)
	// is aborted by the analysis at the first canary weight; the stable version keeps serving.
	stable := good.CurrentPodHash
	var bad rolloutState
	var badTook time.Duration
	maxCanary, total := 0, 0
	sent, failed, detail = loadFor(base, paths, header, 400, func() {
		t0 := time.Now()
		upgrade("users-bad.yaml", "services:\n  apps:\n    users:\n      env: [{name: PODINFO_UI_MESSAGE, value: users v3 (bad)}]\n      args: [--port=9898, --port-metrics=9797, --level=info, --random-error]\n")
		bad, _ = waitRollout(t, dyn, ns, "stack-users", "the bad version aborted by the analysis", 5*time.Minute, func(s rolloutState) bool {
			pods := podsOf(t, ns, "users")
			n := 0
			for h, c := range pods {
				if h != stable {
					n += c
				}
			}
			if n > maxCanary {
				maxCanary, total = n, n+pods[stable]
			}
			return s.Abort && s.Phase == "Degraded"
		})
		badTook = time.Since(t0)
		onlyVersion(t, ns, "users", stable, 4, "the aborted canary's pods gone")
	})
	usersSent := sent / len(paths)
	bound := usersSent * maxCanary / max(total, 1)
	progress(t, "rollouts: canary, bad version: aborted %s after helm upgrade (%s); canary at most %d of %d pods (%d%%); %d requests (%d to users), %d failed %s; bound by the canary's share: %d",
		badTook.Round(time.Second), bad.Message, maxCanary, total, 100*maxCanary/max(total, 1), sent, usersSent, failed, detail, bound)
	assert.Positive(t, maxCanary, "the bad version ran as a canary")
	assert.LessOrEqual(t, 100*maxCanary/max(total, 1), 25, "aborted at the first weight, before any further step")
	assert.LessOrEqual(t, failed, bound, "failed requests bounded by the canary's share of the traffic")
	assert.NotContains(t, detail, "/api/orders/", "orders is untouched")
	runs = analysisRuns(t, dyn, ns, bad.CurrentPodHash)
	progress(t, "rollouts: the bad version's analysis: %s", strings.Join(runs, "; "))
	assert.Contains(t, strings.Join(runs, " "), "Failed", "the analysis failed the bad version")
	sent, failed, detail = loadFor(base, paths, header, 400, func() {})
	progress(t, "rollouts: after the abort, the stable version: %d requests, %d failed %s", sent, failed, detail)
	assert.Zero(t, failed, "the stable version serves after the abort: %s", detail)
	msg, err := message(base+"/api/users/", header)
	require.NoError(t, err)
	assert.Equal(t, "users v2", msg, "the stable version answers")

	// 3. Blue-green: the new orders answers on its preview before promotion, the promotion
	// switches every request at once, the old version scales down after the delay.
	ob, err := getRollout(context.Background(), dyn, ns, "stack-orders")
	require.NoError(t, err)
	var preview rolloutState
	t0 := time.Now()
	sent, failed, detail = loadFor(base, paths, header, 200, func() {
		upgrade("orders-v2.yaml", fmt.Sprintf("services:\n  apps:\n    orders:\n      image: {tag: %q}\n      env: [{name: PODINFO_UI_MESSAGE, value: orders v2}]\n", v2))
		preview, _ = waitRollout(t, dyn, ns, "stack-orders", "the new version up on the preview, waiting for promotion", 3*time.Minute, func(s rolloutState) bool {
			return s.CurrentPodHash != ob.CurrentPodHash && s.BlueGreen.PreviewSelector == s.CurrentPodHash && s.BlueGreen.ActiveSelector == ob.CurrentPodHash &&
				s.Phase == "Paused" && len(s.PauseConditions) > 0
		})
	})
	progress(t, "rollouts: blue-green: preview ready in %s (%s); %d requests meanwhile, %d failed %s", time.Since(t0).Round(time.Second), preview, sent, failed, detail)
	assert.Zero(t, failed, "%s", detail)
	kube.Wait(t, kube.WaitOptions{What: "the preview route answering with the new version", Timeout: time.Minute, Interval: time.Second}, func(context.Context) (bool, string, error) {
		m, err := message(base+"/preview/orders/", header)
		if err != nil {
			return false, err.Error(), nil
		}
		return m == "orders v2", m, nil
	})
	for i := 0; i < 20; i++ {
		m, err := message(base+"/api/orders/", header)
		require.NoError(t, err)
		require.Equal(t, "orders v1", m, "before promotion every request gets the active version")
	}
	var switched, firstNew time.Duration
	var afterSwitch []string
	t0 = time.Now()
	sent, failed, detail = loadFor(base, paths, header, 800, func() {
		// What `kubectl argo rollouts promote` does: clear the pause on the status subresource.
		_, err := dyn.Resource(rolloutsGVR).Namespace(ns).Patch(context.Background(), "stack-orders", types.MergePatchType,
			[]byte(`{"status":{"pauseConditions":null}}`), metav1.PatchOptions{}, "status")
		require.NoError(t, err)
		_, switched = waitRollout(t, dyn, ns, "stack-orders", "the active Service switched", time.Minute, func(s rolloutState) bool {
			return s.BlueGreen.ActiveSelector == preview.CurrentPodHash
		})
		// The Service's new selector reaches the node's proxy rules a moment later; from the
		// first answer of the new version on, every answer is the new version's.
		firstNew = kube.Wait(t, kube.WaitOptions{What: "the first answer of the new orders", Timeout: 30 * time.Second, Interval: 100 * time.Millisecond}, func(context.Context) (bool, string, error) {
			m, err := message(base+"/api/orders/", header)
			if err != nil {
				return false, err.Error(), nil
			}
			return m == "orders v2", m, nil
		})
		for i := 0; i < 20; i++ {
			m, err := message(base+"/api/orders/", header)
			if err != nil {
				m = err.Error()
			}
			afterSwitch = append(afterSwitch, m)
		}
		kube.Wait(t, kube.WaitOptions{What: "the old orders pods scaled down after the delay and the analysis", Timeout: 3 * time.Minute, Interval: time.Second}, func(context.Context) (bool, string, error) {
			pods := podsOf(t, ns, "orders")
			return pods[ob.CurrentPodHash] == 0, fmt.Sprint(pods), nil
		})
	})
	final, err := getRollout(context.Background(), dyn, ns, "stack-orders")
	require.NoError(t, err)
	progress(t, "rollouts: blue-green: promoted; active Service switched %s after the promotion, the edge's first new answer %s after that, old version gone %s after the promotion (delay 20 s, post-promotion analysis); %d requests, %d failed %s; %s",
		switched.Round(100*time.Millisecond), firstNew.Round(100*time.Millisecond), time.Since(t0).Round(time.Second), sent, failed, detail, final)
	assert.Zero(t, failed, "no request may fail through the blue-green switch: %s", detail)
	for _, m := range afterSwitch {
		assert.Equal(t, "orders v2", m, "after the switch every request gets the new version")
	}
	assert.Equal(t, "Healthy", final.Phase)
	runs = analysisRuns(t, dyn, ns, preview.CurrentPodHash)
	progress(t, "rollouts: the blue-green post-promotion analysis: %s", strings.Join(runs, "; "))
	assert.Contains(t, strings.Join(runs, " "), "Successful")
}

// analysisRuns describes the AnalysisRuns of one pod-template hash: name, phase and, per metric,
// its phase and last measured value.
func analysisRuns(t *testing.T, dyn dynamic.Interface, ns, hash string) []string {
	t.Helper()
	list, err := dyn.Resource(analysisRunsGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "rollouts-pod-template-hash=" + hash})
	require.NoError(t, err)
	var out []string
	for _, u := range list.Items {
		var run struct {
			Status struct {
				Phase         string `json:"phase"`
				MetricResults []struct {
					Name         string `json:"name"`
					Phase        string `json:"phase"`
					Count        int    `json:"count"`
					Measurements []struct {
						Value string `json:"value"`
					} `json:"measurements"`
				} `json:"metricResults"`
			} `json:"status"`
		}
		require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &run))
		var metrics []string
		for _, m := range run.Status.MetricResults {
			var values []string
			for _, v := range m.Measurements {
				values = append(values, v.Value)
			}
			metrics = append(metrics, fmt.Sprintf("%s %s %v", m.Name, m.Phase, values))
		}
		out = append(out, fmt.Sprintf("%s %s [%s]", u.GetName(), run.Status.Phase, strings.Join(metrics, ", ")))
	}
	return out
}
