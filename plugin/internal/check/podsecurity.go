package check

import (
	"context"
	"fmt"
	"sort"
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
	// Each pod is admitted by its own namespace's level: a release that puts workloads beside its
	// namespace (the stack's monitoring namespace) is checked against each namespace's labels —
	// those the release renders for a Namespace it creates, else the live namespace's.
	rendered := map[string]map[string]string{}
	for _, o := range env.Objects {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
			rendered[o.GetName()] = o.GetLabels()
		}
	}
	byNS := map[string][]Workload{}
	var order []string
	for _, w := range workloads {
		ns := namespaceOf(env, w.Object)
		if _, seen := byNS[ns]; !seen {
			order = append(order, ns)
		}
		byNS[ns] = append(byNS[ns], w)
	}
	sort.Strings(order)
	var out []Result
	for _, ns := range order {
		out = append(out, podSecurityIn(ctx, env, ns, rendered, byNS[ns])...)
	}
	return out
}

// podSecurityIn checks the workloads of one namespace against its enforce and warn levels.
func podSecurityIn(ctx context.Context, env *Env, namespace string, rendered map[string]map[string]string, workloads []Workload) []Result {
	labels, created := rendered[namespace]
	if !created {
		ns, err := env.cluster().Namespace(ctx, namespace)
		if apierrors.IsNotFound(err) {
			if namespace != env.Namespace {
				return []Result{{Status: Warn, Message: fmt.Sprintf("namespace %s does not exist and the release does not create it: its %d pod templates cannot be checked", namespace, len(workloads)),
					Hint: fmt.Sprintf("create it first, with the Pod Security level its pods need: kubectl create ns %[1]s && kubectl label ns %[1]s pod-security.kubernetes.io/enforce=LEVEL", namespace)}}
			}
			return []Result{{Status: Warn, Message: fmt.Sprintf("namespace %s does not exist: `helm install --create-namespace` creates it without Pod Security labels", namespace),
				Hint: fmt.Sprintf("create it first with pod-security.kubernetes.io/enforce=restricted (the stack's pods meet it): kubectl create ns %[1]s && kubectl label ns %[1]s pod-security.kubernetes.io/enforce=restricted", namespace)}}
		}
		if err != nil {
			return []Result{{Status: Fail, Message: "cannot read namespace " + namespace + ": " + err.Error()}}
		}
		labels = ns.Labels
	}
	var out []Result
	for _, mode := range []struct {
		label  string
		status Status
	}{{psapi.EnforceLevelLabel, Fail}, {psapi.WarnLevelLabel, Warn}} {
		lvl := labels[mode.label]
		if lvl == "" {
			continue
		}
		level, err := psapi.ParseLevel(lvl)
		if err != nil {
			out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s: %s=%q is not a level", namespace, mode.label, lvl)})
			continue
		}
		version := psapi.LatestVersion()
		if v := labels[strings.Replace(mode.label, "-level", "", 1)+"-version"]; v != "" {
			if pv, err := psapi.ParseVersion(v); err == nil {
				version = pv
			}
		}
		bad := 0
		for _, w := range workloads {
			meta := metav1.ObjectMeta{Name: w.Object.GetName(), Namespace: namespace}
			for _, v := range podrules.PSS(psapi.LevelVersion{Level: level, Version: version}, &meta, &w.Spec) {
				bad++
				out = append(out, Result{Status: mode.status, Object: w.Object.ID(), Message: fmt.Sprintf("%s %s: %s", mode.label, lvl, v.Message),
					Hint: "fix the pod's securityContext, or run it in a namespace with a lower level"})
			}
		}
		if bad == 0 {
			out = append(out, pass("all %d pod templates meet %s=%s of namespace %s", len(workloads), mode.label, lvl, namespace))
		}
	}
	if len(out) == 0 {
		out = append(out, Result{Status: Warn, Message: fmt.Sprintf("namespace %s enforces no Pod Security level", namespace),
			Hint: "label it pod-security.kubernetes.io/enforce=restricted: the stack's pods meet it"})
	}
	return out
}

// Prefetch: what it reads whatever the release holds (preflight makes it during the render).
func (PodSecurity) Prefetch(ctx context.Context, r *Reads, _, namespace string) {
	_, _ = r.Namespace(ctx, namespace)
}
