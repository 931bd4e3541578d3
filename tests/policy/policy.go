// Package policy checks rendered pods against the rules every stack workload must meet: Pod
// Security Standards (evaluated by Kubernetes' own pod-security-admission library, not a copy of
// its rules), resource requests, probes and pinned images.
//
// The chart suites run it over every profile; the stackcheck plugin's `lint` runs it over a
// user's render. Both get the same findings for the same objects.
package policy

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psapi "k8s.io/pod-security-admission/api"
	pspolicy "k8s.io/pod-security-admission/policy"

	"github.com/stack-charts/stack/tests/render"
)

// Finding is one rule a workload breaks.
type Finding struct {
	// Object is "Kind/name".
	Object string
	// Rule is a short identifier: "pss-restricted", "resources", "probes", "image-pinned".
	Rule string
	// Message says what is wrong, naming the container.
	Message string
}

func (f Finding) String() string { return fmt.Sprintf("%s: [%s] %s", f.Object, f.Rule, f.Message) }

// Options tunes Check.
type Options struct {
	// Level is the Pod Security level every pod must meet (default restricted).
	Level psapi.Level
	// Exempt lists "Kind/name" objects allowed to break the PSS level (documented exceptions,
	// such as an opt-in privileged worker).
	Exempt []string
}

// Workload is a pod template found in a rendered object.
type Workload struct {
	Object string
	Meta   metav1.ObjectMeta
	Spec   corev1.PodSpec
	// LongRunning is false for Jobs, CronJobs and bare Pods (helm test hooks), which need no
	// liveness/readiness probes.
	LongRunning bool
}

// Workloads extracts the pod templates of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs
// and Pods.
func Workloads(objs []render.Object) []Workload {
	var out []Workload
	for _, o := range objs {
		if w, ok := workload(o.Obj); ok {
			out = append(out, w)
		}
	}
	return out
}

func workload(obj runtime.Object) (Workload, bool) {
	switch v := obj.(type) {
	case *appsv1.Deployment:
		return Workload{"Deployment/" + v.Name, v.Spec.Template.ObjectMeta, v.Spec.Template.Spec, true}, true
	case *appsv1.StatefulSet:
		return Workload{"StatefulSet/" + v.Name, v.Spec.Template.ObjectMeta, v.Spec.Template.Spec, true}, true
	case *appsv1.DaemonSet:
		return Workload{"DaemonSet/" + v.Name, v.Spec.Template.ObjectMeta, v.Spec.Template.Spec, true}, true
	case *batchv1.Job:
		return Workload{"Job/" + v.Name, v.Spec.Template.ObjectMeta, v.Spec.Template.Spec, false}, true
	case *batchv1.CronJob:
		return Workload{"CronJob/" + v.Name, v.Spec.JobTemplate.Spec.Template.ObjectMeta, v.Spec.JobTemplate.Spec.Template.Spec, false}, true
	case *corev1.Pod:
		return Workload{"Pod/" + v.Name, v.ObjectMeta, v.Spec, false}, true
	}
	return Workload{}, false
}

var evaluator = func() pspolicy.Evaluator {
	e, err := pspolicy.NewEvaluator(pspolicy.DefaultChecks(), nil)
	if err != nil {
		panic(fmt.Sprintf("pod-security-admission evaluator: %v", err))
	}
	return e
}()

// Check returns every finding for the rendered objects, sorted.
func Check(objs []render.Object, opts Options) []Finding {
	level := opts.Level
	if level == "" {
		level = psapi.LevelRestricted
	}
	exempt := map[string]bool{}
	for _, e := range opts.Exempt {
		exempt[e] = true
	}
	var out []Finding
	for _, w := range Workloads(objs) {
		if !exempt[w.Object] {
			for _, r := range evaluator.EvaluatePod(psapi.LevelVersion{Level: level, Version: psapi.LatestVersion()}, &w.Meta, &w.Spec) {
				if !r.Allowed {
					out = append(out, Finding{w.Object, "pss-" + string(level), r.ForbiddenReason + ": " + r.ForbiddenDetail})
				}
			}
		}
		for _, c := range w.Spec.InitContainers {
			// An init container runs to completion before the pod starts: it has no probes,
			// unless it is a native sidecar (restartPolicy Always), which runs all along.
			sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
			out = append(out, container(w, c, w.LongRunning && sidecar)...)
		}
		for _, c := range w.Spec.Containers {
			out = append(out, container(w, c, w.LongRunning)...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func container(w Workload, c corev1.Container, needsProbes bool) []Finding {
	var out []Finding
	add := func(rule, format string, args ...any) {
		out = append(out, Finding{w.Object, rule, fmt.Sprintf("container %q: ", c.Name) + fmt.Sprintf(format, args...)})
	}
	req := c.Resources.Requests
	if req.Cpu().IsZero() || req.Memory().IsZero() {
		add("resources", "no cpu and memory requests")
	}
	if c.Resources.Limits.Memory().IsZero() {
		add("resources", "no memory limit")
	}
	if needsProbes {
		if c.LivenessProbe == nil {
			add("probes", "no livenessProbe")
		}
		if c.ReadinessProbe == nil {
			add("probes", "no readinessProbe")
		}
	}
	if !pinned(c.Image) {
		add("image-pinned", "image %q has no tag or digest, or uses latest", c.Image)
	}
	return out
}

// pinned reports whether an image reference names a fixed version: a digest, or a tag other than
// "latest".
func pinned(image string) bool {
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
