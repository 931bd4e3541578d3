package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// NodePorts: no fixed node port of the release is taken by another Service of the cluster.
type NodePorts struct{}

func (NodePorts) Name() string { return "node-ports" }

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
	list, err := env.cluster().Services(ctx)
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

// Prefetch: what it reads whatever the release holds (preflight makes it during the render).
func (NodePorts) Prefetch(ctx context.Context, r *Reads, _, _ string) {
	_, _ = r.Services(ctx)
}
