//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/tests/kube"
)

// asApp runs a client pod that is a pod of a release's app as far as NetworkPolicies and wiring
// go: the app's pod labels, the environment the chart gives it (hosts, ports, users, passwords
// from secretKeyRefs) and the CAs of the dependencies it reaches over TLS (the wiring's tls-ca-*
// volumes), in the given image. Once the enforcer has programmed it, the script runs once; its
// output is returned with whether it succeeded.
func asApp(t *testing.T, ns, deployment, name, image, script string) (bool, string) {
	t.Helper()
	d, err := env.Clientset.AppsV1().Deployments(ns).Get(context.Background(), deployment, metav1.GetOptions{})
	require.NoError(t, err)
	pod := restrictedPod(name, d.Spec.Template.Labels)
	pod.Spec.Containers[0].Image = image
	pod.Spec.Containers[0].Env = append(d.Spec.Template.Spec.Containers[0].Env, corev1.EnvVar{Name: "HOME", Value: "/tmp"})
	for _, v := range d.Spec.Template.Spec.Volumes {
		if strings.HasPrefix(v.Name, "tls-ca-") {
			pod.Spec.Volumes = append(pod.Spec.Volumes, v)
		}
	}
	for _, m := range d.Spec.Template.Spec.Containers[0].VolumeMounts {
		if strings.HasPrefix(m.Name, "tls-ca-") {
			pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, m)
		}
	}
	c := &kube.Client{Namespace: ns, Pod: pod, Peer: true}
	kube.StartClients(t, env.RESTConfig, env.Clientset, c)
	res := c.Run(t, script)
	return res.ExitCode == 0, strings.TrimSpace(res.Stdout + res.Stderr)
}

// httpStatus is the status of one GET with a short timeout, or 0 when no answer came.
func httpStatus(url string) int {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Issue 12, items 1 and 2, live under the namespace's default deny:
//   - a MySQL and a Redis in another namespace, given to the release as external hosts by DNS
//     name (their charts off in the release), are reached by the app that uses them — an
//     authenticated MySQL query and a Redis PING with the env and Secret the chart wires — and a
//     worker that does not use MySQL is refused;
//   - with the nodeport edge the frontend's own node port answers from outside the cluster, and
//     the gateway's still routes to it; without the edge's policy the frontend's port goes dark.
func TestExternalDependenciesAndTheFrontendNodePortUnderTheDefaultDeny(t *testing.T) {
	parallel(t)
	appNS := fmt.Sprintf("offpath-%s", strings.ToLower(random.UniqueId()))
	dbNS := namespace(t, "extdb")
	admit := func(dep string) string {
		return valuesFile(t, dep+"-clients.yaml", fmt.Sprintf(`networkPolicy:
  allowedClients:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}
      podSelector: {matchLabels: {uses.stack.dev/%s: "true"}}
`, appNS, dep))
	}
	dbPassword, cachePassword := "ext-app-"+random.UniqueId(), "ext-cache-"+random.UniqueId()
	_, mysqlImage := installNamed(t, dbNS, "mysql", "db", map[string]string{"auth.rootPassword": "ext-root-" + random.UniqueId(), "auth.password": dbPassword,
		"auth.exporterPassword": "ext-exp-" + random.UniqueId(), "resources.requests.cpu": "50m"}, admit("mysql"))
	_, redisImage := installNamed(t, dbNS, "redis", "cache", map[string]string{"auth.password": cachePassword, "resources.requests.cpu": "20m"}, admit("redis"))

	createNamespace(t, appNS, "restricted")
	secret(t, appNS, "external-db", map[string]string{"mysql-password": dbPassword})
	secret(t, appNS, "external-cache", map[string]string{"redis-password": cachePassword})
	values := valuesFile(t, "offpath.yaml", fmt.Sprintf(`mysql: {enabled: false}
redis: {enabled: false}
global:
  dependencies:
    mysql: {host: db-mysql.%[1]s.svc.cluster.local, secretName: external-db}
    redis: {host: cache-redis.%[1]s.svc.cluster.local, secretName: external-cache}
  edge:
    mode: nodeport
    nodePort: {gateway: 30380, frontend: 30381}
`, dbNS))
	installRelease(t, appNS, "offpath", values)

	// 1. users (uses: [mysql, redis]) reaches both external servers with its own wiring.
	ok, out := asApp(t, appNS, "stack-users", "users-mysql", mysqlImage,
		`c=$(command -v mariadb || command -v mysql); MYSQL_PWD="$MYSQL_PASSWORD" $c -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER" -N -e 'SELECT CONCAT("answer-", 6*7)' "$MYSQL_DATABASE"`)
	require.True(t, ok, "users reaches its external MySQL: %s", out)
	require.Contains(t, out, "answer-42")
	progress(t, "offpath: users -> external MySQL db-mysql.%s (%s): authenticated query answered %q (client log: %q)", dbNS, mysqlImage, "answer-42", out)
	ok, out = asApp(t, appNS, "stack-users", "users-redis", redisImage,
		`REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" PING | grep -q PONG && echo PONG`)
	require.True(t, ok, "users reaches its external Redis: %s", out)
	progress(t, "offpath: users -> external Redis cache-redis.%s (%s): PING answered PONG", dbNS, redisImage)

	// A worker that does not use MySQL is refused by its own egress policy.
	mailer, err := env.Clientset.AppsV1().Deployments(appNS).Get(context.Background(), "stack-mailer", metav1.GetOptions{})
	require.NoError(t, err)
	host := fmt.Sprintf("db-mysql.%s.svc.cluster.local", dbNS)
	got := connectAll(t, appNS, []probe{{name: "mailer-to-mysql", host: host, port: 3306, labels: mailer.Spec.Template.Labels, deny: true}})
	require.False(t, got["mailer-to-mysql"], "mailer (uses: [rabbitmq]) must not reach the external MySQL")
	progress(t, "offpath: mailer (does not use mysql) -> external MySQL: refused")

	// 2. The frontend's own node port, from outside the cluster (this host), and the gateway's.
	node := nodeAddress(t)
	frontend, gateway := "http://"+net.JoinHostPort(node, "30381")+"/", "http://"+net.JoinHostPort(node, "30380")+"/"
	kube.Wait(t, kube.WaitOptions{What: "the frontend's node port answers", Timeout: time.Minute, Interval: 2 * time.Second}, func(context.Context) (bool, string, error) {
		code := httpStatus(frontend)
		return code == http.StatusOK, fmt.Sprintf("status %d", code), nil
	})
	require.Equal(t, http.StatusOK, httpStatus(gateway), "the gateway's node port routes / to the frontend")
	progress(t, "offpath: frontend node port %s -> 200, gateway node port %s -> 200", frontend, gateway)

	// Before the fix the frontend admitted only the gateway, its callers and the scraper: take the
	// edge's policy away and its node port goes dark while the gateway's keeps answering.
	require.NoError(t, env.Clientset.NetworkingV1().NetworkPolicies(appNS).Delete(context.Background(), "stack-edge-to-frontend", metav1.DeleteOptions{}))
	d := kube.Wait(t, kube.WaitOptions{What: "the frontend's node port refused without the edge's policy", Timeout: time.Minute, Interval: 2 * time.Second}, func(context.Context) (bool, string, error) {
		code := httpStatus(frontend)
		return code == 0, fmt.Sprintf("status %d", code), nil
	})
	require.Equal(t, http.StatusOK, httpStatus(gateway), "the gateway still answers")
	progress(t, "offpath: without stack-edge-to-frontend the frontend's node port stops answering (after %s); the gateway's still answers", d.Round(time.Second))
}
