package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// WorkloadsReady is a Condition over the controllers rather than their pods: every Deployment,
// StatefulSet and DaemonSet of the namespace matching selector has rolled out its current
// generation with all replicas available (no old pods left), every Job (not a Helm hook, not a
// CronJob's run) has
// completed — a failed Job is an error, not a wait — and every Service with a selector has a
// ready endpoint. Nothing matching is done (wait for the objects to exist first when that is what
// you need). It is what "the release is up" means after an install, an upgrade or a
// rollback, where a pod count can be satisfied by the old ReplicaSet's pods.
func WorkloadsReady(cs kubernetes.Interface, namespace, selector string) Condition {
	return func(ctx context.Context) (bool, string, error) {
		opts := metav1.ListOptions{LabelSelector: selector}
		var waiting []string
		deployments, err := cs.AppsV1().Deployments(namespace).List(ctx, opts)
		if err != nil {
			return false, "list Deployments: " + err.Error(), nil
		}
		for _, d := range deployments.Items {
			if why := deploymentWaiting(d); why != "" {
				waiting = append(waiting, "Deployment "+d.Name+" ("+why+")")
			}
		}
		sets, err := cs.AppsV1().StatefulSets(namespace).List(ctx, opts)
		if err != nil {
			return false, "list StatefulSets: " + err.Error(), nil
		}
		for _, s := range sets.Items {
			if why := statefulSetWaiting(s); why != "" {
				waiting = append(waiting, "StatefulSet "+s.Name+" ("+why+")")
			}
		}
		daemons, err := cs.AppsV1().DaemonSets(namespace).List(ctx, opts)
		if err != nil {
			return false, "list DaemonSets: " + err.Error(), nil
		}
		for _, d := range daemons.Items {
			if why := daemonSetWaiting(d); why != "" {
				waiting = append(waiting, "DaemonSet "+d.Name+" ("+why+")")
			}
		}
		jobs, err := cs.BatchV1().Jobs(namespace).List(ctx, opts)
		if err != nil {
			return false, "list Jobs: " + err.Error(), nil
		}
		for _, j := range jobs.Items {
			// A Helm hook is Helm's to wait for; a CronJob's run is a schedule, not part of the
			// rollout (one that fires mid-install may fail before what it calls is up, and the
			// next run is the CronJob's retry).
			if owner := metav1.GetControllerOf(&j); j.Annotations["helm.sh/hook"] != "" || (owner != nil && owner.Kind == "CronJob") {
				continue
			}
			done, failed := jobFinished(j)
			if failed != "" {
				return false, "", fmt.Errorf("Job %s failed: %s", j.Name, failed)
			}
			if !done {
				waiting = append(waiting, fmt.Sprintf("Job %s (%d active)", j.Name, j.Status.Active))
			}
		}
		services, err := cs.CoreV1().Services(namespace).List(ctx, opts)
		if err != nil {
			return false, "list Services: " + err.Error(), nil
		}
		for _, s := range services.Items {
			if len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName {
				continue
			}
			slices, err := cs.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + s.Name})
			if err != nil {
				return false, "list EndpointSlices: " + err.Error(), nil
			}
			if readyEndpoints(slices.Items) == 0 {
				waiting = append(waiting, "Service "+s.Name+" (no ready endpoint)")
			}
		}
		n := len(deployments.Items) + len(sets.Items) + len(daemons.Items) + len(jobs.Items) + len(services.Items)
		if n == 0 {
			return true, "no workloads: nothing to wait for", nil
		}
		sort.Strings(waiting)
		return len(waiting) == 0, fmt.Sprintf("%d/%d ready; waiting for %s", n-len(waiting), n, strings.Join(waiting, ", ")), nil
	}
}

func deploymentWaiting(d appsv1.Deployment) string {
	want := ptr.Deref(d.Spec.Replicas, 1)
	switch {
	case d.Status.ObservedGeneration < d.Generation:
		return "generation not observed yet"
	case d.Status.UpdatedReplicas < want:
		return fmt.Sprintf("%d/%d updated", d.Status.UpdatedReplicas, want)
	case d.Status.Replicas > d.Status.UpdatedReplicas:
		return fmt.Sprintf("%d old replicas left", d.Status.Replicas-d.Status.UpdatedReplicas)
	case d.Status.AvailableReplicas < want:
		return fmt.Sprintf("%d/%d available", d.Status.AvailableReplicas, want)
	}
	return ""
}

func statefulSetWaiting(s appsv1.StatefulSet) string {
	want := ptr.Deref(s.Spec.Replicas, 1)
	switch {
	case s.Status.ObservedGeneration < s.Generation:
		return "generation not observed yet"
	case s.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType && (s.Status.UpdatedReplicas < want || s.Status.CurrentRevision != s.Status.UpdateRevision):
		return fmt.Sprintf("%d/%d updated", s.Status.UpdatedReplicas, want)
	case s.Status.ReadyReplicas < want:
		return fmt.Sprintf("%d/%d ready", s.Status.ReadyReplicas, want)
	}
	return ""
}

func daemonSetWaiting(d appsv1.DaemonSet) string {
	switch {
	case d.Status.ObservedGeneration < d.Generation:
		return "generation not observed yet"
	case d.Status.UpdatedNumberScheduled < d.Status.DesiredNumberScheduled:
		return fmt.Sprintf("%d/%d updated", d.Status.UpdatedNumberScheduled, d.Status.DesiredNumberScheduled)
	case d.Status.NumberAvailable < d.Status.DesiredNumberScheduled:
		return fmt.Sprintf("%d/%d available", d.Status.NumberAvailable, d.Status.DesiredNumberScheduled)
	}
	return ""
}

// jobFinished reports a Job's Complete condition, or the message of its Failed one.
func jobFinished(j batchv1.Job) (done bool, failed string) {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, ""
		case batchv1.JobFailed:
			return true, strings.TrimSpace(c.Reason + ": " + c.Message)
		}
	}
	return false, ""
}

func readyEndpoints(slices []discoveryv1.EndpointSlice) int {
	n := 0
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if ptr.Deref(e.Conditions.Ready, false) {
				n++
			}
		}
	}
	return n
}
