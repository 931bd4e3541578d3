package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	list, err := env.Clients.Typed.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
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

// EdgeClasses: an Ingress's IngressClass (or a default) exists; a Gateway's GatewayClass exists;
// an HTTPRoute's parent Gateway exists or is part of the release.
type EdgeClasses struct{}

func (EdgeClasses) Name() string { return "edge-class" }
func (EdgeClasses) Description() string {
	return "the IngressClass or GatewayClass (and parent Gateway) the edge routing needs exists"
}

var gatewayGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
var gatewayClassGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}

func (EdgeClasses) Run(ctx context.Context, env *Env) []Result {
	var out []Result
	rendered := map[string]bool{}
	for _, o := range env.Objects {
		if o.GetKind() == "Gateway" {
			rendered[namespaceOf(env, o)+"/"+o.GetName()] = true
		}
	}
	for _, o := range env.Objects {
		switch o.GetKind() {
		case "Ingress":
			class, _, _ := unstructured.NestedString(o.Object, "spec", "ingressClassName")
			if legacy := o.GetAnnotations()["kubernetes.io/ingress.class"]; class == "" && legacy != "" {
				out = append(out, legacyIngressClass(ctx, env, o.ID(), legacy))
				continue
			}
			out = append(out, ingressClass(ctx, env, o.ID(), class))
		case "Gateway":
			class, _, _ := unstructured.NestedString(o.Object, "spec", "gatewayClassName")
			if _, err := env.Clients.Dynamic.Resource(gatewayClassGVR).Get(ctx, class, metav1.GetOptions{}); err != nil {
				out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("GatewayClass %q: %v", class, err),
					Hint: "install a Gateway API implementation and its GatewayClass, or set the gateway class the cluster has"})
			} else {
				out = append(out, Result{Status: Pass, Object: o.ID(), Message: "GatewayClass " + class + " exists"})
			}
		case "HTTPRoute":
			parents, _, _ := unstructured.NestedSlice(o.Object, "spec", "parentRefs")
			for _, p := range parents {
				ref, _ := p.(map[string]any)
				name, _ := ref["name"].(string)
				ns, _ := ref["namespace"].(string)
				if ns == "" {
					ns = namespaceOf(env, o)
				}
				if rendered[ns+"/"+name] {
					continue
				}
				if _, err := env.Clients.Dynamic.Resource(gatewayGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
					out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("parent Gateway %s/%s: %v", ns, name, err),
						Hint: "create the Gateway, let the chart create it, or point parentRefs at an existing one"})
				} else {
					out = append(out, Result{Status: Pass, Object: o.ID(), Message: "parent Gateway " + ns + "/" + name + " exists"})
				}
			}
		}
	}
	return out
}

func ingressClass(ctx context.Context, env *Env, id, class string) Result {
	list, err := env.Clients.Typed.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return couldNot(id, "list IngressClasses", err, "list on ingressclasses.networking.k8s.io")
	}
	var names, defaults []string
	for _, ic := range list.Items {
		names = append(names, ic.Name)
		if ic.Annotations["ingressclass.kubernetes.io/is-default-class"] == "true" {
			defaults = append(defaults, ic.Name)
		}
		if ic.Name == class {
			return Result{Status: Pass, Object: id, Message: fmt.Sprintf("IngressClass %s (%s)", class, ic.Spec.Controller)}
		}
	}
	if class == "" && len(defaults) > 0 {
		return Result{Status: Pass, Object: id, Message: "default IngressClass " + defaults[0]}
	}
	if class == "" {
		return Result{Status: Fail, Object: id, Message: "names no IngressClass and the cluster has no default one: no controller would serve it",
			Hint: "set the chart's ingress className to one of: " + strings.Join(names, ", ") + " (or install an ingress controller)"}
	}
	return Result{Status: Fail, Object: id, Message: fmt.Sprintf("IngressClass %q does not exist", class),
		Hint: "install its ingress controller, or use one of: " + strings.Join(names, ", ")}
}

// legacyIngressClass: an Ingress that names its class with the deprecated kubernetes.io/ingress.class
// annotation. An IngressClass of that name passes; without one a controller that still reads the
// annotation may serve it, which the cluster cannot tell: a warning, not a failure.
func legacyIngressClass(ctx context.Context, env *Env, id, class string) Result {
	r := ingressClass(ctx, env, id, class)
	if r.Status == Pass {
		r.Message += " (from the kubernetes.io/ingress.class annotation)"
		return r
	}
	return Result{Status: Warn, Object: id, Message: fmt.Sprintf("names its class %q with the deprecated kubernetes.io/ingress.class annotation and the cluster has no IngressClass %q: only a controller that reads the annotation will serve it", class, class),
		Hint: "set spec.ingressClassName (the chart's ingress className) to an IngressClass of the cluster"}
}

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
