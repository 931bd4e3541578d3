package check

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

type gvkObject struct{ gvk schema.GroupVersionKind }

func (o gvkObject) GroupVersionKind() schema.GroupVersionKind { return o.gvk }
func (o gvkObject) ID() string                                { return o.gvk.Kind + "/x" }

func lifecycleOf(gvk schema.GroupVersionKind, major, minor int) []Result {
	return LifecycleResults([]Objecter{gvkObject{gvk}}, major, minor)
}

// Issue 17, item 6: versions whose Go types left k8s.io/api passed before (the check only knew
// types the scheme still has).
func TestRemovedAPIsWhoseTypesLeftKubernetesGoAPIFail(t *testing.T) {
	for _, c := range []struct {
		apiVersion, kind string
		removedIn        int // minor of 1.x
		hint             string
	}{
		{"policy/v1beta1", "PodSecurityPolicy", 25, "use Pod Security Admission (namespace labels)"},
		{"extensions/v1beta1", "PodSecurityPolicy", 16, "use Pod Security Admission (namespace labels)"},
		{"autoscaling/v2beta1", "HorizontalPodAutoscaler", 25, "use autoscaling/v2 HorizontalPodAutoscaler"},
		{"autoscaling/v2beta2", "HorizontalPodAutoscaler", 26, "use autoscaling/v2 HorizontalPodAutoscaler"},
		{"apiregistration.k8s.io/v1beta1", "APIService", 22, "use apiregistration.k8s.io/v1 APIService"},
		{"extensions/v1beta1", "Ingress", 22, "use networking.k8s.io/v1 Ingress"},
		{"batch/v1beta1", "CronJob", 25, "use batch/v1 CronJob"},
	} {
		gv, err := schema.ParseGroupVersion(c.apiVersion)
		require.NoError(t, err)
		gvk := gv.WithKind(c.kind)
		rs := lifecycleOf(gvk, 1, c.removedIn)
		require.Len(t, only(rs, Fail), 1, "%s %s on 1.%d: %v", c.apiVersion, c.kind, c.removedIn, rs)
		assert.Equal(t, fmt.Sprintf("%s %s was removed in Kubernetes 1.%d", c.apiVersion, c.kind, c.removedIn), rs[0].Message)
		assert.Equal(t, c.hint, rs[0].Hint)
		assert.Empty(t, only(lifecycleOf(gvk, 1, c.removedIn-1), Fail), "%s %s is still served by 1.%d", c.apiVersion, c.kind, c.removedIn-1)
	}
}

// Add-ons' removed versions fail whatever the Kubernetes release: no supported cert-manager serves them.
func TestRemovedAddOnAPIsFail(t *testing.T) {
	rs := lifecycleOf(schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1alpha2", Kind: "Certificate"}, 1, 36)
	require.Len(t, only(rs, Fail), 1)
	assert.Equal(t, "cert-manager.io/v1alpha2 Certificate is not served since cert-manager 1.6", rs[0].Message)
	assert.Equal(t, "use cert-manager.io/v1 Certificate", rs[0].Hint)
	assert.Equal(t, Pass, lifecycleOf(schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Certificate"}, 1, 36)[0].Status)
}

// Every row of the table: failing from its release on (an add-on's at any release), served
// before; its replacement named; and never contradicting k8s.io/api's own lifecycle data for the
// types it still has.
func TestEveryRemovalRowFailsFromItsReleaseOnAndAgreesWithKubernetesData(t *testing.T) {
	for _, r := range removals {
		kinds := r.kinds
		if len(kinds) == 0 {
			kinds = []string{"Anything"}
		}
		for _, k := range kinds {
			gvk := schema.GroupVersionKind{Group: r.group, Version: r.version, Kind: k}
			require.NotEmpty(t, r.use, "%v names its replacement", gvk)
			if r.addon != "" {
				assert.Len(t, only(lifecycleOf(gvk, 1, 20), Fail), 1, "%v", gvk)
				continue
			}
			assert.Len(t, only(lifecycleOf(gvk, r.major, r.minor), Fail), 1, "%v on %d.%d", gvk, r.major, r.minor)
			assert.Empty(t, only(lifecycleOf(gvk, r.major, r.minor-1), Fail), "%v on %d.%d", gvk, r.major, r.minor-1)
			if obj, err := scheme.Scheme.New(gvk); err == nil {
				if lc, ok := obj.(lifecycle); ok {
					ma, mi := lc.APILifecycleRemoved()
					assert.Equal(t, [2]int{r.major, r.minor}, [2]int{ma, mi}, "%v: the table and k8s.io/api agree on the removal", gvk)
				}
			}
		}
	}
}
