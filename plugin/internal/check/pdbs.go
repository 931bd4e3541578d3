package check

import (
	"context"
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// PDBs: every workload with more than one pod has a PodDisruptionBudget selecting it.
type PDBs struct{}

func (PDBs) Name() string { return "pdb" }

func (PDBs) Description() string {
	return "workloads with more than one replica have a PodDisruptionBudget"
}

func (PDBs) Run(_ context.Context, env *Env) []Result {
	workloads, err := env.Workloads()
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error()}}
	}
	var selectors []labels.Selector
	for _, o := range env.Objects {
		if o.GetKind() == "PodDisruptionBudget" {
			var pdb policyv1.PodDisruptionBudget
			if err := convert(o, &pdb); err != nil {
				return []Result{{Status: Fail, Object: o.ID(), Message: err.Error()}}
			}
			if s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil {
				selectors = append(selectors, s)
			}
		}
	}
	var out []Result
	for _, w := range workloads {
		if w.Pods < 2 || w.PerNode || w.Object.GetKind() == "Job" || w.Object.GetKind() == "CronJob" {
			continue
		}
		podLabels := podTemplateLabels(w)
		covered := false
		for _, s := range selectors {
			if s.Matches(labels.Set(podLabels)) {
				covered = true
			}
		}
		if covered {
			out = append(out, Result{Status: Pass, Object: w.Object.ID(), Message: fmt.Sprintf("%d replicas, covered by a PDB", w.Pods)})
		} else {
			out = append(out, Result{Status: Fail, Object: w.Object.ID(), Message: fmt.Sprintf("%d replicas and no PodDisruptionBudget", w.Pods),
				Hint: "a node drain may evict every replica at once: add a PDB (the stack charts do when replicas > 1)"})
		}
	}
	return out
}
