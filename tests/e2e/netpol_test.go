//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/tests/kube"
)

// probe is one client pod that opens TCP connections to host:port, from namespace ns (the
// suite's own when empty); deny says the connection is expected to be refused.
type probe struct {
	name, host string
	port       int
	labels     map[string]string
	ns         string
	deny       bool
}

// connectAll starts the probes' client pods at once, waits until the NetworkPolicy enforcer has
// programmed each (kube.PolicyProgrammed; an allowed client of another namespace also as a peer,
// kube.PeerProgrammed), then makes one connection attempt from each and reports, per probe,
// whether it was established (refused or dropped: false). No sleeps and no retries: once the
// enforcer's state has the pod, one attempt is the answer.
func connectAll(t *testing.T, ns string, probes []probe) map[string]bool {
	t.Helper()
	clients := make([]*kube.Client, len(probes))
	for i, p := range probes {
		clients[i] = &kube.Client{Namespace: p.namespace(ns), Pod: restrictedPod(p.name, p.labels), Peer: !p.deny}
	}
	kube.StartClients(t, env.RESTConfig, env.Clientset, clients...)
	out := map[string]bool{}
	for i, p := range probes {
		res := clients[i].Run(t, fmt.Sprintf("nc -w 3 %s %d -e true", p.host, p.port))
		out[p.name] = res.ExitCode == 0
	}
	return out
}

func (p probe) namespace(def string) string {
	if p.ns != "" {
		return p.ns
	}
	return def
}

// The NetworkPolicy suite: with the umbrella installed, each pair is a real connection
// attempt from a throwaway pod — denied without the label the wiring convention gives, allowed
// with it; the gateway open to the edge; egress outside an app's declared flows blocked.
func netpolSuite(t *testing.T, ns string) {
	release := "stack"
	svc := func(name string) string { return fmt.Sprintf("%s-%s.%s.svc.cluster.local", release, name, ns) }
	users, err := env.Clientset.AppsV1().Deployments(ns).Get(context.Background(), release+"-users", metav1.GetOptions{})
	require.NoError(t, err)
	usersLabels := users.Spec.Template.Labels // selector + uses.stack.dev/mysql, uses.stack.dev/redis
	require.Equal(t, "true", usersLabels["uses.stack.dev/mysql"])

	// Clients outside the release namespace: the edge (an ingress controller's namespace) and the
	// monitoring namespace the charts admit the scraper from (global.networkPolicy.monitoringNamespace).
	edgeNS := namespace(t, "edge")
	monitoringNS := createNamespace(t, ns+"-monitoring", "restricted")
	type pair struct {
		what        string
		host        string
		port        int
		deny, allow map[string]string
		allowFrom   string // namespace of the allowed client ("": the release's)
	}
	pairs := []pair{
		{"MySQL from a pod without uses: [mysql]", svc("mysql"), 3306, nil, map[string]string{"uses.stack.dev/mysql": "true"}, ""},
		{"Redis from a pod without uses: [redis]", svc("redis"), 6379, map[string]string{"uses.stack.dev/mysql": "true"}, map[string]string{"uses.stack.dev/redis": "true"}, ""},
		{"RabbitMQ AMQP from a pod without uses: [rabbitmq]", svc("rabbitmq"), 5672, map[string]string{"uses.stack.dev/redis": "true"}, map[string]string{"uses.stack.dev/rabbitmq": "true"}, ""},
		{"the users service directly, without calls: [users]", svc("users"), 80, map[string]string{"app.kubernetes.io/instance": release}, map[string]string{"calls.stack.dev/users": "true", "app.kubernetes.io/instance": release}, ""},
		{"MySQL's metrics port, from anything but the scraper", svc("mysql"), 9104, map[string]string{"app.kubernetes.io/name": "prometheus"}, map[string]string{"app.kubernetes.io/name": "prometheus"}, monitoringNS},
		// A pod of the users app reaches what users uses, not the broker it does not use. (The
		// wiring labels are the contract: a pod that carries uses.stack.dev/rabbitmq is a client
		// of the broker on both sides, its egress and the broker's ingress.)
		{"egress from users to RabbitMQ (users does not use it)", svc("rabbitmq"), 5672, usersLabels, map[string]string{"uses.stack.dev/rabbitmq": "true"}, ""},
		// The gateway admits every client; a users pod may still not open connections to it.
		// (Traffic from a pod to its own node's address — e.g. the API server on a one-node kind
		// cluster — is not policed by kube-router, so it is not used as the egress example.)
		{"egress from users to the gateway (not one of its flows)", svc("gateway"), 80, usersLabels, nil, edgeNS},
		// The namespace's default deny: a pod that no workload policy selects reaches nothing but
		// DNS, unless it carries a wiring label (here: a caller of the gateway).
		{"the gateway from an unlabelled pod of the namespace (default deny)", svc("gateway"), 80, nil, map[string]string{"calls.stack.dev/gateway": "true"}, ""},
	}
	var probes []probe
	for i, p := range pairs {
		probes = append(probes, probe{name: fmt.Sprintf("deny-%d", i), host: p.host, port: p.port, labels: p.deny, deny: true},
			probe{name: fmt.Sprintf("allow-%d", i), host: p.host, port: p.port, labels: p.allow, ns: p.allowFrom})
	}
	// The edge: the gateway answers any client outside the namespace on its port, and users' own
	// egress still reaches MySQL.
	probes = append(probes, probe{name: "edge", host: svc("gateway"), port: 80, ns: edgeNS},
		probe{name: "users-to-mysql", host: svc("mysql"), port: 3306, labels: usersLabels})
	got := connectAll(t, ns, probes)
	for i, p := range pairs {
		denied, allowed := !got[fmt.Sprintf("deny-%d", i)], got[fmt.Sprintf("allow-%d", i)]
		progress(t, "netpol: %-58s denied=%v allowed-with-label=%v", p.what, denied, allowed)
		require.True(t, denied, "%s: must be refused (%s:%d)", p.what, p.host, p.port)
		require.True(t, allowed, "%s: the admitted client must connect (%s:%d)", p.what, p.host, p.port)
	}
	require.True(t, got["edge"], "the gateway is open to the edge")
	require.True(t, got["users-to-mysql"], "users reaches what it uses")
	progress(t, "netpol: %d allow/deny pairs held, the gateway is reachable from the edge", len(pairs))
}
