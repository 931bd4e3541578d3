//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stack-charts/stack/tests/kube"
)

func TestSmokeTheMetricsAPIServesNodeAndPodMetrics(t *testing.T) {
	parallel(t)
	needsAddon(t, "metrics-server")
	for _, path := range []string{"/apis/metrics.k8s.io/v1beta1/nodes", "/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods"} {
		kube.Wait(t, kube.WaitOptions{What: "metrics at " + path, Timeout: 3 * time.Minute, Interval: 5 * time.Second},
			func(ctx context.Context) (bool, string, error) {
				raw, err := env.Clientset.RESTClient().Get().AbsPath(path).DoRaw(ctx)
				if err != nil {
					return false, err.Error(), nil
				}
				var list struct {
					Items []struct {
						Metadata struct{ Name string } `json:"metadata"`
					} `json:"items"`
				}
				if err := json.Unmarshal(raw, &list); err != nil {
					return false, "decode: " + err.Error(), nil
				}
				return len(list.Items) > 0, fmt.Sprintf("%d items", len(list.Items)), nil
			})
	}
}
