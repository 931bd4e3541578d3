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

// reaches runs one probe (connectAll: a client pod the enforcer has programmed, one attempt) and
// reports whether it connected.
func reaches(t *testing.T, ns string, p probe) bool {
	t.Helper()
	return connectAll(t, ns, []probe{p})[p.name]
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
	host := fmt.Sprintf("server.%s.svc.cluster.local", ns)

	require.True(t, reaches(t, ns, probe{name: "before-policy", host: host, port: 8080}), "without a policy any pod connects (the server works)")

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

	// Enforcement is asynchronous (the enforcer watches policies): wait until the server's
	// firewall runs through the new policy, then one attempt per client is the answer.
	kube.Wait(t, kube.WaitOptions{What: "the enforcer has programmed the policy for the server", Timeout: time.Minute, Interval: 500 * time.Millisecond},
		kube.PolicyProgrammed(env.RESTConfig, env.Clientset, ns, "app=server"))
	require.False(t, reaches(t, ns, probe{name: "denied", host: host, port: 8080, deny: true}), "an unlabelled pod is refused")
	require.True(t, reaches(t, ns, probe{name: "allowed", host: host, port: 8080, labels: map[string]string{"role": "client"}}), "a pod the policy admits connects")
	require.False(t, reaches(t, ns, probe{name: "denied-final", host: host, port: 8080, labels: map[string]string{"role": "other"}, deny: true}), "a pod with other labels is refused")
}
