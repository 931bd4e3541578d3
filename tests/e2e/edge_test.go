//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
)

// The live edge (tests/e2e/testdata/edge/install.yaml): Traefik in front of the release, Pebble as
// the ACME server, and a DNS zone whose every name is Traefik's address.
const (
	edgeZone      = "edge.test"
	traefikIP     = "10.96.0.80" // the Traefik Service's fixed ClusterIP (install.yaml)
	pebbleDNS     = "10.96.0.53:8053"
	pebbleName    = "pebble.pebble.svc.cluster.local"
	pebbleACMEURL = "https://" + pebbleName + ":14000/dir"
)

// edgeInfra is what the edge suites share: where Traefik's entry points answer from outside the
// cluster, and Pebble's management API (its issuing root) with the CA its HTTPS chains to.
type edgeInfra struct {
	http, https, pebbleManagement string // node:port
	traefikPod                    string // Traefik's pod address
	pebbleCA                      []byte // PEM: the root Pebble's own HTTPS certificate chains to (cert-issuer acme.caBundle)
	images                        map[string]string
}

var (
	edgeMu    sync.Mutex
	edgeReady *edgeInfra
)

// installEdge installs Traefik and Pebble once per cluster (every edge suite shares them; they
// stay for the next run like the cluster's add-ons) and points the zone edge.test of the cluster
// DNS at Pebble's DNS, which answers every name of it with Traefik's address.
func installEdge(t *testing.T) *edgeInfra {
	t.Helper()
	edgeMu.Lock()
	defer edgeMu.Unlock()
	if edgeReady != nil {
		return edgeReady
	}
	start := time.Now()
	dir := filepath.Join(filepath.Dir(env.Overlay), "edge")
	raw, err := os.ReadFile(filepath.Join(dir, "images.txt"))
	require.NoError(t, err, "no edge in the substrate: run make images (ci/substrate/edge.sh)")
	e := &edgeInfra{images: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		name, tag, _ := strings.Cut(line, " ")
		e.images[name] = tag
		t.Logf("image %s = %s", name, tag)
	}
	e.pebbleCA, err = os.ReadFile(filepath.Join(dir, "pebble-ca.pem"))
	require.NoError(t, err)
	env.Cluster.LoadImages(t, e.images["traefik"], e.images["pebble"])
	manifest, err := os.ReadFile(filepath.Join(root, "tests", "e2e", "testdata", "edge", "install.yaml"))
	require.NoError(t, err)
	rendered := strings.NewReplacer("{{TRAEFIK_IMAGE}}", e.images["traefik"], "{{PEBBLE_IMAGE}}", e.images["pebble"]).Replace(string(manifest))
	path := filepath.Join(t.TempDir(), "edge-install.yaml")
	require.NoError(t, os.WriteFile(path, []byte(rendered), 0o644))
	require.NoError(t, env.Cluster.ApplyManifestE(path))
	forwardZoneToPebbleDNS(t)
	for _, ns := range []string{"traefik", "pebble"} {
		kube.Wait(t, kube.WaitOptions{What: ns + " Ready", Timeout: 3 * time.Minute, Interval: time.Second}, kube.WorkloadsReady(env.Clientset, ns, ""))
	}
	node := nodeAddress(t)
	nodePort := func(ns, svc, port string) string {
		s, err := env.Clientset.CoreV1().Services(ns).Get(context.Background(), svc, metav1.GetOptions{})
		require.NoError(t, err)
		for _, p := range s.Spec.Ports {
			if p.Name == port {
				return net.JoinHostPort(node, fmt.Sprint(p.NodePort))
			}
		}
		require.FailNow(t, "no port "+port+" on "+ns+"/"+svc)
		return ""
	}
	e.http, e.https = nodePort("traefik", "traefik", "web"), nodePort("traefik", "traefik", "websecure")
	e.pebbleManagement = nodePort("pebble", "pebble", "management")
	pods, err := env.Clientset.CoreV1().Pods("traefik").List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=traefik"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 1, "one Traefik pod")
	e.traefikPod = pods.Items[0].Status.PodIP
	progress(t, "edge: Traefik %s (web %s, websecure %s) and Pebble %s up in %s", e.images["traefik"], e.http, e.https, e.images["pebble"], time.Since(start).Round(100*time.Millisecond))
	edgeReady = e
	return e
}

