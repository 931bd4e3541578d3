package check

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
)

// Lint is every check of `stackcheck lint`: the chart alone, no cluster.
func Lint() []Check {
	return []Check{PodStandards{}, PDBs{}, NetworkPolicies{}, APILifecycle{}}
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
	// Hooks too: a `helm test` pod runs in the same namespace under the same admission.
	ws, err := workloads(env.Objects, true)
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	var out []Result
	exempt := 0
	for _, w := range ws {
		o := w.Object
		meta := metav1.ObjectMeta{Name: o.GetName()}
		level, res := exemption(o.GetAnnotations())
		if res != nil {
			res.Object = o.ID()
			out = append(out, *res)
			if res.Status == Pass {
				exempt++
			}
		}
		for _, v := range podrules.PSS(psapi.LevelVersion{Level: level, Version: psapi.LatestVersion()}, &meta, &w.Spec) {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("Pod Security %s: %s", level, v.Message), Hint: v.Hint})
		}
		longRunning := !o.Hook && (o.GetKind() == "Deployment" || o.GetKind() == "StatefulSet" || o.GetKind() == "DaemonSet")
		for _, v := range podrules.Containers(&w.Spec, longRunning) {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: v.Message, Hint: v.Hint})
		}
	}
	if len(ws) > 0 && len(out) == exempt {
		out = append(out, pass("all %d pod templates meet the standards", len(ws)))
	}
	return out
}

// Annotations by which a workload declares it needs a Pod Security level below restricted, and
// why (e.g. node-exporter reads the host's /proc and network: hostNetwork, hostPID, hostPath).
// The workload is then checked against that level, and the exemption is reported with its reason.
const (
	ExemptLevelAnnotation  = "stack.dev/pod-security-level"
	ExemptReasonAnnotation = "stack.dev/pod-security-reason"
)

// exemption reads a workload's declared Pod Security level: restricted and no result when it
// declares none; the declared level and a PASS naming the reason when it declares one with a
// reason; restricted and a FAIL when the level is unknown or the reason is missing.
func exemption(ann map[string]string) (psapi.Level, *Result) {
	raw, ok := ann[ExemptLevelAnnotation]
	if !ok {
		return psapi.LevelRestricted, nil
	}
	level, err := psapi.ParseLevel(raw)
	if err != nil {
		return psapi.LevelRestricted, &Result{Status: Fail, Message: fmt.Sprintf("%s %q is not a Pod Security level (privileged, baseline, restricted)", ExemptLevelAnnotation, raw)}
	}
	reason := ann[ExemptReasonAnnotation]
	if reason == "" {
		return psapi.LevelRestricted, &Result{Status: Fail, Message: fmt.Sprintf("%s: %s without a reason: an exemption says why (%s)", ExemptLevelAnnotation, raw, ExemptReasonAnnotation),
			Hint: "checked against restricted until the reason is given"}
	}
	return level, &Result{Status: Pass, Message: fmt.Sprintf("exempt from restricted, checked against %s: %s", level, reason)}
}

// PDBs: every workload with more than one pod has a PodDisruptionBudget selecting it.
type PDBs struct{}

func (PDBs) Name() string { return "pdb" }
func (PDBs) Description() string {
	return "workloads with more than one replica have a PodDisruptionBudget"
}
func (PDBs) Run(_ context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
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
	workloads, err := env.Workloads()
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
		if m, ok, _ := unstructured.NestedStringMap(w.Object.Object, path...); ok {
			return m
		}
	}
	return nil
}
