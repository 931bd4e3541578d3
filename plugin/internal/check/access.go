package check

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
)

// RBAC: the user may do to every kind of object of the release, where it lives, what Helm does to
// it, and may keep Helm's release records. SelfSubjectAccessReviews (nothing is created), asked a
// few at a time:
//   - create, for every object: `helm install` fails without it;
//   - delete, for hooks (`helm test` hooks aside): Helm's default hook delete policy,
//     before-hook-creation, deletes the previous hook object first, at install too;
//   - patch, update and delete for the other objects: `helm upgrade` patches, an upgrade that drops
//     an object and `helm uninstall` delete — a warning, since the install itself works;
//   - the release records (Secrets of the release namespace, or ConfigMaps with HELM_DRIVER=
//     configmap): get, list, create and update at install (Helm lists the release's history, then
//     writes the record pending and again deployed), delete for uninstall and history pruning.
type RBAC struct{}

func (RBAC) Name() string { return "rbac" }
func (RBAC) Description() string {
	return "you may install, upgrade and uninstall every object of the release and keep Helm's release records (SelfSubjectAccessReview)"
}

// rbacNeed is what the release needs on one resource in one place.
type rbacNeed struct {
	group, resource, ns string
	objects             []string
	install             map[string]bool // verbs without which `helm install` fails
	later               map[string]bool // verbs `helm upgrade`/`uninstall` need
}

func (n *rbacNeed) add(set map[string]bool, verbs ...string) {
	for _, v := range verbs {
		set[v] = true
	}
}

func (n *rbacNeed) what() string {
	res := n.resource
	if n.group != "" {
		res += "." + n.group
	}
	where := "cluster-wide"
	if n.ns != "" {
		where = "in namespace " + n.ns
	}
	return res + " " + where
}

func (RBAC) Run(ctx context.Context, env *Env) []Result {
	// The release's own Secrets and Helm's records are separate needs (and results), even where
	// they are the same resource in the same namespace.
	type key struct {
		group, resource, ns string
		storage             bool
	}
	needs := map[key]*rbacNeed{}
	var order []key
	need := func(k key) *rbacNeed {
		n, ok := needs[k]
		if !ok {
			n = &rbacNeed{group: k.group, resource: k.resource, ns: k.ns, install: map[string]bool{}, later: map[string]bool{}}
			needs[k] = n
			order = append(order, k)
		}
		return n
	}
	for _, o := range env.Objects {
		if o.TestHook {
			continue // created only by `helm test`
		}
		gvk := o.GroupVersionKind()
		m, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			continue // api-groups reports it
		}
		k := key{gvk.Group, m.Resource.Resource, "", false}
		if m.Scope.Name() == "namespace" {
			k.ns = namespaceOf(env, o)
		}
		n := need(k)
		n.objects = append(n.objects, o.ID())
		n.add(n.install, "create")
		if o.Hook {
			n.add(n.install, "delete")
		} else {
			n.add(n.later, "patch", "update", "delete")
		}
	}
	if resource := helmStorage(); resource != "" {
		n := need(key{"", resource, env.Namespace, true})
		n.add(n.install, "get", "list", "create", "update")
		n.add(n.later, "delete")
	}

	// A verb needed at install is not asked again for later; a verb one object needs at install
	// and another only later (a hook and a plain object of one kind) counts at install.
	for _, n := range needs {
		for v := range n.install {
			delete(n.later, v)
		}
	}
	// Ask every (resource, place, verb) once, a few at a time.
	type question struct {
		group, resource, ns, verb string
	}
	var questions []question
	asked := map[question]int{}
	for _, k := range order {
		for _, set := range []map[string]bool{needs[k].install, needs[k].later} {
			for _, v := range sortedKeys(set) {
				q := question{k.group, k.resource, k.ns, v}
				if _, ok := asked[q]; !ok {
					asked[q] = len(questions)
					questions = append(questions, q)
				}
			}
		}
	}
	type answer struct {
		allowed bool
		reason  string
		err     error
	}
	answers := make([]answer, len(questions))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, q := range questions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: q.ns, Verb: q.verb, Group: q.group, Resource: q.resource}}}
			got, err := env.Clients.Typed.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
			if err != nil {
				answers[i] = answer{err: err}
				return
			}
			answers[i] = answer{allowed: got.Status.Allowed, reason: got.Status.Reason}
		}()
	}
	wg.Wait()

	var out []Result
	for _, k := range order {
		n := needs[k]
		var atInstall, atUpgrade []string
		reason := ""
		for _, set := range []map[string]bool{n.install, n.later} {
			for _, v := range sortedKeys(set) {
				a := answers[asked[question{k.group, k.resource, k.ns, v}]]
				switch {
				case a.err != nil:
					out = append(out, Result{Status: Fail, Object: strings.Join(n.objects, ", "),
						Message: fmt.Sprintf("cannot ask whether you may %s %s: %v", v, n.what(), a.err)})
				case a.allowed:
				case n.install[v]:
					atInstall = append(atInstall, v)
				default:
					atUpgrade = append(atUpgrade, v)
				}
				if !a.allowed && a.reason != "" {
					reason = a.reason
				}
			}
		}
		object := strings.Join(n.objects, ", ")
		if k.storage {
			object = "Helm release records"
		}
		hint := func(verbs []string) string {
			return "ask for a Role/ClusterRole granting " + strings.Join(verbs, ", ") + " on " + n.what() + strings.TrimSpace(" "+reason)
		}
		switch {
		case len(atInstall) > 0 && k.storage:
			out = append(out, Result{Status: Fail, Object: object, Message: fmt.Sprintf("you may not %s %s, where Helm keeps the release's records", strings.Join(atInstall, ", "), n.what()),
				Hint: hint(atInstall)})
		case len(atInstall) > 0:
			msg := fmt.Sprintf("you may not %s %s", strings.Join(atInstall, ", "), n.what())
			if !slices.Contains(atInstall, "create") {
				msg += " (Helm deletes a hook's previous object before creating it)"
			}
			out = append(out, Result{Status: Fail, Object: object, Message: msg, Hint: hint(atInstall)})
		}
		if len(atUpgrade) > 0 {
			out = append(out, Result{Status: Warn, Object: object,
				Message: fmt.Sprintf("you may not %s %s: the install works, but `helm upgrade` or `helm uninstall` will not", strings.Join(atUpgrade, ", "), n.what()),
				Hint:    hint(atUpgrade)})
		}
	}
	if len(out) == 0 {
		kinds := len(order)
		if helmStorage() != "" {
			kinds--
		}
		out = append(out, pass("you may install, upgrade and uninstall all %d kinds of object the release creates, and keep its release records", kinds))
	}
	return out
}

// helmStorage is the resource Helm keeps release records in (HELM_DRIVER, as Helm reads it), or
// "" for a driver that does not use the cluster's API (memory, sql).
func helmStorage() string {
	switch os.Getenv("HELM_DRIVER") {
	case "", "secret", "secrets":
		return "secrets"
	case "configmap", "configmaps":
		return "configmaps"
	default:
		return ""
	}
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
