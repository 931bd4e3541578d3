package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"

	"github.com/stack-charts/stack/plugin/internal/kube"
	"github.com/stack-charts/stack/plugin/internal/render"
)

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }

const web = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web, namespace: prod, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: example/web:1.0
          resources: {requests: {cpu: 500m, memory: 256Mi}, limits: {memory: 512Mi}}
          livenessProbe: {httpGet: {path: /, port: 80}}
          readinessProbe: {httpGet: {path: /, port: 80}}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: shop-db, key: password}}
`

func TestKubeVersionFailsOutsideTheChartRange(t *testing.T) {
	e := newEnv(t, web, "v1.36.3", nil)
	e.ChartKubeVersion = ">=1.40.0-0"
	rs := e.run(KubeVersion{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Contains(t, rs[0].Message, `Kubernetes v1.36.3 does not satisfy the chart's kubeVersion ">=1.40.0-0"`)
	assert.Contains(t, rs[0].Hint, "upgrade the cluster")
	e.ChartKubeVersion = ">=1.30.0-0"
	assert.Equal(t, Pass, e.run(KubeVersion{})[0].Status)
}

func TestAPILifecycleUsesKubernetesOwnData(t *testing.T) {
	removed := `
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: old, namespace: prod}
spec: {minAvailable: 1}
`
	rs := newEnv(t, removed, "v1.36.3", nil).run(APILifecycle{})
	require.Len(t, only(rs, Fail), 1)
	assert.Contains(t, rs[0].Message, "policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25")
	assert.Equal(t, "use policy/v1 PodDisruptionBudget", rs[0].Hint)

	deprecated := `
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata: {name: fs}
spec: {priorityLevelConfiguration: {name: x}}
`
	rs = newEnv(t, deprecated, "v1.30.0", nil).run(APILifecycle{})
	require.Len(t, only(rs, Warn), 1, "%v", rs)
	assert.Contains(t, rs[0].Message, "deprecated since Kubernetes 1.29")
	assert.Equal(t, Pass, newEnv(t, web, "v1.36.3", nil).run(APILifecycle{})[0].Status)
}

func TestAPIGroupsNameWhatToInstall(t *testing.T) {
	cert := web + `---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: edge, namespace: prod}
spec: {secretName: edge-tls}
`
	rs := newEnv(t, cert, "v1.36.3", nil).run(APIGroups{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, "the cluster does not serve cert-manager.io/v1 Certificate", rs[0].Message)
	assert.Equal(t, "Certificate/prod/edge", rs[0].Object)
	assert.Contains(t, rs[0].Hint, "install cert-manager")
}

func TestStorageClasses(t *testing.T) {
	pvc := `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: prod}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast, namespace: prod}
spec: {storageClassName: ssd, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`
	rs := newEnv(t, pvc, "v1.36.3", nil).run(StorageClasses{})
	require.Len(t, only(rs, Fail), 2)
	assert.Contains(t, rs[0].Message+rs[1].Message, "names no StorageClass and the cluster has no default one")
	assert.Contains(t, rs[0].Message+rs[1].Message, `StorageClass "ssd" does not exist`)

	std := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}, Provisioner: "rancher.io/local-path"}
	rs = newEnv(t, pvc, "v1.36.3", []runtime.Object{std}).run(StorageClasses{})
	fails := only(rs, Fail)
	require.Len(t, fails, 1)
	assert.Equal(t, "create it, or set storageClassName to one of: standard", fails[0].Hint)
	assert.Contains(t, only(rs, Pass)[0].Message, "default StorageClass standard (rancher.io/local-path)")
}

func TestEdgeClasses(t *testing.T) {
	ing := `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: edge, namespace: prod}
spec: {ingressClassName: nginx, rules: [{host: shop.example.com}]}
`
	traefik := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "traefik"}, Spec: networkingv1.IngressClassSpec{Controller: "traefik.io/ingress-controller"}}
	rs := newEnv(t, ing, "v1.36.3", []runtime.Object{traefik}).run(EdgeClasses{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, `IngressClass "nginx" does not exist`, rs[0].Message)
	assert.Contains(t, rs[0].Hint, "traefik")

	route := `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: edge, namespace: prod}
spec: {parentRefs: [{name: public, namespace: infra}]}
`
	rs = newEnv(t, route, "v1.36.3", nil).run(EdgeClasses{})
	require.Len(t, rs, 1)
	assert.Contains(t, rs[0].Message, "parent Gateway infra/public")
	gw := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": map[string]any{"name": "public", "namespace": "infra"}}}
	withGW := newEnv(t, route, "v1.36.3", nil)
	require.NoError(t, withGW.dynamic.Tracker().Create(gatewayGVR, gw, "infra"))
	rs = withGW.run(EdgeClasses{})
	assert.Equal(t, Pass, rs[0].Status, "%v", rs)
}

