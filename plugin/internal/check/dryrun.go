package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kprotobuf "k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/stack-charts/stack/plugin/internal/kube"
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
		if err := dryRunObject(ctx, env, j.o, j.gvr, j.ns, upgrade); err != nil {
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
func dryRunObject(ctx context.Context, env *Env, o render.Object, gvr schema.GroupVersionResource, ns string, upgrade bool) error {
	var body []byte
	jsonBody := func() ([]byte, error) {
		var err error
		if body == nil {
			body, err = json.Marshal(inNamespace(o.Object, ns))
		}
		return body, err
	}
	if !upgrade {
		create, err := createBody(o, ns, jsonBody)
		if err != nil {
			return err
		}
		if err := env.Clients.DryRun.Create(ctx, gvr, ns, create); !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	b, err := jsonBody()
	if err != nil {
		return err
	}
	return env.Clients.DryRun.Apply(ctx, gvr, ns, o.GetName(), b)
}

// protobuf encodes the built-in kinds for a create: the API server decodes and answers protobuf in
// a fraction of the CPU JSON takes (decoding the object, checking it for unknown fields), and the
// object is the one the server would have decoded from the JSON (render.Object.Typed).
var protobuf = kprotobuf.NewSerializer(scheme.Scheme, scheme.Scheme)

// createBody is the object to create in ns: its Go type as protobuf when the render decoded one,
// else JSON.
func createBody(o render.Object, ns string, jsonBody func() ([]byte, error)) (kube.Body, error) {
	if o.Typed == nil {
		b, err := jsonBody()
		return kube.Body{Data: b, ContentType: runtime.ContentTypeJSON}, err
	}
	typed := o.Typed.DeepCopyObject() // the other checks read the object meanwhile
	acc, err := meta.Accessor(typed)
	if err != nil {
		return kube.Body{}, err
	}
	acc.SetNamespace(ns)
	var buf bytes.Buffer
	if err := protobuf.Encode(typed, &buf); err != nil {
		return kube.Body{}, err
	}
	return kube.Body{Data: buf.Bytes(), ContentType: runtime.ContentTypeProtobuf}, nil
}

// inNamespace is obj with metadata.namespace set to ns (removed when ns is ""), sharing all else
// with obj, which the other checks read meanwhile.
func inNamespace(obj map[string]any, ns string) map[string]any {
	out := maps.Clone(obj)
	md, _ := obj["metadata"].(map[string]any)
	md = maps.Clone(md)
	if md == nil {
		md = map[string]any{}
	}
	if ns == "" {
		delete(md, "namespace")
	} else {
		md["namespace"] = ns
	}
	out["metadata"] = md
	return out
}

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
