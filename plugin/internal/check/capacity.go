package check

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Capacity: the release's total requests (replicas or HPA minimum, StatefulSets, DaemonSets ×
// schedulable nodes, one run of each Job/CronJob) fit in what the schedulable nodes have left, and
// the largest pod fits on the node with the most room. Pods of the release that already run (an
// upgrade) are not counted twice.
type Capacity struct{}

func (Capacity) Name() string { return "capacity" }
func (Capacity) Description() string {
	return "the release's requests fit the schedulable nodes' free allocatable, and its largest pod fits one node"
}

type res struct{ cpu, mem resource.Quantity }

func (r *res) add(o res) { r.cpu.Add(o.cpu); r.mem.Add(o.mem) }
func (r *res) sub(o res) { r.cpu.Sub(o.cpu); r.mem.Sub(o.mem) }
func (r res) String() string {
	return fmt.Sprintf("cpu %dm, memory %s", r.cpu.MilliValue(), human(r.mem.Value()))
}
func (r res) fits(in res) bool { return r.cpu.Cmp(in.cpu) <= 0 && r.mem.Cmp(in.mem) <= 0 }

func human(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fGi", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%dMi", b>>20)
	}
	return fmt.Sprintf("%dKi", b>>10)
}

// podRequests is what the scheduler reserves for a pod: the larger of its containers' sum and
// its largest init container.
func podRequests(spec corev1.PodSpec) res {
	var sum, initMax res
	for _, c := range spec.Containers {
		sum.add(res{c.Resources.Requests.Cpu().DeepCopy(), c.Resources.Requests.Memory().DeepCopy()})
	}
	for _, c := range spec.InitContainers {
		if cpu := c.Resources.Requests.Cpu(); cpu.Cmp(initMax.cpu) > 0 {
			initMax.cpu = cpu.DeepCopy()
		}
		if mem := c.Resources.Requests.Memory(); mem.Cmp(initMax.mem) > 0 {
			initMax.mem = mem.DeepCopy()
		}
	}
	if initMax.cpu.Cmp(sum.cpu) > 0 {
		sum.cpu = initMax.cpu
	}
	if initMax.mem.Cmp(sum.mem) > 0 {
		sum.mem = initMax.mem
	}
	return sum
}

func schedulable(n corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (Capacity) Run(ctx context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	if len(workloads) == 0 {
		return nil
	}
	nodes, err := env.Clients.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return []Result{couldNot("", "list nodes", err, "list on nodes")}
	}
	pods, err := env.Clients.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "status.phase!=Succeeded,status.phase!=Failed"})
	if err != nil {
		return []Result{couldNot("", "list pods in all namespaces", err, "list on pods cluster-wide")}
	}
	free := map[string]*res{}
	var names []string
	for _, n := range nodes.Items {
		if !schedulable(n) {
			continue
		}
		free[n.Name] = &res{n.Status.Allocatable.Cpu().DeepCopy(), n.Status.Allocatable.Memory().DeepCopy()}
		names = append(names, n.Name)
	}
	if len(free) == 0 {
		return []Result{{Status: Fail, Message: "no schedulable, Ready node", Hint: "uncordon a node or remove its NoSchedule taint"}}
	}
	for _, p := range pods.Items {
		f := free[p.Spec.NodeName]
		if f == nil {
			continue
		}
		if p.Namespace == env.Namespace && p.Labels["app.kubernetes.io/instance"] == env.Release {
			continue // replaced by this release's own pods (an upgrade)
		}
		f.sub(podRequests(p.Spec))
	}
	var total, free0, largest res
	var largestFrom string
	for _, n := range names {
		free0.add(*free[n])
	}
	for _, w := range workloads {
		per := podRequests(w.Spec)
		count := w.Pods
		if w.PerNode {
			count = len(names)
		}
		for i := 0; i < count; i++ {
			total.add(per)
		}
		if per.cpu.Cmp(largest.cpu) > 0 || per.mem.Cmp(largest.mem) > 0 {
			largest, largestFrom = per, w.Object.ID()
		}
	}
	// The largest pod must fit on some node; the roomiest (most CPU) is named when none fits.
	fitsSomewhere := false
	var roomiest res
	var roomiestNode string
	for _, n := range names {
		if largest.fits(*free[n]) {
			fitsSomewhere = true
		}
		if roomiestNode == "" || free[n].cpu.Cmp(roomiest.cpu) > 0 {
			roomiest, roomiestNode = *free[n], n
		}
	}
	var out []Result
	if !total.fits(free0) {
		out = append(out, Result{Status: Fail, Message: fmt.Sprintf("the release requests %s; the %d schedulable nodes have %s left", total, len(names), free0),
			Hint: "add nodes, free capacity, or lower replicas/requests (e.g. the dev profile)"})
	} else {
		out = append(out, pass("the release requests %s of the %s left on %d schedulable nodes", total, free0, len(names)))
	}
	if !fitsSomewhere {
		out = append(out, Result{Status: Fail, Object: largestFrom, Message: fmt.Sprintf("its pods request %s; no node has that much left (the roomiest, %s, has %s)", largest, roomiestNode, roomiest),
			Hint: "lower this workload's requests or add a bigger node"})
	}
	return out
}

// MetricsAPI: when the release renders HPAs, the resource metrics API is Available.
type MetricsAPI struct{}

func (MetricsAPI) Name() string { return "metrics-api" }
func (MetricsAPI) Description() string {
	return "HPAs have the resource metrics API (metrics-server) Available"
}

var apiServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

func (MetricsAPI) Run(ctx context.Context, env *Env) []Result {
	var hpas []string
	for _, o := range env.Objects {
		if o.GetKind() == "HorizontalPodAutoscaler" {
			hpas = append(hpas, o.ID())
		}
	}
	if len(hpas) == 0 {
		return nil
	}
	hint := "install metrics-server; without it the HPAs never scale"
	svc, err := env.Clients.Dynamic.Resource(apiServiceGVR).Get(ctx, "v1beta1.metrics.k8s.io", metav1.GetOptions{})
	if err != nil {
		return []Result{{Status: Fail, Message: fmt.Sprintf("%d HPAs, but APIService v1beta1.metrics.k8s.io: %v", len(hpas), err), Hint: hint}}
	}
	conds, _, _ := unstructured.NestedSlice(svc.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Available" {
			if m["status"] == "True" {
				return []Result{pass("%d HPAs; v1beta1.metrics.k8s.io is Available", len(hpas))}
			}
			return []Result{{Status: Fail, Message: fmt.Sprintf("%d HPAs; v1beta1.metrics.k8s.io is not Available: %v", len(hpas), m["message"]), Hint: hint}}
		}
	}
	return []Result{{Status: Fail, Message: "v1beta1.metrics.k8s.io reports no Available condition", Hint: hint}}
}
