package check

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/stack-charts/stack/plugin/internal/parallel"
	"github.com/stack-charts/stack/plugin/internal/render"
)

// DryRun: the API server's own validation and admission (webhooks, quotas, policies) accept every
// object: a create with dryRun=All (a server-side apply for objects that exist already, and for
// every object before an upgrade), which creates or changes nothing.
type DryRun struct{}

func (DryRun) Name() string { return "dry-run" }
func (DryRun) Description() string {
	return "the API server accepts every object (dryRun=All: a create, or an apply for objects that exist and before an upgrade; validation and admission, nothing persisted)"
}
func (DryRun) Run(ctx context.Context, env *Env) []Result {
	nsExists := true
	if _, err := env.cluster().Namespace(ctx, env.Namespace); apierrors.IsNotFound(err) {
		nsExists = false
	}
	type job struct {
		o    render.Object
		ns   string
		gvr  schema.GroupVersionResource
		nsed bool
	}
	var jobs []job
	skipped, own := 0, 0
	for _, o := range env.Objects {
		if o.TestHook {
			continue // created by `helm test` later, after the release exists
		}
		gvk := o.GroupVersionKind()
		m, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			if env.fromChartCRD(gvk) {
				own++ // no server knows the kind before Helm installs the chart's CRDs
			}
			continue // otherwise api-groups reports it
		}
		j := job{o: o, gvr: m.Resource, nsed: m.Scope.Name() == "namespace"}
		if j.nsed {
			j.ns = namespaceOf(env, o)
			if j.ns == env.Namespace && !nsExists {
				skipped++
				continue
			}
		}
		jobs = append(jobs, j)
	}
	// Before an upgrade (Helm has a record of the release) the objects mostly exist: each is
	// applied at once, not first created to learn that it exists.
	upgrade := env.cluster().ReleaseExists(ctx, env.Namespace, env.Release)
	// 32 requests at a time (one HTTP/2 connection): the API server's work, not our CPU, is the
	// cost (65 objects on the bench cluster, medians of 7: 113 ms 8 at a time, 98 ms 16, 88 ms 32).
	results, _ := parallel.Map(jobs, 32, func(j job) (*Result, error) {
		if err := dryRunObject(ctx, env, j.o, j.gvr, j.ns, j.nsed, upgrade); err != nil {
			return &Result{Status: Fail, Object: j.o.ID(), Message: "the API server refuses it: " + err.Error(),
				Hint: "fix the values that produce it; an admission webhook or policy may name the rule"}, nil
		}
		return nil, nil
	})
	var out []Result
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	ok := len(jobs) - len(out)
	if own > 0 {
		out = append(out, Result{Status: Warn, Message: fmt.Sprintf("%d objects are of kinds the chart's own crds/ define, not served yet: they were not dry-run", own),
			Hint: "install the chart's CRDs first (kubectl apply -f crds/) to have them checked too"})
	}
	if skipped > 0 {
		out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s does not exist yet: %d namespaced objects were not dry-run", env.Namespace, skipped),
			Hint: "create the namespace first (then every object is checked), or let helm --create-namespace create it"})
	}
	if notes := btoi(skipped > 0) + btoi(own > 0); ok > 0 && len(out) == notes {
		out = append(out, pass("the API server accepts all %d objects (dry-run)", ok))
	}
	return out
}

// dryRunObject asks the server to create the object (dryRun=All), as `helm install` creates it:
// validation and admission, nothing persisted. An object that exists already (a name taken) is
// dry-run as a server-side apply instead, which changes it the way an upgrade does; before an
// upgrade every object is applied at once (an apply of an object that does not exist creates it).
// A create is cheaper for the server than an apply (no merge with a live object): alone, the
// umbrella's 65 objects took ~95 ms as creates against ~146 ms as applies.
func dryRunObject(ctx context.Context, env *Env, o render.Object, gvr schema.GroupVersionResource, ns string, namespaced, upgrade bool) error {
	obj := o.DeepCopy()
	obj.SetNamespace(ns)
	var ri dynamic.ResourceInterface = env.Clients.Dynamic.Resource(gvr)
	if namespaced {
		ri = env.Clients.Dynamic.Resource(gvr).Namespace(ns)
	}
	if !upgrade {
		_, err := ri.Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: "stackcheck"})
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body,
		metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: "stackcheck", Force: ptrTrue()})
	return err
}

func ptrTrue() *bool { b := true; return &b }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Prefetch: what it reads whatever the release holds (preflight makes it during the render).
func (DryRun) Prefetch(ctx context.Context, r *Reads, release, namespace string) {
	_, _ = r.Namespace(ctx, namespace)
	if release != "" {
		_ = r.ReleaseExists(ctx, namespace, release)
	}
}
