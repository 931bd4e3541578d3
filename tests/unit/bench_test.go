package unit

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stack-charts/stack/tests/render"
)

// BenchmarkUmbrellaRender renders the umbrella with the dev profile in-process (Helm SDK) and,
// in the same iterations, with a `helm template` subprocess, and reports both and their ratio.
// Alternating the two in one loop exposes both to the same machine noise.
//
//	go test ./tests/unit -run '^$' -bench UmbrellaRender -benchtime 20x
func BenchmarkUmbrellaRender(b *testing.B) {
	helm := tool(b, "helm")
	if out, err := exec.Command(helm, "dependency", "update", chart("stack")).CombinedOutput(); err != nil {
		b.Fatalf("helm dependency update: %v\n%s", err, out)
	}
	opts := profiles["dev"]
	args := []string{"template", opts.ReleaseName, chart("stack"), "-n", opts.Namespace, "-f", profile("dev"), "--kube-version", render.DefaultKubeVersion}
	var inProcess, subprocess time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := render.RenderE(chart("stack"), opts); err != nil {
			b.Fatal(err)
		}
		inProcess += time.Since(start)
		start = time.Now()
		if out, err := exec.Command(helm, args...).CombinedOutput(); err != nil {
			b.Fatalf("helm template: %v\n%s", err, out)
		}
		subprocess += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(inProcess.Microseconds())/1000/n, "in-process-ms/op")
	b.ReportMetric(float64(subprocess.Microseconds())/1000/n, "helm-template-ms/op")
	b.ReportMetric(float64(subprocess)/float64(inProcess), "speedup-x")
}
