package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMetricsAPIForHPAs(t *testing.T) {
	hpa := web + `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: shop-web, namespace: prod}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shop-web}, minReplicas: 3, maxReplicas: 6}
`
	rs := newEnv(t, hpa, "v1.36.3", nil).run(MetricsAPI{})
	assert.Equal(t, Fail, rs[0].Status)
	assert.Contains(t, rs[0].Hint, "install metrics-server")
	svc := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": map[string]any{"name": "v1beta1.metrics.k8s.io"},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Available", "status": "True"}}}}}
	rs = newEnv(t, hpa, "v1.36.3", nil, svc).run(MetricsAPI{})
	assert.Equal(t, Pass, rs[0].Status)
	assert.Equal(t, "1 HPAs; v1beta1.metrics.k8s.io is Available", rs[0].Message)
	// The HPA's minimum counts for capacity.
	ws, err := newEnv(t, hpa, "v1.36.3", nil).Workloads()
	require.NoError(t, err)
	assert.Equal(t, 3, ws[0].Pods)
}
