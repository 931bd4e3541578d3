package check

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// NoCrashLoops: no pod of the release is crash-looping, or restarted again and again since the
// release was deployed (restarts before it — an earlier revision's — do not count, so a release
// that is healthy now passes `verify --wait` instead of waiting out the timeout). The release's
// pods are found by owner references from its workloads (Deployment → ReplicaSet → Pod;
// StatefulSet, DaemonSet, Job → Pod; CronJob → Job → Pod), not by a label a chart may not set.
type NoCrashLoops struct{}

func (NoCrashLoops) Name() string { return "crash-loops" }
func (NoCrashLoops) Description() string {
	return "no pod of the release is crash-looping or restarting since the release was deployed"
}

// restartWarning is how many restarts since the deploy make a warning.
const restartWarning = 3

func (NoCrashLoops) Run(ctx context.Context, env *Env) []Result {
	pods, err := releasePods(ctx, env)
	if err != nil {
		return []Result{couldNot("", "find the release's pods", err, "get and list on the release's workloads, replicasets, jobs and pods")}
	}
	var deployed time.Time
	if env.Deployed != nil {
		deployed = env.Deployed.At
	}
	var out []Result
	for _, p := range pods {
		id := "Pod/" + p.Namespace + "/" + p.Name
		for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			hint := fmt.Sprintf("kubectl -n %s logs %s -c %s --previous", p.Namespace, p.Name, cs.Name)
			if cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" {
				out = append(out, Result{Status: Fail, Object: id, Message: fmt.Sprintf("container %s is crash-looping (%d restarts)", cs.Name, cs.RestartCount), Hint: hint})
				continue
			}
			// A pod created since the deploy restarted only since; an older pod's count is the
			// earlier revisions' (its last termination says whether it restarted since).
			if deployed.IsZero() || !p.CreationTimestamp.Time.Before(deployed) {
				if cs.RestartCount >= restartWarning {
					since := ""
					if !deployed.IsZero() {
						since = " since the release was deployed"
					}
					out = append(out, Result{Status: Warn, Object: id, Message: fmt.Sprintf("container %s restarted %d times%s", cs.Name, cs.RestartCount, since), Hint: hint})
				}
			}
		}
	}
	if len(out) == 0 {
		out = append(out, pass("%d pods of the release (found by owner), none crash-looping", len(pods)))
	}
	return out
}

// releasePods are the pods the release's workloads own, directly or through a ReplicaSet or a Job.
func releasePods(ctx context.Context, env *Env) ([]corev1.Pod, error) {
	owners := map[string]map[types.UID]bool{} // namespace -> owner UIDs of the release
	direct := map[string]map[string]bool{}    // namespace -> bare Pods of the release
	add := func(ns string, uid types.UID) {
		if owners[ns] == nil {
			owners[ns] = map[types.UID]bool{}
		}
		if uid != "" {
			owners[ns][uid] = true
		}
	}
	typed := env.Clients.Typed
	for _, o := range env.Objects {
		if o.TestHook {
			continue
		}
		ns, name := namespaceOf(env, o), o.GetName()
		var meta metav1.Object
		var err error
		switch o.GetKind() {
		case "Deployment":
			meta, err = typed.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		case "StatefulSet":
			meta, err = typed.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		case "DaemonSet":
			meta, err = typed.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		case "Job":
			meta, err = typed.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		case "CronJob":
			meta, err = typed.BatchV1().CronJobs(ns).Get(ctx, name, metav1.GetOptions{})
		case "Pod":
			if direct[ns] == nil {
				direct[ns] = map[string]bool{}
			}
			direct[ns][name] = true
			add(ns, "") // its namespace is listed
			continue
		default:
			continue
		}
		switch {
		case apierrors.IsNotFound(err):
			continue // the workloads check says it is missing
		case err != nil:
			return nil, err
		}
		add(ns, meta.GetUID())
	}
	var out []corev1.Pod
	namespaces := make([]string, 0, len(owners))
	for ns := range owners {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	for _, ns := range namespaces {
		// One level of intermediates: a Deployment's ReplicaSets, a CronJob's Jobs.
		sets, err := typed.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		jobs, err := typed.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		var middle []metav1.Object
		for i := range sets.Items {
			middle = append(middle, &sets.Items[i])
		}
		for i := range jobs.Items {
			middle = append(middle, &jobs.Items[i])
		}
		for _, m := range middle {
			if c := metav1.GetControllerOfNoCopy(m); c != nil && owners[ns][c.UID] {
				add(ns, m.GetUID())
			}
		}
		pods, err := typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, p := range pods.Items {
			if c := metav1.GetControllerOfNoCopy(&p); (c != nil && owners[ns][c.UID]) || direct[ns][p.Name] {
				out = append(out, p)
			}
		}
	}
	return out, nil
}
