//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/tests/kube"
)

// load sends GETs at a steady rate to the given URLs (round robin) until stop is closed, and
// counts outcomes: a failure is a transport error or any status but 200.
type load struct {
	mu       sync.Mutex
	sent     int
	failures map[string]int
	slowest  time.Duration
	// firstFail and lastFail are when the first and the last failed request were sent.
	firstFail, lastFail time.Time
	wg                  sync.WaitGroup
}

func runLoad(base string, paths []string, header http.Header, rps int, stop <-chan struct{}) *load {
	return runLoadWith(loadClient(), base, paths, header, rps, stop)
}

// loadClient is the load's default client. A request fails when it errors or answers anything
// but 200; a slow answer is not a failure (the two-core test machine runs the load, the cluster
// and the tests), but the slowest is reported, and 15 s is the most a client waits.
func loadClient() *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// runLoadWith is runLoad with its own client (e.g. one connection per request, so each request
// is balanced anew by the node's Service rules).
func runLoadWith(client *http.Client, base string, paths []string, header http.Header, rps int, stop <-chan struct{}) *load {
	l := &load{failures: map[string]int{}}
	tick := time.NewTicker(time.Second / time.Duration(rps))
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			path := paths[i%len(paths)]
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				req.Header = header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				took := time.Since(t0)
				outcome := ""
				if err != nil {
					outcome = "error: " + err.Error()
				} else {
					if resp.StatusCode != http.StatusOK {
						outcome = fmt.Sprintf("%s -> %d", path, resp.StatusCode)
					}
					resp.Body.Close()
				}
				l.mu.Lock()
				l.sent++
				if took > l.slowest {
					l.slowest = took
				}
				if outcome != "" {
					l.failures[outcome]++
					if l.firstFail.IsZero() || t0.Before(l.firstFail) {
						l.firstFail = t0
					}
					if t0.After(l.lastFail) {
						l.lastFail = t0
					}
				}
				l.mu.Unlock()
			}()
		}
	}()
	return l
}

// wait stops counting (after stop was closed) and returns sent and failed totals.
func (l *load) result() (sent, failed int, detail string) {
	l.wg.Wait()
	var ds []string
	for k, v := range l.failures {
		failed += v
		ds = append(ds, fmt.Sprintf("%dx %s", v, k))
	}
	sort.Strings(ds)
	return l.sent, failed, strings.Join(ds, "; ")
}

