package check

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkloadsAvailable: Deployments, StatefulSets and DaemonSets have rolled out and are available.
type WorkloadsAvailable struct{}

func (WorkloadsAvailable) Name() string { return "workloads" }

func (WorkloadsAvailable) Description() string {
	return "every Deployment, StatefulSet and DaemonSet is rolled out and available"
}

func (WorkloadsAvailable) Run(ctx context.Context, env *Env) []Result {
	var out []Result
	apps := env.Clients.Typed.AppsV1()
	for _, o := range env.Objects {
		ns, name := namespaceOf(env, o), o.GetName()
		var ready, want int32
		var current bool
		var err error
		switch o.GetKind() {
		case "Deployment":
			var d *appsv1.Deployment
			if d, err = apps.Deployments(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
				want, ready = deref32(d.Spec.Replicas), d.Status.AvailableReplicas
				current = d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want
			}
		case "StatefulSet":
			var s *appsv1.StatefulSet
			if s, err = apps.StatefulSets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
				want, ready = deref32(s.Spec.Replicas), s.Status.AvailableReplicas
				current = s.Status.ObservedGeneration >= s.Generation && s.Status.UpdatedReplicas == want
			}
		case "DaemonSet":
			var d *appsv1.DaemonSet
			if d, err = apps.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
				want, ready = d.Status.DesiredNumberScheduled, d.Status.NumberAvailable
				current = d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedNumberScheduled == want
			}
		default:
			continue
		}
		switch {
		case err != nil:
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: err.Error()})
		case ready < want || !current:
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("%d/%d available, rollout complete: %v", ready, want, current),
				Hint: fmt.Sprintf("kubectl -n %s describe %s %s; kubectl -n %s get events", ns, o.GetKind(), name, ns)})
		default:
			out = append(out, Result{Status: Pass, Object: o.ID(), Message: fmt.Sprintf("%d/%d available", ready, want)})
		}
	}
	return out
}

func deref32(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
