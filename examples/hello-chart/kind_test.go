//go:build e2e

package hello

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
	"github.com/stack-charts/stack/tests/release"
)

// env names what this test needs from the machine; `make test` in the stack repository sets
// them (the e2e tier's cluster and images). HELLO_KIND_CLUSTER is reused when healthy, else
// created from kind's defaults.
func env(t *testing.T, name string) string {
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: see examples/hello-chart/README.md", name)
	}
	return v
}

// The chart installed into kind: its pod Ready, programmed by the NetworkPolicy enforcer, and the
// policy admitting exactly the labelled client.
func TestTheChartServesLabelledClientsOnly(t *testing.T) {
	image, clientImage := env(t, "HELLO_IMAGE"), env(t, "HELLO_CLIENT_IMAGE")
	// HELLO_DOCKER_WRAPPER_DIR: on hosts that refuse `docker --privileged` (kind's node exec), the
	// stack repository's wrapper, ci/substrate/wrapper; elsewhere unset.
	c := cluster.Get(t, cluster.Options{Name: env(t, "HELLO_KIND_CLUSTER"), DockerWrapperDir: os.Getenv("HELLO_DOCKER_WRAPPER_DIR")})
	c.LoadImages(t, image, clientImage)
	cs, err := c.ClientsetE()
	require.NoError(t, err)
	cfg, err := c.RESTConfigE()
	require.NoError(t, err)

	ctx := context.Background()
	ns := "hello-" + time.Now().Format("150405")
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			kube.Dump(context.Background(), cs, ns, os.Stdout)
		}
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})

	repo, tag, _ := cutTag(image)
	release.Install(t, release.Options{Kubeconfig: c.Kubeconfig, Namespace: ns, Name: "web", Chart: "chart",
		Set: map[string]string{"image.repository": repo, "image.tag": tag}, Clientset: cs, RESTConfig: cfg})

	connects := func(name string, admitted bool) bool {
		labels := map[string]string{"name": name}
		if admitted {
			labels["hello.example.com/client"] = "true"
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65532), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "main", Image: clientImage,
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		}}
		// Ready and programmed by the enforcer before its one attempt; an admitted client must
		// also be in the far side's address sets (Peer).
		client := &kube.Client{Namespace: ns, Pod: pod, Peer: admitted}
		kube.StartClients(t, cfg, cs, client)
		res := client.Run(t, "printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' | nc -w 3 web-hello 80 | head -n 1 | grep -q ' 200 '")
		t.Logf("%s: exit %d %s%s", name, res.ExitCode, res.Stdout, res.Stderr)
		return res.ExitCode == 0
	}
	require.True(t, connects("admitted", true), "the labelled client connects")
	require.False(t, connects("refused", false), "any other pod is refused")
}

// cutTag splits "repo:tag" at the last colon after the last slash.
func cutTag(image string) (repo, tag string, ok bool) {
	for i := len(image) - 1; i >= 0 && image[i] != '/'; i-- {
		if image[i] == ':' {
			return image[:i], image[i+1:], true
		}
	}
	return image, "", false
}
