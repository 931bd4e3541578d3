package kube

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// ClientLabel marks the client pods StartClients creates (value: the pod's name), so each is
// waited for by its own selector. An extra label never takes a pod out of a policy's podSelector.
const ClientLabel = "kube.stack.dev/client"

// Client is a throwaway pod that runs commands for a test (Run) once it is Ready and the
// NetworkPolicy enforcer has programmed it, so that its first connection attempt is the one that
// counts: no sleeps, no retries.
type Client struct {
	// Namespace and Pod say what to create; the first container's command is replaced by an idle
	// sleep (Run execs into it), and the pod is labelled ClientLabel=<name>.
	Namespace string
	Pod       *corev1.Pod
	// Peer: a policy elsewhere must admit this client by selector (the far side's address sets
	// must hold it): also wait for PeerProgrammed.
	Peer bool

	cfg *rest.Config
	cs  kubernetes.Interface
}

// StartClients creates the clients' pods (deleted when the test ends), then waits until each is
// Ready and programmed by the enforcer (PolicyProgrammed, and PeerProgrammed for peers).
func StartClients(t testing.TB, cfg *rest.Config, cs kubernetes.Interface, clients ...*Client) {
	t.Helper()
	ctx := context.Background()
	for _, c := range clients {
		c.cfg, c.cs = cfg, cs
		if c.Pod.Labels == nil {
			c.Pod.Labels = map[string]string{}
		}
		c.Pod.Labels[ClientLabel] = c.Pod.Name
		c.Pod.Spec.Containers[0].Command = []string{"sleep", "3600"}
		if _, err := cs.CoreV1().Pods(c.Namespace).Create(ctx, c.Pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("client %s/%s: %v", c.Namespace, c.Pod.Name, err)
		}
		t.Cleanup(func() {
			_ = cs.CoreV1().Pods(c.Namespace).Delete(context.Background(), c.Pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		})
	}
	for _, c := range clients {
		sel := ClientLabel + "=" + c.Pod.Name
		Wait(t, WaitOptions{What: "client " + c.Pod.Name + " Ready", Timeout: 2 * time.Minute, Interval: 500 * time.Millisecond},
			PodsReady(cs, c.Namespace, sel))
		Wait(t, WaitOptions{What: "client " + c.Pod.Name + " programmed by the enforcer", Timeout: time.Minute, Interval: 500 * time.Millisecond},
			PolicyProgrammed(cfg, cs, c.Namespace, sel))
		if c.Peer {
			Wait(t, WaitOptions{What: "client " + c.Pod.Name + " in the enforcer's address sets", Timeout: time.Minute, Interval: 500 * time.Millisecond},
				PeerProgrammed(cfg, cs, c.Namespace, sel))
		}
	}
}

// Run runs a shell script in the client once and returns what it printed and its exit status.
func (c *Client) Run(t testing.TB, script string) ExecResult {
	t.Helper()
	if c.cs == nil {
		t.Fatalf("client %s: Run before StartClients", c.Pod.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Exec(ctx, c.cfg, c.cs, c.Namespace, c.Pod.Name, "", "sh", "-c", script)
	if err != nil {
		t.Fatalf("client %s: %v", c.Pod.Name, err)
	}
	t.Logf("client %s: `%s` exited %d", c.Pod.Name, script, res.ExitCode)
	return res
}