// allowExcept answers every SelfSubjectAccessReview with allowed unless deny says no, and records
// what was asked ("verb resource.group ns").
func allowExcept(e *fakeEnv, deny func(verb, group, resource string) bool) *[]string {
	var mu sync.Mutex
	asked := &[]string{}
	e.typed.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		ra := r.Spec.ResourceAttributes
		mu.Lock()
		*asked = append(*asked, strings.TrimSpace(ra.Verb+" "+strings.TrimSuffix(ra.Resource+"."+ra.Group, ".")+" "+ra.Namespace))
		mu.Unlock()
		r.Status.Allowed = !deny(ra.Verb, ra.Group, ra.Resource)
		return true, r, nil
	})
	return asked
}

func TestRBACAsksTheServer(t *testing.T) {
	e := newEnv(t, web, "v1.36.3", nil)
	allowExcept(e, func(_, _, resource string) bool { return resource == "deployments" })
	rs := e.run(RBAC{})
	require.Len(t, rs, 2)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, "you may not create deployments.apps in namespace prod", rs[0].Message)
	assert.Contains(t, rs[0].Hint, "granting create on deployments.apps in namespace prod")
	assert.Equal(t, Warn, rs[1].Status)
	assert.Equal(t, "you may not delete, patch, update deployments.apps in namespace prod: the install works, but `helm upgrade` or `helm uninstall` will not", rs[1].Message)
}

func TestRBACTakesWhatTheNamespacesRulesGrantAndAsksTheRest(t *testing.T) {
	withNamespace := web + `---
apiVersion: v1
kind: Namespace
metadata: {name: shop-tools}
`
	rulesReview := func(e *fakeEnv, fail bool, rules ...authorizationv1.ResourceRule) *[]string {
		var reviewed []string
		e.typed.PrependReactor("create", "selfsubjectrulesreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectRulesReview)
			reviewed = append(reviewed, r.Spec.Namespace)
			if fail {
				return true, nil, errors.New("the server is currently unable to handle the request")
			}
			r.Status.ResourceRules = rules
			r.Status.Incomplete = true // what is listed still holds
			return true, r, nil
		})
		return &reviewed
	}
	// Everything in prod granted by the namespace's rules: nothing there is asked one by one; the
	// Namespace (cluster-wide) is, whatever a rule of prod says. A rule limited to names does not
	// count.
	e := newEnv(t, withNamespace, "v1.36.3", nil)
	reviewed := rulesReview(e, false,
		authorizationv1.ResourceRule{Verbs: []string{"*"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}},
		authorizationv1.ResourceRule{Verbs: []string{"get", "list", "create", "update"}, APIGroups: []string{""}, Resources: []string{"*"}},
		authorizationv1.ResourceRule{Verbs: []string{"delete"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"sh.helm.release.v1.shop.v1"}},
		authorizationv1.ResourceRule{Verbs: []string{"create"}, APIGroups: []string{"*"}, Resources: []string{"namespaces"}})
	asked := allowExcept(e, func(string, string, string) bool { return false })
	rs := e.run(RBAC{})
	require.Len(t, rs, 1)
	assert.Equal(t, Pass, rs[0].Status, "%v", rs)
	assert.Equal(t, []string{"prod"}, *reviewed)
	assert.ElementsMatch(t, []string{"delete secrets prod", "create namespaces", "delete namespaces", "patch namespaces", "update namespaces"}, *asked)

	// What the rules do not grant is the access reviews' to refuse.
	e = newEnv(t, withNamespace, "v1.36.3", nil)
	rulesReview(e, false, authorizationv1.ResourceRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"deployments", "secrets"}})
	asked = allowExcept(e, func(verb, _, resource string) bool { return resource == "namespaces" && verb == "create" })
	rs = e.run(RBAC{})
	require.Len(t, only(rs, Fail), 1, "%v", rs)
	assert.Equal(t, "you may not create namespaces cluster-wide", only(rs, Fail)[0].Message)
	assert.ElementsMatch(t, []string{"create namespaces", "delete namespaces", "patch namespaces", "update namespaces"}, *asked)

	// A rules review that fails: every verb is asked one by one.
	e = newEnv(t, web, "v1.36.3", nil)
	rulesReview(e, true)
	asked = allowExcept(e, func(verb, _, resource string) bool { return resource == "deployments" && verb == "create" })
	rs = e.run(RBAC{})
	require.Len(t, only(rs, Fail), 1, "%v", rs)
	assert.Len(t, *asked, 9)
}

