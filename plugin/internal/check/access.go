package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
)

// RBAC: the user may create every kind of object the release creates, where it creates it
// (SelfSubjectAccessReviews; nothing is created).
type RBAC struct{}

func (RBAC) Name() string { return "rbac" }
func (RBAC) Description() string {
	return "you may create every object of the release (SelfSubjectAccessReview)"
}
func (RBAC) Run(ctx context.Context, env *Env) []Result {
	type key struct{ group, resource, ns string }
	seen := map[key][]string{}
	var keys []key
	for _, o := range env.Objects {
		gvk := o.GroupVersionKind()
		m, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			continue // api-groups reports it
		}
		k := key{gvk.Group, m.Resource.Resource, ""}
		if m.Scope.Name() == "namespace" {
			k.ns = namespaceOf(env, o)
		}
		if _, ok := seen[k]; !ok {
			keys = append(keys, k)
		}
		seen[k] = append(seen[k], o.ID())
	}
	var out []Result
	allowed := 0
	for _, k := range keys {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: k.ns, Verb: "create", Group: k.group, Resource: k.resource}}}
		got, err := env.Clients.Typed.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		where := "cluster-wide"
		if k.ns != "" {
			where = "in namespace " + k.ns
		}
		res := k.resource
		if k.group != "" {
			res += "." + k.group
		}
		switch {
		case err != nil:
			out = append(out, Result{Status: Fail, Object: strings.Join(seen[k], ", "), Message: fmt.Sprintf("cannot ask whether you may create %s %s: %v", res, where, err)})
		case !got.Status.Allowed:
			out = append(out, Result{Status: Fail, Object: strings.Join(seen[k], ", "), Message: fmt.Sprintf("you may not create %s %s", res, where),
				Hint: "ask for a Role/ClusterRole granting create on " + res + " " + where + strings.TrimSpace(" "+got.Status.Reason)})
		default:
			allowed++
		}
	}
	if len(out) == 0 {
		out = append(out, pass("you may create all %d kinds of object the release creates", allowed))
	}
	return out
}

// NodePorts: no fixed node port of the release is taken by another Service of the cluster.
type NodePorts struct{}

func (NodePorts) Name() string        { return "node-ports" }
func (NodePorts) Description() string { return "the release's fixed node ports are free" }
func (NodePorts) Run(ctx context.Context, env *Env) []Result {
	want := map[int32]string{}
	var out []Result
	for _, o := range env.Objects {
		if o.GetKind() != "Service" {
			continue
		}
		var svc corev1.Service
		if err := convert(o, &svc); err != nil {
			return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
		}
		id := namespaceOf(env, o) + "/" + o.GetName()
		for _, p := range svc.Spec.Ports {
			if p.NodePort == 0 {
				continue
			}
			if other, dup := want[p.NodePort]; dup {
				// Two Services of the release on one node port: the API server refuses the second.
				what := "Service " + other
				if other == id {
					what = "another port of the same Service"
				}
				out = append(out, Result{Status: Fail, Object: "Service/" + id, Message: fmt.Sprintf("node port %d is also used by %s of this release", p.NodePort, what),
					Hint: "give each node port of the release its own number (30000-32767)"})
				continue
			}
			want[p.NodePort] = id
		}
	}
	if len(want) == 0 {
		return out
	}
	list, err := env.Clients.Typed.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return []Result{couldNot("", "list Services in all namespaces", err, "list on services cluster-wide")}
	}
	for _, s := range list.Items {
		for _, p := range s.Spec.Ports {
			owner, ok := want[p.NodePort]
			if ok && p.NodePort != 0 && owner != s.Namespace+"/"+s.Name {
				out = append(out, Result{Status: Fail, Object: "Service/" + owner, Message: fmt.Sprintf("node port %d is taken by Service %s/%s", p.NodePort, s.Namespace, s.Name),
					Hint: "choose another nodePort (30000-32767) or remove the other Service"})
			}
		}
	}
	if len(out) == 0 {
		ports := make([]string, 0, len(want))
		for p := range want {
			ports = append(ports, fmt.Sprint(p))
		}
		sort.Strings(ports)
		out = append(out, pass("node ports %s are free", strings.Join(ports, ", ")))
	}
	return out
}

// Secrets: every Secret the pods reference and the release does not create exists, with the
// referenced keys (an existingSecret, a pull secret, a TLS Secret).
type Secrets struct{}

