//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
)

// busybox is the image of the policy probes: the air-gapped helper image, or the public one.
func busybox() string {
	if env.Mode == cluster.AirGap {
		return "stack.local/busybox:1.35.0"
	}
	return "busybox:1.36"
}

func restrictedPod(name string, labels map[string]string, command ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65532),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{
				Name: "main", Image: busybox(), ImagePullPolicy: corev1.PullIfNotPresent, Command: command,
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
}

// connects runs a client pod that fetches url once and reports whether it connected.
func connects(t *testing.T, ns, name string, labels map[string]string, url string) bool {
	return connectsWithin(t, ns, name, labels, url, 1)
}

// connectsWithin is connects with up to tries attempts 2 s apart: for a pod a policy admits, whose
// address the enforcer adds to the server's allow-list only after it has seen the new pod (on a
// busy node that took longer than one attempt).
func connectsWithin(t *testing.T, ns, name string, labels map[string]string, url string, tries int) bool {
	t.Helper()
	ctx := context.Background()
	pod := restrictedPod(name, labels, "sh", "-c", fmt.Sprintf("for i in $(seq %d); do timeout 5 wget -q -O /dev/null %s && exit 0; sleep 2; done; exit 1", tries, url))
	_, err := env.Clientset.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	var phase corev1.PodPhase
	kube.Wait(t, kube.WaitOptions{What: "client " + name + " finished", Timeout: time.Minute}, kube.PodFinished(env.Clientset, ns, name, &phase))
	_ = env.Clientset.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	return phase == corev1.PodSucceeded
}

func TestSmokeANetworkPolicyDeniesAPodItDoesNotAdmit(t *testing.T) {
	parallel(t)
	ns := namespace(t, "policy")
	ctx := context.Background()
	server := restrictedPod("server", map[string]string{"app": "server"}, "sh", "-c", "mkdir -p /tmp/www && echo ok >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www")
	server.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	server.Spec.RestartPolicy = corev1.RestartPolicyAlways
	server.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1}
	_, err := env.Clientset.CoreV1().Pods(ns).Create(ctx, server, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = env.Clientset.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "server"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "server"}, Ports: []corev1.ServicePort{{Port: 8080, TargetPort: intstr.FromInt32(8080)}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	kube.Wait(t, kube.WaitOptions{What: "server Ready"}, kube.PodsReady(env.Clientset, ns, "app=server"))
	url := fmt.Sprintf("http://server.%s.svc.cluster.local:8080/", ns)

	require.True(t, connects(t, ns, "before-policy", nil, url), "without a policy any pod connects (the server works)")

	_, err = env.Clientset.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "server"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(8080))}},
			}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	// Enforcement is asynchronous (the enforcer watches policies): wait until the unlabelled pod
	// is refused, then check that the admitted pod still connects.
	attempt := 0
	kube.Wait(t, kube.WaitOptions{What: "the policy refuses an unlabelled pod", Timeout: 90 * time.Second, Interval: 2 * time.Second},
		func(context.Context) (bool, string, error) {
			attempt++
			denied := !connects(t, ns, fmt.Sprintf("denied-%d", attempt), nil, url)
			return denied, fmt.Sprintf("attempt %d: unlabelled pod still connects", attempt), nil
		})
	require.True(t, connectsWithin(t, ns, "allowed", map[string]string{"role": "client"}, url, 10), "a pod the policy admits connects")
	require.False(t, connects(t, ns, "denied-final", map[string]string{"role": "other"}, url), "a pod with other labels is refused")
}
