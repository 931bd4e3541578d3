package unit

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func do(t *testing.T, method, url string, body io.Reader, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// Issue 22: per-route CORS (preflights answered by the gateway before auth, only listed origins
// allowed, credentials), per-route body size (413), a route's own rate limit beside the global one,
// and gzip — on the real nginx the gateway runs.
func TestTheGatewayRoutesHaveTheirOwnCORSBodySizeRateLimitAndGzip(t *testing.T) {
	t.Parallel()
	base := liveGatewayWith(t, map[string]any{
		"auth":      jwtAuth(),
		"rateLimit": map[string]any{"enabled": true, "requestsPerSecond": 100, "burst": 100},
		"gzip":      map[string]any{"enabled": true, "minLength": 10, "compLevel": 6, "types": []any{"application/json", "text/plain"}}, // the echo upstream answers text/plain
	}, map[string]map[string]any{
		"/api/echo/": {
			"cors": map[string]any{"allowOrigins": []any{"https://app.example.com"}, "allowCredentials": true, "maxAge": 300,
				"allowMethods": []any{"GET", "POST"}, "allowHeaders": []any{"Authorization", "Content-Type"}, "exposeHeaders": []any{"X-Request-ID"}},
			"clientMaxBodySize": "1k",
		},
		"/api/auth/": {"rateLimit": map[string]any{"requestsPerSecond": 1, "burst": 2}},
	})
	token := signJWT(t, "HS256", liveJWTKey, map[string]any{"name": "alice", "iss": "podinfo", "exp": 9999999999})

	// A preflight from an allowed origin: 204 with the route's CORS headers, no token needed.
	pre := do(t, http.MethodOptions, base+"/api/echo/orders", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST")
	assert.Equal(t, http.StatusNoContent, pre.StatusCode)
	assert.Equal(t, "https://app.example.com", pre.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", pre.Header.Get("Access-Control-Allow-Credentials"))
	assert.Equal(t, "GET, POST", pre.Header.Get("Access-Control-Allow-Methods"))
	assert.Equal(t, "Authorization, Content-Type", pre.Header.Get("Access-Control-Allow-Headers"))
	assert.Equal(t, "300", pre.Header.Get("Access-Control-Max-Age"))
	assert.NotEmpty(t, pre.Header.Get("X-Request-ID"), "the server's headers too")
	// Another origin gets no Allow-Origin (the browser refuses); the actual request carries it.
	other := do(t, http.MethodOptions, base+"/api/echo/orders", nil, "Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST")
	assert.Empty(t, other.Header.Get("Access-Control-Allow-Origin"))
	got := do(t, http.MethodGet, base+"/api/echo/orders", nil, "Origin", "https://app.example.com", "Authorization", "Bearer "+token)
	assert.Equal(t, http.StatusOK, got.StatusCode)
	assert.Equal(t, "https://app.example.com", got.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "X-Request-ID", got.Header.Get("Access-Control-Expose-Headers"))
	assert.Contains(t, got.Header.Values("Vary"), "Origin")
	denied := do(t, http.MethodGet, base+"/api/echo/orders", nil, "Origin", "https://app.example.com")
	assert.Equal(t, http.StatusUnauthorized, denied.StatusCode, "CORS does not bypass auth")
	assert.Equal(t, "https://app.example.com", denied.Header.Get("Access-Control-Allow-Origin"), "a refusal is readable by the page")
	assert.Contains(t, denied.Header.Get("WWW-Authenticate"), "invalid_token")
	assert.Empty(t, do(t, http.MethodGet, base+"/", nil, "Origin", "https://app.example.com").Header.Get("Access-Control-Allow-Origin"),
		"a route without cors sends none")

	// Body size: 1k on the echo route (413 above), the global default elsewhere.
	small := do(t, http.MethodPost, base+"/api/echo/upload", strings.NewReader(strings.Repeat("x", 512)), "Authorization", "Bearer "+token)
	assert.Equal(t, http.StatusOK, small.StatusCode)
	big := do(t, http.MethodPost, base+"/api/echo/upload", strings.NewReader(strings.Repeat("x", 4096)), "Authorization", "Bearer "+token)
	assert.Equal(t, http.StatusRequestEntityTooLarge, big.StatusCode)
	assert.Equal(t, http.StatusOK, do(t, http.MethodPost, base+"/", strings.NewReader(strings.Repeat("x", 4096))).StatusCode)

	// The auth route's own limit (1/s, burst 2): 3 pass at once, the rest 429; the echo route
	// (global 100/s) is not limited by it.
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		codes[do(t, http.MethodGet, base+"/api/auth/token", nil).StatusCode]++
	}
	assert.Equal(t, 3, codes[http.StatusOK], "%v", codes)
	assert.Equal(t, 5, codes[http.StatusTooManyRequests], "%v", codes)
	for i := 0; i < 8; i++ {
		assert.Equal(t, http.StatusOK, do(t, http.MethodGet, base+"/api/echo/x", nil, "Authorization", "Bearer "+token).StatusCode)
	}

	// gzip for clients that accept it.
	zipped := do(t, http.MethodGet, base+"/api/echo/orders", nil, "Authorization", "Bearer "+token, "Accept-Encoding", "gzip")
	require.Equal(t, "gzip", zipped.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(zipped.Body)
	require.NoError(t, err)
	body, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"path":"/orders"`)
	assert.Empty(t, do(t, http.MethodGet, base+"/api/echo/orders", nil, "Authorization", "Bearer "+token).Header.Get("Content-Encoding"))
}
