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

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/stack-charts/stack/plugin/pkg/podrules"
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
		var vs []podrules.Violation
		if !exempt[w.Object] {
			vs = podrules.PSS(psapi.LevelVersion{Level: level, Version: psapi.LatestVersion()}, &w.Meta, &w.Spec)
		}
		for _, v := range append(vs, podrules.Containers(&w.Spec, w.LongRunning)...) {
			out = append(out, Finding{w.Object, v.Rule, v.Message})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// pinned reports whether an image names a fixed version (podrules.Pinned).
func pinned(image string) bool { return podrules.Pinned(image) }
