package check

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
)

// PodRule is one pod standard of `stackcheck lint`, each its own check so that one can be skipped,
// given a severity or exempted without the others: every pod template (hooks too: a `helm test`
// pod runs in the same namespace under the same admission) meets it.
type PodRule struct {
	name, description, rule string
}

// The pod standards (podrules, shared with the test framework's tests/policy).
var (
	// PSSRestricted: Pod Security "restricted" (or the level a workload declares, with a reason,
	// by ExemptLevelAnnotation).
	PSSRestricted = PodRule{"pss", "every pod template meets Pod Security restricted (or its declared, justified level)", "pss"}
	// Resources: cpu and memory requests and a memory limit on every container.
	Resources = PodRule{"resources", "every container requests cpu and memory and limits memory", "resources"}
	// Probes: liveness and readiness probes on long-running containers.
	Probes = PodRule{"probes", "long-running containers have liveness and readiness probes", "probes"}
	// PinnedImages: a tag other than latest, or a digest.
	PinnedImages = PodRule{"pinned-images", "every image is pinned (a version tag or a digest)", "image-pinned"}
)

func (r PodRule) Name() string        { return r.name }
func (r PodRule) Description() string { return r.description }

func (r PodRule) Run(_ context.Context, env *Env) []Result {
	ws, err := workloads(env.Objects, true)
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	var out []Result
	exempt := 0
	for _, w := range ws {
		o := w.Object
		var violations []podrules.Violation
		if r.rule == "pss" {
			level, res := exemption(o.GetAnnotations())
			if res != nil {
				res.Object = o.ID()
				out = append(out, *res)
				if res.Status == Pass {
					exempt++
				}
			}
			meta := metav1.ObjectMeta{Name: o.GetName()}
			for _, v := range podrules.PSS(psapi.LevelVersion{Level: level, Version: psapi.LatestVersion()}, &meta, &w.Spec) {
				v.Message = fmt.Sprintf("Pod Security %s: %s", level, v.Message)
				violations = append(violations, v)
			}
		} else {
			longRunning := !o.Hook && (o.GetKind() == "Deployment" || o.GetKind() == "StatefulSet" || o.GetKind() == "DaemonSet")
			for _, v := range podrules.Containers(&w.Spec, longRunning) {
				if strings.HasPrefix(v.Rule, r.rule) {
					violations = append(violations, v)
				}
			}
		}
		for _, v := range violations {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: v.Message, Hint: v.Hint})
		}
	}
	if len(ws) > 0 && len(out) == exempt {
		out = append(out, pass("all %d pod templates pass", len(ws)))
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
