package check

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ServiceEndpoints: every Service with a selector has at least one ready endpoint.
type ServiceEndpoints struct{}

func (ServiceEndpoints) Name() string { return "endpoints" }

func (ServiceEndpoints) Description() string {
	return "every Service with a selector has ready endpoints"
}

func (ServiceEndpoints) Run(ctx context.Context, env *Env) []Result {
	var out []Result
	for _, o := range env.Objects {
		if o.GetKind() != "Service" {
			continue
		}
		if sel, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector"); len(sel) == 0 {
			continue
		}
		ns := namespaceOf(env, o)
		slices, err := env.Clients.Typed.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + o.GetName()})
		if err != nil {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: err.Error()})
			continue
		}
		ready := 0
		for _, s := range slices.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready == nil || *e.Conditions.Ready {
					ready++
				}
			}
		}
		if ready == 0 {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: "no ready endpoints: nothing answers on this Service", Hint: "its pods are not Ready, or the selector matches none"})
		} else {
			out = append(out, Result{Status: Pass, Object: o.ID(), Message: fmt.Sprintf("%d ready endpoints", ready)})
		}
	}
	return out
}
