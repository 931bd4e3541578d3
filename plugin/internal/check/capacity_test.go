package check

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// deployment is a Deployment of the release with one container's requests and extra pod spec
// fields (YAML at the pod spec's indentation).
func deployment(name string, replicas int, cpu, mem, podSpec string) string {
	return fmt.Sprintf(`---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: prod}
spec:
  replicas: %d
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
%s      containers:
        - name: main
          image: example/app:1.0
          resources: {requests: {cpu: %s, memory: %s}}
`, name, replicas, name, name, podSpec, cpu, mem)
}

func running(name, nodeName, cpu, mem string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"}, Spec: corev1.PodSpec{NodeName: nodeName,
		Containers: []corev1.Container{{Name: "x"}}}}
	if cpu != "" {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: mustQ(cpu), corev1.ResourceMemory: mustQ(mem)}
	}
	return p
}

func withTaint(n *corev1.Node, key string, effect corev1.TaintEffect) *corev1.Node {
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: "true", Effect: effect})
	return n
}

func withLabels(n *corev1.Node, kv ...string) *corev1.Node {
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Labels[kv[i]] = kv[i+1]
	}
	return n
}

func capacity(t *testing.T, manifest string, objs ...runtime.Object) []Result {
	t.Helper()
	return newEnv(t, manifest, "v1.36.3", objs).run(Capacity{})
}

func TestCapacityPlacesEachPodAfterWhatAlreadyRuns(t *testing.T) {
	// 2 × (500m, 256Mi) on one node with 400m left: one pod fits nowhere.
	rs := capacity(t, web, node("n1", "1", "4Gi"), running("other", "n1", "600m", "1Gi"))
	fails := only(rs, Fail)
	require.Len(t, fails, 1, "%v", rs)
	assert.Equal(t, "Deployment/prod/shop-web", fails[0].Object)
	assert.Equal(t, "2 of 2 pods (cpu 500m, memory 256Mi each) fit no node — n1: has cpu 400m, memory 3.0Gi left", fails[0].Message)
	assert.Contains(t, fails[0].Hint, "lower replicas or requests")

	// Room for both on two nodes; the pass says what was placed.
	rs = capacity(t, web, node("n1", "600m", "8Gi"), node("n2", "600m", "8Gi"))
	assert.Empty(t, only(rs, Fail), "%v", rs)
	assert.Equal(t, "the release's 2 pods (cpu 1000m, memory 512Mi in all) fit the nodes they may run on", only(rs, Pass)[0].Message)

	// This release's own running pods (an upgrade) are not counted twice.
	mine := running("shop-web-1", "n1", "900m", "1Gi")
	mine.Namespace, mine.Labels = "prod", map[string]string{"app.kubernetes.io/instance": "shop"}
	assert.Empty(t, only(capacity(t, web, node("n1", "1", "4Gi"), mine), Fail))
}

// Issue 17, item 3: a taint the pods tolerate leaves the node to them (it removed the node before);
// one they do not tolerate is named.
func TestCapacityHonoursTaintsTheTemplateTolerates(t *testing.T) {
	tolerates := deployment("shop-gpu", 1, "1", "1Gi", "      tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]\n")
	rs := capacity(t, tolerates, withTaint(node("n1", "4", "8Gi"), "gpu", corev1.TaintEffectNoSchedule))
	assert.Empty(t, only(rs, Fail), "a tolerated taint: %v", rs)

	rs = capacity(t, web, withTaint(node("n1", "4", "8Gi"), "gpu", corev1.TaintEffectNoSchedule), withTaint(node("n2", "4", "8Gi"), "maintenance", corev1.TaintEffectNoExecute))
	fails := only(rs, Fail)
	require.Len(t, fails, 1, "%v", rs)
	assert.Contains(t, fails[0].Message, "n1: taint gpu=true:NoSchedule not tolerated; n2: taint maintenance=true:NoExecute not tolerated")

	// PreferNoSchedule does not keep a pod away.
	assert.Empty(t, only(capacity(t, web, withTaint(node("n1", "4", "8Gi"), "spot", corev1.TaintEffectPreferNoSchedule)), Fail))
}

