package check

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JobsComplete: every Job of the release (hooks are Helm's, done before the release was recorded)
// has completed; a failed one fails, one still running is not healthy yet.
type JobsComplete struct{}

func (JobsComplete) Name() string        { return "jobs" }
func (JobsComplete) Description() string { return "every Job of the release has completed" }
func (JobsComplete) Run(ctx context.Context, env *Env) []Result {
	var out []Result
	for _, o := range env.Objects {
		if o.GetKind() != "Job" || o.Hook {
			continue
		}
		ns := namespaceOf(env, o)
		j, err := env.Clients.Typed.BatchV1().Jobs(ns).Get(ctx, o.GetName(), metav1.GetOptions{})
		if err != nil {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: err.Error()})
			continue
		}
		hint := fmt.Sprintf("kubectl -n %s logs job/%s; kubectl -n %s describe job %s", ns, j.Name, ns, j.Name)
		switch cond := jobCondition(j); {
		case cond != nil && cond.Type == batchv1.JobComplete:
			out = append(out, Result{Status: Pass, Object: o.ID(), Message: fmt.Sprintf("complete (%d succeeded)", j.Status.Succeeded)})
		case cond != nil && cond.Type == batchv1.JobFailed:
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("failed: %s %s", cond.Reason, cond.Message), Hint: hint})
		default:
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("not complete yet: %d active, %d succeeded, %d failed", j.Status.Active, j.Status.Succeeded, j.Status.Failed), Hint: hint})
		}
	}
	return out
}

// jobCondition is the Job's Complete or Failed condition when it is true.
func jobCondition(j *batchv1.Job) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}
