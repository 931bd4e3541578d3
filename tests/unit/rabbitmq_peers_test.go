package unit

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/stack-charts/stack/tests/render"
)

// peerNetworkWaitSeconds: the setup init container of a member with data runs the rendered
// wait-for-peers.sh with every member's name; a single node or 0 renders no wait.
func TestARabbitMQMemberWithDataWaitsForThePodNetworkToReachAPeer(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "rabbitmq", map[string]any{"replicas": 3, "peerNetworkWaitSeconds": 90})
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-rabbitmq")
	setup := container(t, sts.Spec.Template.Spec, "setup")
	env := envOf(setup)
	assert.Equal(t, "shop-rabbitmq-0.shop-rabbitmq-headless.prod.svc.cluster.local shop-rabbitmq-1.shop-rabbitmq-headless.prod.svc.cluster.local shop-rabbitmq-2.shop-rabbitmq-headless.prod.svc.cluster.local", env["PEERS"].Value)
	assert.Equal(t, "$(POD_NAME).shop-rabbitmq-headless.prod.svc.cluster.local", env["SELF"].Value)
	assert.Equal(t, "90", env["PEER_WAIT_SECONDS"].Value)
	assert.Equal(t, "4369", env["PEER_PORT"].Value, "epmd's port")
	assert.Contains(t, setup.Args[0], `if [ -d "/var/lib/rabbitmq/mnesia/rabbit@$SELF" ]; then`, "only a member with data waits")
	assert.Contains(t, render.Get[*corev1.ConfigMap](t, r, "shop-rabbitmq").Data, "wait-for-peers.sh")
	assert.Contains(t, setup.Args[0], "bash /etc/rabbitmq/stack-config/wait-for-peers.sh")
	assert.Contains(t, mountedFrom(t, sts.Spec.Template.Spec, setup, "/etc/rabbitmq/stack-config"), "wait-for-peers.sh=wait-for-peers.sh", "the script is in the setup container's config volume")

	for name, vals := range map[string]map[string]any{"one node": nil, "no wait": {"replicas": 3, "peerNetworkWaitSeconds": 0}} {
		r := renderBacking(t, "rabbitmq", vals)
		setup := container(t, render.Get[*appsv1.StatefulSet](t, r, "shop-rabbitmq").Spec.Template.Spec, "setup")
		assert.NotContains(t, setup.Args[0], "wait-for-peers", name)
		assert.NotContains(t, render.Get[*corev1.ConfigMap](t, r, "shop-rabbitmq").Data, "wait-for-peers.sh", name)
	}
}

// mountedFrom lists the ConfigMap keys (key=path) of the volume a container mounts at path.
func mountedFrom(t *testing.T, spec corev1.PodSpec, c corev1.Container, path string) []string {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.MountPath != path {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				var keys []string
				for _, it := range v.ConfigMap.Items {
					keys = append(keys, it.Key+"="+it.Path)
				}
				return keys
			}
		}
	}
	t.Fatalf("%s mounts no ConfigMap at %s", c.Name, path)
	return nil
}

// The rendered script itself, run by bash against this machine's addresses: a peer whose epmd
// answers, or whose port refuses, ends the wait at once; one that accepts the connection but does
// not answer as epmd (what stands in for a pod whose node's routes are not back) lasts the whole
// wait; names that do not resolve and the pod's own name are not waited for.
func TestTheRabbitMQPeerWaitTellsAReachablePeerFromAnUnansweredOne(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "rabbitmq", map[string]any{"replicas": 3})
	script := filepath.Join(t.TempDir(), "wait-for-peers.sh")
	require.NoError(t, os.WriteFile(script, []byte(render.Get[*corev1.ConfigMap](t, r, "shop-rabbitmq").Data["wait-for-peers.sh"]), 0o755))
	requests := make(chan string, 4)
	epmd := tcpServer(t, func(c net.Conn) {
		buf := make([]byte, 9)
		_, _ = io.ReadFull(c, buf)
		requests <- string(buf)
		_, _ = c.Write([]byte{'w', 1}) // PORT2_RESP: no such node (epmd answered all the same)
	})
	silent := tcpServer(t, func(c net.Conn) { time.Sleep(5 * time.Second) })
	refused := freePort(t)
	run := func(peers string, port, wait int) (string, time.Duration) {
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "PEERS="+peers, "SELF=self.invalid", fmt.Sprintf("PEER_PORT=%d", port), fmt.Sprintf("PEER_WAIT_SECONDS=%d", wait))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return strings.TrimSpace(string(out)), time.Since(start)
	}

	// (The script counts whole seconds of the clock, so "after 0 s" may read "after 1 s".)
	reachable := regexp.MustCompile(`^wait-for-peers: 127\.0\.0\.1 reachable after [01] s$`)
	out, took := run("self.invalid 127.0.0.1", epmd, 30)
	assert.Regexp(t, reachable, out)
	assert.Less(t, took, 10*time.Second, "well within the 30 s wait")
	assert.Equal(t, "\x00\x07zrabbit", <-requests, "an EPMD PORT_PLEASE2_REQ for the node name rabbit")
	out, took = run("127.0.0.1", refused, 30)
	assert.Regexp(t, reachable, out, "a refused connection proves the network path")
	assert.Less(t, took, 10*time.Second, "well within the 30 s wait")
	out, took = run("peer.invalid", refused, 30)
	assert.Equal(t, "wait-for-peers: no peer's name resolves: starting without waiting", out)
	assert.Less(t, took, 10*time.Second, "well within the 30 s wait")
	out, took = run("127.0.0.1", silent, 3)
	assert.Equal(t, "wait-for-peers: no peer reachable after 3 s (last: 127.0.0.1: connected, but no answer from epmd in 2 s): starting anyway", out)
	// Whole seconds of the clock again: 3 of them may begin just after the start and end just
	// after 2 s (a CI run measured 2.08 s).
	assert.GreaterOrEqual(t, took, 2*time.Second, "the whole wait")
	assert.Less(t, took, 20*time.Second, "bounded by the wait and one probe")
}