// Issue 17, item 3: nodeSelector and required node affinity narrow the nodes (a big unlabelled
// node made a pod that selects a small one pass before).
func TestCapacityHonoursNodeSelectorAndAffinity(t *testing.T) {
	small := withLabels(node("small", "200m", "8Gi"), "pool", "edge")
	big := node("big", "16", "64Gi")
	selects := deployment("shop-edge", 1, "500m", "128Mi", "      nodeSelector: {pool: edge}\n")
	fails := only(capacity(t, selects, small, big), Fail)
	require.Len(t, fails, 1)
	assert.Contains(t, fails[0].Message, "big: does not match the nodeSelector/required node affinity; small: has cpu 200m")

	affinity := deployment("shop-edge", 1, "500m", "128Mi", `      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [edge]}]}]
`)
	require.Len(t, only(capacity(t, affinity, small, big), Fail), 1)
	assert.Empty(t, only(capacity(t, affinity, withLabels(node("roomy", "4", "8Gi"), "pool", "edge"), big), Fail))
}

// Issue 17, item 3: each pod is weighed on CPU and memory together. Before, the "largest pod" was
// whichever template came last with more of either, so a CPU-heavy pod that fits no node passed
// beside a memory-heavy one that did.
func TestCapacityWeighsEveryTemplateOnBothResources(t *testing.T) {
	manifest := deployment("shop-cpu", 1, "3", "100Mi", "") + deployment("shop-mem", 1, "100m", "3Gi", "")
	fails := only(capacity(t, manifest, node("n1", "2", "8Gi"), node("n2", "2", "8Gi")), Fail)
	require.Len(t, fails, 1)
	assert.Equal(t, "Deployment/prod/shop-cpu", fails[0].Object)
}

// Issue 17, item 3: native sidecars (restartable init containers) run beside the containers and
// are summed with them; a RuntimeClass's pod overhead is added; a missing RuntimeClass is named.
func TestCapacityCountsSidecarsAndPodOverhead(t *testing.T) {
	sidecar := deployment("shop-mesh", 1, "1", "128Mi", `      initContainers:
        - {name: proxy, image: example/proxy:1.0, restartPolicy: Always, resources: {requests: {cpu: "1", memory: 128Mi}}}
`)
	fails := only(capacity(t, sidecar, node("n1", "1500m", "8Gi")), Fail)
	require.Len(t, fails, 1, "1 + 1 CPU on a 1.5-CPU node")
	assert.Contains(t, fails[0].Message, "(cpu 2000m, memory 256Mi each)")

	kata := deployment("shop-vm", 1, "1", "128Mi", "      runtimeClassName: kata\n")
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata",
		Overhead:   &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: mustQ("500m"), corev1.ResourceMemory: mustQ("160Mi")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"runtime": "kata"}}}
	fails = only(capacity(t, kata, withLabels(node("n1", "1200m", "8Gi"), "runtime", "kata"), rc), Fail)
	require.Len(t, fails, 1, "1 CPU + 500m overhead on a 1.2-CPU node")
	assert.Contains(t, fails[0].Message, "(cpu 1500m, memory 288Mi each)")
	fails = only(capacity(t, kata, node("n1", "8", "8Gi"), rc), Fail)
	require.Len(t, fails, 1, "the RuntimeClass's scheduling selects its nodes")
	assert.Contains(t, fails[0].Message, "n1: does not match")

	fails = only(capacity(t, kata, node("n1", "8", "8Gi")), Fail)
	require.Len(t, fails, 1)
	assert.Equal(t, `RuntimeClass "kata" does not exist: its pods are refused at admission`, fails[0].Message)
}

