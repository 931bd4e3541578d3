package check

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
)

// PodSecurity: every pod of the release is admitted by the Pod Security level its namespace
// enforces (and meets the warn level).
type PodSecurity struct{}

func (PodSecurity) Name() string { return "pod-security" }

func (PodSecurity) Description() string {
	return "the pods meet the Pod Security level the namespace enforces (pod-security.kubernetes.io labels)"
}

func (PodSecurity) Run(ctx context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	if len(workloads) == 0 {
		return nil
	}
	ns, err := env.Clients.Typed.CoreV1().Namespaces().Get(ctx, env.Namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return []Result{{Status: Warn, Message: fmt.Sprintf("namespace %s does not exist: `helm install --create-namespace` creates it without Pod Security labels", env.Namespace),
			Hint: fmt.Sprintf("create it first with pod-security.kubernetes.io/enforce=restricted (the stack's pods meet it): kubectl create ns %[1]s && kubectl label ns %[1]s pod-security.kubernetes.io/enforce=restricted", env.Namespace)}}
	}
	if err != nil {
		return []Result{{Status: Fail, Message: "cannot read namespace " + env.Namespace + ": " + err.Error()}}
	}
	var out []Result
	for _, mode := range []struct {
		label  string
		status Status
	}{{psapi.EnforceLevelLabel, Fail}, {psapi.WarnLevelLabel, Warn}} {
		lvl := ns.Labels[mode.label]
		if lvl == "" {
			continue
		}
		level, err := psapi.ParseLevel(lvl)
		if err != nil {
			out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s: %s=%q is not a level", env.Namespace, mode.label, lvl)})
			continue
		}
		version := psapi.LatestVersion()
		if v := ns.Labels[strings.Replace(mode.label, "-level", "", 1)+"-version"]; v != "" {
			if pv, err := psapi.ParseVersion(v); err == nil {
				version = pv
			}
		}
		bad := 0
		for _, w := range workloads {
			meta := metav1.ObjectMeta{Name: w.Object.GetName(), Namespace: env.Namespace}
			for _, v := range podrules.PSS(psapi.LevelVersion{Level: level, Version: version}, &meta, &w.Spec) {
				bad++
				out = append(out, Result{Status: mode.status, Object: w.Object.ID(), Message: fmt.Sprintf("%s %s: %s", mode.label, lvl, v.Message),
					Hint: "fix the pod's securityContext, or run it in a namespace with a lower level"})
			}
		}
		if bad == 0 {
			out = append(out, pass("all %d pod templates meet %s=%s of namespace %s", len(workloads), mode.label, lvl, env.Namespace))
		}
	}
	if len(out) == 0 {
		out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s enforces no Pod Security level", env.Namespace),
			Hint: "label it pod-security.kubernetes.io/enforce=restricted: the stack's pods meet it"})
	}
	return out
}
