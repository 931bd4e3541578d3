package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	schedhelper "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// Capacity models where each pod of the release may run and whether it fits there: every pod
// shape (its requests as the scheduler counts them — native sidecars summed with the containers,
// init containers, the RuntimeClass's pod overhead) against every node it may land on (Ready, not
// cordoned, its NoSchedule/NoExecute taints tolerated, its nodeSelector and required node affinity
// matched, the RuntimeClass's scheduling added), on CPU, memory and the node's pod slots, after
// what already runs there. Pods are placed largest first onto the eligible node with the most room
// left (the scheduler's default, least-allocated scoring); a DaemonSet's pod goes on each node it
// may run on. Replicas count at their HPA's minimum, a Job (or a CronJob's run) at its
// parallelism. Pods of this release that already run (an upgrade) are not counted twice. The
// model leaves out inter-pod affinity and topology spread, which only narrow the placement.
type Capacity struct{}

func (Capacity) Name() string { return "capacity" }
func (Capacity) Description() string {
	return "each pod of the release fits a node it may run on (taints, selectors, affinity; CPU, memory, pod slots)"
}

// room is what a node has left.
type room struct {
	cpu, mem resource.Quantity
	pods     int64 // -1: the node reports no pod limit
}

func (r room) String() string {
	s := fmt.Sprintf("cpu %dm, memory %s", r.cpu.MilliValue(), human(r.mem.Value()))
	if r.pods >= 0 {
		s += fmt.Sprintf(", %d pod slots", r.pods)
	}
	return s
}

func human(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fGi", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%dMi", b>>20)
	}
	return fmt.Sprintf("%dKi", b>>10)
}

// shape is a pod's requests.
type shape struct{ cpu, mem resource.Quantity }

func (s shape) String() string {
	return fmt.Sprintf("cpu %dm, memory %s", s.cpu.MilliValue(), human(s.mem.Value()))
}

func (s shape) none() bool { return s.cpu.IsZero() && s.mem.IsZero() }

// requests is what the scheduler reserves for pod: k8s.io/component-helpers' PodRequests, the
// scheduler's own arithmetic (sidecars, init containers, pod-level resources, overhead).
func requests(pod *corev1.Pod) shape {
	r := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	return shape{r.Cpu().DeepCopy(), r.Memory().DeepCopy()}
}

// capNode is a node as the model sees it.
type capNode struct {
	node  *corev1.Node
	alloc shape
	left  room
	why   string // why no pod may run here at all ("" if some may)
}

func (n *capNode) fits(s shape) bool {
	return s.cpu.Cmp(n.left.cpu) <= 0 && s.mem.Cmp(n.left.mem) <= 0 && n.left.pods != 0
}

func (n *capNode) take(s shape) {
	n.left.cpu.Sub(s.cpu)
	n.left.mem.Sub(s.mem)
	if n.left.pods > 0 {
		n.left.pods--
	}
}

// free is the share of the node still free, averaged over CPU and memory (least-allocated).
func (n *capNode) free() float64 {
	share := func(left, all resource.Quantity) float64 {
		if all.IsZero() {
			return 0
		}
		return float64(left.MilliValue()) / float64(all.MilliValue())
	}
	return (share(n.left.cpu, n.alloc.cpu) + share(n.left.mem, n.alloc.mem)) / 2
}

// placement is a workload's pods to place.
type placement struct {
	w        Workload
	shape    shape
	count    int
	eligible []*capNode
	why      map[string]string // node name -> why the pod may not run there
	placed   int
}