// forwardZoneToPebbleDNS adds a server block for edge.test to CoreDNS's Corefile (once; CoreDNS's
// reload plugin picks it up): cert-manager's HTTP-01 self-check then resolves a name of the zone
// to Traefik, as Pebble's validation does.
func forwardZoneToPebbleDNS(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cms := env.Clientset.CoreV1().ConfigMaps("kube-system")
	cm, err := cms.Get(ctx, "coredns", metav1.GetOptions{})
	require.NoError(t, err)
	if strings.Contains(cm.Data["Corefile"], edgeZone+":53") {
		return
	}
	cm.Data["Corefile"] += fmt.Sprintf("%s:53 {\n    errors\n    cache 5\n    forward . %s\n}\n", edgeZone, pebbleDNS)
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	require.NoError(t, err)
	t.Logf("CoreDNS forwards %s to Pebble's DNS %s", edgeZone, pebbleDNS)
}

// pebbleRoots is the pool of Pebble's current issuing root (Pebble makes a new one each start),
// read from its management API over HTTPS verified against the CA Pebble's certificate chains to.
func (e *edgeInfra) pebbleRoots(t *testing.T) *x509.CertPool {
	t.Helper()
	ca := x509.NewCertPool()
	require.True(t, ca.AppendCertsFromPEM(e.pebbleCA))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: pebbleName, RootCAs: ca, MinVersion: tls.VersionTLS12}}}
	resp, err := client.Get("https://" + e.pebbleManagement + "/roots/0")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	block, _ := pem.Decode(body)
	require.NotNil(t, block, "Pebble's root is PEM")
	root, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	t.Logf("Pebble's issuing root: %q", root.Subject.CommonName)
	return pool
}

// client is an HTTP client that reaches host through Traefik's node ports (port 80 → web, 443 →
// websecure), trusts only roots, and never follows redirects.
func (e *edgeInfra) client(host string, roots *x509.CertPool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				switch addr {
				case host + ":80":
					addr = e.http
				case host + ":443":
					addr = e.https
				}
				return dialer.DialContext(ctx, network, addr)
			},
			TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true, // each request a new connection: Traefik balances per request either way
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// edgeRelease is what an edge suite has once its release is installed behind Traefik and its
// certificate issued: a client that reaches the host only through Traefik and trusts only Pebble's
// root, and a token the gateway accepts.
type edgeRelease struct {
	ns, host, base, token string
	client                *http.Client
}

