//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stack-charts/stack/internal/discord"
	"github.com/stack-charts/stack/tests/kube"
	stackrelease "github.com/stack-charts/stack/tests/release"
)

// needsMultiNode keeps a multi-node suite to its phase (`make test-e2e-ha`, STACK_E2E_HA=1): the
// single-node run skips it by name (-skip '^TestHA'), and run there by hand it says why it cannot.
func needsMultiNode(t *testing.T) {
	t.Helper()
	if !multiNode {
		t.Fatalf("%s runs on the multi-node cluster: STACK_E2E_HA=1 (make test-e2e-ha)", t.Name())
	}
}

// readmeCommands are the shell commands of the stack chart's README section "Before a prod
// install" (the Secrets and namespaces the prod profile expects), without its helm install line.
func readmeCommands(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "charts", "stack", "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## Before a prod install.*?```sh\n(.*?)```").FindStringSubmatch(string(raw))
	require.Len(t, m, 2, "the stack README has a sh block under \"Before a prod install\"")
	var keep []string
	for _, line := range strings.Split(m[1], "\n") {
		if !strings.HasPrefix(line, "helm install") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// runReadme runs the README's commands with kubectl and openssl as a user would, kubectl being
// the cluster's own (in the control-plane node, with its admin kubeconfig).
func runReadme(t *testing.T, script string) {
	t.Helper()
	node := env.Cluster.Name + "-control-plane"
	prelude := fmt.Sprintf("set -euo pipefail\nkubectl() { docker exec -i %s kubectl --kubeconfig=/etc/kubernetes/admin.conf \"$@\"; }\n", node)
	out, err := exec.Command("bash", "-c", prelude+script).CombinedOutput()
	require.NoError(t, err, "the README's commands:\n%s", out)
	progress(t, "ha: the README's commands before a prod install ran:\n%s", strings.TrimSpace(string(out)))
}

// The multi-node suite: the prod profile, as its README says to install it, on a control
// plane and three workers in three zones; stackcheck preflight before and verify after.
func TestHAProdProfileOnThreeZonedNodes(t *testing.T) {
	needsMultiNode(t)
	ctx := context.Background()
	nodes, err := env.Clientset.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	zoneOf := map[string]string{}
	for _, n := range nodes.Items {
		zoneOf[n.Name] = n.Labels["topology.kubernetes.io/zone"]
	}
	progress(t, "ha: nodes and zones %v", zoneOf)

	// The release and namespace names of the README's commands; both namespaces labelled so an
	// interrupted run's leftovers are removed like every suite's.
	const release, ns, monNS = "shop", "shop", "shop-monitoring"
	runReadme(t, readmeCommands(t))
	for _, n := range []string{ns, monNS} {
		deleteAtEnd(t, n)
		nsObj, err := env.Clientset.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
		require.NoError(t, err)
		nsObj.Labels["stack.dev/e2e"] = "true"
		_, err = env.Clientset.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	// Alerts go to the Discord-format receiver in the cluster instead of discord.com.
	sinkNS := namespace(t, "discord")
	webhook := deploySink(t, sinkNS)
	// The receiver stands for discord.com: it stays out of zone c, whose node the suite stops.
	_, err = env.Clientset.AppsV1().Deployments(sinkNS).Patch(ctx, "discord-sink", types.StrategicMergePatchType, []byte(`{"spec":{"template":{"spec":{"affinity":`+outOfStoppedZone+`}}}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	kube.Wait(t, kube.WaitOptions{What: "the receiver out of zone c", Timeout: 2 * time.Minute, Interval: time.Second}, kube.WorkloadsReady(env.Clientset, sinkNS, ""))
	s, err := env.Clientset.CoreV1().Secrets(monNS).Get(ctx, release+"-alert-receivers", metav1.GetOptions{})
	require.NoError(t, err)
	s.Data = map[string][]byte{"webhook-url": []byte(webhook)}
	_, err = env.Clientset.CoreV1().Secrets(monNS).Update(ctx, s, metav1.UpdateOptions{})
	require.NoError(t, err)

	umbrella := filepath.Join(root, "charts", "stack")
	prod := filepath.Join(umbrella, "profiles", "prod.yaml")
	values := []string{prod}
	if env.Overlay != "" {
		values = append(values, env.Overlay)
	}
	bin := stackcheck(t)
	preflight := func(files ...string) (int, string) {
		args := []string{"preflight", release, umbrella, "-n", ns}
		for _, f := range files {
			args = append(args, "-f", f)
		}
		code, out, took := runCheck(t, bin, nil, args...)
		progress(t, "ha: stackcheck preflight -f %s: exit %d in %s\n%s", strings.Join(files, " -f "), code, took.Round(time.Millisecond), out)
		return code, out
	}
	// The worker the drain step empties: one outside zone c (MySQL's zone in the sizing overlay;
	// a drain of MySQL's node is the outage the node-loss step shows).
	var drained string
	for name, zone := range zoneOf {
		if zone != "" && zone != stoppedZone && (drained == "" || name < drained) {
			drained = name
		}
	}
	require.NotEmpty(t, drained, "a worker outside zone c")
	// The profile as written does not fit kind's nodes (testdata/prod-on-kind.yaml says why).
	// On all three workers it misses by about one pod, depending on where the cluster's own pods
	// landed, so that run is reported only; with the drained worker cordoned, as the drain step
	// leaves the cluster, the profile's 5.6 CPU meet 4 and preflight must refuse it before anything
	// is installed. The sizing overlay must then fit on those two workers.
	code, _ := preflight(values...)
	progress(t, "ha: the prod profile alone on three workers: preflight exit %d (reported, not asserted: the margin is about one pod)", code)
	setUnschedulable(t, drained, true)
	t.Cleanup(func() { setUnschedulable(t, drained, false) }) // also when a step below fails
	code, out := preflight(values...)
	require.Equal(t, 3, code, "preflight refuses the prod profile on two 2-core workers (%s cordoned)", drained)
	require.Regexp(t, `FAIL\s+capacity`, out)
	values = append(values, filepath.Join(root, "tests", "e2e", "testdata", "prod-on-kind.yaml"))
	code, _ = preflight(values...)
	require.Equal(t, 0, code, "preflight passes the prod profile with the kind sizing overlay on two workers (%s cordoned)", drained)
	setUnschedulable(t, drained, false)

	start := time.Now()
	stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, OnFailure: dumpNamespaces, Namespace: ns, Name: release, Chart: umbrella,
		ValuesFiles: values, Timeout: 15 * time.Minute, Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	progress(t, "ha: the prod profile installed and Ready in %s", time.Since(start).Round(time.Second))
	code, out, took := runCheck(t, bin, nil, "verify", release, "-n", ns, "--wait", "--timeout", "5m")
	progress(t, "ha: stackcheck verify --wait: exit %d in %s\n%s", code, took.Round(time.Millisecond), out)
	require.Equal(t, 0, code, "verify finds the release healthy")

	t.Run("ReplicasSpreadOverNodesAndZones", func(t *testing.T) {
		for _, n := range []string{ns, monNS} {
			pods, err := env.Clientset.CoreV1().Pods(n).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			byOwner := map[string][]corev1.Pod{}
			for _, p := range pods.Items {
				owner := metav1.GetControllerOf(&p)
				if owner == nil || p.Status.Phase != corev1.PodRunning || owner.Kind == "DaemonSet" || owner.Kind == "Job" {
					continue
				}
				name := p.Labels["app.kubernetes.io/name"] + "/" + p.Labels["app.kubernetes.io/component"]
				byOwner[name] = append(byOwner[name], p)
			}
			var names []string
			for name := range byOwner {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				ps := byOwner[name]
				if len(ps) < 2 {
					continue
				}
				nodesUsed, zonesUsed := map[string]bool{}, map[string]bool{}
				for _, p := range ps {
					nodesUsed[p.Spec.NodeName] = true
					zonesUsed[zoneOf[p.Spec.NodeName]] = true
				}
				progress(t, "ha: spread %s: %d pods on %d nodes in %d zones", name, len(ps), len(nodesUsed), len(zonesUsed))
				want := min(len(ps), 3)
				assert.Equal(t, want, len(zonesUsed), "%s: %d replicas over %d zones (%v)", name, len(ps), len(zonesUsed), zonesUsed)
			}
		}
	})

	// Load through the edge: the gateway's node port on the control plane's address (no suite
	// stops that node), with a token signed by the release's own key.
	jwt, err := env.Clientset.CoreV1().Secrets(ns).Get(ctx, release+"-auth-jwt", metav1.GetOptions{})
	require.NoError(t, err)
	token := jwtHS256(string(jwt.Data["PODINFO_JWT_SECRET"]), map[string]any{"name": "load", "iss": "podinfo", "exp": time.Now().Add(2 * time.Hour).Unix()})
	header := http.Header{"Authorization": {"Bearer " + token}}
	base := "http://" + net.JoinHostPort(controlPlaneIP(t), "30080")
	paths := []string{"/", "/api/users/", "/api/orders/"}
	kube.Wait(t, kube.WaitOptions{What: "the edge answers", Timeout: time.Minute, Interval: time.Second}, func(context.Context) (bool, string, error) {
		_, err := message(base+"/api/users/", header)
		return err == nil, fmt.Sprint(err), nil
	})

	// Acknowledged messages on a quorum queue before the disruptions, and a MySQL row: both must
	// be there after them.
	secretValue := func(name, key string) string {
		s, err := env.Clientset.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err)
		return string(s.Data[key])
	}
	rabbitPassword := secretValue(release+"-rabbitmq-auth", "rabbitmq-password")
	const messages = 300
	published := publishQuorum(t, ns, release+"-rabbitmq", rabbitPassword, "ha-durability", messages)
	progress(t, "ha: %d persistent messages on the quorum queue ha-durability, every one confirmed", published)
	mysqlPassword := secretValue(release+"-mysql-auth", "mysql-password")
	db := mysqlConnTo(t, ns, release+"-mysql", "app", mysqlPassword, "app")
	_, err = db.Exec("CREATE TABLE IF NOT EXISTS ha (ref VARCHAR(64) PRIMARY KEY)")
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO ha VALUES ('before the node loss')")
	require.NoError(t, err)
	db.Close()

	mysqlNode := workerOf(t, ns, "mysql")
	require.Equal(t, stoppedZone, zoneOf[mysqlNode], "MySQL in zone c, as the sizing overlay places it")
	t.Run("DrainAWorkerUnderLoad", func(t *testing.T) {
		node := drained
		var took time.Duration
		var refused int
		// 20 rps from the one client address: the prod profile allows a client 20 rps per gateway
		// pod, and while the drained node's gateway pod moves two pods take it all (at 40 rps
		// one run in four saw 429s).
		gw := watchGatewayFailures(ns)
		sent, failed, detail := loadForWith(nil, 20, base, paths, header, 600, func() { took, refused = drainNode(t, node) })
		progress(t, "ha: drained %s (zone %s) in %s, %d evictions refused by PDBs meanwhile; %d requests, %d failed %s", node, zoneOf[node], took.Round(time.Second), refused, sent, failed, detail)
		gw.report(t, failed)
		assert.Zero(t, failed, "no request may fail while a worker is drained: %s", detail)
		// The RabbitMQ member of that node waits for it (its volume is there): a second
		// member's eviction would break the broker's budget, and is refused.
		rabbits, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=rabbitmq"})
		require.NoError(t, err)
		for _, p := range rabbits.Items {
			if p.Spec.NodeName != "" && p.Spec.NodeName != node && p.Status.Phase == corev1.PodRunning {
				err := env.Clientset.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ns}})
				progress(t, "ha: evicting a second RabbitMQ member (%s) while one waits for the drained node: %v", p.Name, err)
				assert.True(t, apierrors.IsTooManyRequests(err), "the RabbitMQ PDB refuses a second member's eviction: %v", err)
				break
			}
		}
		setUnschedulable(t, node, false)
		d := kube.Wait(t, kube.WaitOptions{What: "the release whole again after the uncordon", Timeout: 5 * time.Minute, Interval: 2 * time.Second},
			kube.WorkloadsReady(env.Clientset, ns, ""))
		progress(t, "ha: %s uncordoned; every workload Ready again %s later", node, d.Round(time.Second))
		progress(t, "ha: all 3 RabbitMQ members running in one cluster %s after that", waitRabbitCluster(t, ns, release, 3).Round(time.Second))
		back, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=rabbitmq"})
		require.NoError(t, err)
		for _, p := range back.Items {
			if p.Spec.NodeName == node {
				progress(t, "ha: the drained node's RabbitMQ member %s back on it, setup: %s", p.Name, peerWait(t, ns, p.Name))
			}
		}
		got := consumeQuorum(t, ns, release+"-rabbitmq", rabbitPassword, "ha-durability")
		progress(t, "ha: %d of %d acknowledged messages consumed after the drain", got, published)
		assert.Equal(t, published, got, "RabbitMQ kept quorum and every acknowledged message through the drain")
	})

	t.Run("AutoscaleUnderLoadAndBack", func(t *testing.T) {
		// In-cluster clients call users directly (the wiring's calls.stack.dev/users label admits
		// them under the default deny) until its HPA scales it up; the edge's load runs
		// throughout, and must not fail while pods are added and, after the profile's 5 min
		// scale-down window, removed again.
		hpas := env.Clientset.AutoscalingV2().HorizontalPodAutoscalers(ns)
		h, err := hpas.Get(ctx, release+"-users", metav1.GetOptions{})
		require.NoError(t, err)
		minReplicas := *h.Spec.MinReplicas
		pdbs := env.Clientset.PolicyV1().PodDisruptionBudgets(ns)
		var curve []string
		var peak int32
		var peakZones, broken []string
		var budget, atPeak string
		start := time.Now()
		observe := func(ctx context.Context) (*autoscalingv2.HorizontalPodAutoscaler, string, error) {
			h, err := hpas.Get(ctx, release+"-users", metav1.GetOptions{})
			if err != nil {
				return nil, "", err
			}
			util := "?"
			for _, m := range h.Status.CurrentMetrics {
				if m.Resource != nil && m.Resource.Current.AverageUtilization != nil {
					util = fmt.Sprintf("%d%%", *m.Resource.Current.AverageUtilization)
				}
			}
			if len(curve) == 0 || !strings.HasSuffix(curve[len(curve)-1], fmt.Sprintf(": %d replicas", h.Status.DesiredReplicas)) {
				curve = append(curve, fmt.Sprintf("+%ds (cpu %s): %d replicas", int(time.Since(start).Seconds()), util, h.Status.DesiredReplicas))
			}
			// The budget's healthy count as the scale changes: never below the HPA's floor (a new
			// pod not Ready yet raises what the budget wants before it counts, so the budget's
			// own desired count is no measure while scaling up).
			if b, err := pdbs.Get(ctx, release+"-users", metav1.GetOptions{}); err == nil {
				if b.Status.CurrentHealthy < minReplicas {
					broken = append(broken, fmt.Sprintf("+%ds: %d healthy", int(time.Since(start).Seconds()), b.Status.CurrentHealthy))
				}
				budget = fmt.Sprintf("%d healthy, %d wanted, %d disruptions allowed", b.Status.CurrentHealthy, b.Status.DesiredHealthy, b.Status.DisruptionsAllowed)
			}
			if h.Status.CurrentReplicas > peak {
				peak = h.Status.CurrentReplicas
				zones := map[string]bool{}
				pods, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=users"})
				if err == nil {
					for _, p := range pods.Items {
						if p.Spec.NodeName != "" {
							zones[zoneOf[p.Spec.NodeName]] = true
						}
					}
				}
				peakZones = slices.Sorted(maps.Keys(zones))
			}
			return h, util, nil
		}
		var up, down time.Duration
		sent, failed, detail := loadForWith(nil, 20, base, paths, header, 200, func() {
			// Ten streams per load pod (~600 requests a second): four (~240) held the three
			// users pods at 68% of their 50m, under the HPA's 70%.
			stopLoad := callInALoop(t, ns, release, "users", release+"-users", 10)
			up = kube.Wait(t, kube.WaitOptions{What: "users scaled above its minimum under load", Timeout: 6 * time.Minute, Interval: 5 * time.Second}, func(ctx context.Context) (bool, string, error) {
				h, util, err := observe(ctx)
				if err != nil {
					return false, err.Error(), nil
				}
				return h.Status.CurrentReplicas > minReplicas, fmt.Sprintf("current %d desired %d cpu %s", h.Status.CurrentReplicas, h.Status.DesiredReplicas, util), nil
			})
			// A little longer under load: the new pods Ready and serving before the load stops.
			kube.Wait(t, kube.WaitOptions{What: "the scaled-up users Ready", Timeout: 3 * time.Minute, Interval: 5 * time.Second}, func(ctx context.Context) (bool, string, error) {
				if _, _, err := observe(ctx); err != nil {
					return false, err.Error(), nil
				}
				d, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, release+"-users", metav1.GetOptions{})
				if err != nil {
					return false, err.Error(), nil
				}
				return d.Status.ReadyReplicas == *d.Spec.Replicas && d.Status.ReadyReplicas > minReplicas, fmt.Sprintf("%d of %d Ready", d.Status.ReadyReplicas, *d.Spec.Replicas), nil
			})
			atPeak = budget
			stopLoad()
			stopped := time.Now()
			kube.Wait(t, kube.WaitOptions{What: "users back at its minimum after the load", Timeout: 10 * time.Minute, Interval: 5 * time.Second}, func(ctx context.Context) (bool, string, error) {
				h, util, err := observe(ctx)
				if err != nil {
					return false, err.Error(), nil
				}
				return h.Status.CurrentReplicas == minReplicas, fmt.Sprintf("current %d desired %d cpu %s", h.Status.CurrentReplicas, h.Status.DesiredReplicas, util), nil
			})
			down = time.Since(stopped)
		})
		progress(t, "ha: autoscaling: users above its minimum %d %s after the load started, peak %d replicas in zones %v; back at %d %s after the load stopped (the HPA's 5 min scale-down window); curve %s",
			minReplicas, up.Round(time.Second), peak, peakZones, minReplicas, down.Round(time.Second), strings.Join(curve, " -> "))
		progress(t, "ha: autoscaling: through the edge meanwhile %d requests, %d failed %s", sent, failed, detail)
		progress(t, "ha: autoscaling: the users PDB at the peak %s, at the end %s", atPeak, budget)
		assert.Empty(t, broken, "users kept at least its %d healthy pods while the HPA scaled", minReplicas)
		assert.Zero(t, failed, "no request fails while the HPA adds and removes pods: %s", detail)
		assert.Equal(t, min(int(peak), 3), len(peakZones), "the scaled-up pods spread over the zones")
	})

	t.Run("LoseAWorkerUnderLoad", func(t *testing.T) {
		if os.Getenv("STACK_E2E_NODE_LOSS") == "0" {
			t.Skip("STACK_E2E_NODE_LOSS=0: the node-loss step skipped (about 9 minutes, most of it waiting for NodeNotReady's 5 min)")
		}
		published := publishQuorum(t, ns, release+"-rabbitmq", rabbitPassword, "ha-durability", messages)
		node := mysqlNode
		rabbitOnNode := ""
		rabbits, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=rabbitmq"})
		require.NoError(t, err)
		for _, p := range rabbits.Items {
			if p.Spec.NodeName == node {
				rabbitOnNode = p.Name
			}
		}
		require.NotEmpty(t, rabbitOnNode, "a RabbitMQ member on %s (zone spread)", node)
		container := node // kind names a node's container after the node
		var detected, recovered time.Duration
		var stopped time.Time
		start := time.Now()
		// One connection per request: each is balanced anew by the node's Service rules, as
		// clients behind a real edge are. Kept-alive connections to the lost pods fail fast here
		// (with the node gone, kube-router withdraws the route to its pods; the packets follow
		// the default route to the host, whose egress filter answers 404), and a pool reuses the
		// fast failures: 97 % of the requests failed that way in a first run.
		oneShot := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		gw := watchGatewayFailures(ns)
		l := loadForTimed(oneShot, 20, base, paths, header, 400, func() {
			// Times count from the stop command: the node's services go down during it (docker
			// stop takes ~10 s: the node's init gets SIGTERM, then the container is killed).
			stopped = time.Now()
			out, err := exec.Command("docker", "stop", container).CombinedOutput()
			require.NoError(t, err, "docker stop: %s", out)
			progress(t, "ha: stopped %s (zone %s, MySQL's node): docker stop took %s", node, zoneOf[node], time.Since(stopped).Round(time.Second))
			kube.Wait(t, kube.WaitOptions{What: "the node NotReady", Timeout: 3 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
				n, err := env.Clientset.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
				if err != nil {
					return false, err.Error(), nil
				}
				return !kube.NodeReady(*n), "still Ready", nil
			})
			detected = time.Since(stopped)
			kube.Wait(t, kube.WaitOptions{What: "every Deployment's pods Ready on the other nodes", Timeout: 5 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
				ds, err := env.Clientset.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					return false, err.Error(), nil
				}
				pods, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					return false, err.Error(), nil
				}
				var waiting []string
				for _, d := range ds.Items {
					ready := 0
					for _, p := range pods.Items {
						if p.Spec.NodeName != node && p.DeletionTimestamp == nil && p.Labels["app.kubernetes.io/name"] == d.Spec.Selector.MatchLabels["app.kubernetes.io/name"] && kube.PodReady(p) {
							ready++
						}
					}
					if want := int(*d.Spec.Replicas); ready < want {
						waiting = append(waiting, fmt.Sprintf("%s %d/%d", d.Name, ready, want))
					}
				}
				return len(waiting) == 0, strings.Join(waiting, ", "), nil
			})
			recovered = time.Since(stopped)
		})
		sent, failed, detail := l.result()
		window := "none"
		if failed > 0 {
			window = fmt.Sprintf("sent from %s to %s after the stop", l.firstFail.Sub(stopped).Round(time.Second), l.lastFail.Sub(stopped).Round(time.Second))
		}
		progress(t, "ha: node loss: NotReady after %s, every Deployment whole on the other nodes %s after the stop; %d requests over %s, %d failed (%s) %s",
			detected.Round(time.Second), recovered.Round(time.Second), sent, time.Since(start).Round(time.Second), failed, window, detail)
		// The failures are those of detection: requests the Service rules still sent to the lost
		// node's pods until the node was NotReady (the node monitor's grace period) and its pods
		// left the endpoints. None may be sent after every Deployment is whole again elsewhere
		// (the pods' 30 s not-ready toleration after that).
		if failed > 0 {
			assert.True(t, l.lastFail.Before(stopped.Add(recovered)), "the last failed request was sent %s after the stop, after the recovery (%s)", l.lastFail.Sub(stopped), recovered)
		}
		gw.report(t, 0)
		// Recovered without a hand step: the edge answers every request again.
		gw = watchGatewayFailures(ns)
		sent, failed, detail = loadForWith(nil, 20, base, paths, header, 400, func() {})
		progress(t, "ha: after the recovery, with the node still down: %d requests, %d failed %s", sent, failed, detail)
		gw.report(t, failed)
		assert.Zero(t, failed, "the stack serves again without a hand step: %s", detail)

		// The alert path: the node's alert (NodeNotReady, for: 5m) and those of the pods it took
		// down (MySQLDown and RabbitMQDown, for: 1m: their metrics targets stopped answering)
		// reach the Discord-format receiver.
		sink := "http://" + waitTunnel(t, sinkNS, "discord-sink", 8080)
		want := map[string]string{"NodeNotReady": node, "MySQLDown": release + "-mysql-0", "RabbitMQDown": rabbitOnNode}
		delivered := map[string]time.Time{}
		kube.Wait(t, kube.WaitOptions{What: "the node's and its pods' alerts delivered to the Discord receiver", Timeout: 9 * time.Minute, Interval: 5 * time.Second}, func(context.Context) (bool, string, error) {
			var ds []discord.Delivery
			if err := getJSON(sink+"/messages", &ds); err != nil {
				return false, err.Error(), nil
			}
			for _, x := range ds {
				for _, e := range x.Message.Embeds {
					for alert, subject := range want {
						if _, seen := delivered[alert]; !seen && x.Received.After(stopped) && strings.Contains(e.Title, alert) && strings.Contains(e.Description, subject) {
							delivered[alert] = x.Received
						}
					}
				}
			}
			var missing []string
			for alert, subject := range want {
				if _, ok := delivered[alert]; !ok {
					missing = append(missing, alert+" of "+subject)
				}
			}
			slices.Sort(missing)
			return len(missing) == 0, fmt.Sprintf("%d deliveries, none yet for %s", len(ds), strings.Join(missing, ", ")), nil
		})
		for _, alert := range []string{"MySQLDown", "RabbitMQDown", "NodeNotReady"} {
			progress(t, "ha: %s for %s delivered %s after the node stopped", alert, want[alert], delivered[alert].Sub(stopped).Round(time.Second))
		}

		// MySQL lived on the lost node's disk: an outage until it returns, with its data.
		out, err := exec.Command("docker", "start", container).CombinedOutput()
		require.NoError(t, err, "docker start: %s", out)
		back := time.Now()
		kube.Wait(t, kube.WaitOptions{What: "the release whole again with the node back", Timeout: 6 * time.Minute, Interval: 2 * time.Second},
			kube.WorkloadsReady(env.Clientset, ns, ""))
		db := mysqlConnTo(t, ns, release+"-mysql", "app", mysqlPassword, "app")
		var ref string
		require.NoError(t, db.QueryRow("SELECT ref FROM ha").Scan(&ref))
		assert.Equal(t, "before the node loss", ref)
		progress(t, "ha: %s started again: the release whole %s later, MySQL's row written before the loss read back", node, time.Since(back).Round(time.Second))
		waitRabbitCluster(t, ns, release, 3)
		progress(t, "ha: the returned node's RabbitMQ member running in its cluster again %s after the node started; its setup: %s", time.Since(back).Round(time.Second), peerWait(t, ns, rabbitOnNode))
		got := consumeQuorum(t, ns, release+"-rabbitmq", rabbitPassword, "ha-durability")
		progress(t, "ha: %d of %d acknowledged messages consumed after the node loss", got, published)
		assert.Equal(t, published, got, "RabbitMQ kept every acknowledged message")
	})
}

// gatewayFailures holds the gateway's log lines about failed requests during a step: its error
// log's errors and warnings and the access log's 5xx answers, from every gateway pod (the one on
// a drained or lost node included, whose log is gone by the end of the step).
type gatewayFailures struct{ w *kube.LogWatch }

var gatewayFailureLine = regexp.MustCompile(`"status":5\d\d|\[(warn|error|crit|alert|emerg)\]`)

func watchGatewayFailures(ns string) gatewayFailures {
	return gatewayFailures{kube.WatchLogs(env.Clientset, ns, "app.kubernetes.io/name=gateway", "nginx", 60, gatewayFailureLine.MatchString)}
}

// report ends the watch and, when the step saw failed requests, logs what the gateway said.
func (g gatewayFailures) report(t *testing.T, failed int) {
	lines := g.w.Stop()
	if failed > 0 || len(lines) > 0 {
		t.Logf("the gateway's log meanwhile (errors, warnings, 5xx answers): %d lines\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// peerWait returns what a RabbitMQ member's setup init container said about its wait for the pod
// network to reach a peer (the rabbitmq chart's peerNetworkWaitSeconds).
func peerWait(t *testing.T, ns, pod string) string {
	raw, err := env.Clientset.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: "setup"}).DoRaw(context.Background())
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "wait-for-peers:") {
			return line
		}
	}
	return "no wait (no data yet)"
}

// waitRabbitCluster waits until the first RabbitMQ member counts n running members in its
// cluster (a member's pod is Ready when its AMQP port answers, before it has rejoined).
func waitRabbitCluster(t *testing.T, ns, release string, n int) time.Duration {
	t.Helper()
	pod := release + "-rabbitmq-0"
	return kube.Wait(t, kube.WaitOptions{What: fmt.Sprintf("%d RabbitMQ members running in one cluster", n), Timeout: 5 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		res, err := kube.Exec(ctx, env.RESTConfig, env.Clientset, ns, pod, "rabbitmq", "rabbitmq-diagnostics", "-q", "cluster_status", "--formatter", "json")
		if err != nil {
			return false, err.Error(), nil
		}
		if res.ExitCode != 0 {
			return false, fmt.Sprintf("exit %d: %s", res.ExitCode, strings.TrimSpace(res.Stderr)), nil
		}
		var status struct {
			Running []string `json:"running_nodes"`
		}
		if err := json.Unmarshal([]byte(res.Stdout), &status); err != nil {
			return false, fmt.Sprintf("%v: %.200s", err, res.Stdout), nil
		}
		return len(status.Running) == n, fmt.Sprintf("running %v", status.Running), nil
	})
}

// controlPlaneIP is the control-plane node's address.
func controlPlaneIP(t *testing.T) string {
	t.Helper()
	n, err := env.Clientset.CoreV1().Nodes().Get(context.Background(), env.Cluster.Name+"-control-plane", metav1.GetOptions{})
	require.NoError(t, err)
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	require.FailNow(t, "the control plane has no InternalIP")
	return ""
}

// publishQuorum declares a durable quorum queue and publishes n persistent messages to it with
// publisher confirms; it returns how many the broker acknowledged.
func publishQuorum(t *testing.T, ns, service, password, queue string, n int) int {
	t.Helper()
	conn := amqpConnTo(t, ns, service, "app", password)
	ch, err := conn.Channel()
	require.NoError(t, err)
	_, err = ch.QueueDeclare(queue, true, false, false, false, amqp.Table{"x-queue-type": "quorum"})
	require.NoError(t, err)
	require.NoError(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	for i := 0; i < n; i++ {
		require.NoError(t, ch.PublishWithContext(context.Background(), "", queue, true, false, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(fmt.Sprint(i))}))
	}
	acked := 0
	for i := 0; i < n; i++ {
		if c := <-confirms; c.Ack {
			acked++
		}
	}
	conn.Close()
	return acked
}

// consumeQuorum reads every message of the queue and returns how many there were.
func consumeQuorum(t *testing.T, ns, service, password, queue string) int {
	t.Helper()
	conn := amqpConnTo(t, ns, service, "app", password)
	ch, err := conn.Channel()
	require.NoError(t, err)
	got := 0
	for {
		_, ok, err := ch.Get(queue, true)
		require.NoError(t, err)
		if !ok {
			return got
		}
		got++
	}
}

// workerOf finds the worker that hosts a pod of app (by app.kubernetes.io/name) in ns.
func workerOf(t *testing.T, ns, app string) string {
	t.Helper()
	pods, err := env.Clientset.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + app})
	require.NoError(t, err)
	require.NotEmpty(t, pods.Items, "a %s pod", app)
	return pods.Items[0].Spec.NodeName
}

// drainNode does what `kubectl drain --ignore-daemonsets` does through client-go: cordon the node,
// then evict each of its pods through the Eviction API (a PodDisruptionBudget answers 429 while an
// eviction would break it: retried every second), until none is left. It returns the drain time
// and how many evictions the budgets refused.
func drainNode(t *testing.T, node string) (took time.Duration, refused int) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	setUnschedulable(t, node, true)
	evictable := func() []corev1.Pod {
		pods, err := env.Clientset.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
		require.NoError(t, err)
		var out []corev1.Pod
		for _, p := range pods.Items {
			owner := metav1.GetControllerOf(&p)
			if (owner != nil && owner.Kind == "DaemonSet") || p.Annotations[corev1.MirrorPodAnnotationKey] != "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				continue
			}
			out = append(out, p)
		}
		return out
	}
	kube.Wait(t, kube.WaitOptions{What: "node " + node + " drained", Timeout: 10 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
		left := evictable()
		var waiting []string
		for _, p := range left {
			if p.DeletionTimestamp != nil {
				waiting = append(waiting, p.Namespace+"/"+p.Name+" (terminating)")
				continue
			}
			err := env.Clientset.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}})
			switch {
			case apierrors.IsTooManyRequests(err):
				refused++
				waiting = append(waiting, p.Namespace+"/"+p.Name+" (refused by its PDB)")
			case err != nil && !apierrors.IsNotFound(err):
				return false, "", err
			default:
				waiting = append(waiting, p.Namespace+"/"+p.Name+" (evicted)")
			}
		}
		return len(left) == 0, strings.Join(waiting, ", "), nil
	})
	return time.Since(start), refused
}

// setUnschedulable cordons (true) or uncordons (false) a node.
func setUnschedulable(t *testing.T, node string, cordoned bool) {
	t.Helper()
	n, err := env.Clientset.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	require.NoError(t, err)
	n.Spec.Unschedulable = cordoned
	_, err = env.Clientset.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{})
	require.NoError(t, err)
}
