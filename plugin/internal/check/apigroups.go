package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// groupHints say what installs an API group that charts of this suite can need.
var groupHints = map[string]string{
	"cert-manager.io":           "install cert-manager (its CRDs) before the release, or turn off the chart's certificates",
	"monitoring.coreos.com":     "install the prometheus-operator CRDs, or render without ServiceMonitors/PrometheusRules",
	"gateway.networking.k8s.io": "install the Gateway API CRDs (standard channel), or use global.edge.mode ingress or nodeport",
	"metrics.k8s.io":            "install metrics-server",
}

// APIGroups: every kind the release creates is served by the cluster (CRDs installed), or by a
// CRD of the chart's own crds/.
type APIGroups struct{}

func (APIGroups) Name() string { return "api-groups" }

func (APIGroups) Description() string {
	return "every API group and kind the release creates is served (CRDs installed)"
}

func (APIGroups) Run(_ context.Context, env *Env) []Result {
	missing := map[schema.GroupVersionKind][]string{}
	served, own := 0, 0
	for _, o := range env.Objects {
		gvk := o.GroupVersionKind()
		switch _, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version); {
		case err == nil:
			served++
		case env.fromChartCRD(gvk):
			own++ // the chart's crds/ serve it once Helm has installed them
		default:
			missing[gvk] = append(missing[gvk], o.ID())
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
		if own > 0 {
			out = append(out, pass("all %d objects are of served kinds (%d of kinds the chart's own crds/ define, installed before them)", served+own, own))
		} else {
			out = append(out, pass("all %d objects are of served kinds", served))
		}
	}
	return out
}