func TestRBACAsksWhatUpgradesUninstallsHooksAndHelmsRecordsNeed(t *testing.T) {
	hook := web + `---
apiVersion: batch/v1
kind: Job
metadata: {name: shop-migrate, namespace: prod}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: example/migrate:1.0}]
`
	// Everything allowed: every verb Helm uses was asked, once each.
	e := newEnv(t, hook, "v1.36.3", nil)
	e.Objects[1].Hook = true
	asked := allowExcept(e, func(string, string, string) bool { return false })
	rs := e.run(RBAC{})
	require.Len(t, rs, 1)
	assert.Equal(t, Pass, rs[0].Status)
	assert.Equal(t, "you may install, upgrade and uninstall all 2 kinds of object the release creates, and keep its release records", rs[0].Message)
	assert.ElementsMatch(t, []string{
		"create deployments.apps prod", "delete deployments.apps prod", "patch deployments.apps prod", "update deployments.apps prod",
		"create jobs.batch prod", "delete jobs.batch prod", // a hook: created, and deleted before the next one
		"get secrets prod", "list secrets prod", "create secrets prod", "update secrets prod", "delete secrets prod", // Helm's records
	}, *asked)

	// A hook whose kind may not be deleted fails the install (before-hook-creation).
	e = newEnv(t, hook, "v1.36.3", nil)
	e.Objects[1].Hook = true
	allowExcept(e, func(verb, _, resource string) bool { return verb == "delete" && resource == "jobs" })
	rs = e.run(RBAC{})
	require.Len(t, only(rs, Fail), 1, "%v", rs)
	assert.Equal(t, "you may not delete jobs.batch in namespace prod (Helm deletes a hook's previous object before creating it)", only(rs, Fail)[0].Message)

	// Helm's release records: without update the install cannot record its outcome.
	e = newEnv(t, web, "v1.36.3", nil)
	allowExcept(e, func(verb, _, resource string) bool { return resource == "secrets" && verb == "update" })
	rs = e.run(RBAC{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, "Helm release records", rs[0].Object)
	assert.Equal(t, "you may not update secrets in namespace prod, where Helm keeps the release's records", rs[0].Message)

	// A release with Secrets of its own: those and Helm's records are separate needs, each verb
	// named once (the live preflight suite once printed "update, update").
	withSecret := web + `---
apiVersion: v1
kind: Secret
metadata: {name: shop-db, namespace: prod}
stringData: {password: p}
`
	e = newEnv(t, withSecret, "v1.36.3", nil)
	allowExcept(e, func(verb, _, resource string) bool {
		return resource == "secrets" && (verb == "update" || verb == "delete")
	})
	rs = e.run(RBAC{})
	require.Len(t, rs, 3, "%v", rs)
	fails, warns := only(rs, Fail), only(rs, Warn)
	require.Len(t, fails, 1)
	assert.Equal(t, "Helm release records", fails[0].Object)
	assert.Equal(t, "you may not update secrets in namespace prod, where Helm keeps the release's records", fails[0].Message)
	require.Len(t, warns, 2)
	assert.Equal(t, "Secret/prod/shop-db", warns[0].Object)
	assert.Equal(t, "you may not delete, update secrets in namespace prod: the install works, but `helm upgrade` or `helm uninstall` will not", warns[0].Message)
	assert.Equal(t, "Helm release records", warns[1].Object)
	assert.Equal(t, "you may not delete secrets in namespace prod: the install works, but `helm upgrade` or `helm uninstall` will not", warns[1].Message)

	// Only what upgrades need is missing: a warning, not a failure.
	e = newEnv(t, web, "v1.36.3", nil)
	allowExcept(e, func(verb, _, _ string) bool { return verb == "patch" })
	rs = e.run(RBAC{})
	require.Len(t, rs, 1)
	assert.Equal(t, Warn, rs[0].Status)
	assert.Contains(t, rs[0].Message, "you may not patch deployments.apps in namespace prod: the install works")

	// HELM_DRIVER=configmap keeps the records in ConfigMaps; memory keeps none in the cluster.
	t.Setenv("HELM_DRIVER", "configmap")
	e = newEnv(t, web, "v1.36.3", nil)
	asked = allowExcept(e, func(string, string, string) bool { return false })
	e.run(RBAC{})
	assert.Contains(t, *asked, "update configmaps prod")
	assert.NotContains(t, *asked, "update secrets prod")
	t.Setenv("HELM_DRIVER", "memory")
	e = newEnv(t, web, "v1.36.3", nil)
	asked = allowExcept(e, func(string, string, string) bool { return false })
	e.run(RBAC{})
	assert.Len(t, *asked, 4, "only the Deployment's verbs: %v", *asked)
}

func TestNodePortClash(t *testing.T) {
	svc := `
apiVersion: v1
kind: Service
metadata: {name: shop-gateway, namespace: prod}
spec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}
`
	other := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "grafana", Namespace: "monitoring"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 3000, NodePort: 30080}}}}
	rs := newEnv(t, svc, "v1.36.3", []runtime.Object{other}).run(NodePorts{})
	require.Len(t, rs, 1)
	assert.Equal(t, "node port 30080 is taken by Service monitoring/grafana", rs[0].Message)
	self := other.DeepCopy()
	self.Name, self.Namespace = "shop-gateway", "prod"
	assert.Equal(t, Pass, newEnv(t, svc, "v1.36.3", []runtime.Object{self}).run(NodePorts{})[0].Status, "an upgrade keeps its own port")
}

