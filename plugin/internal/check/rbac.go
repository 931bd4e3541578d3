package check

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stack-charts/stack/plugin/internal/parallel"
)

// RBAC: the user may do to every kind of object of the release, where it lives, what Helm does to
// it, and may keep Helm's release records. The rules of each namespace (SelfSubjectRulesReview)
// first, then a SelfSubjectAccessReview for each verb they do not grant (nothing is created),
// a few at a time:
//   - create, for every object: `helm install` fails without it;
//   - delete, for hooks (`helm test` hooks aside): Helm's default hook delete policy,
//     before-hook-creation, deletes the previous hook object first, at install too;
//   - patch, update and delete for the other objects: `helm upgrade` patches, an upgrade that drops
//     an object and `helm uninstall` delete — a warning, since the install itself works;
//   - create for each CustomResourceDefinition of the chart's crds/ the cluster does not have
//     (Helm creates those before the objects, and never updates or deletes them);
//   - the release records (Secrets of the release namespace, or ConfigMaps with HELM_DRIVER=
//     configmap): get, list, create and update at install (Helm lists the release's history, then
//     writes the record pending and again deployed), delete for uninstall and history pruning.
type RBAC struct{}

func (RBAC) Name() string { return "rbac" }

func (RBAC) Description() string {
	return "you may install, upgrade and uninstall every object of the release and keep Helm's release records (your rules in the namespace, then SelfSubjectAccessReviews)"
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
	// The chart's crds/: Helm creates each CRD the cluster does not have yet (and never updates
	// or deletes them).
	for _, c := range env.ChartCRDs {
		if c.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(c.Object, "spec", "names", "kind")
		if _, err := env.Clients.Mapper.RESTMapping(schema.GroupKind{Group: group, Kind: kind}); err == nil {
			continue // installed already: Helm skips it
		}
		n := need(key{"apiextensions.k8s.io", "customresourcedefinitions", "", false})
		n.objects = append(n.objects, c.ID())
		n.add(n.install, "create")
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
	// One SelfSubjectRulesReview per namespace first: a verb its rules grant is allowed (rules
	// are additive, so a rule listed holds even when the list is incomplete). Only what they do
	// not grant, and what is cluster-wide (a namespace's rules mix ClusterRoleBindings and
	// RoleBindings, so they cannot tell), is asked one by one: for a user the namespace's rules
	// cover, 2 requests instead of ~80 beside the dry-run.
	var namespaces []string
	for _, q := range questions {
		if q.ns != "" && !slices.Contains(namespaces, q.ns) {
			namespaces = append(namespaces, q.ns)
		}
	}
	rules := namespaceRules(ctx, env, namespaces)
	answers, _ := parallel.Map(questions, 8, func(q question) (answer, error) {
		if q.ns != "" && grants(rules[q.ns], q.group, q.resource, q.verb) {
			return answer{allowed: true}, nil
		}
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: q.ns, Verb: q.verb, Group: q.group, Resource: q.resource}}}
		got, err := env.Clients.Typed.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return answer{err: err}, nil
		}
		return answer{allowed: got.Status.Allowed, reason: got.Status.Reason}, nil
	})

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

// namespaceRules asks for the user's rules in each namespace (SelfSubjectRulesReview), at once. A
// namespace whose review fails has no rules here: its questions are all asked one by one.
func namespaceRules(ctx context.Context, env *Env, namespaces []string) map[string][]authorizationv1.ResourceRule {
	rules, _ := parallel.Map(namespaces, len(namespaces), func(ns string) ([]authorizationv1.ResourceRule, error) {
		r, _ := env.cluster().Rules(ctx, ns)
		return r, nil
	})
	out := make(map[string][]authorizationv1.ResourceRule, len(namespaces))
	for i, ns := range namespaces {
		out[ns] = rules[i]
	}
	return out
}

// grants says whether a rule allows verb on every object of group/resource, as RBAC matches it:
// "*" matches any verb, group or resource, and a rule limited to resourceNames does not count
// (Helm creates by name, but a create cannot be limited by name, and the other verbs are asked
// of the whole kind too).
func grants(rules []authorizationv1.ResourceRule, group, resource, verb string) bool {
	has := func(list []string, v string) bool { return slices.Contains(list, "*") || slices.Contains(list, v) }
	for _, r := range rules {
		if len(r.ResourceNames) == 0 && has(r.Verbs, verb) && has(r.APIGroups, group) && has(r.Resources, resource) {
			return true
		}
	}
	return false
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

// Prefetch: what it reads whatever the release holds (preflight makes it during the render).
func (RBAC) Prefetch(ctx context.Context, r *Reads, _, namespace string) {
	_, _ = r.Rules(ctx, namespace)
}
