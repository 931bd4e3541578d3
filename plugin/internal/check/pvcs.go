package check

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PVCsBound: the release's PVCs, and those of its StatefulSets' claim templates, are Bound.
type PVCsBound struct{}

func (PVCsBound) Name() string { return "pvcs" }

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