func TestSecretsAndKeysMustExist(t *testing.T) {
	rs := newEnv(t, web, "v1.36.3", nil).run(Secrets{})
	require.Len(t, rs, 1)
	assert.Equal(t, "Secret prod/shop-db does not exist", rs[0].Message)
	assert.Equal(t, "Deployment/prod/shop-web", rs[0].Object)
	assert.Contains(t, rs[0].Hint, "kubectl -n prod create secret generic shop-db")
	wrongKey := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-db", Namespace: "prod"}, Data: map[string][]byte{"pw": []byte("x")}}
	rs = newEnv(t, web, "v1.36.3", []runtime.Object{wrongKey}).run(Secrets{})
	assert.Equal(t, "Secret prod/shop-db has no key password", rs[0].Message)
	assert.Contains(t, rs[0].Hint, "pw")
	rendered := web + `---
apiVersion: v1
kind: Secret
metadata: {name: shop-db, namespace: prod}
stringData: {password: x}
`
	assert.Equal(t, "nothing to check in this release", newEnv(t, rendered, "v1.36.3", nil).run(Secrets{})[0].Message, "a Secret the release creates needs no check")
}

// privilegedAgent is a DaemonSet in ns whose pods no level but privileged admits.
func privilegedAgent(ns string) string {
	return `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ` + ns + `}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: a, image: agent:1, securityContext: {privileged: true}}]
`
}

func TestPodSecurityOfTheNamespace(t *testing.T) {
	root := privilegedAgent("prod")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}
	rs := newEnv(t, root, "v1.36.3", []runtime.Object{ns}).run(PodSecurity{})
	require.NotEmpty(t, only(rs, Fail))
	assert.Contains(t, rs[0].Message, "pod-security.kubernetes.io/enforce restricted")
	assert.Contains(t, rs[0].Message+rs[1].Message+rs[2].Message, "privileged")
	rs = newEnv(t, web, "v1.36.3", []runtime.Object{ns}).run(PodSecurity{})
	assert.Equal(t, Pass, rs[0].Status, "%v", rs)
	rs = newEnv(t, web, "v1.36.3", nil).run(PodSecurity{})
	assert.Equal(t, Warn, rs[0].Status)
	assert.Contains(t, rs[0].Message, "namespace prod does not exist")
}

// A release with workloads beside its namespace (the stack's monitoring namespace): each pod is
// judged by its own namespace's level — found live when the prod profile's node-exporter, in a
// privileged monitoring namespace, failed against the release namespace's restricted.
// level is a namespace whose Pod Security enforce level is lvl.
func level(name, lvl string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"pod-security.kubernetes.io/enforce": lvl}}}
}

func TestPodSecurityJudgesEachPodByItsOwnNamespace(t *testing.T) {
	agent := privilegedAgent("prod-monitoring")
	rs := newEnv(t, web+"---"+agent, "v1.36.3", []runtime.Object{level("prod", "restricted"), level("prod-monitoring", "privileged")}).run(PodSecurity{})
	assert.Empty(t, only(rs, Fail), "the agent runs where privileged pods are admitted: %v", rs)
	require.Len(t, only(rs, Pass), 2, "%v", rs)
	assert.Equal(t, "all 1 pod templates meet pod-security.kubernetes.io/enforce=restricted of namespace prod", rs[0].Message)
	assert.Equal(t, "all 1 pod templates meet pod-security.kubernetes.io/enforce=privileged of namespace prod-monitoring", rs[1].Message)

	// The other way round: a restricted monitoring namespace refuses it, whatever the release's is.
	rs = newEnv(t, web+"---"+agent, "v1.36.3", []runtime.Object{level("prod", "privileged"), level("prod-monitoring", "restricted")}).run(PodSecurity{})
	require.NotEmpty(t, only(rs, Fail), "a privileged pod in a restricted namespace: %v", rs)
	assert.Equal(t, "DaemonSet/prod-monitoring/agent", only(rs, Fail)[0].Object)

	// A Namespace the release renders is judged by its rendered labels; one that does not exist is said.
	created := `
apiVersion: v1
kind: Namespace
metadata: {name: prod-monitoring, labels: {pod-security.kubernetes.io/enforce: baseline}}
`
	rs = newEnv(t, web+"---"+agent+"---"+created, "v1.36.3", []runtime.Object{level("prod", "restricted")}).run(PodSecurity{})
	require.NotEmpty(t, only(rs, Fail))
	assert.Contains(t, only(rs, Fail)[0].Message, "enforce baseline")
	rs = newEnv(t, web+"---"+agent, "v1.36.3", []runtime.Object{level("prod", "restricted")}).run(PodSecurity{})
	require.Len(t, only(rs, Warn), 1, "%v", rs)
	assert.Contains(t, only(rs, Warn)[0].Message, "namespace prod-monitoring does not exist and the release does not create it")
}

