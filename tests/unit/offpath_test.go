package unit

import (
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/stack-charts/stack/tests/render"
)

// egressOnPort returns the egress rules of a NetworkPolicy that open the given TCP port.
func egressOnPort(np *networkingv1.NetworkPolicy, port int) []networkingv1.NetworkPolicyEgressRule {
	var out []networkingv1.NetworkPolicyEgressRule
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			if p.Port != nil && p.Port.IntValue() == port {
				out = append(out, r)
			}
		}
	}
	return out
}

// Issue 12, item 1: an external dependency (its host set, its chart off) is reachable under the
// default deny: by the CIDRs or peers given, else any address on its port; an in-release one stays
// limited to its pods.
func TestAnExternalDependencyIsReachableOnItsPortUnderTheDefaultDeny(t *testing.T) {
	t.Parallel()
	external := func(mysql map[string]any) *render.Result {
		return render.Render(t, chart("stack"), stackOpts(map[string]any{
			"mysql":  map[string]any{"enabled": false},
			"global": map[string]any{"dependencies": map[string]any{"mysql": mysql}},
		}))
	}
	// No CIDRs: any address on 3306 (a NetworkPolicy cannot name db.example.com).
	r := external(map[string]any{"host": "db.example.com", "secretName": "rds-app"})
	users := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-users")
	rules := egressOnPort(users, 3306)
	require.Len(t, rules, 1, "users may reach its external MySQL on 3306")
	assert.Empty(t, rules[0].To, "to any address")
	redis := egressOnPort(users, 6379)
	require.Len(t, redis, 1)
	require.Len(t, redis[0].To, 1)
	assert.Equal(t, "redis", redis[0].To[0].PodSelector.MatchLabels["app.kubernetes.io/name"], "the in-release Redis stays limited to its pods")
	assert.Empty(t, egressOnPort(render.Get[*networkingv1.NetworkPolicy](t, r, "shop-mailer"), 3306), "an app that does not use MySQL gets no egress to it")
	ns := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-uses-mysql")
	assert.Empty(t, egressOnPort(ns, 3306)[0].To, "the namespace's client flow follows the external dependency")
	env := map[string]string{}
	for _, c := range render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Spec.Containers[0].Env {
		env[c.Name] = c.Value
	}
	assert.Equal(t, "db.example.com", env["MYSQL_HOST"])

	// CIDRs and peers: exactly those.
	r = external(map[string]any{"host": "db.example.com", "cidrs": []any{"10.20.0.0/16", "10.21.0.0/16"},
		"peers": []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "databases"}}}}})
	rules = egressOnPort(render.Get[*networkingv1.NetworkPolicy](t, r, "shop-users"), 3306)
	require.Len(t, rules, 1)
	require.Len(t, rules[0].To, 3)
	assert.Equal(t, "10.20.0.0/16", rules[0].To[0].IPBlock.CIDR)
	assert.Equal(t, "10.21.0.0/16", rules[0].To[1].IPBlock.CIDR)
	assert.Equal(t, "databases", rules[0].To[2].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])

	// In the release (the default): the MySQL pods only.
	rules = egressOnPort(render.Get[*networkingv1.NetworkPolicy](t, render.Render(t, chart("stack"), stackOpts(nil)), "shop-users"), 3306)
	require.Len(t, rules, 1)
	require.Len(t, rules[0].To, 1)
	assert.Equal(t, "mysql", rules[0].To[0].PodSelector.MatchLabels["app.kubernetes.io/name"])
}

