package check

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// References: the ConfigMaps, ServiceAccounts and PersistentVolumeClaims the pods name and the
// release does not create exist in the cluster (a missing one leaves the pod in
// CreateContainerConfigError, unschedulable, or refused by the ReplicaSet controller).
type References struct{}

func (References) Name() string { return "references" }
func (References) Description() string {
	return "the existing ConfigMaps, ServiceAccounts and PersistentVolumeClaims the pods name are there"
}

// reference is one object the pods name and the release does not create.
type reference struct {
	kind, ns, name string
	users          map[string]bool
}

func (References) Run(ctx context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	created := map[string]bool{}
	for _, o := range env.Objects {
		created[o.GetKind()+"/"+namespaceOf(env, o)+"/"+o.GetName()] = true
	}
	refs := map[string]*reference{}
	use := func(kind, ns, user, name string, optional bool) {
		id := kind + "/" + ns + "/" + name
		if optional || name == "" || created[id] {
			return
		}
		r := refs[id]
		if r == nil {
			r = &reference{kind: kind, ns: ns, name: name, users: map[string]bool{}}
			refs[id] = r
		}
		r.users[user] = true
	}
	for _, w := range workloads {
		ns, user := namespaceOf(env, w.Object), w.Object.ID()
		for _, r := range podRefs(w.Spec) {
			if r.kind != "Secret" { // the secrets check has those, with their keys
				use(r.kind, ns, user, r.name, r.optional)
			}
		}
	}
	var out []Result
	for _, id := range sortedKeys(refs) {
		r := refs[id]
		users := strings.Join(sortedKeys(r.users), ", ")
		var err error
		core := env.Clients.Typed.CoreV1()
		switch r.kind {
		case "ConfigMap":
			_, err = core.ConfigMaps(r.ns).Get(ctx, r.name, metav1.GetOptions{})
		case "ServiceAccount":
			_, err = core.ServiceAccounts(r.ns).Get(ctx, r.name, metav1.GetOptions{})
		case "PersistentVolumeClaim":
			_, err = core.PersistentVolumeClaims(r.ns).Get(ctx, r.name, metav1.GetOptions{})
		}
		switch {
		case apierrors.IsNotFound(err):
			out = append(out, Result{Status: Fail, Object: users, Message: fmt.Sprintf("%s %s/%s does not exist and the release does not create it", r.kind, r.ns, r.name),
				Hint: "create it before the install, or let the chart create it"})
		case err != nil:
			out = append(out, couldNot(users, fmt.Sprintf("read %s %s/%s", r.kind, r.ns, r.name), err, "get on "+strings.ToLower(r.kind)+"s in "+r.ns))
		default:
			out = append(out, Result{Status: Pass, Object: users, Message: fmt.Sprintf("%s %s/%s exists", r.kind, r.ns, r.name)})
		}
	}
	if len(workloads) > 0 && len(refs) == 0 {
		out = append(out, pass("every ConfigMap, ServiceAccount and PersistentVolumeClaim the pods name is part of the release"))
	}
	return out
}