func TestDryRunReportsTheServersRefusal(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod"}}
	refuse := func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New(`admission webhook "policy.example.com" denied the request: images must come from registry.example.com`)
	}
	// A new object: a create, dry-run, in the release's namespace.
	e := newEnv(t, web, "v1.36.3", []runtime.Object{ns})
	var created []string
	e.dynamic.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c := a.(k8stesting.CreateActionImpl)
		assert.Equal(t, []string{metav1.DryRunAll}, c.CreateOptions.DryRun, "a create that is not a dry-run")
		created = append(created, c.GetResource().Resource+"/"+c.GetNamespace())
		if c.GetResource().Resource == "deployments" {
			return refuse(a)
		}
		return false, nil, nil
	})
	e.dynamic.PrependReactor("patch", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		t.Errorf("an object that does not exist was applied, not created: %s", a.GetResource())
		return false, nil, nil
	})
	rs := e.run(DryRun{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, "Deployment/prod/shop-web", rs[0].Object)
	assert.Contains(t, rs[0].Message, "the API server refuses it: admission webhook")
	assert.Contains(t, created, "deployments/prod")

	// An object that exists (an upgrade): the create says AlreadyExists, and the change is dry-run
	// as a server-side apply, refused here.
	e = newEnv(t, web, "v1.36.3", []runtime.Object{ns})
	e.dynamic.PrependReactor("create", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewAlreadyExists(schema.GroupResource{Group: "apps", Resource: "deployments"}, "shop-web")
	})
	applied := 0
	e.dynamic.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchActionImpl)
		assert.Equal(t, types.ApplyPatchType, p.GetPatchType())
		assert.Equal(t, []string{metav1.DryRunAll}, p.PatchOptions.DryRun, "an apply that is not a dry-run")
		assert.Equal(t, "prod", p.GetNamespace())
		applied++
		return refuse(a)
	})
	rs = e.run(DryRun{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Contains(t, rs[0].Message, "the API server refuses it: admission webhook")
	assert.Equal(t, 1, applied)

	// Before an upgrade (Helm's record of release shop is in prod): every object is applied at
	// once, none created first.
	record := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.shop.v1", Namespace: "prod",
		Labels: map[string]string{"owner": "helm", "name": "shop", "status": "deployed"}}}
	e = newEnv(t, web, "v1.36.3", []runtime.Object{ns, record})
	e.dynamic.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		t.Errorf("an object of a release being upgraded was created first: %s", a.GetResource())
		return false, nil, nil
	})
	applied = 0
	e.dynamic.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		applied++
		return refuse(a)
	})
	rs = e.run(DryRun{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, 1, applied)

	rs = newEnv(t, web, "v1.36.3", nil).run(DryRun{})
	assert.Equal(t, Warn, rs[0].Status)
	assert.Contains(t, rs[0].Message, "namespace prod does not exist yet: 1 namespaced objects were not dry-run")
}

func TestSelectAndRun(t *testing.T) {
	_, err := Select(Preflight(), []string{"capacty"}, nil)
	require.ErrorContains(t, err, `unknown check "capacty"`)
	sel, err := Select(Preflight(), nil, []string{"dry-run", "rbac"})
	require.NoError(t, err)
	assert.Len(t, sel, len(Preflight())-2)
	sel, err = Select(Preflight(), []string{"secrets"}, nil)
	require.NoError(t, err)
	require.Len(t, sel, 1)
	rs := Run(context.Background(), []Check{panics{}}, &Env{})
	assert.Equal(t, Fail, rs[0].Status)
	assert.Contains(t, rs[0].Message, "check crashed")
	assert.Equal(t, Fail, Worst([]Result{{Status: Warn}, {Status: Fail}, {Status: Pass}}))
}