// installBehindTraefik installs the umbrella (without backing services) into a new namespace with
// the edge values for host (edgeValues, a YAML fragment under global.edge) and an ACME issuer on
// Pebble solving HTTP-01 through http01 (a YAML fragment), waits for the certificate and for
// Traefik to serve it, and checks what every edge mode must do: the SAN and issuer, `/` → the
// frontend, `/api/users/` → users with a token and 401 without, and plain HTTP → a permanent
// redirect to the same URL over HTTPS.
func installBehindTraefik(t *testing.T, e *edgeInfra, suite, edgeValues, http01, extra string) *edgeRelease {
	t.Helper()
	r := &edgeRelease{ns: namespace(t, suite)}
	r.host = r.ns + "." + edgeZone
	r.base = "https://" + r.host
	values := valuesFile(t, "edge.yaml", fmt.Sprintf(`global:
  domain: %s
  edge:
%s
cert-issuer:
  enabled: true
  mode: acme
  acme:
    server: %s
    email: ops@%s
    caBundle: |
%s
    http01: %s
%s`, r.host, indent(edgeValues, "    "), pebbleACMEURL, edgeZone, indent(string(e.pebbleCA), "      "), http01, extra))
	installRelease(t, r.ns, suite, withoutBackingServices(t, r.ns), values)

	// The certificate: an ACME order to Pebble, solved by HTTP-01 through Traefik.
	kubectl := k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, r.ns)
	kubectl.Logger = logger.Discard
	issued := kube.Wait(t, kube.WaitOptions{What: "Certificate stack-cert-issuer-edge Ready (ACME HTTP-01 via Pebble)", Timeout: 5 * time.Minute, Interval: 2 * time.Second}, func(context.Context) (bool, string, error) {
		out, err := k8s.RunKubectlAndGetOutputE(t, kubectl, "get", "certificate", "stack-cert-issuer-edge", "-o",
			`jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}`)
		if err != nil {
			return false, err.Error(), nil
		}
		challenges, _ := k8s.RunKubectlAndGetOutputE(t, kubectl, "get", "challenges", "-o", `jsonpath={range .items[*]}{.spec.type} {.status.state} {.status.reason}; {end}`)
		return strings.HasPrefix(out, "True"), out + " | challenges: " + challenges, nil
	})
	progress(t, "%s: ACME certificate for %s issued by Pebble through Traefik (HTTP-01) %s after the install", suite, r.host, issued.Round(time.Second))

	r.client = e.client(r.host, e.pebbleRoots(t))
	var leaf *x509.Certificate
	kube.Wait(t, kube.WaitOptions{What: "Traefik serving the issued certificate for " + r.host, Timeout: time.Minute, Interval: time.Second}, func(context.Context) (bool, string, error) {
		resp, err := r.client.Get(r.base + "/")
		if err != nil {
			return false, err.Error(), nil
		}
		resp.Body.Close()
		leaf = resp.TLS.PeerCertificates[0]
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	})
	assert.Equal(t, []string{r.host}, leaf.DNSNames, "the SAN is the release's host")
	assert.Contains(t, leaf.Issuer.CommonName, "Pebble", "issued by Pebble")
	progress(t, "%s: %s serves %v issued by %q; the client trusts only Pebble's root", suite, r.host, leaf.DNSNames, leaf.Issuer.CommonName)

	// Routes: / → the frontend, /api/users/ → users with a token, 401 without.
	resp, body := r.get(t, r.base+"/", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "stack frontend", "/ is the frontend")
	r.token = jwtHS256(devJWTKey, map[string]any{"name": "alice", "iss": "podinfo", "exp": time.Now().Add(time.Hour).Unix()})
	resp, body = r.get(t, r.base+"/api/users/", r.token)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Regexp(t, `"hostname":\s*"stack-users-`, body, "/api/users/ reaches the users service")
	resp, _ = r.get(t, r.base+"/api/users/", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no token: the gateway refuses")
	progress(t, "%s: / → frontend, /api/users/ → users with a token, 401 without", suite)

	// Plain HTTP: a permanent redirect to the same URL over HTTPS.
	resp, _ = r.get(t, "http://"+r.host+"/api/users/?x=1", "")
	assert.Contains(t, []int{http.StatusMovedPermanently, http.StatusPermanentRedirect}, resp.StatusCode, "HTTP is redirected")
	assert.Equal(t, "https://"+r.host+"/api/users/?x=1", resp.Header.Get("Location"))
	progress(t, "%s: http://%s/api/users/?x=1 → %d %s", suite, r.host, resp.StatusCode, resp.Header.Get("Location"))
	return r
}

