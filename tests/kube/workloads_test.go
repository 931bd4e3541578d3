package kube

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "x"}, Generation: 2}
}

func TestWorkloadsReadyWaitsForRolloutsJobsAndEndpoints(t *testing.T) {
	// A Deployment mid-rollout: all pods Ready (old and new), so a pod count says done; it is not.
	rolling := &appsv1.Deployment{ObjectMeta: meta("web"), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 2, AvailableReplicas: 3}}
	sts := &appsv1.StatefulSet{ObjectMeta: meta("db"), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](1)},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 2, ReadyReplicas: 1, UpdatedReplicas: 1, CurrentRevision: "db-1", UpdateRevision: "db-2"}}
	job := &batchv1.Job{ObjectMeta: meta("migrate"), Status: batchv1.JobStatus{Active: 1}}
	hook := &batchv1.Job{ObjectMeta: meta("hook"), Status: batchv1.JobStatus{Active: 1}}
	hook.Annotations = map[string]string{"helm.sh/hook": "post-install"}
	cronRun := &batchv1.Job{ObjectMeta: meta("pipeline-29941840"), Status: batchv1.JobStatus{Failed: 1,
		Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"}}}}
	cronRun.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "pipeline", UID: "u1", Controller: ptr.To(true)}}
	svc := &corev1.Service{ObjectMeta: meta("web"), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "x"}}}
	slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}}}}
	cs := fake.NewSimpleClientset(rolling, sts, job, hook, cronRun, svc, slice)
	ctx := context.Background()

	done, status, err := WorkloadsReady(cs, "ns", "app=x")(ctx)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "2/6 ready; waiting for Deployment web (1 old replicas left), Job migrate (1 active), Service web (no ready endpoint), StatefulSet db (1/1 updated)", status,
		"the hook Job is Helm's, not waited for; a CronJob's failed run is not the rollout's")

	rolling.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}
	sts.Status.CurrentRevision = "db-2"
	job.Status = batchv1.JobStatus{Succeeded: 1, Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}
	slice.Endpoints[0].Conditions.Ready = ptr.To(true)
	for _, err := range []error{
		update(cs.AppsV1().Deployments("ns").UpdateStatus(ctx, rolling, metav1.UpdateOptions{})),
		update(cs.AppsV1().StatefulSets("ns").UpdateStatus(ctx, sts, metav1.UpdateOptions{})),
		update(cs.BatchV1().Jobs("ns").UpdateStatus(ctx, job, metav1.UpdateOptions{})),
		update(cs.DiscoveryV1().EndpointSlices("ns").Update(ctx, slice, metav1.UpdateOptions{})),
	} {
		require.NoError(t, err)
	}
	done, status, err = WorkloadsReady(cs, "ns", "app=x")(ctx)
	require.NoError(t, err)
	assert.True(t, done, status)

	job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}}
	require.NoError(t, update(cs.BatchV1().Jobs("ns").UpdateStatus(ctx, job, metav1.UpdateOptions{})))
	_, _, err = WorkloadsReady(cs, "ns", "app=x")(ctx)
	require.ErrorContains(t, err, "Job migrate failed: BackoffLimitExceeded", "a failed Job ends the wait at once")

	done, status, _ = WorkloadsReady(fake.NewSimpleClientset(), "ns", "")(ctx)
	assert.True(t, done)
	assert.Equal(t, "no workloads: nothing to wait for", status)
}

func update[T any](_ T, err error) error { return err }