type panics struct{}

func (panics) Name() string                       { return "panics" }
func (panics) Description() string                { return "" }
func (panics) Run(context.Context, *Env) []Result { panic("boom") }

// Only `helm test` hooks are optional: a privileged pre-install Job is checked like any workload
// (issue 17: every hook was skipped, so it passed and `helm install` failed at the hook).
func TestHooksOtherThanTestsAreChecked(t *testing.T) {
	job := `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: prod}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: migrate:1, securityContext: {privileged: true}, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
`
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}
	run := func(hook, test bool) []Result {
		e := newEnv(t, job, "v1.36.3", []runtime.Object{ns})
		e.Objects[0].Hook, e.Objects[0].TestHook = hook, test
		return e.run(PodSecurity{})
	}
	assert.NotEmpty(t, only(run(true, false), Fail), "a pre-install hook is admitted like the release's pods")
	assert.NotEmpty(t, only(run(false, false), Fail))
	assert.Empty(t, only(run(true, true), Fail), "a helm test hook is created only by helm test")

	// Its Secret references are checked too.
	withSecret := strings.Replace(job, "securityContext: {privileged: true}, ", "env: [{name: DB, valueFrom: {secretKeyRef: {name: migrate-db, key: url}}}], ", 1)
	e := newEnv(t, withSecret, "v1.36.3", []runtime.Object{ns})
	e.Objects[0].Hook = true
	fails := only(e.run(Secrets{}), Fail)
	require.NotEmpty(t, fails, "the hook's missing Secret is reported")
	assert.Contains(t, fails[0].Message, "migrate-db")
}

// Two Services of the release on one node port fail (issue 17: they passed, and the API server
// refused the second at install).
func TestTwoServicesOfTheReleaseOnOneNodePortFail(t *testing.T) {
	svc := func(name string, port int) string {
		return fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: %s, namespace: prod}
spec: {type: NodePort, selector: {app: a}, ports: [{port: 80, nodePort: %d}]}
`, name, port)
	}
	rs := newEnv(t, svc("a", 30080)+"---"+svc("b", 30080), "v1.36.3", nil).run(NodePorts{})
	fails := only(rs, Fail)
	require.Len(t, fails, 1, "%v", rs)
	assert.Equal(t, "Service/prod/b", fails[0].Object)
	assert.Equal(t, "node port 30080 is also used by Service prod/a of this release", fails[0].Message)
	rs = newEnv(t, svc("a", 30080)+"---"+svc("b", 30081), "v1.36.3", nil).run(NodePorts{})
	assert.Empty(t, only(rs, Fail))
}

// An Ingress naming its class with the deprecated annotation is checked by that name (issue 17: a
// false FAIL "names no IngressClass").
func TestTheLegacyIngressClassAnnotationIsRead(t *testing.T) {
	ing := `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: edge, namespace: prod, annotations: {kubernetes.io/ingress.class: traefik}}