func (Secrets) Name() string { return "secrets" }
func (Secrets) Description() string {
	return "the existing Secrets the release references are there, with their keys"
}
func (Secrets) Run(ctx context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	created := map[string]bool{}
	for _, o := range env.Objects {
		switch o.GetKind() {
		case "Secret":
			created[namespaceOf(env, o)+"/"+o.GetName()] = true
		case "Certificate": // cert-manager writes spec.secretName
			if name, _, _ := unstructured.NestedString(o.Object, "spec", "secretName"); name != "" {
				created[namespaceOf(env, o)+"/"+name] = true
			}
		}
	}
	type ref struct {
		ns, name string
		keys     map[string]bool
		users    map[string]bool
	}
	refs := map[string]*ref{}
	use := func(ns, user, name, key string, optional bool) {
		if optional || name == "" || created[ns+"/"+name] {
			return
		}
		r := refs[ns+"/"+name]
		if r == nil {
			r = &ref{ns: ns, name: name, keys: map[string]bool{}, users: map[string]bool{}}
			refs[ns+"/"+name] = r
		}
		if key != "" {
			r.keys[key] = true
		}
		r.users[user] = true
	}
	for _, w := range workloads {
		ns, user := namespaceOf(env, w.Object), w.Object.ID()
		for _, r := range podRefs(w.Spec) {
			if r.kind == "Secret" {
				use(ns, user, r.name, r.key, r.optional)
			}
		}
	}
	// The edge's certificates: an Ingress's tls[].secretName, a Gateway listener's certificateRefs.
	for _, o := range env.Objects {
		ns := namespaceOf(env, o)
		switch o.GetKind() {
		case "Ingress":
			tls, _, _ := unstructured.NestedSlice(o.Object, "spec", "tls")
			for _, t := range tls {
				name, _ := t.(map[string]any)["secretName"].(string)
				use(ns, o.ID(), name, "tls.crt", false)
			}
		case "Gateway":
			listeners, _, _ := unstructured.NestedSlice(o.Object, "spec", "listeners")
			for _, l := range listeners {
				refs, _, _ := unstructured.NestedSlice(l.(map[string]any), "tls", "certificateRefs")
				for _, r := range refs {
					m := r.(map[string]any)
					if kind, _ := m["kind"].(string); kind != "" && kind != "Secret" {
						continue
					}
					rns, _ := m["namespace"].(string)
					if rns == "" {
						rns = ns
					}
					name, _ := m["name"].(string)
					use(rns, o.ID(), name, "tls.crt", false)
				}
			}
		}
	}
	var out []Result
	for _, k := range sortedKeys(refs) {
		r := refs[k]
		users := strings.Join(sortedKeys(r.users), ", ")
		s, err := env.Clients.Typed.CoreV1().Secrets(r.ns).Get(ctx, r.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			out = append(out, Result{Status: Fail, Object: users, Message: fmt.Sprintf("Secret %s/%s does not exist", r.ns, r.name),
				Hint: fmt.Sprintf("create it first (keys: %s), e.g. kubectl -n %s create secret generic %s --from-literal=KEY=VALUE", strings.Join(orNone(sortedKeys(r.keys)), ", "), r.ns, r.name)})
			continue
		}
		if err != nil {
			out = append(out, couldNot(users, fmt.Sprintf("read Secret %s/%s", r.ns, r.name), err, "get on secrets in "+r.ns))
			continue
		}
		var missing []string
		for _, key := range sortedKeys(r.keys) {
			if _, ok := s.Data[key]; !ok {
				missing = append(missing, key)
			}
		}
		if len(missing) > 0 {
			out = append(out, Result{Status: Fail, Object: users, Message: fmt.Sprintf("Secret %s/%s has no key %s", r.ns, r.name, strings.Join(missing, ", ")),
				Hint: "add the keys, or point the chart's secretKeys at the keys the Secret has: " + strings.Join(orNone(sortedKeys(s.Data)), ", ")})
			continue
		}
		out = append(out, Result{Status: Pass, Object: users, Message: fmt.Sprintf("Secret %s/%s exists with the referenced keys", r.ns, r.name)})
	}
	return out
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"any"}
	}
	return s
}

// PodSecurity: every pod of the release is admitted by the Pod Security level its namespace
// enforces (and meets the warn level).
type PodSecurity struct{}

func (PodSecurity) Name() string { return "pod-security" }
func (PodSecurity) Description() string {
	return "the pods meet the Pod Security level the namespace enforces (pod-security.kubernetes.io labels)"
}
func (PodSecurity) Run(ctx context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	if len(workloads) == 0 {
		return nil
	}
	ns, err := env.Clients.Typed.CoreV1().Namespaces().Get(ctx, env.Namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return []Result{{Status: Warn, Message: fmt.Sprintf("namespace %s does not exist: `helm install --create-namespace` creates it without Pod Security labels", env.Namespace),
			Hint: fmt.Sprintf("create it first with pod-security.kubernetes.io/enforce=restricted (the stack's pods meet it): kubectl create ns %[1]s && kubectl label ns %[1]s pod-security.kubernetes.io/enforce=restricted", env.Namespace)}}
	}
	if err != nil {
		return []Result{{Status: Fail, Message: "cannot read namespace " + env.Namespace + ": " + err.Error()}}
	}
	var out []Result
	for _, mode := range []struct {
		label  string
		status Status
	}{{psapi.EnforceLevelLabel, Fail}, {psapi.WarnLevelLabel, Warn}} {
		lvl := ns.Labels[mode.label]
		if lvl == "" {
			continue
		}
		level, err := psapi.ParseLevel(lvl)
		if err != nil {
			out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s: %s=%q is not a level", env.Namespace, mode.label, lvl)})
			continue
		}
		version := psapi.LatestVersion()
		if v := ns.Labels[strings.Replace(mode.label, "-level", "", 1)+"-version"]; v != "" {
			if pv, err := psapi.ParseVersion(v); err == nil {
				version = pv
			}
		}
		bad := 0
		for _, w := range workloads {
			meta := metav1.ObjectMeta{Name: w.Object.GetName(), Namespace: env.Namespace}
			for _, v := range podrules.PSS(psapi.LevelVersion{Level: level, Version: version}, &meta, &w.Spec) {
				bad++
				out = append(out, Result{Status: mode.status, Object: w.Object.ID(), Message: fmt.Sprintf("%s %s: %s", mode.label, lvl, v.Message),
					Hint: "fix the pod's securityContext, or run it in a namespace with a lower level"})
			}
		}
		if bad == 0 {
			out = append(out, pass("all %d pod templates meet %s=%s of namespace %s", len(workloads), mode.label, lvl, env.Namespace))
		}
	}
	if len(out) == 0 {
		out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s enforces no Pod Security level", env.Namespace),
			Hint: "label it pod-security.kubernetes.io/enforce=restricted: the stack's pods meet it"})
	}
	return out
}
