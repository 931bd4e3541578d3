package check

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// DryRun: the API server's own validation and admission (webhooks, quotas, policies) accept every
// object: a server-side apply with dryRun=All, which creates or changes nothing.
type DryRun struct{}

func (DryRun) Name() string { return "dry-run" }
func (DryRun) Description() string {
	return "the API server accepts every object (server-side apply, dryRun=All: validation and admission, nothing persisted)"
}
func (DryRun) Run(ctx context.Context, env *Env) []Result {
	nsExists := true
	if _, err := env.Clients.Typed.CoreV1().Namespaces().Get(ctx, env.Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		nsExists = false
	}
	var out []Result
	ok, skipped := 0, 0
	for _, o := range env.Objects {
		if o.Hook {
			continue // created by `helm test` later, after the release exists
		}
		gvk := o.GroupVersionKind()
		m, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			continue // api-groups reports it
		}
		ri := env.Clients.Dynamic.Resource(m.Resource)
		obj := o.DeepCopy()
		if m.Scope.Name() == "namespace" {
			ns := namespaceOf(env, o)
			if ns == env.Namespace && !nsExists {
				skipped++
				continue
			}
			obj.SetNamespace(ns)
		}
		body, err := json.Marshal(obj.Object)
		if err != nil {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: err.Error()})
			continue
		}
		opts := metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: "stackcheck", Force: ptrTrue()}
		if m.Scope.Name() == "namespace" {
			_, err = ri.Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
		} else {
			_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
		}
		if err != nil {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: "the API server refuses it: " + err.Error(),
				Hint: "fix the values that produce it; an admission webhook or policy may name the rule"})
			continue
		}
		ok++
	}
	if skipped > 0 {
		out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s does not exist yet: %d namespaced objects were not dry-run", env.Namespace, skipped),
			Hint: "create the namespace first (then every object is checked), or let helm --create-namespace create it"})
	}
	if ok > 0 && (len(out) == 0 || (len(out) == 1 && skipped > 0)) {
		out = append(out, pass("the API server accepts all %d objects (dry-run)", ok))
	}
	return out
}

func ptrTrue() *bool { b := true; return &b }