// get sends one GET through the edge and returns the response and its body.
func (r *edgeRelease) get(t *testing.T, url, token string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := r.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func needsEdge(t *testing.T) {
	t.Helper()
	needsAddon(t, "cert-manager")
	if env.Mode != cluster.AirGap {
		t.Skip("Traefik and Pebble run from the air-gapped substrate's images (make images): image mode is " + env.Mode)
	}
}

// TestTheIngressEdgeThroughTraefikWithACMEFromPebble is the seeds' edge, live: Traefik serves the
// release's Ingress (`/` → the frontend, `/api` → the gateway) with a certificate cert-manager got
// from an ACME server (Pebble) by HTTP-01 through that same Ingress class, plain HTTP is
// redirected to HTTPS, the gateway's pods are sticky by cookie, and behind Traefik each client
// has its own rate-limit bucket at the gateway. Every request comes from outside the cluster
// (or, for the rate limit, from two pods) through the controller, under the default deny.
func TestTheIngressEdgeThroughTraefikWithACMEFromPebble(t *testing.T) {
	parallel(t)
	needsEdge(t)
	suite := time.Now()
	e := installEdge(t)
	// The gateway believes X-Forwarded-For from the controller's pod only.
	r := installBehindTraefik(t, e, "edge", `mode: ingress
affinity: {enabled: true, cookieName: stack-affinity}
ingress: {className: traefik, controller: traefik, controllerNamespace: traefik}
trustedProxyCIDRs: [`+e.traefikPod+`/32]`, "{ingressClassName: traefik}", `gateway:
  servedByHeader: X-Served-By
  rateLimit: {requestsPerSecond: 1, burst: 15}
`)
	t.Run("CookieAffinityToTheGatewayPods", func(t *testing.T) { cookieAffinity(t, r) })
	t.Run("EachClientHasItsOwnRateLimitBucket", func(t *testing.T) { clientBuckets(t, e, r) })
	progress(t, "edge: suite wall time %s", time.Since(suite).Round(100*time.Millisecond))
}

// cookieAffinity: without the affinity cookie requests spread over the gateway pods (the gateway
// says which pod answered), with it they all reach one.
func cookieAffinity(t *testing.T, r *edgeRelease) {
	served := func(cookies ...*http.Cookie) (map[string]int, *http.Cookie) {
		pods := map[string]int{}
		var sticky *http.Cookie
		for i := 0; i < 6; i++ { // few enough to stay within one pod's burst for this host's address
			resp, body := r.get(t, r.base+"/api/users/", r.token, cookies...)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			pods[resp.Header.Get("X-Served-By")]++
			for _, c := range resp.Cookies() {
				if c.Name == "stack-affinity" && sticky == nil {
					sticky = c
					assert.True(t, c.Secure, "the affinity cookie is Secure")
					assert.True(t, c.HttpOnly, "and HttpOnly")
				}
			}
		}
		return pods, sticky
	}
	spread, cookie := served()
	require.NotNil(t, cookie, "Traefik sets the affinity cookie")
	assert.GreaterOrEqual(t, len(spread), 2, "without the cookie requests reach both gateway pods: %v", spread)
	stuck, _ := served(cookie)
	assert.Len(t, stuck, 1, "with the cookie every request reaches one gateway pod: %v", stuck)
	progress(t, "edge: without the affinity cookie %v, with it %v", spread, stuck)
}

// clientBuckets: two clients in their own pods, through Traefik. One floods past the gateway's
// rate limit; the other, right after, is still served: each has its own bucket because the
// gateway keys on the address Traefik forwards, not on Traefik's own. The second one claims
// another address in X-Forwarded-For: Traefik does not pass a client's claim on, so the gateway
// still sees the pod.
func clientBuckets(t *testing.T, e *edgeInfra, r *edgeRelease) {
	ns, host, token := r.ns, r.host, r.token
	clientsNS := namespace(t, "edgeclients")
	curl := env.Images["curl"]
	require.NotEmpty(t, curl, "the curl workload image")
	flood, calm := restrictedPod("flood", nil), restrictedPod("calm", nil)
	for _, p := range []*corev1.Pod{flood, calm} {
		p.Spec.Containers[0].Image = curl
		p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "TOKEN", Value: token}, {Name: "HOME", Value: "/tmp"}}
	}
	a, b := &kube.Client{Namespace: clientsNS, Pod: flood}, &kube.Client{Namespace: clientsNS, Pod: calm}
	kube.StartClients(t, env.RESTConfig, env.Clientset, a, b)
	// loops × n requests, the loops side by side: a flood outpaces the limit (1 r/s, burst 15 per
	// gateway pod) however busy the node is.
	script := func(loops, n int, header string) string {
		return fmt.Sprintf(`for j in $(seq %d); do (for i in $(seq %d); do curl -sk -o /dev/null -w '%%{http_code}\n' --resolve %s:443:%s -H "Authorization: Bearer $TOKEN" -H '%s' https://%s/api/users/; done) & done | sort | uniq -c`,
			loops, n, host, traefikIP, header, host)
	}
	const spoofed = "203.0.113.9"
	floodCodes := statusCounts(t, a.Run(t, script(4, 30, "X-Stack-Client: flood")).Stdout)
	calmCodes := statusCounts(t, b.Run(t, script(1, 5, "X-Forwarded-For: "+spoofed)).Stdout)
	progress(t, "edge: through Traefik the flooding client got %v, the other one right after %v", floodCodes, calmCodes)
	assert.Positive(t, floodCodes["429"], "the flooding client is rate limited")
	assert.Equal(t, map[string]int{"200": 5}, calmCodes, "the other client has its own bucket")
	logs := gatewayLogs(t, ns)
	assert.Contains(t, logs, `"remote_addr":"`+podIP(t, clientsNS, "flood")+`"`, "the gateway logs the client's address, not Traefik's")
	assert.Contains(t, logs, `"remote_addr":"`+podIP(t, clientsNS, "calm")+`"`)
	assert.NotContains(t, logs, `"remote_addr":"`+spoofed+`"`, "a client's own X-Forwarded-For is not believed")
	assert.NotContains(t, logs, `"remote_addr":"`+e.traefikPod+`"`, "no request is taken for Traefik's")
}

