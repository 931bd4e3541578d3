package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
)

func TestLintFindsWhatProductionChartsMustNotShip(t *testing.T) {
	bad := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-api, namespace: prod}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "example/api:latest"}]
`
	e := newEnv(t, bad, "v1.36.3", nil)
	var msgs []string
	for _, rule := range []Check{PSSRestricted, Resources, Probes, PinnedImages} {
		for _, r := range only(e.run(rule), Fail) {
			msgs = append(msgs, r.Message)
			assert.Equal(t, rule.Name(), r.Check)
		}
	}
	// Each rule its own check: one can be skipped without the others.
	assert.Len(t, only(e.run(Probes), Fail), 2, "probes only: the missing liveness and readiness probes")
	assert.Contains(t, msgs, `container "api": no cpu and memory requests`)
	assert.Contains(t, msgs, `container "api": no memory limit`)
	assert.Contains(t, msgs, `container "api": no livenessProbe`)
	assert.Contains(t, msgs, `container "api": image "example/api:latest" is not pinned`)
	found := false
	for _, m := range msgs {
		if len(m) > 26 && m[:26] == "Pod Security restricted: a" {
			found = true
		}
	}
	assert.True(t, found, "PSS restricted violations are reported: %v", msgs)

	pdb := e.run(PDBs{})
	require.Len(t, pdb, 1)
	assert.Equal(t, "3 replicas and no PodDisruptionBudget", pdb[0].Message)
	np := e.run(NetworkPolicies{})
	assert.Equal(t, "no NetworkPolicy selects its pods: they accept traffic from anywhere", np[0].Message)

	good := web + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: shop-web, namespace: prod}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: shop-web, namespace: prod}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}
`
	g := newEnv(t, good, "v1.36.3", nil)
	for _, c := range Lint() {
		for _, r := range g.run(c) {
			assert.Equal(t, Pass, r.Status, "%s: %s", c.Name(), r.Message)
		}
	}
	assert.True(t, podrules.Pinned("registry.local:5000/x/y@sha256:0123"))
	assert.True(t, podrules.Pinned("registry.local:5000/x/y:1.2"))
	assert.False(t, podrules.Pinned("registry.local:5000/x/y"))
}

func TestVerifyJudgesTheLiveStatus(t *testing.T) {
	two := int32(2)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "shop-web", Namespace: "prod", Generation: 2}, Spec: appsv1.DeploymentSpec{Replicas: &two},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 2, AvailableReplicas: 1}}
	dep.UID = "d1"
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "shop-web-5c9", Namespace: "prod", UID: "r1", OwnerReferences: controlledBy("Deployment", "shop-web", "d1")}}
	crashing := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "shop-web-1", Namespace: "prod", OwnerReferences: controlledBy("ReplicaSet", "shop-web-5c9", "r1")},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: 7, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}}
	pvc := `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: prod}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`
	pending := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "prod"}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
	e := newEnv(t, web+"---"+pvc, "v1.36.3", []runtime.Object{dep, rs, crashing, pending})
	w := e.run(WorkloadsAvailable{})
	assert.Equal(t, "1/2 available, rollout complete: true", w[0].Message)
	assert.Equal(t, Fail, w[0].Status)
	p := e.run(PVCsBound{})
	assert.Equal(t, "phase Pending", p[0].Message)
	c := e.run(NoCrashLoops{})
	assert.Equal(t, "container web is crash-looping (7 restarts)", c[0].Message)
	assert.Contains(t, c[0].Hint, "kubectl -n prod logs shop-web-1 -c web --previous")

	dep.Status.AvailableReplicas = 2
	ok := newEnv(t, web, "v1.36.3", []runtime.Object{dep})
	assert.Equal(t, Pass, ok.run(WorkloadsAvailable{})[0].Status)
	assert.Equal(t, "0 pods of the release (found by owner), none crash-looping", ok.run(NoCrashLoops{})[0].Message)
}

func TestAPodSecurityExemptionIsExplicitAndJustified(t *testing.T) {
	ds := func(ann string) string {
		return `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
  namespace: mon
  annotations: {` + ann + `}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      hostPID: true
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: agent
          image: example/agent:1.0
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
          livenessProbe: {tcpSocket: {port: 9100}}
          readinessProbe: {tcpSocket: {port: 9100}}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`
	}
	messages := func(rs []Result, st Status) []string {
		var out []string
		for _, r := range only(rs, st) {
			out = append(out, r.Message)
		}
		return out
	}
	// No exemption: the host namespaces fail restricted.
	rs := newEnv(t, ds(""), "v1.36.3", nil).run(PSSRestricted)
	assert.Contains(t, messages(rs, Fail), "Pod Security restricted: host namespaces: hostNetwork=true, hostPID=true")
	// Exempt to privileged with a reason: passes, and says why.
	rs = newEnv(t, ds(`stack.dev/pod-security-level: privileged, stack.dev/pod-security-reason: "reads the node's metrics"`), "v1.36.3", nil).run(PSSRestricted)
	assert.Empty(t, messages(rs, Fail))
	assert.Contains(t, messages(rs, Pass), "exempt from restricted, checked against privileged: reads the node's metrics")
	// Exempt to baseline: host namespaces are beyond baseline too.
	rs = newEnv(t, ds(`stack.dev/pod-security-level: baseline, stack.dev/pod-security-reason: "x"`), "v1.36.3", nil).run(PSSRestricted)
	assert.Contains(t, messages(rs, Fail), "Pod Security baseline: host namespaces: hostNetwork=true, hostPID=true")
	// A level without a reason, or an unknown level, fails and is checked as restricted.
	rs = newEnv(t, ds(`stack.dev/pod-security-level: privileged`), "v1.36.3", nil).run(PSSRestricted)
	assert.Contains(t, messages(rs, Fail), "stack.dev/pod-security-level: privileged without a reason: an exemption says why (stack.dev/pod-security-reason)")
	assert.Contains(t, messages(rs, Fail), "Pod Security restricted: host namespaces: hostNetwork=true, hostPID=true")
	rs = newEnv(t, ds(`stack.dev/pod-security-level: root, stack.dev/pod-security-reason: "x"`), "v1.36.3", nil).run(PSSRestricted)
	assert.Contains(t, messages(rs, Fail), `stack.dev/pod-security-level "root" is not a Pod Security level (privileged, baseline, restricted)`)
}