spec: {rules: [{host: shop.example.com}]}
`
	traefik := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "traefik"}, Spec: networkingv1.IngressClassSpec{Controller: "traefik.io/ingress-controller"}}
	rs := newEnv(t, ing, "v1.36.3", []runtime.Object{traefik}).run(EdgeClasses{})
	require.Len(t, rs, 1)
	assert.Equal(t, Pass, rs[0].Status, "%v", rs)
	assert.Equal(t, "IngressClass traefik (traefik.io/ingress-controller) (from the kubernetes.io/ingress.class annotation)", rs[0].Message)
	rs = newEnv(t, ing, "v1.36.3", nil).run(EdgeClasses{})
	assert.Equal(t, Warn, rs[0].Status, "no IngressClass object: an annotation-reading controller may still serve it")
}

// storageClassName "" is not "the default class" (issue 17: a false PASS): it binds only a
// pre-created PersistentVolume without a class.
func TestAnEmptyStorageClassNeedsAStaticVolume(t *testing.T) {
	pvc := `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: prod}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`
	std := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}, Provisioner: "rancher.io/local-path"}
	rs := newEnv(t, pvc, "v1.36.3", []runtime.Object{std}).run(StorageClasses{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status, "the default class does not apply: %v", rs)
	assert.Contains(t, rs[0].Message, `storageClassName "" turns dynamic provisioning off`)
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "nfs-1"}, Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable}}
	rs = newEnv(t, pvc, "v1.36.3", []runtime.Object{std, pv}).run(StorageClasses{})
	assert.Equal(t, Pass, rs[0].Status, "%v", rs)
	assert.Contains(t, rs[0].Message, "1 pre-created PersistentVolume(s) without a class Available")
}

// A namespace-scoped user who may not list nodes, Services cluster-wide, StorageClasses or read a
// Secret gets "could not check" warnings naming the permission, not failures (issue 17 item 4);
// another error still fails.
func TestMissingPermissionsAreCouldNotCheckWarnings(t *testing.T) {
	forbid := func(e *fakeEnv, verb, resource string) {
		e.typed.PrependReactor(verb, resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New("RBAC: access denied"))
		})
	}
	e := newEnv(t, web, "v1.36.3", nil)
	forbid(e, "list", "nodes")
	rs := e.run(Capacity{})
	require.Len(t, rs, 1)
	assert.Equal(t, Warn, rs[0].Status)
	assert.Equal(t, "could not check: list nodes is not permitted (list on nodes)", rs[0].Message)

	pvc := "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d, namespace: prod}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"
	e = newEnv(t, pvc, "v1.36.3", nil)
	forbid(e, "list", "storageclasses")
	assert.Equal(t, Warn, e.run(StorageClasses{})[0].Status)

	np := "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: prod}\nspec: {type: NodePort, selector: {a: b}, ports: [{port: 80, nodePort: 30080}]}\n"
	e = newEnv(t, np, "v1.36.3", nil)
	forbid(e, "list", "services")
	rs = e.run(NodePorts{})
	assert.Equal(t, Warn, rs[0].Status)
	assert.Contains(t, rs[0].Message, "list on services cluster-wide")

	e = newEnv(t, web, "v1.36.3", nil)
	e.typed.PrependReactor("list", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection reset")
	})
	rs = e.run(Capacity{})
	assert.Equal(t, Fail, rs[0].Status, "an error that is not a refusal fails")
}

// The ConfigMaps, ServiceAccounts and PVCs the pods name and the release does not create must
// exist; projected Secrets and the edge's TLS Secrets are Secrets like the others (issue 17 item 5:
// none of them was checked).
func TestReferencesOutsideTheReleaseMustExist(t *testing.T) {
	pod := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api-irsa
      containers:
        - name: api
          image: api:1
          envFrom: [{configMapRef: {name: shared-settings}}]
          env: [{name: FLAG, valueFrom: {configMapKeyRef: {name: flags, key: f, optional: true}}}]
      volumes:
        - {name: data, persistentVolumeClaim: {claimName: shared-data}}
        - {name: own, configMap: {name: api-config}}
        - name: creds
          projected: {sources: [{secret: {name: api-creds}}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-config, namespace: prod}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: edge, namespace: prod}
spec: {ingressClassName: nginx, tls: [{hosts: [a.test], secretName: edge-cert}], rules: [{host: a.test}]}
`
	rs := newEnv(t, pod, "v1.36.3", nil).run(References{})
	var msgs []string
	for _, r := range only(rs, Fail) {
		msgs = append(msgs, r.Message)
	}
	assert.ElementsMatch(t, []string{
		"ConfigMap prod/shared-settings does not exist and the release does not create it",
		"PersistentVolumeClaim prod/shared-data does not exist and the release does not create it",
		"ServiceAccount prod/api-irsa does not exist and the release does not create it",
	}, msgs, "the optional ConfigMap and the release's own are not required")
	existing := []runtime.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shared-settings", Namespace: "prod"}},
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "shared-data", Namespace: "prod"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "api-irsa", Namespace: "prod"}},
	}
	assert.Empty(t, only(newEnv(t, pod, "v1.36.3", existing).run(References{}), Fail))

	var secretMsgs []string
	for _, r := range only(newEnv(t, pod, "v1.36.3", nil).run(Secrets{}), Fail) {
		secretMsgs = append(secretMsgs, r.Message)
	}
	assert.ElementsMatch(t, []string{"Secret prod/api-creds does not exist", "Secret prod/edge-cert does not exist"}, secretMsgs)
}