// Issue 17, item 3: a node's pod slots (allocatable pods) and a Job's parallelism count.
func TestCapacityCountsPodSlotsAndJobParallelism(t *testing.T) {
	full := node("n1", "8", "16Gi")
	full.Status.Allocatable[corev1.ResourcePods] = mustQ("3")
	fails := only(capacity(t, web, full, running("a", "n1", "", ""), running("b", "n1", "", "")), Fail)
	require.Len(t, fails, 1, "2 pods, 1 slot left")
	assert.Equal(t, "1 of 2 pods (cpu 500m, memory 256Mi each) fit no node — n1: has cpu 7500m, memory 15.8Gi, 0 pod slots left", fails[0].Message)

	job := `apiVersion: batch/v1
kind: Job
metadata: {name: shop-migrate, namespace: prod}
spec:
  parallelism: 4
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: example/m:1.0, resources: {requests: {cpu: 500m, memory: 64Mi}}}]
`
	fails = only(capacity(t, job, node("n1", "1500m", "8Gi")), Fail)
	require.Len(t, fails, 1, "4 × 500m at once on 1.5 CPU")
	assert.Contains(t, fails[0].Message, "1 of 4 pods")
	assert.Empty(t, only(capacity(t, strings.Replace(job, "parallelism: 4", "parallelism: 4\n  completions: 2", 1), node("n1", "1500m", "8Gi")), Fail),
		"no more pods at once than completions")
}

// Issue 17, item 3: a release that requests nothing cannot fail on CPU or memory; it says so.
func TestCapacityWarnsWhenTemplatesRequestNothing(t *testing.T) {
	bare := `apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-bare, namespace: prod}
spec:
  selector: {matchLabels: {app: bare}}
  template:
    metadata: {labels: {app: bare}}
    spec:
      containers: [{name: main, image: example/bare:1.0}]
`
	rs := capacity(t, bare, node("n1", "1", "1Gi"))
	warns := only(rs, Warn)
	require.Len(t, warns, 1, "%v", rs)
	assert.Equal(t, "1 pod templates request neither CPU nor memory (Deployment/prod/shop-bare): only their pod slots are checked", warns[0].Message)
	assert.Len(t, only(rs, Pass), 1)
}

// A DaemonSet has a pod on each node it may run on, and each must fit its own node.
func TestCapacityPlacesADaemonSetOnEachNodeItMayRunOn(t *testing.T) {
	ds := `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: shop-agent, namespace: prod}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {logs: "on"}
      containers: [{name: a, image: example/a:1.0, resources: {requests: {cpu: 300m, memory: 64Mi}}}]
`
	rs := capacity(t, ds, withLabels(node("n1", "1", "1Gi"), "logs", "on"), node("n2", "100m", "1Gi"))
	assert.Empty(t, only(rs, Fail), "n2 is not selected, so its 100m do not matter: %v", rs)
	assert.Contains(t, only(rs, Pass)[0].Message, "the release's 1 pods")
	fails := only(capacity(t, ds, withLabels(node("n1", "1", "1Gi"), "logs", "on"), withLabels(node("n2", "100m", "1Gi"), "logs", "on")), Fail)
	require.Len(t, fails, 1)
	assert.Contains(t, fails[0].Message, "1 of 2 pods")
	fails = only(capacity(t, ds, node("n1", "1", "1Gi")), Fail)
	require.Len(t, fails, 1)
	assert.Contains(t, fails[0].Message, "no node may run its pods — n1: does not match")
}

func TestCapacityLeavesCordonedAndNotReadyNodesOut(t *testing.T) {
	cordoned := node("n1", "8", "8Gi")
	cordoned.Spec.Unschedulable = true
	down := node("n2", "8", "8Gi")
	down.Status.Conditions[0].Status = corev1.ConditionFalse
	fails := only(capacity(t, web, cordoned, down), Fail)
	require.Len(t, fails, 1)
	assert.Contains(t, fails[0].Message, "n1: cordoned; n2: not Ready")
}
