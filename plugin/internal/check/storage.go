package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// StorageClasses: every PVC (standalone or from a StatefulSet's volumeClaimTemplates) names a
// StorageClass that exists, or the cluster has a default class for those that name none.
type StorageClasses struct{}

func (StorageClasses) Name() string { return "storage" }

func (StorageClasses) Description() string {
	return "every PVC has a StorageClass: the named one exists, or a default"
}

func (StorageClasses) Run(ctx context.Context, env *Env) []Result {
	// noClass: storageClassName "" (not absent): dynamic provisioning off, a pre-created
	// PersistentVolume without a class is bound.
	type claim struct {
		object, class string
		noClass       bool
	}
	var claims []claim
	for _, o := range env.Objects {
		switch o.GetKind() {
		case "PersistentVolumeClaim":
			var pvc corev1.PersistentVolumeClaim
			if err := convert(o, &pvc); err != nil {
				return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
			}
			claims = append(claims, claim{o.ID(), deref(pvc.Spec.StorageClassName), pvc.Spec.StorageClassName != nil && *pvc.Spec.StorageClassName == ""})
		case "StatefulSet":
			var s appsv1.StatefulSet
			if err := convert(o, &s); err != nil {
				return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
			}
			for _, t := range s.Spec.VolumeClaimTemplates {
				claims = append(claims, claim{o.ID() + " (volumeClaimTemplate " + t.Name + ")", deref(t.Spec.StorageClassName), t.Spec.StorageClassName != nil && *t.Spec.StorageClassName == ""})
			}
		}
	}
	if len(claims) == 0 {
		return nil
	}
	list, err := env.cluster().StorageClasses(ctx)
	if err != nil {
		return []Result{couldNot("", "list StorageClasses", err, "list on storageclasses.storage.k8s.io")}
	}
	classes := map[string]string{}
	var defaults []string
	for _, sc := range list.Items {
		classes[sc.Name] = sc.Provisioner
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			defaults = append(defaults, sc.Name)
		}
	}
	var out []Result
	for _, c := range claims {
		switch {
		case c.noClass:
			out = append(out, staticVolume(ctx, env, c.object))
		case c.class == "" && len(defaults) == 0:
			out = append(out, Result{Status: Fail, Object: c.object, Message: "names no StorageClass and the cluster has no default one: it would stay Pending",
				Hint: "set the chart's storageClassName, or mark a StorageClass default (storageclass.kubernetes.io/is-default-class=true)"})
		case c.class == "" && len(defaults) > 1:
			out = append(out, Result{Status: Warn, Object: c.object, Message: fmt.Sprintf("several default StorageClasses (%s): Kubernetes picks the newest", strings.Join(defaults, ", ")),
				Hint: "keep one default StorageClass or set storageClassName"})
		case c.class == "":
			out = append(out, Result{Status: Pass, Object: c.object, Message: fmt.Sprintf("default StorageClass %s (%s)", defaults[0], classes[defaults[0]])})
		case classes[c.class] == "":
			out = append(out, Result{Status: Fail, Object: c.object, Message: fmt.Sprintf("StorageClass %q does not exist", c.class),
				Hint: "create it, or set storageClassName to one of: " + strings.Join(sortedKeys(classes), ", ")})
		default:
			out = append(out, Result{Status: Pass, Object: c.object, Message: fmt.Sprintf("StorageClass %s (%s)", c.class, classes[c.class])})
		}
	}
	return out
}

var gatewayGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}

var gatewayClassGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// staticVolume: a claim with storageClassName "" binds only a pre-created PersistentVolume
// without a class (the default StorageClass does not apply): one must be Available.
func staticVolume(ctx context.Context, env *Env, object string) Result {
	pvs, err := env.Clients.Typed.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Result{Status: Warn, Object: object, Message: `storageClassName "" needs a pre-created PersistentVolume without a class; could not list PersistentVolumes: ` + err.Error(),
			Hint: "the check needs list on persistentvolumes"}
	}
	n := 0
	for _, pv := range pvs.Items {
		if pv.Spec.StorageClassName == "" && pv.Status.Phase == corev1.VolumeAvailable {
			n++
		}
	}
	if n == 0 {
		return Result{Status: Fail, Object: object, Message: `storageClassName "" turns dynamic provisioning off and no PersistentVolume without a class is Available: it would stay Pending`,
			Hint: `create such a PersistentVolume, or leave storageClassName unset (the default class) or name a class`}
	}
	return Result{Status: Pass, Object: object, Message: fmt.Sprintf(`storageClassName "": %d pre-created PersistentVolume(s) without a class Available`, n)}
}

// Prefetch: what it reads whatever the release holds (preflight makes it during the render).
func (StorageClasses) Prefetch(ctx context.Context, r *Reads, _, _ string) {
	_, _ = r.StorageClasses(ctx)
}
