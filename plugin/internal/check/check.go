// Package check holds stackcheck's checks: each a small unit behind one interface, run in
// parallel against the rendered release and the live cluster, each answering pass, warn or fail
// with a message and a hint. Nothing here writes to the cluster (dry-runs only).
package check

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stack-charts/stack/plugin/internal/kube"
	"github.com/stack-charts/stack/plugin/internal/render"
)

// Status of a result.
type Status string

const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Result is one finding of a check.
type Result struct {
	Check   string `json:"check"`
	Status  Status `json:"status"`
	Object  string `json:"object,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Env is what a check looks at.
type Env struct {
	Release   string
	Namespace string
	// Objects are the rendered release, hooks included.
	Objects []render.Object
	// ChartKubeVersion is the chart's kubeVersion constraint ("" when none).
	ChartKubeVersion string
	Clients          *kube.Clients
	// Deployed (verify) is the installed release as Helm recorded it; nil for preflight and lint.
	Deployed *Deployed
	// ChartCRDs are the CustomResourceDefinitions of the chart's crds/ directories, which Helm
	// installs before the release's objects.
	ChartCRDs []render.Object
	// Timing, when set, is told how long each check took (STACKCHECK_TIMING).
	Timing func(check string, took time.Duration)
	// Reads are the run's shared cluster reads, maybe started before the render (Prefetch); nil:
	// made on first use.
	Reads *Reads

	readsOnce sync.Once

	workloadsOnce sync.Once
	workloads     []Workload
	workloadsErr  error
}

// cluster gives the run's shared cluster reads.
func (e *Env) cluster() *Reads {
	e.readsOnce.Do(func() {
		if e.Reads == nil {
			e.Reads = NewReads(e.Clients)
		}
	})
	return e.Reads
}

// fromChartCRD says whether gvk is served by a CRD of the chart's crds/ (Helm installs it before
// the objects, so a cluster that does not serve the kind yet is not a failure).
func (e *Env) fromChartCRD(gvk schema.GroupVersionKind) bool {
	for _, c := range e.ChartCRDs {
		if c.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(c.Object, "spec", "names", "kind")
		if group != gvk.Group || kind != gvk.Kind {
			continue
		}
		versions, _, _ := unstructured.NestedSlice(c.Object, "spec", "versions")
		for _, v := range versions {
			m, _ := v.(map[string]any)
			if m["name"] == gvk.Version && m["served"] == true {
				return true
			}
		}
	}
	return false
}

// Deployed is an installed release's record: its Helm status ("deployed", "failed",
// "pending-upgrade", ...), revision and when that revision was deployed.
type Deployed struct {
	Status   string
	Revision int
	At       time.Time
}

// Workloads are the pod templates of the release (`helm test` hooks excluded), extracted once per run and
// shared by the checks.
func (e *Env) Workloads() ([]Workload, error) {
	e.workloadsOnce.Do(func() { e.workloads, e.workloadsErr = workloads(e.Objects, false) })
	return e.workloads, e.workloadsErr
}

// Check is one preflight check.
type Check interface {
	Name() string
	Description() string
	Run(ctx context.Context, env *Env) []Result
}

// Preflight is every preflight check, in report order.
func Preflight() []Check {
	return []Check{
		KubeVersion{}, APILifecycle{}, APIGroups{}, StorageClasses{}, EdgeClasses{}, Capacity{},
		MetricsAPI{}, RBAC{}, NodePorts{}, Secrets{}, References{}, PodSecurity{}, DryRun{},
	}
}

// Select keeps the checks named in only (all when empty) minus those in skip; an unknown name
// is an error.
func Select(all []Check, only, skip []string) ([]Check, error) {
	known := map[string]bool{}
	for _, c := range all {
		known[c.Name()] = true
	}
	for _, n := range append(append([]string(nil), only...), skip...) {
		if !known[n] {
			names := make([]string, 0, len(all))
			for _, c := range all {
				names = append(names, c.Name())
			}
			return nil, fmt.Errorf("unknown check %q (checks: %v)", n, names)
		}
	}
	in := func(list []string, n string) bool {
		for _, x := range list {
			if x == n {
				return true
			}
		}
		return false
	}
	var out []Check
	for _, c := range all {
		if (len(only) == 0 || in(only, c.Name())) && !in(skip, c.Name()) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Run runs the checks in parallel and returns their results in check order. A check that panics
// fails with the panic as its message instead of taking the run down.
func Run(ctx context.Context, checks []Check, env *Env) []Result {
	results := make([][]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					results[i] = []Result{{Check: c.Name(), Status: Fail, Message: fmt.Sprintf("check crashed: %v", r)}}
				}
			}()
			start := time.Now()
			rs := c.Run(ctx, env)
			if env.Timing != nil {
				env.Timing(c.Name(), time.Since(start))
			}
			for j := range rs {
				rs[j].Check = c.Name()
			}
			if len(rs) == 0 {
				rs = []Result{{Check: c.Name(), Status: Pass, Message: "nothing to check in this release"}}
			}
			results[i] = rs
		}()
	}
	wg.Wait()
	var out []Result
	for _, rs := range results {
		sort.SliceStable(rs, func(a, b int) bool { return order(rs[a].Status) > order(rs[b].Status) })
		out = append(out, rs...)
	}
	return out
}

func order(s Status) int {
	switch s {
	case Fail:
		return 2
	case Warn:
		return 1
	}
	return 0
}

// Worst is the most severe status among results.
func Worst(rs []Result) Status {
	w := Pass
	for _, r := range rs {
		if order(r.Status) > order(w) {
			w = r.Status
		}
	}
	return w
}

func pass(msg string, args ...any) Result {
	return Result{Status: Pass, Message: fmt.Sprintf(msg, args...)}
}

// Workload is a pod template of the release and how many pods of it run at least.
type Workload struct {
	Object render.Object
	Spec   corev1.PodSpec
	// Pods is the minimum number of pods: replicas (or the HPA's minReplicas), a Job's (or a
	// CronJob run's) parallelism; PerNode marks a DaemonSet (one pod per node it may run on).
	Pods    int
	PerNode bool
}

// workloads extracts the pod templates of the rendered objects; `helm test` hooks only when
// asked (every other hook runs during install or upgrade and is a workload like the others).
func workloads(objs []render.Object, hooks bool) ([]Workload, error) {
	minReplicas := map[string]int{}
	for _, o := range objs {
		if o.GetKind() == "HorizontalPodAutoscaler" {
			var h autoscalingv2.HorizontalPodAutoscaler
			if err := convert(o, &h); err != nil {
				return nil, err
			}
			if h.Spec.MinReplicas != nil {
				minReplicas[h.Spec.ScaleTargetRef.Kind+"/"+h.Spec.ScaleTargetRef.Name] = int(*h.Spec.MinReplicas)
			}
		}
	}
	replicas := func(o render.Object, r *int32) int {
		if n, ok := minReplicas[o.GetKind()+"/"+o.GetName()]; ok {
			return n
		}
		if r == nil {
			return 1
		}
		return int(*r)
	}
	var out []Workload
	for _, o := range objs {
		if o.TestHook && !hooks {
			continue
		}
		var w Workload
		switch o.GetKind() {
		case "Deployment":
			var d appsv1.Deployment
			if err := convert(o, &d); err != nil {
				return nil, err
			}
			w = Workload{o, d.Spec.Template.Spec, replicas(o, d.Spec.Replicas), false}
		case "StatefulSet":
			var s appsv1.StatefulSet
			if err := convert(o, &s); err != nil {
				return nil, err
			}
			w = Workload{o, s.Spec.Template.Spec, replicas(o, s.Spec.Replicas), false}
		case "DaemonSet":
			var d appsv1.DaemonSet
			if err := convert(o, &d); err != nil {
				return nil, err
			}
			w = Workload{o, d.Spec.Template.Spec, 1, true}
		case "Job":
			var j batchv1.Job
			if err := convert(o, &j); err != nil {
				return nil, err
			}
			w = Workload{o, j.Spec.Template.Spec, jobPods(j.Spec), false}
		case "CronJob":
			var c batchv1.CronJob
			if err := convert(o, &c); err != nil {
				return nil, err
			}
			w = Workload{o, c.Spec.JobTemplate.Spec.Template.Spec, jobPods(c.Spec.JobTemplate.Spec), false}
		case "Pod":
			var p corev1.Pod
			if err := convert(o, &p); err != nil {
				return nil, err
			}
			w = Workload{o, p.Spec, 1, false}
		default:
			continue
		}
		out = append(out, w)
	}
	return out, nil
}

// jobPods is how many pods of a Job run at once: its parallelism (default 1), no more than its
// completions.
func jobPods(spec batchv1.JobSpec) int {
	n := 1
	if spec.Parallelism != nil {
		n = int(*spec.Parallelism)
	}
	if spec.Completions != nil && int(*spec.Completions) < n {
		n = int(*spec.Completions)
	}
	return n
}

// convert gives the object as the Go type into points to: the render's own decoding when it made
// one of that type (render.Object.Typed, shared: not to be changed), else converted here.
func convert(o render.Object, into any) error {
	if o.Typed != nil {
		if src, dst := reflect.ValueOf(o.Typed), reflect.ValueOf(into); src.Type() == dst.Type() {
			dst.Elem().Set(src.Elem())
			return nil
		}
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
		return fmt.Errorf("%s: %w", o.ID(), err)
	}
	return nil
}

// namespaceOf is the object's namespace, or the release's for a namespaced object without one.
func namespaceOf(env *Env, o render.Object) string {
	if ns := o.GetNamespace(); ns != "" {
		return ns
	}
	return env.Namespace
}

// namespaced asks the REST mapper whether the object's kind is namespaced (true when unknown).
func namespaced(env *Env, o render.Object) bool {
	gvk := o.GroupVersionKind()
	m, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return true
	}
	return m.Scope.Name() == "namespace"
}

// couldNot is the result of a read the check needs and the API server refused or failed: a
// missing permission (Forbidden, Unauthorized) is "could not check" — a warning naming the
// permission, since a namespace-scoped user may lack it and the release may still install — while
// any other error fails the check.
func couldNot(object, what string, err error, permission string) Result {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return Result{Status: Warn, Object: object, Message: fmt.Sprintf("could not check: %s is not permitted (%s)", what, permission),
			Hint: "run the preflight as a user with " + permission + ", or accept this part unchecked"}
	}
	return Result{Status: Fail, Object: object, Message: fmt.Sprintf("cannot %s: %v", what, err), Hint: "the preflight needs " + permission}
}
