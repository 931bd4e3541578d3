package check

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

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
