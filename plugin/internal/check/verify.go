package check

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Verify is every check of `stackcheck verify RELEASE`: the installed release is healthy, judged
// from the objects' status (no sleeps).
func Verify() []Check {
	return []Check{ReleaseDeployed{}, WorkloadsAvailable{}, JobsComplete{}, PVCsBound{}, CertificatesReady{}, ServiceEndpoints{}, NoCrashLoops{}}
}

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

// PVCsBound: the release's PVCs, and those of its StatefulSets' claim templates, are Bound.
type PVCsBound struct{}

func (PVCsBound) Name() string        { return "pvcs" }
func (PVCsBound) Description() string { return "every PVC of the release is Bound" }
func (PVCsBound) Run(ctx context.Context, env *Env) []Result {
	var names []string
	nsOf := map[string]string{}
	for _, o := range env.Objects {
		ns := namespaceOf(env, o)
		switch o.GetKind() {
		case "PersistentVolumeClaim":
			names = append(names, o.GetName())
			nsOf[o.GetName()] = ns
		case "StatefulSet":
			var s appsv1.StatefulSet
			if err := convert(o, &s); err != nil {
				return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
			}
			for _, t := range s.Spec.VolumeClaimTemplates {
				for i := int32(0); i < deref32(s.Spec.Replicas); i++ {
					n := fmt.Sprintf("%s-%s-%d", t.Name, s.Name, i)
					names = append(names, n)
					nsOf[n] = ns
				}
			}
		}
	}
	var out []Result
	for _, n := range names {
		pvc, err := env.Clients.Typed.CoreV1().PersistentVolumeClaims(nsOf[n]).Get(ctx, n, metav1.GetOptions{})
		id := "PersistentVolumeClaim/" + nsOf[n] + "/" + n
		switch {
		case err != nil:
			out = append(out, Result{Status: Fail, Object: id, Message: err.Error()})
		case pvc.Status.Phase != corev1.ClaimBound:
			out = append(out, Result{Status: Fail, Object: id, Message: "phase " + string(pvc.Status.Phase), Hint: "kubectl -n " + nsOf[n] + " describe pvc " + n})
		default:
			out = append(out, Result{Status: Pass, Object: id, Message: "Bound to " + pvc.Spec.VolumeName})
		}
	}
	return out
}

var certificateGVR = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}

// CertificatesReady: the release's cert-manager Certificates are Ready.
type CertificatesReady struct{}

func (CertificatesReady) Name() string { return "certificates" }
func (CertificatesReady) Description() string {
	return "every cert-manager Certificate of the release is Ready"
}
func (CertificatesReady) Run(ctx context.Context, env *Env) []Result {
	var out []Result
	for _, o := range env.Objects {
		if o.GetKind() != "Certificate" {
			continue
		}
		c, err := env.Clients.Dynamic.Resource(certificateGVR).Namespace(namespaceOf(env, o)).Get(ctx, o.GetName(), metav1.GetOptions{})
		if err != nil {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: err.Error()})
			continue
		}
		status, msg := condition(c, "Ready")
		if status == "True" {
			out = append(out, Result{Status: Pass, Object: o.ID(), Message: "Ready: " + msg})
		} else {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("not Ready (%s): %s", status, msg), Hint: "kubectl describe certificate, certificaterequest and the issuer"})
		}
	}
	return out
}

func condition(u *unstructured.Unstructured, typ string) (string, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return fmt.Sprint(m["status"]), fmt.Sprint(m["message"])
		}
	}
	return "Unknown", "no " + typ + " condition yet"
}

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
