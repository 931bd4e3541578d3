package check

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
)

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