var statusLine = regexp.MustCompile(`^\s*(\d+)\s+(\d{3})\s*$`)

// statusCounts parses `sort | uniq -c` output of HTTP status codes.
func statusCounts(t *testing.T, out string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := statusLine.FindStringSubmatch(line)
		require.NotNil(t, m, "a status count line: %q (output %q)", line, out)
		var n int
		_, _ = fmt.Sscan(m[1], &n)
		counts[m[2]] = n
	}
	return counts
}

func podIP(t *testing.T, ns, name string) string {
	t.Helper()
	p, err := env.Clientset.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return p.Status.PodIP
}

// gatewayLogs is the nginx containers' logs of every gateway pod.
func gatewayLogs(t *testing.T, ns string) string {
	t.Helper()
	ctx := context.Background()
	pods, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=gateway"})
	require.NoError(t, err)
	require.NotEmpty(t, pods.Items, "gateway pods")
	var all strings.Builder
	for _, p := range pods.Items {
		raw, err := env.Clientset.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: "nginx"}).DoRaw(ctx)
		require.NoError(t, err)
		all.Write(raw)
	}
	return all.String()
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// TestTheGatewayAPIEdgeThroughTraefikWithACMEFromPebble: the same release behind a Gateway the
// chart creates (GatewayClass traefik; listeners on Traefik's entry point ports) and its
// HTTPRoutes, HTTP → HTTPS by the chart's RequestRedirect route, and the certificate from
// cert-manager's Gateway API HTTP-01 solver (an HTTPRoute on the Gateway's http listener).
func TestTheGatewayAPIEdgeThroughTraefikWithACMEFromPebble(t *testing.T) {
	parallel(t)
	needsEdge(t)
	suite := time.Now()
	e := installEdge(t)
	r := installBehindTraefik(t, e, "gwapi", `mode: gateway-api
gatewayAPI: {create: true, className: traefik, controllerNamespace: traefik, ports: {http: 8000, https: 8443}}`,
		"{gatewayParentRef: {name: stack-edge, sectionName: http}}", "")
	gw, err := dynamic.NewForConfig(env.RESTConfig)
	require.NoError(t, err)
	g, err := gw.Resource(schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}).Namespace(r.ns).Get(context.Background(), "stack-edge", metav1.GetOptions{})
	require.NoError(t, err)
	listeners, _, _ := unstructured.NestedSlice(g.Object, "status", "listeners")
	var programmed []string
	for _, l := range listeners {
		lm := l.(map[string]any)
		conds, _, _ := unstructured.NestedSlice(lm, "conditions")
		for _, c := range conds {
			if cm := c.(map[string]any); cm["type"] == "Programmed" && cm["status"] == "True" {
				programmed = append(programmed, fmt.Sprint(lm["name"]))
			}
		}
	}
	sort.Strings(programmed)
	assert.Equal(t, []string{"http", "https"}, programmed, "Traefik programmed both listeners of the chart's Gateway")
	progress(t, "gwapi: suite wall time %s (Gateway listeners programmed: %v)", time.Since(suite).Round(100*time.Millisecond), programmed)
}
