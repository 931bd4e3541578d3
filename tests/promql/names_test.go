package promql

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMetricNamesSkipLabelsFunctionsNumbersAndVariables(t *testing.T) {
	cases := map[string][]string{
		`sum by (app) (rate(http_requests_total{status=~"5..", namespace=~"$namespace"}[5m])) / sum by (app) (rate(http_requests_total[5m])) > 0.05`:     {"http_requests_total", "http_requests_total"},
		`kube_horizontalpodautoscaler_status_current_replicas >= on (namespace, horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas`: {"kube_horizontalpodautoscaler_status_current_replicas", "kube_horizontalpodautoscaler_spec_max_replicas"},
		`sum by (pod) (container_memory_working_set_bytes{container!=""}) / 1e9`:                                                                         {"container_memory_working_set_bytes"},
		`(certmanager_certificate_expiration_timestamp_seconds - time()) < 14 * 86400`:                                                                   {"certmanager_certificate_expiration_timestamp_seconds"},
		`vector(1)`: nil,
		`max by (namespace, pod) (a == 1) unless on (namespace, pod) max by (namespace, pod) (b{phase=~"Succeeded|Failed"} == 1)`: {"a", "b"},
	}
	for expr, want := range cases {
		assert.Equal(t, want, MetricNames(expr), expr)
	}
}
