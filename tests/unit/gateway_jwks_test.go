package unit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/stack-charts/stack/tests/render"
)

// jwksServer is an identity provider's JWKS endpoint whose key set the test changes (rotation),
// counting its fetches.
type jwksServer struct {
	mu      sync.Mutex
	keys    []map[string]any
	fetches atomic.Int32
	*httptest.Server
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store") // ignored: the gateway's cache times are its own
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(keys ...map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PrivateKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PrivateKey) map[string]any {
	pad := func(i *big.Int) []byte { b := make([]byte, 32); i.FillBytes(b); return b }
	return map[string]any{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(pad(k.X)), "y": b64(pad(k.Y))}
}

// signWith makes an RS256 or ES256 token with a kid.
func signWith(t *testing.T, key crypto.Signer, kid string, claims map[string]any) string {
	t.Helper()
	alg := "RS256"
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		alg = "ES256"
	}
	hdr, _ := json.Marshal(map[string]any{"alg": alg, "typ": "JWT", "kid": kid})
	body, _ := json.Marshal(claims)
	unsigned := b64(hdr) + "." + b64(body)
	digest := sha256.Sum256([]byte(unsigned))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		var err error
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		require.NoError(t, err)
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		require.NoError(t, err)
		sig = make([]byte, 64) // JWS: r || s, 32 bytes each
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return unsigned + "." + b64(sig)
}

