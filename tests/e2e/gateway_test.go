//go:build e2e

package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// devJWTKey is the dev profile's signing key (charts/stack/profiles/dev.yaml): the test mints
// tokens with it to prove what the gateway refuses.
const devJWTKey = "dev-only-jwt-signing-key-change-me"

func jwtHS256(key string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims)
	payload := header + "." + enc.EncodeToString(body)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(payload))
	return payload + "." + enc.EncodeToString(mac.Sum(nil))
}

// The gateway suite, from the test process through a port-forward to the gateway Service:
// a token from the auth service lets protected routes through and each /api/<svc>/ reaches its
// service; no, tampered, wrongly signed and expired tokens get 401; public routes need none; above
// the burst the rate limit answers 429; X-Request-ID is echoed or generated.
// gatewaySuite runs against the shared dev-profile umbrella (TestTheDevProfileUmbrella), whose
// rate limit it lowers: the dev profile's 50 rps + 100 burst per gateway pod is more than a
// port-forward delivers on a busy 2-core node (a run beside other suites pushed 480 requests at
// 32 rps and saw no 429). 2 rps + 20 burst per pod stays above the dozen requests before the
// burst test and below any rate the burst test reaches.
func gatewaySuite(t *testing.T, ns string) {
	release := "stack"
	base := "http://" + waitTunnel(t, ns, release+"-gateway", 80)
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(method, path, token string, hdr map[string]string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader("alice"))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}

	code, _, body := do(http.MethodPost, "/api/auth/token", "", nil)
	require.Equal(t, 200, code, "the token path is public: %s", body)
	var tok struct{ Token string }
	require.NoError(t, json.Unmarshal([]byte(body), &tok))
	require.NotEmpty(t, tok.Token)

	// Each route reaches its own service: podinfo answers with its pod's hostname.
	for _, svc := range []string{"users", "orders", "auth"} {
		code, _, body := do(http.MethodGet, "/api/"+svc+"/", tok.Token, nil)
		require.Equal(t, 200, code, "/api/%s/ with a token: %s", svc, body)
		var info struct{ Hostname string }
		require.NoError(t, json.Unmarshal([]byte(body), &info))
		require.True(t, strings.HasPrefix(info.Hostname, release+"-"+svc+"-"), "/api/%s/ answered by %s", svc, info.Hostname)
		progress(t, "gateway: /api/%s/ with a token -> 200 from pod %s", svc, info.Hostname)
	}
	parts := strings.Split(tok.Token, ".")
	sig := []byte(parts[2])
	sig[len(sig)/2] ^= 1
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	now := time.Now().Unix()
	refused := map[string]string{
		"no token":                        "",
		"a tampered token":                tampered,
		"a token signed with another key": jwtHS256("not-the-key", map[string]any{"name": "mallory", "iss": "podinfo", "exp": now + 600}),
		"an expired token":                jwtHS256(devJWTKey, map[string]any{"name": "alice", "iss": "podinfo", "exp": now - 3600}),
		"another issuer":                  jwtHS256(devJWTKey, map[string]any{"name": "alice", "iss": "elsewhere", "exp": now + 600}),
	}
	for what, token := range refused {
		code, hdr, _ := do(http.MethodGet, "/api/users/", token, nil)
		require.Equal(t, 401, code, "%s must be refused", what)
		require.Contains(t, hdr.Get("WWW-Authenticate"), "Bearer", what)
	}
	fresh := jwtHS256(devJWTKey, map[string]any{"name": "alice", "iss": "podinfo", "exp": now + 600})
	code, _, _ = do(http.MethodGet, "/api/users/", fresh, nil)
	require.Equal(t, 200, code, "a valid token minted with the same key passes (the refusals above are about the token, not the route)")
	progress(t, "gateway: no / tampered / foreign-key / expired / wrong-issuer tokens -> 401; a valid one -> 200")

	code, _, _ = do(http.MethodGet, "/", "", nil)
	require.Equal(t, 200, code, "the public frontend route needs no token")

	code, hdr, _ := do(http.MethodGet, "/healthz", "", map[string]string{"X-Request-ID": "e2e-trace-42"})
	require.Equal(t, 200, code)
	require.Equal(t, "e2e-trace-42", hdr.Get("X-Request-ID"), "a client's request id is echoed")
	_, hdr, _ = do(http.MethodGet, "/healthz", "", nil)
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), hdr.Get("X-Request-ID"), "a request id is generated")

	// Above rate + burst (2 rps + 20 per pod, set above) the gateway answers 429.
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				req, _ := http.NewRequest(http.MethodGet, base+"/api/users/", nil)
				req.Header.Set("Authorization", "Bearer "+fresh)
				resp, err := client.Do(req)
				if err != nil {
					other.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					ok.Add(1)
				case 429:
					limited.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	progress(t, "gateway: 480 requests at once: %d × 200, %d × 429, %d other", ok.Load(), limited.Load(), other.Load())
	require.Positive(t, limited.Load(), "above the burst some requests get 429")
	require.Positive(t, ok.Load())
	require.Zero(t, other.Load())
}