// edgePolicy is the single ingress rule of the edge's policy for one app.
func edgePolicy(t *testing.T, r *render.Result, svc string) networkingv1.NetworkPolicyIngressRule {
	t.Helper()
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-edge-to-"+svc)
	assert.Equal(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, np.Spec.PolicyTypes, "adds to the app's own policy, restricts no egress")
	assert.Equal(t, svc, np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"])
	require.Len(t, np.Spec.Ingress, 1)
	return np.Spec.Ingress[0]
}

// Issue 12, item 2: every app the edge routes to admits the edge's sources under the default deny
// (the frontend admitted only the gateway, its callers and the scraper before).
func TestTheEdgeReachesEveryAppItRoutesTo(t *testing.T) {
	t.Parallel()
	// nodeport: any source, on the gateway's and the frontend's http ports.
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "nodeport"}}}))
	for _, svc := range []string{"gateway", "frontend"} {
		rule := edgePolicy(t, r, svc)
		assert.Empty(t, rule.From, "%s: node-port traffic comes from any address", svc)
		require.Len(t, rule.Ports, 1)
		assert.Equal(t, intstr.FromString("http"), *rule.Ports[0].Port)
	}

	// ingress: the controller's namespace (ingress-nginx by default, or the one given).
	for ns, vals := range map[string]map[string]any{
		"ingress-nginx": {"mode": "ingress", "host": "a.test"},
		"traefik":       {"mode": "ingress", "host": "a.test", "ingress": map[string]any{"controllerNamespace": "traefik"}},
	} {
		r := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": vals}}))
		for _, svc := range []string{"gateway", "frontend"} {
			rule := edgePolicy(t, r, svc)
			require.Len(t, rule.From, 1)
			assert.Equal(t, ns, rule.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"], svc)
		}
	}

	// gateway-api: the Gateway's namespace, or the proxies' own; a path's targetPort.
	gw := map[string]any{"mode": "gateway-api", "host": "a.test", "gatewayAPI": map[string]any{"gatewayName": "shared", "gatewayNamespace": "gateways"},
		"paths": []any{map[string]any{"path": "/", "service": "frontend", "port": 80, "targetPort": 9898}}}
	r = render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": gw}}))
	rule := edgePolicy(t, r, "frontend")
	assert.Equal(t, "gateways", rule.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	assert.Equal(t, intstr.FromInt32(9898), *rule.Ports[0].Port)
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](r, "shop-edge-to-gateway"), "only the routed apps")
	gw["gatewayAPI"].(map[string]any)["controllerNamespace"] = "envoy-gateway-system"
	r = render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": gw}}))
	assert.Equal(t, "envoy-gateway-system", edgePolicy(t, r, "frontend").From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])

	// Explicit sources win.
	r = render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test",
		"sources": []any{map[string]any{"ipBlock": map[string]any{"cidr": "192.0.2.0/24"}}}}}}))
	assert.Equal(t, "192.0.2.0/24", edgePolicy(t, r, "frontend").From[0].IPBlock.CIDR)

	// No edge, no edge policies.
	none := render.Render(t, chart("stack"), stackOpts(nil))
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](none, "shop-edge-to-frontend"))

	// ACME HTTP-01: the controller reaches the solver pod cert-manager starts in the namespace.
	acme := func(edge map[string]any, http01 bool) *render.Result {
		return render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": edge},
			"cert-issuer": map[string]any{"enabled": true, "mode": "acme", "certificate": map[string]any{"hosts": []any{"a.test"}}, "acme": map[string]any{"email": "ops@example.com", "http01": map[string]any{"enabled": http01, "ingressClassName": "traefik"},
				"dns01": map[string]any{"provider": "cloudflare", "cloudflare": map[string]any{"apiTokenSecretRef": map[string]any{"name": "cf"}}}}}}))
	}
	solver := render.Get[*networkingv1.NetworkPolicy](t, acme(map[string]any{"mode": "ingress", "host": "a.test", "ingress": map[string]any{"controllerNamespace": "traefik"}}, true), "shop-edge-to-acme-solver")
	assert.Equal(t, map[string]string{"acme.cert-manager.io/http01-solver": "true"}, solver.Spec.PodSelector.MatchLabels)
	require.Len(t, solver.Spec.Ingress, 1)
	assert.Equal(t, intstr.FromInt32(8089), *solver.Spec.Ingress[0].Ports[0].Port)
	assert.Equal(t, "traefik", solver.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](acme(map[string]any{"mode": "ingress", "host": "a.test"}, false), "shop-edge-to-acme-solver"), "DNS-01 only: no solver pod")
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](acme(map[string]any{"mode": "nodeport"}, true), "shop-edge-to-acme-solver"), "no controller to route the challenge")
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test"}}})), "shop-edge-to-acme-solver"), "selfsigned")
}

