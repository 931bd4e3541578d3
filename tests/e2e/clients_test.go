//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	corev1 "k8s.io/api/core/v1"

	"github.com/stack-charts/stack/tests/kube"
)

// client is a throwaway pod that runs commands for a suite (kube.Exec) once the NetworkPolicy
// enforcer has programmed it: a pod a policy of its namespace selects, through those policies;
// peer (a client the far side's policy must admit) also with its address in every node's sets.
type client struct {
	ns   string
	pod  *corev1.Pod
	peer bool
}

// clientLabel marks the client pods, so each is waited for by its own selector. (An extra label
// never takes a pod out of a policy's podSelector, and no policy names this one.)
const clientLabel = "e2e.stack.dev/client"

// startClients creates the clients' pods (idle until a command is run; deleted when the test
// ends), then waits until each is Ready and programmed.
func startClients(t *testing.T, clients []client) {
	t.Helper()
	ctx := context.Background()
	for _, c := range clients {
		c.pod.Labels = merge(c.pod.Labels, map[string]string{clientLabel: c.pod.Name})
		c.pod.Spec.Containers[0].Command = []string{"sleep", "3600"}
		_, err := env.Clientset.CoreV1().Pods(c.ns).Create(ctx, c.pod, metav1.CreateOptions{})
		require.NoError(t, err)
		t.Cleanup(func() {
			_ = env.Clientset.CoreV1().Pods(c.ns).Delete(context.Background(), c.pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		})
	}
	for _, c := range clients {
		sel := clientLabel + "=" + c.pod.Name
		kube.Wait(t, kube.WaitOptions{What: "client " + c.pod.Name + " Ready", Timeout: 2 * time.Minute, Interval: 500 * time.Millisecond},
			kube.PodsReady(env.Clientset, c.ns, sel))
		kube.Wait(t, kube.WaitOptions{What: "client " + c.pod.Name + " programmed by the enforcer", Timeout: time.Minute, Interval: 500 * time.Millisecond},
			kube.PolicyProgrammed(env.RESTConfig, env.Clientset, c.ns, sel))
		if c.peer {
			kube.Wait(t, kube.WaitOptions{What: "client " + c.pod.Name + " in the enforcer's address sets", Timeout: time.Minute, Interval: 500 * time.Millisecond},
				kube.PeerProgrammed(env.RESTConfig, env.Clientset, c.ns, sel))
		}
	}
}

// run runs a shell script in the client once and returns what it printed and its exit status.
func (c client) run(t *testing.T, script string) kube.ExecResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := kube.Exec(ctx, env.RESTConfig, env.Clientset, c.ns, c.pod.Name, "", "sh", "-c", script)
	require.NoError(t, err)
	t.Logf("client %s: `%s` exited %d", c.pod.Name, script, res.ExitCode)
	return res
}
