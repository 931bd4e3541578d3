package check

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// KubeVersion: the server's version satisfies the chart's kubeVersion.
type KubeVersion struct{}

func (KubeVersion) Name() string { return "kube-version" }
func (KubeVersion) Description() string {
	return "the cluster's Kubernetes version satisfies the chart's kubeVersion"
}
func (KubeVersion) Run(_ context.Context, env *Env) []Result {
	v := env.Clients.Server.GitVersion
	if env.ChartKubeVersion == "" {
		return []Result{pass("Kubernetes %s; the chart sets no kubeVersion", v)}
	}
	if !chartutil.IsCompatibleRange(env.ChartKubeVersion, v) {
		return []Result{{Status: Fail, Message: fmt.Sprintf("Kubernetes %s does not satisfy the chart's kubeVersion %q", v, env.ChartKubeVersion),
			Hint: "upgrade the cluster, or use a chart version made for this Kubernetes"}}
	}
	return []Result{pass("Kubernetes %s satisfies %q", v, env.ChartKubeVersion)}
}

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

// groupHints say what installs an API group that charts of this suite can need.
var groupHints = map[string]string{
	"cert-manager.io":           "install cert-manager (its CRDs) before the release, or turn off the chart's certificates",
	"monitoring.coreos.com":     "install the prometheus-operator CRDs, or render without ServiceMonitors/PrometheusRules",
	"gateway.networking.k8s.io": "install the Gateway API CRDs (standard channel), or use global.edge.mode ingress or nodeport",
	"metrics.k8s.io":            "install metrics-server",
}

// APIGroups: every kind the release creates is served by the cluster (CRDs installed).
type APIGroups struct{}

func (APIGroups) Name() string { return "api-groups" }
func (APIGroups) Description() string {
	return "every API group and kind the release creates is served (CRDs installed)"
}
func (APIGroups) Run(_ context.Context, env *Env) []Result {
	missing := map[schema.GroupVersionKind][]string{}
	served := 0
	for _, o := range env.Objects {
		gvk := o.GroupVersionKind()
		if _, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			missing[gvk] = append(missing[gvk], o.ID())
		} else {
			served++
		}
	}
	var out []Result
	for gvk, objs := range missing {
		hint := groupHints[gvk.Group]
		if hint == "" {
			hint = "install the CRD or API that serves it"
		}
		sort.Strings(objs)
		out = append(out, Result{Status: Fail, Object: strings.Join(objs, ", "),
			Message: fmt.Sprintf("the cluster does not serve %s %s", gvk.GroupVersion(), gvk.Kind), Hint: hint})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Message < out[j].Message })
	if len(out) == 0 {
		out = append(out, pass("all %d objects are of served kinds", served))
	}
	return out
}