// Issue 12, item 3: behind an ingress or Gateway API controller the gateway believes the
// controller's X-Forwarded-For (so the rate limit keys on each client); with no proxy in front
// (nodeport, none) it believes no header; its own realIP.trustedCIDRs wins.
func TestTheGatewayTrustsTheEdgeProxyOnlyWhenOneIsInFront(t *testing.T) {
	t.Parallel()
	conf := func(vals map[string]any) string {
		vals["routes"] = []any{route("/api/users/", "users")}
		vals["auth"] = map[string]any{"enabled": false, "mode": "jwt"}
		return configMapData(t, render.Render(t, chart("gateway"), render.Options{ReleaseName: "shop", Values: vals}), "shop-gateway", "nginx.conf.template")
	}
	edge := func(mode string) map[string]any {
		return map[string]any{"global": map[string]any{"edge": map[string]any{"mode": mode, "trustedProxyCIDRs": []any{"10.0.0.0/8", "fc00::/7"}}}}
	}
	for _, mode := range []string{"ingress", "gateway-api"} {
		c := conf(edge(mode))
		assert.Contains(t, c, "set_real_ip_from 10.0.0.0/8;", mode)
		assert.Contains(t, c, "set_real_ip_from fc00::/7;", mode)
		assert.Contains(t, c, "real_ip_header X-Forwarded-For;", mode)
	}
	for _, mode := range []string{"nodeport", "none"} {
		assert.NotContains(t, conf(edge(mode)), "real_ip_header", mode)
	}
	own := edge("ingress")
	own["realIP"] = map[string]any{"trustedCIDRs": []any{"10.42.0.0/16"}}
	c := conf(own)
	assert.Contains(t, c, "set_real_ip_from 10.42.0.0/16;")
	assert.NotContains(t, c, "set_real_ip_from 10.0.0.0/8;")

	// The umbrella passes its default (the private ranges) when the edge is an ingress.
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test"}}}))
	c = configMapData(t, r, "shop-gateway", "nginx.conf.template")
	for _, cidr := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"} {
		assert.Contains(t, c, "set_real_ip_from "+cidr+";")
	}
	assert.NotContains(t, configMapData(t, render.Render(t, chart("stack"), stackOpts(nil)), "shop-gateway", "nginx.conf.template"), "set_real_ip_from")
	// A user narrows it to the controller's pod CIDR.
	r = render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "gateway-api", "host": "a.test",
		"gatewayAPI": map[string]any{"gatewayName": "shared"}, "trustedProxyCIDRs": []any{"10.244.0.0/16"}}}}))
	c = configMapData(t, r, "shop-gateway", "nginx.conf.template")
	assert.Contains(t, c, "set_real_ip_from 10.244.0.0/16;")
	assert.NotContains(t, c, "set_real_ip_from 10.0.0.0/8;")
}

