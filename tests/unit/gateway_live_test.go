package unit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/tests/render"
)

const liveJWTKey = "unit-test-signing-key"

// signJWT makes an HS256 token (or, with alg "none", an unsigned one).
func signJWT(t *testing.T, alg, key string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	unsigned := enc(map[string]any{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	if alg == "none" {
		return unsigned + "."
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(unsigned))
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// liveGateway renders the gateway chart, starts the host's nginx with the result in front of an
// echo upstream, and returns the gateway's base URL.
func liveGateway(t *testing.T, vals map[string]any) string {
	t.Helper()
	return liveGatewayWith(t, vals, nil)
}

// liveGatewayWith is liveGateway with more fields for some routes (by path).
func liveGatewayWith(t *testing.T, vals map[string]any, routeFields map[string]map[string]any) string {
	t.Helper()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"path": r.URL.Path, "user": r.Header.Get("X-User"), "tenant": r.Header.Get("X-Tenant"), "requestID": r.Header.Get("X-Request-ID"),
			"conn":       r.RemoteAddr, // the gateway's connection (its source port): reused or new
			"connection": r.Header.Get("Connection"),
		})
	}))
	t.Cleanup(upstream.Close)
	upPort := upstream.Listener.Addr().(*net.TCPAddr).Port
	port := freePort(t)
	vals["containerPort"] = port
	vals["metrics"] = map[string]any{"statusPort": freePort(t)}
	routes := []any{
		map[string]any{"path": "/api/echo/", "host": "127.0.0.1", "port": upPort},
		map[string]any{"path": "/api/auth/", "host": "127.0.0.1", "port": upPort},
		map[string]any{"path": "/", "host": "127.0.0.1", "port": upPort, "auth": false, "stripPrefix": false},
	}
	for _, r := range routes {
		for k, v := range routeFields[r.(map[string]any)["path"].(string)] {
			r.(map[string]any)[k] = v
		}
	}
	vals["routes"] = routes
	r := render.Render(t, chart("gateway"), render.Options{ReleaseName: "live", Values: vals})
	dir, err := os.MkdirTemp("", "gateway-live-*")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf := onHost(t, gatewayFiles(t, r, "live-gateway"), dir)

	nginx, err := exec.LookPath("nginx")
	require.NoError(t, err, "nginx is required (make tools installs it)")
	cmd := exec.Command(nginx, "-p", dir, "-e", "stderr", "-c", conf, "-g", "daemon off;")
	cmd.Env = append(os.Environ(), "STACK_JWT_SECRET="+liveJWTKey)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("nginx log:\n%s", logs.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not answer /healthz within 10s (last error %v); nginx log:\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url, token string, headers ...string) (int, map[string]string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	_ = json.Unmarshal(body, &out)
	return resp.StatusCode, out, resp.Header
}