// Issue 22: RS256 and ES256 with keys from a JWKS document, as Keycloak, Auth0, Cognito and Spring
// Authorization Server issue them, verified by the real nginx + njs the gateway runs: a valid token
// of each passes; a token signed by another key under a published kid, an unknown kid, another
// audience, an expiry beyond the skew and an HS256 token where only the provider's algorithms are
// accepted are refused; an expiry within the skew passes; a key published after the gateway cached
// the document is fetched when a token names it (rotation without a restart), and tokens with
// made-up kids do not make the gateway fetch the document again within the refresh period.
func TestTheGatewayVerifiesRS256AndES256WithKeysFromAJWKS(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	idp := newJWKSServer(t)
	idp.publish(rsaJWK("r1", rsaKey), ecJWK("e1", ecKey))

	base := liveGateway(t, map[string]any{"rateLimit": map[string]any{"enabled": false}, "auth": map[string]any{
		"mode": "jwt", "publicPaths": []any{},
		"jwt": map[string]any{
			"algorithms": []any{"RS256", "ES256"}, "issuer": "https://idp.example/realms/shop", "audience": "stack-api", "leewaySeconds": 30,
			"jwks":         map[string]any{"uri": idp.URL + "/realms/shop/protocol/openid-connect/certs", "cacheSeconds": 300, "refreshSeconds": 30},
			"claimHeaders": map[string]any{"X-User": "preferred_username"},
		},
	}})
	now := time.Now().Unix()
	claims := func(extra map[string]any) map[string]any {
		c := map[string]any{"preferred_username": "alice", "iss": "https://idp.example/realms/shop", "aud": "stack-api", "exp": now + 60}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	for name, token := range map[string]string{
		"RS256":                      signWith(t, rsaKey, "r1", claims(nil)),
		"ES256":                      signWith(t, ecKey, "e1", claims(nil)),
		"an audience list with ours": signWith(t, rsaKey, "r1", claims(map[string]any{"aud": []any{"account", "stack-api"}})),
		"expired within the skew":    signWith(t, ecKey, "e1", claims(map[string]any{"exp": now - 5})),
	} {
		code, body, _ := get(t, base+"/api/echo/orders", token)
		assert.Equal(t, http.StatusOK, code, name)
		assert.Equal(t, "alice", body["user"], "%s: the claim header reaches the upstream", name)
	}
	for name, token := range map[string]string{
		"signed by another key under kid r1": signWith(t, otherRSA, "r1", claims(nil)),
		"an unknown kid":                     signWith(t, rsaKey, "r9", claims(nil)),
		"an EC token under the RSA kid":      signWith(t, ecKey, "r1", claims(nil)),
		"another audience":                   signWith(t, rsaKey, "r1", claims(map[string]any{"aud": "billing"})),
		"no audience":                        signWith(t, rsaKey, "r1", claims(map[string]any{"aud": nil})),
		"expired beyond the skew":            signWith(t, rsaKey, "r1", claims(map[string]any{"exp": now - 120})),
		"another issuer":                     signWith(t, rsaKey, "r1", claims(map[string]any{"iss": "https://evil.example"})),
		"HS256 (only RS256/ES256 accepted)":  signJWT(t, "HS256", liveJWTKey, claims(nil)),
	} {
		code, _, hdr := get(t, base+"/api/echo/orders", token)
		assert.Equal(t, http.StatusUnauthorized, code, name)
		assert.Contains(t, hdr.Get("WWW-Authenticate"), "invalid_token", name)
	}
	// Cached: one fetch for all of the above, plus at most one for the unknown kid's refresh.
	fetched := idp.fetches.Load()
	assert.LessOrEqual(t, fetched, int32(2), "the document is cached, and an unknown kid refreshes it at most once per period")
	for i := 0; i < 5; i++ {
		code, _, _ := get(t, base+"/api/echo/orders", signWith(t, rsaKey, "made-up-"+string(rune('a'+i)), claims(nil)))
		assert.Equal(t, http.StatusUnauthorized, code)
	}
	assert.LessOrEqual(t, idp.fetches.Load()-fetched, int32(1), "made-up kids do not make the gateway hammer the provider")

	// Rotation: the provider publishes a new key beside the old; a token under it passes at once.
	newKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	idp.publish(rsaJWK("r1", rsaKey), ecJWK("e1", ecKey), rsaJWK("r2", newKey))
	// (The refresh period in which the made-up kids fetched the document may still be cached:
	// the next period fetches again.)
	deadline := time.Now().Add(35 * time.Second)
	var code int
	for time.Now().Before(deadline) {
		code, _, _ = get(t, base+"/api/echo/orders", signWith(t, newKey, "r2", claims(nil)))
		if code == http.StatusOK {
			break
		}
		time.Sleep(time.Second)
	}
	assert.Equal(t, http.StatusOK, code, "a rotated-in key is fetched when a token names it")
	code, _, _ = get(t, base+"/api/echo/orders", signWith(t, rsaKey, "r1", claims(nil)))
	assert.Equal(t, http.StatusOK, code, "the old key still verifies while it is published")
	t.Logf("JWKS fetches: %d (cacheSeconds 300, refreshSeconds 30)", idp.fetches.Load())
}

// The JWKS configuration as rendered: an https provider is verified against auth.jwt.jwks.caFile
// with SNI, both cache periods come from values, nginx accepts the files, the NetworkPolicy lets
// the gateway reach the provider's port, and no HS256 key is asked for when HS256 is not accepted.
func TestTheJWKSConfigurationRenders(t *testing.T) {
	t.Parallel()
	vals := withRoutes([]any{route("/api/users/", "users")}, map[string]any{"auth": map[string]any{"mode": "jwt", "jwt": map[string]any{
		"algorithms": []any{"ES256"}, "audience": "stack-api",
		"jwks": map[string]any{"uri": "https://keycloak.example.com:8443/realms/shop/protocol/openid-connect/certs", "cacheSeconds": 600, "refreshSeconds": 15,
			"caFile": "/etc/ssl/certs/ca-certificates.crt"},
	}}})
	r := render.Render(t, chart("gateway"), render.Options{ReleaseName: "shop", Values: vals})
	files := gatewayFiles(t, r, "shop-gateway")
	conf := files["nginx.conf"]
	for _, want := range []string{
		`set $stack_jwks_uri "https://keycloak.example.com:8443/realms/shop/protocol/openid-connect/certs";`,
		"proxy_cache_valid 200 600s;", "proxy_cache_valid 200 15s;", `proxy_cache_key "jwks-refresh-$arg_period";`,
		"proxy_ssl_verify on;", "proxy_ssl_server_name on;", "proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;",
	} {
		assert.Contains(t, conf, want)
	}
	js := files["jwt.js"]
	assert.Contains(t, js, `var ALGORITHMS = ["ES256"];`)
	assert.Contains(t, js, `var AUDIENCE = "stack-api";`)
	assert.Contains(t, js, `var REFRESH_SECONDS = 15;`)
	requireNginxAccepts(t, files)
	d := render.Get[*appsv1.Deployment](t, r, "shop-gateway")
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		assert.NotEqual(t, "STACK_JWT_SECRET", e.Name, "no HS256 key without HS256")
	}
	assert.Contains(t, egressPorts(render.Get[*networkingv1.NetworkPolicy](t, r, "shop-gateway")), int32(8443), "egress to the provider's port")
}