// underLoad runs action while steady load goes through the edge, keeps the load on until at
// least minRequests were sent and action returned, and reports sent/failed.
func underLoad(t *testing.T, what, base string, paths []string, header http.Header, minRequests int, action func()) {
	t.Helper()
	stop := make(chan struct{})
	// 40 rps from one client: under the dev profile's per-client limit (50 rps, burst 100, per gateway
	// pod), and 1000 requests in 25 s instead of 50.
	const rps = 40
	start := time.Now()
	l := runLoad(base, paths, header, rps, stop)
	time.Sleep(3 * time.Second) // steady state before the disturbance
	action()
	deadline := start.Add(time.Duration(minRequests/rps+10) * time.Second)
	for {
		l.mu.Lock()
		sent := l.sent
		l.mu.Unlock()
		if sent >= minRequests || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	close(stop)
	sent, failed, detail := l.result()
	progress(t, "resilience: %s: %d requests at %d rps over %s, %d failed %s (slowest answer %s)", what, sent, rps, time.Since(start).Round(time.Second), failed, detail, l.slowest.Round(time.Millisecond))
	assert.GreaterOrEqual(t, sent, minRequests, "%s: enough requests", what)
	assert.Zero(t, failed, "%s: no request may fail (%s)", what, detail)
}

// The resilience suite: steady load (40 rps) through the NodePort edge and the gateway
// to the frontend and two authenticated API services while `helm upgrade` rolls every
// Deployment, and while a gateway pod is deleted: 0 failures out of ≥1000 requests each; a
// deleted service pod is replaced and Ready again, time reported.
func TestTrafficSurvivesRolloutsAndPodDeletion(t *testing.T) {
	ns := namespace(t, "resilience")
	// Zero-unavailable rollouts (the prod profile's strategy) on the dev profile's sizes.
	values := valuesFile(t, "resilience.yaml", `services:
  defaults:
    strategy: {maxSurge: 1, maxUnavailable: 0}
global:
  edge:
    mode: nodeport
    nodePort: {gateway: 30280, frontend: 30281}
`)
	opts := installRelease(t, ns, "resilience", withoutBackingServices(t, ns), values)

	base := "http://" + net.JoinHostPort(nodeAddress(t), "30280")
	token := jwtHS256(devJWTKey, map[string]any{"name": "load", "iss": "podinfo", "exp": time.Now().Add(time.Hour).Unix()})
	header := http.Header{"Authorization": {"Bearer " + token}}
	paths := []string{"/", "/api/users/", "/api/orders/"}
	kube.Wait(t, kube.WaitOptions{What: "the edge answers", Timeout: time.Minute, Interval: time.Second}, func(context.Context) (bool, string, error) {
		resp, err := http.Get(base + "/")
		if err != nil {
			return false, err.Error(), nil
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status, nil
	})

	deployments := func() map[string]string {
		out := map[string]string{}
		list, err := env.Clientset.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
		require.NoError(t, err)
		for _, d := range list.Items {
			out[d.Name] = d.Annotations["deployment.kubernetes.io/revision"]
		}
		return out
	}
	before := deployments()

	// 1. helm upgrade rolls every Deployment (a pod annotation changes in each).
	stamp := fmt.Sprint(time.Now().Unix())
	underLoad(t, "helm upgrade rolling every Deployment", base, paths, header, 1000, func() {
		up := *opts
		up.SetStrValues = map[string]string{"gateway.podAnnotations.rollout": stamp, "services.defaults.podAnnotations.rollout": stamp}
		t0 := time.Now()
		helm.Upgrade(t, &up, filepath.Join(root, "charts", "stack"), "stack")
		progress(t, "resilience: helm upgrade finished (all rolled and Ready) in %s", time.Since(t0).Round(100*time.Millisecond))
	})
	after := deployments()
	for name, rev := range before {
		assert.NotEqual(t, rev, after[name], "Deployment %s rolled (revision %s -> %s)", name, rev, after[name])
	}

	// 2. A gateway pod is deleted under load.
	underLoad(t, "a gateway pod deleted", base, paths, header, 1000, func() {
		pods, err := env.Clientset.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=gateway"})
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(pods.Items), 2, "the gateway runs at least two replicas")
		victim := pods.Items[0].Name
		require.NoError(t, env.Clientset.CoreV1().Pods(ns).Delete(context.Background(), victim, metav1.DeleteOptions{}))
		progress(t, "resilience: deleted gateway pod %s", victim)
	})

	// 3. A deleted service pod is replaced and Ready again.
	pods, err := env.Clientset.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=users"})
	require.NoError(t, err)
	require.NotEmpty(t, pods.Items)
	victim := pods.Items[0]
	t0 := time.Now()
	require.NoError(t, env.Clientset.CoreV1().Pods(ns).Delete(context.Background(), victim.Name, metav1.DeleteOptions{}))
	d := kube.Wait(t, kube.WaitOptions{What: "a users pod replaced and Ready", Timeout: 3 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
		list, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=users"})
		if err != nil {
			return false, err.Error(), nil
		}
		for _, p := range list.Items {
			if p.UID != victim.UID && p.DeletionTimestamp == nil && kube.PodReady(p) {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d users pods, no new one Ready", len(list.Items)), nil
	})
	progress(t, "resilience: users pod %s deleted; replacement Ready in %s (%s since the delete call)", victim.Name, d.Round(100*time.Millisecond), time.Since(t0).Round(100*time.Millisecond))
}
