package check

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func controlledBy(kind, name string, uid types.UID) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: kind, Name: name, UID: uid, Controller: ptr.To(true)}}
}

func restarted(name string, created time.Time, restarts int32, owner []metav1.OwnerReference) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "prod", CreationTimestamp: metav1.NewTime(created), OwnerReferences: owner},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: restarts, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}}
}

// Issue 17, item 7: restarts count since the release's last deploy (a healthy release that
// restarted under an earlier revision warned forever, and `verify --wait` waited out its
// timeout), and the release's pods are found by owner references, not by one label.
func TestVerifyCountsRestartsSinceTheDeployOnPodsFoundByOwner(t *testing.T) {
	deployed := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "shop-web", Namespace: "prod", UID: "d1"}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "shop-web-5c9", Namespace: "prod", UID: "r1", OwnerReferences: controlledBy("Deployment", "shop-web", "d1")}}
	mine := controlledBy("ReplicaSet", "shop-web-5c9", "r1")
	before := restarted("shop-web-old", deployed.Add(-time.Hour), 7, mine) // restarted under the earlier revision
	since := restarted("shop-web-new", deployed.Add(time.Minute), 4, mine) // restarted since
	other := restarted("other-web", deployed.Add(time.Minute), 9, controlledBy("ReplicaSet", "other-web-1", "r9"))
	other.Labels = map[string]string{"app.kubernetes.io/instance": "shop"} // a label, but not the release's
	e := newEnv(t, web, "v1.36.3", []runtime.Object{dep, rs, before, since, other})
	e.Deployed = &Deployed{Status: "deployed", Revision: 2, At: deployed}
	rs2 := e.run(NoCrashLoops{})
	require.Len(t, rs2, 1, "%v", rs2)
	assert.Equal(t, Warn, rs2[0].Status)
	assert.Equal(t, "Pod/prod/shop-web-new", rs2[0].Object)
	assert.Equal(t, "container web restarted 4 times since the release was deployed", rs2[0].Message)

	e = newEnv(t, web, "v1.36.3", []runtime.Object{dep, rs, before, other})
	e.Deployed = &Deployed{Status: "deployed", Revision: 2, At: deployed}
	rs2 = e.run(NoCrashLoops{})
	assert.Equal(t, []Result{{Check: "crash-loops", Status: Pass, Message: "1 pods of the release (found by owner), none crash-looping"}}, rs2,
		"the old pod's restarts were before the deploy; the labelled pod is not the release's")
}

func TestVerifyFindsACronJobsPodsThroughItsJobs(t *testing.T) {
	cron := `apiVersion: batch/v1
kind: CronJob
metadata: {name: shop-report, namespace: prod}
spec:
  schedule: "0 * * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: r, image: example/r:1.0}]}}}}
`
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "shop-report", Namespace: "prod", UID: "c1"}}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "shop-report-29", Namespace: "prod", UID: "j1", OwnerReferences: controlledBy("CronJob", "shop-report", "c1")}}
	pod := restarted("shop-report-29-x", time.Now(), 0, controlledBy("Job", "shop-report-29", "j1"))
	pod.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	rs := newEnv(t, cron, "v1.36.3", []runtime.Object{cj, job, pod}).run(NoCrashLoops{})
	require.Len(t, only(rs, Fail), 1)
	assert.Equal(t, "Pod/prod/shop-report-29-x", rs[0].Object)
}

// Issue 17, item 7: the release's Jobs and its Helm status are checked.
func TestVerifyChecksJobsAndTheReleaseStatus(t *testing.T) {
	manifest := `apiVersion: batch/v1
kind: Job
metadata: {name: shop-migrate, namespace: prod}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: example/m:1.0}]}}}
`
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "shop-migrate", Namespace: "prod"}, Status: batchv1.JobStatus{Active: 1}}
	rs := newEnv(t, manifest, "v1.36.3", []runtime.Object{job}).run(JobsComplete{})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, "not complete yet: 1 active, 0 succeeded, 0 failed", rs[0].Message)

	job.Status = batchv1.JobStatus{Failed: 3, Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}}}
	rs = newEnv(t, manifest, "v1.36.3", []runtime.Object{job}).run(JobsComplete{})
	assert.Equal(t, "failed: BackoffLimitExceeded Job has reached the specified backoff limit", rs[0].Message)
	assert.Contains(t, rs[0].Hint, "kubectl -n prod logs job/shop-migrate")

	job.Status = batchv1.JobStatus{Succeeded: 1, Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}
	rs = newEnv(t, manifest, "v1.36.3", []runtime.Object{job}).run(JobsComplete{})
	assert.Equal(t, Result{Check: "jobs", Status: Pass, Object: "Job/prod/shop-migrate", Message: "complete (1 succeeded)"}, rs[0])

	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, manifest, "v1.36.3", nil)
	e.Deployed = &Deployed{Status: "pending-upgrade", Revision: 3, At: at}
	rs = e.run(ReleaseDeployed{})
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, "revision 3 is pending-upgrade (since 2026-12-05T12:00:00Z)", rs[0].Message)
	assert.Contains(t, rs[0].Hint, "helm -n prod history shop")
	e.Deployed.Status = "deployed"
	assert.Equal(t, Pass, e.run(ReleaseDeployed{})[0].Status)
}
