// Package kubetest builds stackcheck's Kubernetes clients over client-go fakes (typed,
// discovery and dynamic) for unit tests.
package kubetest

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/restmapper"

	"github.com/stack-charts/stack/plugin/internal/kube"
)

// Served is what the fake API server serves: the kinds the tests render.
var Served = []*metav1.APIResourceList{
	{GroupVersion: "v1", APIResources: []metav1.APIResource{
		{Name: "pods", Kind: "Pod", Namespaced: true}, {Name: "services", Kind: "Service", Namespaced: true},
		{Name: "secrets", Kind: "Secret", Namespaced: true}, {Name: "configmaps", Kind: "ConfigMap", Namespaced: true},
		{Name: "persistentvolumeclaims", Kind: "PersistentVolumeClaim", Namespaced: true}, {Name: "namespaces", Kind: "Namespace"},
		{Name: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true}, {Name: "nodes", Kind: "Node"}}},
	{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
		{Name: "deployments", Kind: "Deployment", Namespaced: true}, {Name: "statefulsets", Kind: "StatefulSet", Namespaced: true},
		{Name: "daemonsets", Kind: "DaemonSet", Namespaced: true}}},
	{GroupVersion: "batch/v1", APIResources: []metav1.APIResource{{Name: "cronjobs", Kind: "CronJob", Namespaced: true}, {Name: "jobs", Kind: "Job", Namespaced: true}}},
	{GroupVersion: "autoscaling/v2", APIResources: []metav1.APIResource{{Name: "horizontalpodautoscalers", Kind: "HorizontalPodAutoscaler", Namespaced: true}}},
	{GroupVersion: "policy/v1", APIResources: []metav1.APIResource{{Name: "poddisruptionbudgets", Kind: "PodDisruptionBudget", Namespaced: true}}},
	{GroupVersion: "networking.k8s.io/v1", APIResources: []metav1.APIResource{
		{Name: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true}, {Name: "ingresses", Kind: "Ingress", Namespaced: true},
		{Name: "ingressclasses", Kind: "IngressClass"}}},
	{GroupVersion: "storage.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "storageclasses", Kind: "StorageClass"}}},
	{GroupVersion: "apiregistration.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "apiservices", Kind: "APIService"}}},
	{GroupVersion: "flowcontrol.apiserver.k8s.io/v1beta3", APIResources: []metav1.APIResource{{Name: "flowschemas", Kind: "FlowSchema"}}},
}

// Fakes are the fakes behind the clients, for reactors and extra objects.
type Fakes struct {
	Typed   *fake.Clientset
	Dynamic *dynamicfake.FakeDynamicClient
}

// New returns clients of a fake API server of version gitVersion serving Served, holding typed
// and dynamic (unstructured) objects.
func New(t testing.TB, gitVersion string, typed []runtime.Object, dynamic ...runtime.Object) (*kube.Clients, Fakes) {
	t.Helper()
	cs := fake.NewSimpleClientset(typed...)
	disc := cs.Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = Served
	major, minor, _ := strings.Cut(strings.TrimPrefix(gitVersion, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	disc.FakedServerVersion = &version.Info{Major: major, Minor: minor, GitVersion: gitVersion}
	groups, err := restmapper.GetAPIGroupResources(disc)
	require.NoError(t, err)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}:       "APIServiceList",
		{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}:             "CertificateList",
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}:       "GatewayList",
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}: "GatewayClassList",
	}, dynamic...)
	return &kube.Clients{Typed: cs, Discovery: disc, Dynamic: dyn, DryRun: dynamicDryRunner{Dynamic: dyn}, Mapper: restmapper.NewDiscoveryRESTMapper(groups), Server: disc.FakedServerVersion}, Fakes{cs, dyn}
}

// dynamicDryRunner sends the dry-runs through the fake dynamic client, where the tests' reactors
// see them as creates and patches.
type dynamicDryRunner struct{ Dynamic dynamic.Interface }

func (d dynamicDryRunner) resource(gvr schema.GroupVersionResource, namespace string) dynamic.ResourceInterface {
	if namespace == "" {
		return d.Dynamic.Resource(gvr)
	}
	return d.Dynamic.Resource(gvr).Namespace(namespace)
}

func (d dynamicDryRunner) Create(ctx context.Context, gvr schema.GroupVersionResource, namespace string, obj kube.Body) error {
	u := &unstructured.Unstructured{}
	if obj.ContentType == runtime.ContentTypeProtobuf {
		typed, _, err := scheme.Codecs.UniversalDeserializer().Decode(obj.Data, nil, nil)
		if err != nil {
			return err
		}
		if u.Object, err = runtime.DefaultUnstructuredConverter.ToUnstructured(typed); err != nil {
			return err
		}
	} else if err := u.UnmarshalJSON(obj.Data); err != nil {
		return err
	}
	_, err := d.resource(gvr, namespace).Create(ctx, u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: kube.FieldManager})
	return err
}

func (d dynamicDryRunner) Apply(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string, obj []byte) error {
	force := true
	_, err := d.resource(gvr, namespace).Patch(ctx, name, types.ApplyPatchType, obj,
		metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: kube.FieldManager, Force: &force})
	return err
}
