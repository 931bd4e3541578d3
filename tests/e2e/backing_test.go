//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stack-charts/stack/tests/kube"
	stackrelease "github.com/stack-charts/stack/tests/release"
	"github.com/stack-charts/stack/tests/render"
)

// The backing-service suites install one chart alone (release "data") into their own namespace
// and talk to it from the test process with the real client libraries through port-forwards.

// chartOptions are the helm options for installing charts/<chartName> alone: in air-gapped mode,
// the chart's section of the umbrella's image overlay, then the given values files.
func chartOptions(t *testing.T, ns, chartName string, set map[string]string, files ...string) *helm.Options {
	t.Helper()
	var valuesFiles []string
	if env.Overlay != "" {
		f, err := render.SectionFile(env.Overlay, chartName, t.TempDir())
		require.NoError(t, err)
		valuesFiles = append(valuesFiles, f)
	}
	return &helm.Options{
		KubectlOptions: k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, ns),
		ValuesFiles:    append(valuesFiles, files...),
		SetValues:      set,
		Logger:         logger.Discard,
		ExtraArgs:      map[string][]string{"install": {"--wait", "--timeout", "5m"}, "upgrade": {"--wait", "--timeout", "5m"}},
	}
}

// installChart installs charts/<chartName> alone as release "data" (uninstalled at cleanup), logs
// the time to Ready and the image under test, and returns its helm options.
func installChart(t *testing.T, ns, chartName string, set map[string]string, files ...string) *helm.Options {
	t.Helper()
	opts, _ := installNamed(t, ns, chartName, "data", set, files...)
	return opts
}

// installNamed installs charts/<chartName> alone as the given release (uninstalled at cleanup),
// logs the time to Ready and the image under test, and returns its helm options and that image
// (of the StatefulSet <release>-<chartName>).
func installNamed(t *testing.T, ns, chartName, release string, set map[string]string, files ...string) (*helm.Options, string) {
	t.Helper()
	opts := chartOptions(t, ns, chartName, set, files...)
	start := time.Now()
	r := stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, OnFailure: dumpNamespaces, Namespace: ns, Name: release,
		Chart: filepath.Join(root, "charts", chartName), ValuesFiles: opts.ValuesFiles, Set: set, Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	progress(t, "%s: release %s installed in %s and Ready in %s", chartName, release, ns, time.Since(start).Round(100*time.Millisecond))
	return r.Helm(), imageOf(t, ns, release+"-"+chartName)
}

// waitTunnel port-forwards to a Service port, retrying until one of its pods takes it; returns the
// local endpoint.
func waitTunnel(t *testing.T, ns, service string, port int) string {
	t.Helper()
	var endpoint string
	kube.Wait(t, kube.WaitOptions{What: "port-forward to " + service, Timeout: time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		var err error
		endpoint, err = tunnelE(t, ns, service, port)
		return err == nil, fmt.Sprint(err), nil
	})
	return endpoint
}

// imageOf logs and returns the image of a StatefulSet's first container: which build ran.
func imageOf(t *testing.T, ns, name string) string {
	t.Helper()
	sts, err := env.Clientset.AppsV1().StatefulSets(ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	img := sts.Spec.Template.Spec.Containers[0].Image
	t.Logf("image under test: %s (%s images)", img, env.Mode)
	return img
}

// secret creates a Secret with the given string data.
func secret(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	_, err := env.Clientset.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// podUID is the UID of a pod (a new UID means a new pod).
func podUID(t *testing.T, ns, name string) types.UID {
	t.Helper()
	p, err := env.Clientset.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return p.UID
}

// replacePod deletes a pod and waits until its replacement (a new UID) is Ready; returns how long it took.
func replacePod(t *testing.T, ns, name string) time.Duration {
	t.Helper()
	before := podUID(t, ns, name)
	start := time.Now()
	require.NoError(t, env.Clientset.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{}))
	kube.Wait(t, kube.WaitOptions{What: "pod " + name + " replaced and Ready", Timeout: 4 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		p, err := env.Clientset.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		if p.UID == before || p.DeletionTimestamp != nil {
			return false, "the old pod is still there", nil
		}
		return kube.PodReady(*p), "new pod " + string(p.Status.Phase), nil
	})
	d := time.Since(start)
	progress(t, "%s/%s deleted and Ready again in %s", ns, name, d.Round(100*time.Millisecond))
	return d
}

// tunnelE port-forwards to a Service port (one of its Ready pods) and returns the local endpoint;
// the tunnel is closed at cleanup.
func tunnelE(t *testing.T, ns, service string, port int) (string, error) {
	tun := k8s.NewTunnelWithLogger(k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, ns), k8s.ResourceTypeService, service, 0, port, logger.Discard)
	if err := tun.ForwardPortE(t); err != nil {
		return "", err
	}
	t.Cleanup(tun.Close)
	return tun.Endpoint(), nil
}

// runJobFromCronJob starts a Job from a CronJob's template (what `kubectl create job --from`
// does) and waits for it to succeed; it returns the job's logs.
func runJobFromCronJob(t *testing.T, ns, cronJob, job string) string {
	t.Helper()
	ctx := context.Background()
	cj, err := env.Clientset.BatchV1().CronJobs(ns).Get(ctx, cronJob, metav1.GetOptions{})
	require.NoError(t, err)
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: job, Labels: cj.Spec.JobTemplate.Labels}, Spec: cj.Spec.JobTemplate.Spec}
	_, err = env.Clientset.BatchV1().Jobs(ns).Create(ctx, j, metav1.CreateOptions{})
	require.NoError(t, err)
	kube.Wait(t, kube.WaitOptions{What: "job " + job + " complete", Timeout: 4 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		got, err := env.Clientset.BatchV1().Jobs(ns).Get(ctx, job, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		for _, c := range got.Status.Conditions {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				return false, "", &jobFailed{job, c.Message}
			}
		}
		return got.Status.Succeeded > 0, "job running", nil
	})
	out, err := k8s.RunKubectlAndGetOutputE(t, k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, ns), "logs", "job/"+job)
	require.NoError(t, err)
	return out
}

type jobFailed struct{ job, msg string }

func (e *jobFailed) Error() string { return "job " + e.job + " failed: " + e.msg }

// waitMetric waits (a minute at most) until the exporter at endpoint (host:port) serves the
// sample line, e.g. "mysql_up 1".
func waitMetric(t *testing.T, what, endpoint, sample string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + `$`)
	kube.Wait(t, kube.WaitOptions{What: what, Timeout: time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		body, err := metricsPage(endpoint)
		if err != nil {
			return false, err.Error(), nil
		}
		return re.MatchString(body), "no " + sample + " yet", nil
	})
}

// metricsPage is the /metrics page of the exporter at endpoint (host:port).
func metricsPage(endpoint string) (string, error) {
	resp, err := http.Get("http://" + endpoint + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s/metrics: %s", endpoint, resp.Status)
	}
	return string(body), nil
}

// lines keeps the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
