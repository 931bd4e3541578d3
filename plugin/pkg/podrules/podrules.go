// Package podrules holds the rules every pod of the stack meets — Pod Security Standards (Kubernetes'
// own pod-security-admission evaluator), cpu/memory requests and a memory limit, liveness and
// readiness probes on long-running containers, pinned images — in one place for `stackcheck lint`
// and the chart test framework (tests/policy).
package podrules

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"
	pspolicy "k8s.io/pod-security-admission/policy"
)

// Violation is one broken rule.
type Violation struct {
	// Rule: "pss-<level>", "resources", "probes" or "image-pinned".
	Rule string
	// Message says what is wrong (naming the container for container rules).
	Message string
	// Hint says how to fix it.
	Hint string
}

var evaluator = func() pspolicy.Evaluator {
	e, err := pspolicy.NewEvaluator(pspolicy.DefaultChecks(), nil)
	if err != nil {
		panic(fmt.Sprintf("pod-security-admission evaluator: %v", err))
	}
	return e
}()

// PSS evaluates a pod against a Pod Security level and version.
func PSS(lv psapi.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	var out []Violation
	for _, r := range evaluator.EvaluatePod(lv, meta, spec) {
		if !r.Allowed {
			out = append(out, Violation{"pss-" + string(lv.Level), r.ForbiddenReason + ": " + r.ForbiddenDetail,
				"runAsNonRoot, seccompProfile RuntimeDefault, drop ALL capabilities, no privilege escalation"})
		}
	}
	return out
}

// Containers checks every container of a pod. Long-running pods (Deployments, StatefulSets,
// DaemonSets) need probes; an init container does not, unless it is a native sidecar
// (restartPolicy Always), which runs all along.
func Containers(spec *corev1.PodSpec, longRunning bool) []Violation {
	var out []Violation
	for _, c := range spec.InitContainers {
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		out = append(out, container(c, longRunning && sidecar)...)
	}
	for _, c := range spec.Containers {
		out = append(out, container(c, longRunning)...)
	}
	return out
}

func container(c corev1.Container, needsProbes bool) []Violation {
	var out []Violation
	add := func(rule, hint, format string, args ...any) {
		out = append(out, Violation{rule, fmt.Sprintf("container %q: ", c.Name) + fmt.Sprintf(format, args...), hint})
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		add("resources", "the scheduler and HPAs need requests", "no cpu and memory requests")
	}
	if c.Resources.Limits.Memory().IsZero() {
		add("resources", "a leak would take the node's memory", "no memory limit")
	}
	if needsProbes && c.LivenessProbe == nil {
		add("probes", "a hung process is never restarted", "no livenessProbe")
	}
	if needsProbes && c.ReadinessProbe == nil {
		add("probes", "traffic reaches it before it is ready", "no readinessProbe")
	}
	if !Pinned(c.Image) {
		add("image-pinned", "use a version tag or a digest, never latest", "image %q is not pinned", c.Image)
	}
	return out
}

// Pinned reports whether an image reference names a fixed version: a digest, or a tag other than
// "latest" (a registry's port is not a tag).
func Pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon <= slash {
		return false
	}
	return image[colon+1:] != "latest"
}