func (Capacity) Run(ctx context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	if len(workloads) == 0 {
		return nil
	}
	nodes, err := env.cluster().Nodes(ctx)
	if err != nil {
		return []Result{couldNot("", "list nodes", err, "list on nodes")}
	}
	pods, err := env.cluster().ActivePods(ctx)
	if err != nil {
		return []Result{couldNot("", "list pods in all namespaces", err, "list on pods cluster-wide")}
	}
	var all []*capNode
	byName := map[string]*capNode{}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		alloc := shape{n.Status.Allocatable.Cpu().DeepCopy(), n.Status.Allocatable.Memory().DeepCopy()}
		c := &capNode{node: n, alloc: alloc, left: room{alloc.cpu.DeepCopy(), alloc.mem.DeepCopy(), -1}}
		if p, ok := n.Status.Allocatable[corev1.ResourcePods]; ok {
			c.left.pods = p.Value()
		}
		switch {
		case n.Spec.Unschedulable:
			c.why = "cordoned"
		case !nodeReady(n):
			c.why = "not Ready"
		}
		all = append(all, c)
		byName[n.Name] = c
	}
	sort.Slice(all, func(i, j int) bool { return all[i].node.Name < all[j].node.Name })
	for i := range pods.Items {
		p := &pods.Items[i]
		c := byName[p.Spec.NodeName]
		if c == nil || (p.Namespace == env.Namespace && p.Labels["app.kubernetes.io/instance"] == env.Release) {
			continue // unscheduled, or replaced by this release's own pods (an upgrade)
		}
		c.take(requests(p))
	}

	var out []Result
	runtimeClasses := map[string]*nodev1.RuntimeClass{}
	var places []*placement
	var nothing []string
	for _, w := range workloads {
		pod := &corev1.Pod{Spec: *w.Spec.DeepCopy()}
		if rc := pod.Spec.RuntimeClassName; rc != nil && *rc != "" {
			class, seen := runtimeClasses[*rc]
			if !seen {
				class, err = env.Clients.Typed.NodeV1().RuntimeClasses().Get(ctx, *rc, metav1.GetOptions{})
				switch {
				case apierrors.IsNotFound(err):
					out = append(out, Result{Status: Fail, Object: w.Object.ID(), Message: fmt.Sprintf("RuntimeClass %q does not exist: its pods are refused at admission", *rc),
						Hint: "create the RuntimeClass or set runtimeClassName to one the cluster has"})
					class = nil
				case err != nil:
					out = append(out, couldNot(w.Object.ID(), "get RuntimeClass "+*rc, err, "get on runtimeclasses.node.k8s.io"))
					class = nil
				}
				runtimeClasses[*rc] = class
			}
			if class == nil {
				continue
			}
			if class.Overhead != nil {
				pod.Spec.Overhead = class.Overhead.PodFixed // what RuntimeClass admission sets
			}
			if s := class.Scheduling; s != nil {
				if pod.Spec.NodeSelector == nil {
					pod.Spec.NodeSelector = map[string]string{}
				}
				for k, v := range s.NodeSelector {
					pod.Spec.NodeSelector[k] = v
				}
				pod.Spec.Tolerations = append(pod.Spec.Tolerations, s.Tolerations...)
			}
		}
		p := &placement{w: w, shape: requests(pod), count: w.Pods, why: map[string]string{}}
		if p.shape.none() {
			nothing = append(nothing, w.Object.ID())
		}
		affinity := nodeaffinity.GetRequiredNodeAffinity(pod)
		for _, c := range all {
			if c.why != "" {
				p.why[c.node.Name] = c.why
				continue
			}
			if taint, untolerated := schedhelper.FindMatchingUntoleratedTaint(klog.Background(), c.node.Spec.Taints, pod.Spec.Tolerations, func(t *corev1.Taint) bool {
				return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
			}, false); untolerated {
				p.why[c.node.Name] = "taint " + taint.ToString() + " not tolerated"
				continue
			}
			if ok, err := affinity.Match(c.node); err != nil || !ok {
				p.why[c.node.Name] = "does not match the nodeSelector/required node affinity"
				continue
			}
			p.eligible = append(p.eligible, c)
		}
		if w.PerNode {
			p.count = len(p.eligible)
		}
		places = append(places, p)
	}

	// DaemonSet pods first, each on its own node; then the others, largest first, each onto the
	// eligible node with the most room that fits it.
	for _, p := range places {
		if !p.w.PerNode {
			continue
		}
		for _, c := range p.eligible {
			if c.fits(p.shape) {
				c.take(p.shape)
				p.placed++
			} else if _, ok := p.why[c.node.Name]; !ok {
				p.why[c.node.Name] = "has " + c.left.String() + " left"
			}
		}
	}
	var queue []*placement
	for _, p := range places {
		if !p.w.PerNode {
			queue = append(queue, p)
		}
	}
	sort.SliceStable(queue, func(i, j int) bool {
		a, b := queue[i].shape, queue[j].shape
		if c := a.mem.Cmp(b.mem); c != 0 {
			return c > 0
		}
		return a.cpu.Cmp(b.cpu) > 0
	})
	for _, p := range queue {
		for i := 0; i < p.count; i++ {
			var best *capNode
			for _, c := range p.eligible {
				if c.fits(p.shape) && (best == nil || c.free() > best.free()) {
					best = c
				}
			}
			if best == nil {
				break
			}
			best.take(p.shape)
			p.placed++
		}
	}

	var total shape
	podCount := 0
	for _, p := range places {
		for i := 0; i < p.count; i++ {
			total.cpu.Add(p.shape.cpu)
			total.mem.Add(p.shape.mem)
		}
		podCount += p.count
		if p.placed == p.count && (p.count > 0 || !p.w.PerNode) {
			continue
		}
		var reasons []string
		for _, c := range all {
			why, ok := p.why[c.node.Name]
			if !ok {
				why = "has " + c.left.String() + " left"
			}
			reasons = append(reasons, c.node.Name+": "+why)
		}
		msg := fmt.Sprintf("%d of %d pods (%s each) fit no node — %s", p.count-p.placed, p.count, p.shape, strings.Join(reasons, "; "))
		if p.count == 0 {
			msg = "no node may run its pods — " + strings.Join(reasons, "; ")
		}
		out = append(out, Result{Status: Fail, Object: p.w.Object.ID(), Message: msg,
			Hint: "lower replicas or requests, add or free nodes, or let the pods tolerate and select more of them"})
	}
	if len(nothing) > 0 {
		out = append(out, Result{Status: Warn, Message: fmt.Sprintf("%d pod templates request neither CPU nor memory (%s): only their pod slots are checked",
			len(nothing), strings.Join(nothing, ", ")), Hint: "set resources.requests, or the scheduler may pack them onto a full node"})
	}
	if Worst(out) != Fail {
		out = append(out, pass("the release's %d pods (%s in all) fit the nodes they may run on", podCount, total))
	}
	return out
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Prefetch: what it reads whatever the release holds (preflight makes it during the render).
func (Capacity) Prefetch(ctx context.Context, r *Reads, _, _ string) {
	_, _ = r.Nodes(ctx)
	_, _ = r.ActivePods(ctx)
}
