package check

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// lifecycle is what k8s.io/api generates for beta and alpha types: the release that deprecated or
// removes a version, and its replacement.
type lifecycle interface {
	APILifecycleDeprecated() (major, minor int)
	APILifecycleRemoved() (major, minor int)
}

type replaced interface {
	APILifecycleReplacement() schema.GroupVersionKind
}

// APILifecycle: no rendered object uses an API version the server removed (fail) or deprecated
// (warn), per k8s.io/api's own lifecycle data and, for versions whose Go types k8s.io/api no
// longer has and for add-ons' versions, the removal table (removals.go).
type APILifecycle struct{}

func (APILifecycle) Name() string { return "api-lifecycle" }

func (APILifecycle) Description() string {
	return "no object uses an API version removed from or deprecated in the cluster's Kubernetes"
}

func (APILifecycle) Run(_ context.Context, env *Env) []Result {
	major, minor := serverMinor(env)
	objs := make([]Objecter, len(env.Objects))
	for i, o := range env.Objects {
		objs[i] = o
	}
	return LifecycleResults(objs, major, minor)
}

// LifecycleResults checks the objects' API versions against Kubernetes major.minor (shared with
// `stackcheck lint --kube-version`).
func LifecycleResults(objs []Objecter, major, minor int) []Result {
	var out []Result
	seen := map[schema.GroupVersionKind]bool{}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if seen[gvk] {
			continue
		}
		seen[gvk] = true
		if r, ok := removedAPI(gvk); ok {
			if res, gone := r.result(o.ID(), gvk, major, minor); gone {
				out = append(out, res)
				continue
			}
		}
		obj, err := scheme.Scheme.New(gvk)
		if err != nil {
			continue // not a built-in type: the api-groups check covers it
		}
		lc, ok := obj.(lifecycle)
		if !ok {
			continue
		}
		hint := "move to a supported API version"
		if r, ok := obj.(replaced); ok {
			rep := r.APILifecycleReplacement()
			hint = fmt.Sprintf("use %s %s", rep.GroupVersion(), rep.Kind)
		}
		at := func(ma, mi int) bool { return ma > 0 && (major > ma || (major == ma && minor >= mi)) }
		if ma, mi := lc.APILifecycleRemoved(); at(ma, mi) {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("%s %s was removed in Kubernetes %d.%d", gvk.GroupVersion(), gvk.Kind, ma, mi), Hint: hint})
		} else if ma, mi := lc.APILifecycleDeprecated(); at(ma, mi) {
			out = append(out, Result{Status: Warn, Object: o.ID(), Message: fmt.Sprintf("%s %s is deprecated since Kubernetes %d.%d", gvk.GroupVersion(), gvk.Kind, ma, mi), Hint: hint})
		}
	}
	if len(out) == 0 {
		out = append(out, pass("no removed or deprecated API versions for Kubernetes %d.%d", major, minor))
	}
	return out
}

// Objecter is what LifecycleResults needs of an object.
type Objecter interface {
	GroupVersionKind() schema.GroupVersionKind
	ID() string
}

func serverMinor(env *Env) (int, int) {
	major, _ := strconv.Atoi(strings.TrimSuffix(env.Clients.Server.Major, "+"))
	minor, _ := strconv.Atoi(strings.TrimSuffix(env.Clients.Server.Minor, "+"))
	return major, minor
}
