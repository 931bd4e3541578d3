package check

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// NetworkPolicies: every pod of the release is selected by a NetworkPolicy of the release.
type NetworkPolicies struct{}

func (NetworkPolicies) Name() string { return "network-policy" }

func (NetworkPolicies) Description() string { return "every pod is selected by a NetworkPolicy" }

func (NetworkPolicies) Run(_ context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	var selectors []labels.Selector
	for _, o := range env.Objects {
		if o.GetKind() == "NetworkPolicy" {
			var np networkingv1.NetworkPolicy
			if err := convert(o, &np); err != nil {
				return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
			}
			if s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err == nil {
				selectors = append(selectors, s)
			}
		}
	}
	var out []Result
	for _, w := range workloads {
		covered := false
		for _, s := range selectors {
			if s.Matches(labels.Set(podTemplateLabels(w))) {
				covered = true
			}
		}
		if !covered {
			out = append(out, Result{Status: Fail, Object: w.Object.ID(), Message: "no NetworkPolicy selects its pods: they accept traffic from anywhere",
				Hint: "give it a NetworkPolicy (the stack charts render one per workload)"})
		}
	}
	if len(workloads) > 0 && len(out) == 0 {
		out = append(out, pass("all %d workloads are selected by a NetworkPolicy", len(workloads)))
	}
	return out
}

func podTemplateLabels(w Workload) map[string]string {
	for _, path := range [][]string{{"spec", "template", "metadata", "labels"}, {"spec", "jobTemplate", "spec", "template", "metadata", "labels"}, {"metadata", "labels"}} {
		if m, ok, _ := unstructured.NestedStringMap(w.Object.Object, path...); ok {
			return m
		}
	}
	return nil
}