func TestTheGatewayVerifiesJWTsAtTheEdge(t *testing.T) {
	t.Parallel()
	base := liveGateway(t, map[string]any{"auth": jwtAuth(), "rateLimit": map[string]any{"enabled": false}, "servedByHeader": "X-Served-By"})
	now := time.Now().Unix()
	valid := map[string]any{"name": "alice", "tenant": "acme", "iss": "podinfo", "exp": now + 60}
	good := signJWT(t, "HS256", liveJWTKey, valid)

	code, body, hdr := get(t, base+"/api/echo/orders", good, "X-User", "mallory")
	require.Equal(t, http.StatusOK, code)
	host, err := os.Hostname()
	require.NoError(t, err)
	assert.Equal(t, host, hdr.Get("X-Served-By"), "the answering host (in a pod: the pod's name)")
	refusedCode, _, refused := get(t, base+"/api/echo/orders", "")
	assert.Equal(t, http.StatusUnauthorized, refusedCode)
	assert.Equal(t, host, refused.Get("X-Served-By"), "on refusals too")
	assert.Equal(t, "/orders", body["path"], "the route prefix is stripped")
	assert.Equal(t, "alice", body["user"], "the claim reaches the upstream, overwriting the client's header")
	assert.Equal(t, "acme", body["tenant"])
	assert.NotEmpty(t, hdr.Get("X-Request-ID"), "a request id is generated")
	assert.Equal(t, hdr.Get("X-Request-ID"), body["requestID"], "and passed upstream")

	_, body, hdr = get(t, base+"/api/echo/", good, "X-Request-ID", "req-123")
	assert.Equal(t, "req-123", body["requestID"], "a client's request id is kept")
	assert.Equal(t, "req-123", hdr.Get("X-Request-ID"))

	tampered := strings.Split(good, ".")
	claims, _ := json.Marshal(map[string]any{"name": "admin", "tenant": "acme", "iss": "podinfo", "exp": now + 60})
	tampered[1] = base64.RawURLEncoding.EncodeToString(claims)
	for name, token := range map[string]string{
		"no token":        "",
		"garbage":         "not-a-jwt",
		"tampered claims": strings.Join(tampered, "."),
		"wrong key":       signJWT(t, "HS256", "another-key", valid),
		"alg none":        signJWT(t, "none", "", valid),
		"expired":         signJWT(t, "HS256", liveJWTKey, map[string]any{"name": "alice", "iss": "podinfo", "exp": now - 120}),
		"not yet valid":   signJWT(t, "HS256", liveJWTKey, map[string]any{"name": "alice", "iss": "podinfo", "exp": now + 600, "nbf": now + 300}),
		"no expiry":       signJWT(t, "HS256", liveJWTKey, map[string]any{"name": "alice", "iss": "podinfo"}),
		"another issuer":  signJWT(t, "HS256", liveJWTKey, map[string]any{"name": "alice", "iss": "evil", "exp": now + 60}),
	} {
		code, _, hdr := get(t, base+"/api/echo/", token)
		assert.Equal(t, http.StatusUnauthorized, code, name)
		assert.Contains(t, hdr.Get("WWW-Authenticate"), "invalid_token", name)
	}
	within := signJWT(t, "HS256", liveJWTKey, map[string]any{"name": "bob", "iss": "podinfo", "exp": now - 2})
	code, _, _ = get(t, base+"/api/echo/", within)
	assert.Equal(t, http.StatusOK, code, "an expiry within the leeway is accepted")

	code, body, _ = get(t, base+"/api/auth/token", "", "X-User", "mallory")
	assert.Equal(t, http.StatusOK, code, "a public path needs no token")
	assert.Empty(t, body["user"], "and clients cannot forge claim headers there")
	code, _, _ = get(t, base+"/api/auth/other", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the rest of the auth route is protected")
	code, _, _ = get(t, base+"/", "")
	assert.Equal(t, http.StatusOK, code, "a route with auth: false is public")
}

func TestTheGatewayRateLimitAnswers429AboveTheBurst(t *testing.T) {
	t.Parallel()
	base := liveGateway(t, map[string]any{"auth": map[string]any{"enabled": false, "mode": "jwt"},
		"rateLimit": map[string]any{"requestsPerSecond": 1, "burst": 3}})
	codes := map[int]int{}
	for i := 0; i < 10; i++ {
		code, _, _ := get(t, base+"/api/echo/", "")
		codes[code]++
	}
	assert.Equal(t, 4, codes[http.StatusOK], "rate 1/s + burst 3 lets 4 requests through at once: %v", codes)
	assert.Equal(t, 6, codes[http.StatusTooManyRequests], "the rest get 429: %v", codes)
}

func TestTheLiveGatewayRoutesUnmatchedPathsToTheRootRoute(t *testing.T) {
	t.Parallel()
	base := liveGateway(t, map[string]any{"auth": map[string]any{"enabled": false, "mode": "jwt"}, "rateLimit": map[string]any{"enabled": false}})
	code, _, _ := get(t, base+"/nothing-here", "")
	assert.Equal(t, http.StatusOK, code, "/ is routed to the echo upstream in this fixture")
}

// routes[].keepalive, on the real nginx: 20 requests through a route with a pool reach the
// upstream over a connection or two (one per nginx worker that took a request), through a route
// without one over 20 connections.
func TestTheGatewayKeepsUpstreamConnectionsAliveWhereARouteAsks(t *testing.T) {
	t.Parallel()
	base := liveGatewayWith(t, map[string]any{"auth": map[string]any{"enabled": false, "mode": "jwt"}, "rateLimit": map[string]any{"enabled": false}},
		map[string]map[string]any{"/api/echo/": {"keepalive": 8}})
	conns := func(path string) map[string]bool {
		seen := map[string]bool{}
		for i := 0; i < 20; i++ {
			code, body, _ := get(t, base+path, "")
			require.Equal(t, http.StatusOK, code)
			assert.Empty(t, body["connection"], "no Connection: close towards the upstream")
			seen[body["conn"]] = true
		}
		return seen
	}
	pooled, fresh := conns("/api/echo/x"), conns("/api/auth/x")
	assert.LessOrEqual(t, len(pooled), runtime.NumCPU(), "keepalive 8: connections reused, at most one per worker: %v", pooled)
	assert.Len(t, fresh, 20, "no keepalive: one connection per request")
	t.Logf("20 requests: %d upstream connection(s) with routes[].keepalive, %d without", len(pooled), len(fresh))
}

// routes[].resolve on the real nginx with the cluster's DNS gone (the resolver an address nothing
// answers on, as when the DNS pod a gateway's queries are tracked to is evicted): the route
// resolved at start keeps answering, the one resolved per request fails (502).
func TestARouteResolvedAtStartServesWithoutDNS(t *testing.T) {
	t.Parallel()
	base := liveGatewayWith(t, map[string]any{"auth": map[string]any{"enabled": false, "mode": "jwt"}, "rateLimit": map[string]any{"enabled": false},
		"resolver": "127.0.0.1:9", "resolverValid": "1s"},
		map[string]map[string]any{
			"/api/echo/": {"host": "localhost", "resolve": "start"},
			"/api/auth/": {"host": "localhost", "resolve": "request"},
		})
	code, body, _ := get(t, base+"/api/echo/x", "")
	assert.Equal(t, http.StatusOK, code, "resolve: start: localhost resolved when nginx started")
	assert.Equal(t, "/x", body["path"])
	code, _, _ = get(t, base+"/api/auth/x", "")
	assert.Equal(t, http.StatusBadGateway, code, "resolve: request: the name needs the resolver, which does not answer")
}

// flakyService stands for a Service whose rules send the first connections to a pod that went
// away: it resets its first n connections, forwards the others to target, and counts them all.
func flakyService(t *testing.T, target string, n int32) (port int, conns *atomic.Int32) {
	t.Helper()
	conns = &atomic.Int32{}
	port = tcpServer(t, func(c net.Conn) {
		if conns.Add(1) <= n {
			_ = c.(*net.TCPConn).SetLinger(0) // close with a reset, as a stopped pod's address answers
			return
		}
		u, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer u.Close()
		go func() { _, _ = io.Copy(u, c) }()
		_, _ = io.Copy(c, u)
	})
	return port, conns
}

// retries on the real nginx: a route whose first attempt is reset answers 200 on its second try
// through the same "Service" (two connections reached it), one with retries.tries 1 answers 502.
func TestTheGatewayRetriesAFailedAttemptThroughTheService(t *testing.T) {
	t.Parallel()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path})
	}))
	t.Cleanup(echo.Close)
	target := echo.Listener.Addr().String()
	retried, retriedConns := flakyService(t, target, 1)
	single, singleConns := flakyService(t, target, 1)
	base := liveGatewayWith(t, map[string]any{"auth": map[string]any{"enabled": false, "mode": "jwt"}, "rateLimit": map[string]any{"enabled": false}},
		map[string]map[string]any{
			"/api/echo/": {"port": retried, "resolve": "start"},
			"/api/auth/": {"port": single, "resolve": "start", "retries": map[string]any{"tries": 1}},
		})
	code, body, _ := get(t, base+"/api/echo/x", "")
	assert.Equal(t, http.StatusOK, code, "the reset attempt retried")
	assert.Equal(t, "/x", body["path"])
	assert.EqualValues(t, 2, retriedConns.Load(), "two connections: the reset one and the retry")
	code, _, _ = get(t, base+"/api/auth/x", "")
	assert.Equal(t, http.StatusBadGateway, code, "retries.tries 1: the reset attempt is the answer")
	assert.EqualValues(t, 1, singleConns.Load(), "one connection, no retry")
}