// clientFrom is an HTTP client whose connections leave from a given local address (any of
// 127.0.0.0/8 is this host's loopback).
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// Issue 12, item 3, live: the gateway behind a proxy at 127.0.0.1 (trusted as the edge's proxy)
// gives two clients with distinct X-Forwarded-For separate buckets; from 127.0.0.2 (not a trusted
// proxy) the header is ignored and every request shares that address's bucket.
func TestBehindTheEdgeProxyEachClientHasItsOwnRateLimitBucket(t *testing.T) {
	t.Parallel()
	base := liveGateway(t, map[string]any{"auth": map[string]any{"enabled": false, "mode": "jwt"},
		"rateLimit": map[string]any{"requestsPerSecond": 1, "burst": 2},
		"global":    map[string]any{"edge": map[string]any{"mode": "ingress", "trustedProxyCIDRs": []any{"127.0.0.1/32"}}}})
	send := func(from, xff string, n int) map[int]int {
		codes := map[int]int{}
		c := clientFrom(from)
		for i := 0; i < n; i++ {
			req, err := http.NewRequest(http.MethodGet, base+"/api/echo/", nil)
			require.NoError(t, err)
			req.Header.Set("X-Forwarded-For", xff)
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			codes[resp.StatusCode]++
		}
		return codes
	}
	// Through the proxy: alice spends her bucket; bob's is untouched.
	alice := send("127.0.0.1", "198.51.100.7", 5)
	assert.Equal(t, 3, alice[http.StatusOK], "alice: rate 1/s + burst 2: %v", alice)
	assert.Equal(t, 2, alice[http.StatusTooManyRequests], "alice: %v", alice)
	bob := send("127.0.0.1", "198.51.100.8", 3)
	assert.Equal(t, 3, bob[http.StatusOK], "bob has his own bucket behind the same proxy: %v", bob)
	// A forged header from an address that is not a trusted proxy is ignored: each request claims
	// a new client, all share 127.0.0.2's bucket.
	forged := map[int]int{}
	for _, xff := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"} {
		for code, n := range send("127.0.0.2", xff, 1) {
			forged[code] += n
		}
	}
	assert.Equal(t, 3, forged[http.StatusOK], "the untrusted client's forged addresses share one bucket: %v", forged)
	assert.Equal(t, 2, forged[http.StatusTooManyRequests], "%v", forged)
}

// Issue 12, item 4: the monitoring namespace outlives the release (Helm keep, Argo CD
// Prune=false,Delete=false), so its Prometheus and Grafana volumes do; "" lets uninstall delete it.
// The prod profile leaves the namespace to the operator (created with its Secrets before the
// first install, as the stack README says).
func TestTheMonitoringNamespaceIsKeptOnUninstall(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}}}}))
	ns := render.Get[*corev1.Namespace](t, r, "prod-monitoring")
	assert.Equal(t, "keep", ns.Annotations["helm.sh/resource-policy"])
	assert.Equal(t, "Prune=false,Delete=false", ns.Annotations["argocd.argoproj.io/sync-options"])
	r = render.Render(t, chart("stack"), stackOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}}, "namespace": map[string]any{"resourcePolicy": ""}}}))
	assert.NotContains(t, render.Get[*corev1.Namespace](t, r, "prod-monitoring").Annotations, "helm.sh/resource-policy")

	prod := shopProdRender(t)
	assert.Equal(t, 0, prod.Count("Namespace"), "prod: the namespace and its Secrets exist before the install")
}

// Issue 12, item 5: whatever Helm keeps, Argo CD neither prunes nor deletes — every object of
// every profile and chart that carries helm.sh/resource-policy: keep carries the Argo CD sync
// options too.
func TestEveryKeptObjectIsAlsoKeptFromArgoCDPrunes(t *testing.T) {
	t.Parallel()
	renders := map[string]*render.Result{
		"dev":  render.Render(t, chart("stack"), stackOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}, "persistence": map[string]any{"enabled": true}}}})),
		"prod": shopProdRender(t),
	}
	kept := 0
	for name, r := range renders {
		for _, o := range r.Objects {
			m, err := meta.Accessor(o.Obj)
			require.NoError(t, err)
			if m.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
				continue
			}
			kept++
			assert.Equal(t, "Prune=false,Delete=false", m.GetAnnotations()["argocd.argoproj.io/sync-options"], "%s: %s %s", name, o.Kind, o.Name)
		}
	}
	assert.GreaterOrEqual(t, kept, 8, "Secrets, the backup PVC, the Grafana PVC and the monitoring namespace")
}
