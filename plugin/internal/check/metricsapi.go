package check

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// MetricsAPI: when the release renders HPAs, the resource metrics API is Available.
type MetricsAPI struct{}

func (MetricsAPI) Name() string { return "metrics-api" }
func (MetricsAPI) Description() string {
	return "HPAs have the resource metrics API (metrics-server) Available"
}

var apiServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

func (MetricsAPI) Run(ctx context.Context, env *Env) []Result {
	var hpas []string
	for _, o := range env.Objects {
		if o.GetKind() == "HorizontalPodAutoscaler" {
			hpas = append(hpas, o.ID())
		}
	}
	if len(hpas) == 0 {
		return nil
	}
	hint := "install metrics-server; without it the HPAs never scale"
	svc, err := env.Clients.Dynamic.Resource(apiServiceGVR).Get(ctx, "v1beta1.metrics.k8s.io", metav1.GetOptions{})
	if err != nil {
		return []Result{{Status: Fail, Message: fmt.Sprintf("%d HPAs, but APIService v1beta1.metrics.k8s.io: %v", len(hpas), err), Hint: hint}}
	}
	conds, _, _ := unstructured.NestedSlice(svc.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Available" {
			if m["status"] == "True" {
				return []Result{pass("%d HPAs; v1beta1.metrics.k8s.io is Available", len(hpas))}
			}
			return []Result{{Status: Fail, Message: fmt.Sprintf("%d HPAs; v1beta1.metrics.k8s.io is not Available: %v", len(hpas), m["message"]), Hint: hint}}
		}
	}
	return []Result{{Status: Fail, Message: "v1beta1.metrics.k8s.io reports no Available condition", Hint: hint}}
}
