package check

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/stack-charts/stack/plugin/internal/kube/kubetest"
	"github.com/stack-charts/stack/plugin/internal/render"
)

// fakeEnv is an Env over client-go fakes: typed objects, dynamic objects and the served kinds.
type fakeEnv struct {
	*Env
	typed   *fake.Clientset
	dynamic *dynamicfake.FakeDynamicClient
}

func newEnv(t *testing.T, manifest string, gitVersion string, typed []runtime.Object, dynamic ...runtime.Object) *fakeEnv {
	t.Helper()
	objs, err := render.Parse(manifest)
	require.NoError(t, err)
	clients, fakes := kubetest.New(t, gitVersion, typed, dynamic...)
	return &fakeEnv{Env: &Env{Release: "shop", Namespace: "prod", Objects: objs, Clients: clients}, typed: fakes.Typed, dynamic: fakes.Dynamic}
}

func (e *fakeEnv) run(c Check) []Result {
	return Run(context.Background(), []Check{c}, e.Env)
}

// only returns the results of a status.
func only(rs []Result, s Status) []Result {
	var out []Result
	for _, r := range rs {
		if r.Status == s {
			out = append(out, r)
		}
	}
	return out
}

func node(name, cpu, mem string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: mustQ(cpu), corev1.ResourceMemory: mustQ(mem)}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}
