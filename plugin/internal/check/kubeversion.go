package check

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/chartutil"
)

// KubeVersion: the server's version satisfies the chart's kubeVersion.
type KubeVersion struct{}

func (KubeVersion) Name() string { return "kube-version" }

func (KubeVersion) Description() string {
	return "the cluster's Kubernetes version satisfies the chart's kubeVersion"
}

func (KubeVersion) Run(_ context.Context, env *Env) []Result {
	v := env.Clients.Server.GitVersion
	if env.ChartKubeVersion == "" {
		return []Result{pass("Kubernetes %s; the chart sets no kubeVersion", v)}
	}
	if !chartutil.IsCompatibleRange(env.ChartKubeVersion, v) {
		return []Result{{Status: Fail, Message: fmt.Sprintf("Kubernetes %s does not satisfy the chart's kubeVersion %q", v, env.ChartKubeVersion),
			Hint: "upgrade the cluster, or use a chart version made for this Kubernetes"}}
	}
	return []Result{pass("Kubernetes %s satisfies %q", v, env.ChartKubeVersion)}
}