// Issue 17, item 5: Helm creates the chart's own CRDs (those the cluster lacks) before its
// objects: the user must be allowed to create CustomResourceDefinitions cluster-wide.
func TestRBACAsksToCreateTheChartsOwnCRDs(t *testing.T) {
	crd, err := render.Parse(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions: [{name: v1, served: true, storage: true}]
`)
	require.NoError(t, err)
	e := newEnv(t, web, "v1.36.3", nil)
	e.ChartCRDs = crd
	allowExcept(e, func(verb, group, resource string) bool { return resource == "customresourcedefinitions" })
	fails := only(e.run(RBAC{}), Fail)
	require.Len(t, fails, 1)
	assert.Equal(t, "you may not create customresourcedefinitions.apiextensions.k8s.io cluster-wide", fails[0].Message)
	assert.Equal(t, "CustomResourceDefinition/widgets.example.com", fails[0].Object)
}

func TestReadsAreMadeOnceAndPrefetchStartsThem(t *testing.T) {
	e := newEnv(t, web, "v1.36.3", []runtime.Object{node("n1", "4", "8Gi"), level("prod", "restricted")})
	var mu sync.Mutex
	calls := map[string]int{}
	e.typed.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		calls[a.GetVerb()+" "+a.GetResource().Resource]++
		mu.Unlock()
		return false, nil, nil
	})
	// Before the render: every read the selected checks declare is started, and only those.
	reads := NewReads(e.Clients)
	reads.Prefetch(context.Background(), []Check{Capacity{}, PodSecurity{}, DryRun{}}, "shop", "prod")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return calls["list nodes"] == 1 && calls["list pods"] == 1 && calls["get namespaces"] == 1 && calls["list secrets"] == 1
	}, 5*time.Second, 10*time.Millisecond, "%v", calls)
	// The checks find the answers: nothing is asked twice (pod-security and dry-run both read
	// namespace prod).
	e.Reads = reads
	rs := Run(context.Background(), []Check{Capacity{}, PodSecurity{}, DryRun{}}, e.Env)
	assert.Equal(t, Pass, Worst(rs), "%v", rs)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"list nodes": 1, "list pods": 1, "get namespaces": 1, "list secrets": 1}, calls)

	// An error is kept and given to every check that asks, as the call gave it.
	e = newEnv(t, web, "v1.36.3", nil)
	e.typed.PrependReactor("list", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New("no"))
	})
	_, err := e.cluster().Nodes(context.Background())
	require.True(t, apierrors.IsForbidden(err))
	rs = e.run(Capacity{})
	require.Len(t, rs, 1)
	assert.Equal(t, Warn, rs[0].Status, "%v", rs)
	assert.Contains(t, rs[0].Message, "list nodes")
}

// recordingDryRunner keeps what the dry-run check sends.
type recordingDryRunner struct {
	mu      sync.Mutex
	created map[string]kube.Body
}

func (r *recordingDryRunner) Create(_ context.Context, gvr schema.GroupVersionResource, ns string, obj kube.Body) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created[gvr.Resource+"/"+ns] = obj
	return nil
}

func (r *recordingDryRunner) Apply(context.Context, schema.GroupVersionResource, string, string, []byte) error {
	return errors.New("not expected")
}

// A built-in kind is created as protobuf of the object the render decoded (as the API server
// decodes its JSON), in the release's namespace; a kind without a Go type here as JSON.
func TestDryRunSendsBuiltInKindsAsProtobuf(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod"}}
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates", "d.yaml"), []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2, Paused: true, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates", "a.yaml"), []byte("apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.example.com}\nspec: {group: example.com, version: v1}\n"), 0o644))
	res, err := render.Render(render.Options{Chart: dir, Release: "shop", Namespace: "prod"})
	require.NoError(t, err)
	typed := res.Objects
	require.Len(t, typed, 2)
	require.Equal(t, []string{"Deployment", "APIService"}, []string{typed[0].GetKind(), typed[1].GetKind()})
	require.Nil(t, typed[1].Typed)
	e := newEnv(t, "", "v1.36.3", []runtime.Object{ns})
	e.Objects = typed
	rec := &recordingDryRunner{created: map[string]kube.Body{}}
	e.Clients.DryRun = rec
	rs := e.run(DryRun{})
	require.Len(t, rs, 1, "%v", rs)
	assert.Equal(t, Pass, rs[0].Status)

	d := rec.created["deployments/prod"]
	require.Equal(t, runtime.ContentTypeProtobuf, d.ContentType)
	got, _, err := scheme.Codecs.UniversalDeserializer().Decode(d.Data, nil, nil)
	require.NoError(t, err)
	dep := got.(*appsv1.Deployment)
	assert.Equal(t, "prod", dep.Namespace)
	assert.Equal(t, int32(2), *dep.Spec.Replicas)
	assert.False(t, dep.Spec.Paused, "a field the server does not read (Paused) was sent")
	assert.Empty(t, typed[0].Typed.(*appsv1.Deployment).Namespace, "the rendered object was changed")

	// APIService has no Go type here (kube-aggregator's): JSON, cluster-scoped.
	a := rec.created["apiservices/"]
	require.Equal(t, runtime.ContentTypeJSON, a.ContentType)
	assert.JSONEq(t, `{"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"v1.example.com"},"spec":{"group":"example.com","version":"v1"}}`, string(a.Data))
}
