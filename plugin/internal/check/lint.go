package check

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	psapi "k8s.io/pod-security-admission/api"
)

// Lint is every check of `stackcheck lint`: the chart alone, no cluster.
func Lint() []Check {
	return []Check{PodStandards{}, PDBs{}, NetworkPolicies{}, LintAPILifecycle{}}
}

// PodStandards: every pod (hooks too) meets Pod Security "restricted", declares cpu and memory
// requests and a memory limit, long-running containers have liveness and readiness probes, and
// images are pinned (a tag other than latest, or a digest).
type PodStandards struct{}

func (PodStandards) Name() string { return "pod-standards" }
func (PodStandards) Description() string {
	return "PSS restricted, requests and memory limits, probes on long-running containers, pinned images"
}
func (PodStandards) Run(_ context.Context, env *Env) []Result {
	var out []Result
	n := 0
	for _, o := range env.Objects {
		w, ok, err := workloadOf(o)
		if err != nil {
			return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
		}
		if !ok {
			continue
		}
		n++
		meta := metav1.ObjectMeta{Name: o.GetName()}
		for _, r := range evaluator.EvaluatePod(psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}, &meta, &w.Spec) {
			if !r.Allowed {
				out = append(out, Result{Status: Fail, Object: o.ID(), Message: "Pod Security restricted: " + r.ForbiddenReason + ": " + r.ForbiddenDetail,
					Hint: "runAsNonRoot, seccompProfile RuntimeDefault, drop ALL capabilities, no privilege escalation"})
			}
		}
		longRunning := !o.Hook && (o.GetKind() == "Deployment" || o.GetKind() == "StatefulSet" || o.GetKind() == "DaemonSet")
		for _, c := range w.Spec.InitContainers {
			sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
			out = append(out, containerStandards(o.ID(), c, longRunning && sidecar)...)
		}
		for _, c := range w.Spec.Containers {
			out = append(out, containerStandards(o.ID(), c, longRunning)...)
		}
	}
	if n > 0 && len(out) == 0 {
		out = append(out, pass("all %d pod templates meet the standards", n))
	}
	return out
}

func containerStandards(id string, c corev1.Container, needsProbes bool) []Result {
	var out []Result
	add := func(msg, hint string) {
		out = append(out, Result{Status: Fail, Object: id, Message: fmt.Sprintf("container %q: %s", c.Name, msg), Hint: hint})
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		add("no cpu and memory requests", "the scheduler and HPAs need requests")
	}
	if c.Resources.Limits.Memory().IsZero() {
		add("no memory limit", "a leak would take the node's memory")
	}
	if needsProbes && c.LivenessProbe == nil {
		add("no livenessProbe", "a hung process is never restarted")
	}
	if needsProbes && c.ReadinessProbe == nil {
		add("no readinessProbe", "traffic reaches it before it is ready")
	}
	if !Pinned(c.Image) {
		add(fmt.Sprintf("image %q is not pinned", c.Image), "use a version tag or a digest, never latest")
	}
	return out
}

// Pinned reports whether an image names a fixed version: a digest, or a tag other than latest.
func Pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	last := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	return ok && tag != "" && tag != "latest"
}

func workloadOf(o renderObject) (Workload, bool, error) {
	ws, err := Workloads([]renderObject{{Unstructured: o.Unstructured, Source: o.Source}})
	if err != nil || len(ws) == 0 {
		return Workload{}, false, err
	}
	return ws[0], true, nil
}

// PDBs: every workload with more than one pod has a PodDisruptionBudget selecting it.
type PDBs struct{}

func (PDBs) Name() string { return "pdb" }
func (PDBs) Description() string {
	return "workloads with more than one replica have a PodDisruptionBudget"
}
func (PDBs) Run(_ context.Context, env *Env) []Result {
	workloads, err := Workloads(env.Objects)
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	var selectors []labels.Selector
	for _, o := range env.Objects {
		if o.GetKind() == "PodDisruptionBudget" {
			var pdb policyv1.PodDisruptionBudget
			if err := convert(o, &pdb); err != nil {
				return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
			}
			if s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil {
				selectors = append(selectors, s)
			}
		}
	}
	var out []Result
	for _, w := range workloads {
		if w.Pods < 2 || w.PerNode || w.Object.GetKind() == "Job" || w.Object.GetKind() == "CronJob" {
			continue
		}
		podLabels := podTemplateLabels(w)
		covered := false
		for _, s := range selectors {
			if s.Matches(labels.Set(podLabels)) {
				covered = true
			}
		}
		if covered {
			out = append(out, Result{Status: Pass, Object: w.Object.ID(), Message: fmt.Sprintf("%d replicas, covered by a PDB", w.Pods)})
		} else {
			out = append(out, Result{Status: Fail, Object: w.Object.ID(), Message: fmt.Sprintf("%d replicas and no PodDisruptionBudget", w.Pods),
				Hint: "a node drain may evict every replica at once: add a PDB (the stack charts do when replicas > 1)"})
		}
	}
	return out
}

// NetworkPolicies: every pod of the release is selected by a NetworkPolicy of the release.
type NetworkPolicies struct{}

func (NetworkPolicies) Name() string        { return "network-policy" }
func (NetworkPolicies) Description() string { return "every pod is selected by a NetworkPolicy" }
func (NetworkPolicies) Run(_ context.Context, env *Env) []Result {
	workloads, err := Workloads(env.Objects)
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	var selectors []labels.Selector
	for _, o := range env.Objects {
		if o.GetKind() == "NetworkPolicy" {
			var np networkingv1.NetworkPolicy
			if err := convert(o, &np); err != nil {
				return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
			}
			if s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err == nil {
				selectors = append(selectors, s)
			}
		}
	}
	var out []Result
	for _, w := range workloads {
		covered := false
		for _, s := range selectors {
			if s.Matches(labels.Set(podTemplateLabels(w))) {
				covered = true
			}
		}
		if !covered {
			out = append(out, Result{Status: Fail, Object: w.Object.ID(), Message: "no NetworkPolicy selects its pods: they accept traffic from anywhere",
				Hint: "give it a NetworkPolicy (the stack charts render one per workload)"})
		}
	}
	if len(workloads) > 0 && len(out) == 0 {
		out = append(out, pass("all %d workloads are selected by a NetworkPolicy", len(workloads)))
	}
	return out
}

func podTemplateLabels(w Workload) map[string]string {
	for _, path := range [][]string{{"spec", "template", "metadata", "labels"}, {"spec", "jobTemplate", "spec", "template", "metadata", "labels"}, {"metadata", "labels"}} {
		if m, ok, _ := nestedStringMap(w.Object.Object, path...); ok {
			return m
		}
	}
	return nil
}

// LintAPILifecycle: no removed or deprecated API versions for the --kube-version of the lint.
type LintAPILifecycle struct{}

func (LintAPILifecycle) Name() string { return "api-lifecycle" }
func (LintAPILifecycle) Description() string {
	return "no object uses an API version removed from or deprecated in --kube-version"
}
func (LintAPILifecycle) Run(ctx context.Context, env *Env) []Result {
	return APILifecycle{}.Run(ctx, env)
}
