package check

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// EdgeClasses: an Ingress's IngressClass (or a default) exists; a Gateway's GatewayClass exists;
// an HTTPRoute's parent Gateway exists or is part of the release.
type EdgeClasses struct{}

func (EdgeClasses) Name() string { return "edge-class" }

func (EdgeClasses) Description() string {
	return "the IngressClass or GatewayClass (and parent Gateway) the edge routing needs exists"
}

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
	list, err := env.cluster().IngressClasses(ctx)
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

// Prefetch: what it reads whatever the release holds (preflight makes it during the render).
func (EdgeClasses) Prefetch(ctx context.Context, r *Reads, _, _ string) {
	_, _ = r.IngressClasses(ctx)
}
