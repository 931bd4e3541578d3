package unit

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stack-charts/stack/tests/render"
)

// The platform pieces: cert-issuer (rendered alone, release "shop" in "prod"), the umbrella's
// edge modes and namespace policy, and monitoring inside the umbrella.

func renderIssuer(t *testing.T, vals map[string]any) *render.Result {
	t.Helper()
	return render.Render(t, chart("cert-issuer"), render.Options{ReleaseName: "shop", Namespace: "prod", Values: vals})
}

func field(t *testing.T, u *unstructured.Unstructured, path ...string) any {
	t.Helper()
	v, ok, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	require.NoError(t, err)
	require.True(t, ok, "%s/%s has no %s", u.GetKind(), u.GetName(), strings.Join(path, "."))
	return v
}

func TestTheSelfSignedModeBuildsACAChainForTheEdgeCertificate(t *testing.T) {
	t.Parallel()
	r := renderIssuer(t, map[string]any{"global": map[string]any{"domain": "shop.example.test"},
		"selfSigned": map[string]any{"caCommonName": "shop dev CA", "caDuration": "43800h"}})
	root := render.Unstructured(t, r, "ClusterIssuer", "prod-shop-cert-issuer-selfsigned")
	assert.Equal(t, map[string]any{}, field(t, root, "spec", "selfSigned"))
	ca := render.Unstructured(t, r, "Certificate", "shop-cert-issuer-ca")
	assert.Equal(t, true, field(t, ca, "spec", "isCA"))
	assert.Equal(t, "shop dev CA", field(t, ca, "spec", "commonName"))
	assert.Equal(t, "43800h", field(t, ca, "spec", "duration"))
	assert.Equal(t, "prod-shop-cert-issuer-selfsigned", field(t, ca, "spec", "issuerRef", "name"))
	issuer := render.Unstructured(t, r, "Issuer", "shop-cert-issuer")
	assert.Equal(t, "shop-cert-issuer-ca", field(t, issuer, "spec", "ca", "secretName"))
	edge := render.Unstructured(t, r, "Certificate", "shop-cert-issuer-edge")
	assert.Equal(t, "shop-edge-tls", field(t, edge, "spec", "secretName"))
	assert.Equal(t, []any{"shop.example.test"}, field(t, edge, "spec", "dnsNames"))
	assert.Equal(t, "shop-cert-issuer", field(t, edge, "spec", "issuerRef", "name"))
	assert.Equal(t, "Issuer", field(t, edge, "spec", "issuerRef", "kind"))

	// Argo CD: each object in a wave after the one whose output it needs (the CA Issuer is Ready
	// only once the CA Certificate has written its Secret), all before wave 0 where the workloads
	// that mount their Secrets are, and no dry-run failure while cert-manager's CRDs are not served yet.
	for wave, obj := range []*unstructured.Unstructured{root, ca, issuer, edge} { // waves -5, -4, -3, -2
		assert.Equal(t, strconv.Itoa(wave-5), obj.GetAnnotations()["argocd.argoproj.io/sync-wave"], obj.GetName())
		assert.Equal(t, "SkipDryRunOnMissingResource=true", obj.GetAnnotations()["argocd.argoproj.io/sync-options"], obj.GetName())
	}
	waves := renderIssuer(t, map[string]any{"global": map[string]any{"domain": "a.test", "tls": map[string]any{"secretName": "{{ .Release.Name }}-tls"}},
		"syncWaves": map[string]any{"issuers": "5", "caCertificate": "6", "caIssuer": "7", "certificates": "8"}, "enabled": true, "nameOverride": "", "fullnameOverride": "tls"})
	for kind, want := range map[string]string{"ClusterIssuer/prod-tls-selfsigned": "5", "Certificate/tls-ca": "6", "Issuer/tls": "7", "Certificate/tls-edge": "8"} {
		k, name, _ := strings.Cut(kind, "/")
		assert.Equal(t, want, render.Unstructured(t, waves, k, name).GetAnnotations()["argocd.argoproj.io/sync-wave"], kind)
	}
	assert.Equal(t, "shop-tls", field(t, render.Unstructured(t, waves, "Certificate", "tls-edge"), "spec", "secretName"))
}

func TestTheEdgeCertificateTakesItsHostsKeyAndLifetimeFromValues(t *testing.T) {
	t.Parallel()
	r := renderIssuer(t, map[string]any{"certificate": map[string]any{
		"hosts": []any{"shop.example.test", "api.shop.example.test"}, "duration": "720h", "renewBefore": "240h",
		"privateKey": map[string]any{"algorithm": "RSA", "size": 3072, "rotationPolicy": "Never"}}})
	edge := render.Unstructured(t, r, "Certificate", "shop-cert-issuer-edge")
	assert.Equal(t, []any{"shop.example.test", "api.shop.example.test"}, field(t, edge, "spec", "dnsNames"))
	assert.Equal(t, "720h", field(t, edge, "spec", "duration"))
	assert.Equal(t, "240h", field(t, edge, "spec", "renewBefore"))
	assert.Equal(t, map[string]any{"algorithm": "RSA", "size": int64(3072), "rotationPolicy": "Never"}, field(t, edge, "spec", "privateKey"))
	ed := renderIssuer(t, map[string]any{"certificate": map[string]any{"hosts": []any{"a.test"}, "privateKey": map[string]any{"algorithm": "Ed25519"}}})
	assert.NotContains(t, field(t, render.Unstructured(t, ed, "Certificate", "shop-cert-issuer-edge"), "spec", "privateKey"), "size")
	none := renderIssuer(t, map[string]any{"certificate": map[string]any{"enabled": false}})
	assert.Equal(t, 0, none.Count("Certificate")-1, "only the CA certificate without the edge one")
}

func TestACMEIssuersSolveThroughIngressGatewayCloudflareOrRoute53(t *testing.T) {
	t.Parallel()
	acme := func(v map[string]any) map[string]any {
		a := map[string]any{"email": "ops@example.com"}
		for k, x := range v {
			a[k] = x
		}
		return map[string]any{"mode": "acme", "global": map[string]any{"domain": "shop.example.com"}, "acme": a}
	}
	cases := []struct {
		name    string
		acme    map[string]any
		kind    string
		server  string
		solvers []any
	}{
		{"HTTP-01 through an Ingress class, staging", map[string]any{"http01": map[string]any{"ingressClassName": "nginx"}}, "Issuer",
			"https://acme-staging-v02.api.letsencrypt.org/directory",
			[]any{map[string]any{"http01": map[string]any{"ingress": map[string]any{"ingressClassName": "nginx"}}}}},
		{"HTTP-01 through a Gateway, production, cluster-wide", map[string]any{"server": "production", "clusterIssuer": true,
			"http01": map[string]any{"gatewayParentRef": map[string]any{"name": "edge", "namespace": "gateways", "sectionName": "http"}}}, "ClusterIssuer",
			"https://acme-v02.api.letsencrypt.org/directory",
			[]any{map[string]any{"http01": map[string]any{"gatewayHTTPRoute": map[string]any{"parentRefs": []any{
				map[string]any{"name": "edge", "namespace": "gateways", "sectionName": "http", "kind": "Gateway", "group": "gateway.networking.k8s.io"}}}}}}},
		{"DNS-01 on Cloudflare for one zone", map[string]any{"http01": map[string]any{"enabled": false},
			"dns01": map[string]any{"provider": "cloudflare", "zones": []any{"example.com"}, "cloudflare": map[string]any{"apiTokenSecretRef": map[string]any{"name": "cf", "key": "token"}}}},
			"Issuer", "https://acme-staging-v02.api.letsencrypt.org/directory",
			[]any{map[string]any{"dns01": map[string]any{"cloudflare": map[string]any{"apiTokenSecretRef": map[string]any{"name": "cf", "key": "token"}}}, "selector": map[string]any{"dnsZones": []any{"example.com"}}}}},
		{"DNS-01 on Route53 with an access key, a custom ACME server", map[string]any{"server": "https://acme.internal.example.com/directory", "http01": map[string]any{"enabled": false},
			"dns01": map[string]any{"provider": "route53", "route53": map[string]any{"region": "eu-west-1", "hostedZoneID": "Z123", "role": "arn:aws:iam::1:role/dns", "accessKeyID": "AKIA1",
				"secretAccessKeySecretRef": map[string]any{"name": "aws", "key": "secret"}}}}, "Issuer", "https://acme.internal.example.com/directory",
			[]any{map[string]any{"dns01": map[string]any{"route53": map[string]any{"region": "eu-west-1", "hostedZoneID": "Z123", "role": "arn:aws:iam::1:role/dns", "accessKeyID": "AKIA1",
				"secretAccessKeySecretRef": map[string]any{"name": "aws", "key": "secret"}}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := renderIssuer(t, acme(c.acme))
			name := "shop-cert-issuer"
			if c.kind == "ClusterIssuer" {
				name = "prod-shop-cert-issuer-acme"
			}
			iss := render.Unstructured(t, r, c.kind, name)
			assert.Equal(t, c.server, field(t, iss, "spec", "acme", "server"))
			assert.Equal(t, "ops@example.com", field(t, iss, "spec", "acme", "email"))
			assert.Equal(t, "shop-cert-issuer-acme-account", field(t, iss, "spec", "acme", "privateKeySecretRef", "name"))
			assert.Equal(t, c.solvers, field(t, iss, "spec", "acme", "solvers"))
			edge := render.Unstructured(t, r, "Certificate", "shop-cert-issuer-edge")
			assert.Equal(t, c.kind, field(t, edge, "spec", "issuerRef", "kind"))
			assert.Equal(t, name, field(t, edge, "spec", "issuerRef", "name"))
			assert.Equal(t, 0, r.Count("ClusterIssuer")+r.Count("Issuer")-1, "one issuer in acme mode")
		})
	}
	// A private ACME server's CA (Pebble, step-ca): cert-manager wants it base64-encoded.
	const pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
	r := renderIssuer(t, acme(map[string]any{"server": "https://pebble.pebble.svc.cluster.local:14000/dir", "caBundle": pem, "http01": map[string]any{"ingressClassName": "traefik"}}))
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte(pem)), field(t, render.Unstructured(t, r, "Issuer", "shop-cert-issuer"), "spec", "acme", "caBundle"))
	assert.NotContains(t, field(t, render.Unstructured(t, renderIssuer(t, acme(map[string]any{"http01": map[string]any{"ingressClassName": "nginx"}})), "Issuer", "shop-cert-issuer"), "spec", "acme"), "caBundle")
}

func stackOpts(vals map[string]any, set ...string) render.Options {
	o := devOpts(vals, set...)
	o.ReleaseName, o.Namespace = "shop", "prod"
	return o
}

func TestTheIngressEdgeRoutesAPIToTheGatewayAndTheRestToTheFrontend(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{
		"global": map[string]any{"domain": "shop.example.com", "edge": map[string]any{"mode": "ingress", "affinity": map[string]any{"enabled": true, "cookieName": "shop-route"}, "ingress": map[string]any{"className": "public", "annotations": map[string]any{"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}}}},
	}))
	ing := render.Get[*networkingv1.Ingress](t, r, "shop-edge")
	assert.Equal(t, "public", *ing.Spec.IngressClassName)
	assert.Equal(t, "shop-edge-tls", ing.Spec.TLS[0].SecretName)
	assert.Equal(t, []string{"shop.example.com"}, ing.Spec.TLS[0].Hosts)
	paths := ing.Spec.Rules[0].HTTP.Paths
	require.Len(t, paths, 2)
	assert.Equal(t, "/api", paths[0].Path)
	assert.Equal(t, "shop-gateway", paths[0].Backend.Service.Name)
	assert.Equal(t, "/", paths[1].Path)
	assert.Equal(t, "shop-frontend", paths[1].Backend.Service.Name)
	assert.Equal(t, map[string]string{
		"nginx.ingress.kubernetes.io/ssl-redirect": "true", "nginx.ingress.kubernetes.io/affinity": "cookie",
		"nginx.ingress.kubernetes.io/session-cookie-name": "shop-route", "nginx.ingress.kubernetes.io/session-cookie-secure": "true",
		"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}, ing.Annotations)

	for _, c := range []struct {
		controller string
		want       map[string]string
	}{
		{"haproxy", map[string]string{"haproxy.org/ssl-redirect": "true", "haproxy.org/cookie-persistence": "stack-affinity"}},
		{"", nil},
	} {
		r := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test",
			"affinity": map[string]any{"enabled": true}, "ingress": map[string]any{"controller": c.controller}}}}))
		assert.Equal(t, c.want, render.Get[*networkingv1.Ingress](t, r, "shop-edge").Annotations, "controller %q", c.controller)
	}
	// Traefik: a TLS router for HTTPS, a plain one (its own Ingress) carrying the chart's redirect
	// Middleware, and sticky cookies on the Services the paths route to.
	tr := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test",
		"affinity": map[string]any{"enabled": true, "cookieName": "shop-route"}, "ingress": map[string]any{"controller": "traefik", "className": "traefik"}}}}))
	tls := render.Get[*networkingv1.Ingress](t, tr, "shop-edge")
	assert.Equal(t, map[string]string{"traefik.ingress.kubernetes.io/router.tls": "true"}, tls.Annotations)
	assert.Equal(t, "shop-edge-tls", tls.Spec.TLS[0].SecretName)
	plainHTTP := render.Get[*networkingv1.Ingress](t, tr, "shop-edge-http")
	assert.Equal(t, map[string]string{"traefik.ingress.kubernetes.io/router.tls": "false",
		"traefik.ingress.kubernetes.io/router.middlewares": "prod-shop-redirect-https@kubernetescrd"}, plainHTTP.Annotations)
	assert.Empty(t, plainHTTP.Spec.TLS)
	assert.Equal(t, tls.Spec.Rules, plainHTTP.Spec.Rules, "the same routes on both")
	mw := render.Unstructured(t, tr, "Middleware", "shop-redirect-https")
	assert.Equal(t, map[string]any{"scheme": "https", "permanent": true}, field(t, mw, "spec", "redirectScheme"))
	for _, svc := range []string{"shop-gateway", "shop-frontend"} {
		assert.Equal(t, map[string]string{"traefik.ingress.kubernetes.io/service.sticky.cookie": "true",
			"traefik.ingress.kubernetes.io/service.sticky.cookie.name": "shop-route", "traefik.ingress.kubernetes.io/service.sticky.cookie.secure": "true",
			"traefik.ingress.kubernetes.io/service.sticky.cookie.httponly": "true", "traefik.ingress.kubernetes.io/service.sticky.cookie.samesite": "lax"},
			render.Get[*corev1.Service](t, tr, svc).Annotations, svc)
	}
	assert.Empty(t, render.Get[*corev1.Service](t, tr, "shop-users").Annotations, "a Service the edge does not route to stays as it is")
	noRedirect := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test",
		"tls": map[string]any{"redirect": false}, "ingress": map[string]any{"controller": "traefik"}}}}))
	assert.Equal(t, map[string]string{"traefik.ingress.kubernetes.io/router.tls": "false"}, render.Get[*networkingv1.Ingress](t, noRedirect, "shop-edge-http").Annotations)
	assert.Equal(t, 0, noRedirect.Count("Middleware"))
	assert.Empty(t, render.Get[*corev1.Service](t, noRedirect, "shop-gateway").Annotations, "no affinity, no sticky cookie")
	noTLS := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test",
		"tls": map[string]any{"enabled": false}, "ingress": map[string]any{"controller": "traefik"}}}}))
	assert.Empty(t, render.Get[*networkingv1.Ingress](t, noTLS, "shop-edge").Annotations)
	assert.Equal(t, 1, noTLS.Count("Ingress"), "one plain Ingress without TLS")
	plain := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "ingress", "host": "a.test", "tls": map[string]any{"enabled": false, "redirect": false}}}}))
	assert.Empty(t, render.Get[*networkingv1.Ingress](t, plain, "shop-edge").Spec.TLS)
}

func TestTheGatewayAPIEdgeRedirectsHTTPAndRoutesHTTPS(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{
		"global": map[string]any{"domain": "shop.example.com", "tls": map[string]any{"secretName": "shop-cert"}, "edge": map[string]any{"mode": "gateway-api", "gatewayAPI": map[string]any{"create": true, "className": "cilium"},
			"paths": []any{map[string]any{"path": "/api", "service": "gateway", "port": 80}}}},
	}))
	gw := render.Unstructured(t, r, "Gateway", "shop-edge")
	assert.Equal(t, "cilium", field(t, gw, "spec", "gatewayClassName"))
	listeners := field(t, gw, "spec", "listeners").([]any)
	require.Len(t, listeners, 2)
	assert.EqualValues(t, 80, listeners[0].(map[string]any)["port"])
	assert.EqualValues(t, 443, listeners[1].(map[string]any)["port"])
	// Traefik binds a listener to the entry point on its port.
	traefik := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"domain": "shop.example.com", "edge": map[string]any{"mode": "gateway-api",
		"gatewayAPI": map[string]any{"create": true, "className": "traefik", "ports": map[string]any{"http": 8000, "https": 8443}}}}}))
	tl := field(t, render.Unstructured(t, traefik, "Gateway", "shop-edge"), "spec", "listeners").([]any)
	assert.EqualValues(t, 8000, tl[0].(map[string]any)["port"])
	assert.EqualValues(t, 8443, tl[1].(map[string]any)["port"])
	assert.Equal(t, "shop-cert", listeners[1].(map[string]any)["tls"].(map[string]any)["certificateRefs"].([]any)[0].(map[string]any)["name"])
	redirect := render.Unstructured(t, r, "HTTPRoute", "shop-edge-redirect")
	assert.Equal(t, "RequestRedirect", field(t, redirect, "spec", "rules").([]any)[0].(map[string]any)["filters"].([]any)[0].(map[string]any)["type"])
	route := render.Unstructured(t, r, "HTTPRoute", "shop-edge")
	assert.Equal(t, "https", field(t, route, "spec", "parentRefs").([]any)[0].(map[string]any)["sectionName"])
	backend := field(t, route, "spec", "rules").([]any)[0].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)
	assert.Equal(t, "shop-gateway", backend["name"])

	existing := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "gateway-api", "host": "a.test",
		"tls": map[string]any{"redirect": false}, "gatewayAPI": map[string]any{"gatewayName": "shared", "gatewayNamespace": "gateways"}}}}))
	assert.Equal(t, 0, existing.Count("Gateway"))
	assert.Equal(t, 1, existing.Count("HTTPRoute"), "no redirect route")
	ref := field(t, render.Unstructured(t, existing, "HTTPRoute", "shop-edge"), "spec", "parentRefs").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"name": "shared", "namespace": "gateways"}, ref)
}

func TestTheNodePortEdgeExposesTheGatewayAndTheFrontendOnFixedPorts(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "nodeport", "nodePort": map[string]any{"gateway": 31080, "frontend": 31081}}}}))
	gw := render.Get[*corev1.Service](t, r, "shop-edge-gateway")
	assert.Equal(t, corev1.ServiceTypeNodePort, gw.Spec.Type)
	assert.Equal(t, int32(31080), gw.Spec.Ports[0].NodePort)
	assert.Equal(t, "gateway", gw.Spec.Selector["app.kubernetes.io/name"])
	fe := render.Get[*corev1.Service](t, r, "shop-edge-frontend")
	assert.Equal(t, int32(31081), fe.Spec.Ports[0].NodePort)
	assert.Equal(t, "frontend", fe.Spec.Selector["app.kubernetes.io/name"])
	assert.Equal(t, 0, r.Count("Ingress")+r.Count("HTTPRoute"))
	none := render.Render(t, chart("stack"), stackOpts(nil))
	assert.Equal(t, 0, none.Count("Ingress")+none.Count("HTTPRoute"), "global.edge.mode none renders no edge")
}

func TestTheNamespaceDeniesByDefaultAndOpensTheWiredFlows(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(nil))
	deny := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-default-deny")
	assert.Empty(t, deny.Spec.PodSelector.MatchLabels, "selects every pod")
	assert.Len(t, deny.Spec.PolicyTypes, 2)
	assert.Empty(t, deny.Spec.Ingress)
	require.Len(t, deny.Spec.Egress, 1, "DNS only")
	assert.Equal(t, int32(53), deny.Spec.Egress[0].Ports[0].Port.IntVal)
	for name, want := range map[string][2]string{
		"shop-uses-mysql":               {"uses.stack.dev/mysql", "mysql"},
		"shop-uses-redis":               {"uses.stack.dev/redis", "redis"},
		"shop-uses-rabbitmq":            {"uses.stack.dev/rabbitmq", "rabbitmq"},
		"shop-uses-rabbitmq-management": {"uses.stack.dev/rabbitmq-management", "rabbitmq"},
		"shop-calls-gateway":            {"calls.stack.dev/gateway", "gateway"},
		"shop-calls-users":              {"calls.stack.dev/users", "users"},
	} {
		np := render.Get[*networkingv1.NetworkPolicy](t, r, name)
		assert.Equal(t, "true", np.Spec.PodSelector.MatchLabels[want[0]], name)
		assert.Equal(t, want[1], np.Spec.Egress[0].To[0].PodSelector.MatchLabels["app.kubernetes.io/name"], name)
	}
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](r, "shop-calls-mailer"), "a worker has no Service to call")
	off := render.Render(t, chart("stack"), stackOpts(map[string]any{"namespacePolicy": map[string]any{"networkPolicy": map[string]any{"defaultDeny": false}}}))
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](off, "shop-default-deny"))
}

func TestQuotaAndLimitRangeComeFromValues(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{"namespacePolicy": map[string]any{
		"resourceQuota": map[string]any{"enabled": true, "hard": map[string]any{"requests.cpu": "4", "pods": 40}},
		"limitRange": map[string]any{"enabled": true, "default": map[string]any{"cpu": "250m", "memory": "128Mi"},
			"defaultRequest": map[string]any{"cpu": "25m", "memory": "32Mi"}, "max": map[string]any{"cpu": "2", "memory": "4Gi"}},
	}}))
	q := render.Get[*corev1.ResourceQuota](t, r, "shop-quota")
	assert.Equal(t, "4", q.Spec.Hard.Name(corev1.ResourceRequestsCPU, resource.DecimalSI).String())
	assert.Equal(t, "40", q.Spec.Hard.Pods().String())
	lr := render.Get[*corev1.LimitRange](t, r, "shop-limits")
	assert.Equal(t, "128Mi", lr.Spec.Limits[0].Default.Memory().String())
	assert.Equal(t, "25m", lr.Spec.Limits[0].DefaultRequest.Cpu().String())
	assert.Equal(t, "4Gi", lr.Spec.Limits[0].Max.Memory().String())

	// The prod profile sizes both like a real team's namespace.
	prod := shopProdRender(t)
	assert.True(t, render.Has[*corev1.ResourceQuota](prod, "shop-quota"))
	assert.True(t, render.Has[*corev1.LimitRange](prod, "shop-limits"))
}

func TestMonitoringInTheUmbrellaIsAdmittedToEveryMetricsPort(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}}}}))
	ns := render.Get[*corev1.Namespace](t, r, "prod-monitoring")
	assert.Equal(t, "privileged", ns.Labels["pod-security.kubernetes.io/enforce"])
	admitted := 0
	for _, np := range render.All[*networkingv1.NetworkPolicy](r) {
		for _, rule := range np.Spec.Ingress {
			for _, peer := range rule.From {
				if peer.PodSelector != nil && peer.PodSelector.MatchLabels["app.kubernetes.io/name"] == "prometheus" && np.Namespace == "prod" {
					require.NotNil(t, peer.NamespaceSelector, "%s admits the scraper from its namespace", np.Name)
					assert.Equal(t, "prod-monitoring", peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"], np.Name)
					admitted++
				}
			}
		}
	}
	assert.GreaterOrEqual(t, admitted, 8, "the gateway, the services and the backing services admit the scraper")

	// With the Prometheus operator: monitors for every component and the rules.
	op := render.Render(t, chart("stack"), func() render.Options {
		o := stackOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}}}})
		o.APIVersions = []string{"monitoring.coreos.com/v1"}
		return o
	}())
	assert.Equal(t, 1, op.Count("PrometheusRule"))
	assert.GreaterOrEqual(t, op.Count("ServiceMonitor")+op.Count("PodMonitor"), 8)
}

func TestTheEdgeServesTheCertificateCertIssuerWrites(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{
		"global":      map[string]any{"domain": "shop.example.test", "edge": map[string]any{"mode": "ingress"}},
		"cert-issuer": map[string]any{"enabled": true},
	}))
	cert := render.Unstructured(t, r, "Certificate", "shop-cert-issuer-edge")
	ing := render.Get[*networkingv1.Ingress](t, r, "shop-edge")
	assert.Equal(t, ing.Spec.TLS[0].SecretName, field(t, cert, "spec", "secretName"))
	assert.Equal(t, []any{ing.Spec.Rules[0].Host}, field(t, cert, "spec", "dnsNames"))
}

func TestTheGatewayTerminatesTLSBehindANodePortEdge(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{
		"gateway": map[string]any{"tls": map[string]any{"enabled": true, "secretName": "", "containerPort": 8443, "servicePort": 443, "nodePort": nil}},
		"global":  map[string]any{"edge": map[string]any{"mode": "nodeport", "nodePort": map[string]any{"gatewayTLS": 30444}}},
	}))
	conf := configMapData(t, r, "shop-gateway", "nginx.conf.template")
	assert.Contains(t, conf, "listen 8443 ssl default_server;")
	assert.Contains(t, conf, "ssl_protocols TLSv1.2 TLSv1.3;")
	d := render.Get[*appsv1.Deployment](t, r, "shop-gateway")
	var secretName string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == "tls" {
			secretName = v.Secret.SecretName
		}
	}
	assert.Equal(t, "shop-edge-tls", secretName, "the cert-issuer's edge certificate by default")
	svc := render.Get[*corev1.Service](t, r, "shop-gateway")
	assert.Equal(t, "https", svc.Spec.Ports[1].Name)
	assert.Equal(t, int32(443), svc.Spec.Ports[1].Port)
	edge := render.Get[*corev1.Service](t, r, "shop-edge-gateway")
	require.Len(t, edge.Spec.Ports, 2)
	assert.Equal(t, int32(30444), edge.Spec.Ports[1].NodePort)
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-gateway")
	assert.Len(t, np.Spec.Ingress[0].Ports, 2, "the edge reaches HTTP and HTTPS")

	own := render.Render(t, chart("gateway"), render.Options{ReleaseName: "shop", Values: map[string]any{
		"routes": []any{route("/api/users/", "users")}, "auth": map[string]any{"mode": "request"},
		"service": map[string]any{"type": "NodePort", "nodePort": 30080},
		"tls":     map[string]any{"enabled": true, "secretName": "my-cert", "containerPort": 9443, "servicePort": 8443, "nodePort": 30443}}})
	s := render.Get[*corev1.Service](t, own, "shop-gateway")
	assert.Equal(t, int32(30443), s.Spec.Ports[1].NodePort)
	assert.Equal(t, int32(8443), s.Spec.Ports[1].Port)
}

// Issue 14: probes poll fast — readiness every 2 s (after the 5 s kept for the enforcer's lag
// under live traffic) and the backing services' startup every second, so a pod is Ready as soon
// as it answers.
func TestProbesPollFastWithoutFixedDelays(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(nil))
	for _, name := range []string{"shop-gateway", "shop-users", "shop-frontend"} {
		p := render.Get[*appsv1.Deployment](t, r, name).Spec.Template.Spec.Containers[0].ReadinessProbe
		assert.EqualValues(t, 5, p.InitialDelaySeconds, "%s: ready only after the policy enforcer saw it", name)
		assert.EqualValues(t, 2, p.PeriodSeconds, "%s: readiness every 2 s", name)
	}
	for _, name := range []string{"shop-mysql", "shop-redis", "shop-rabbitmq"} {
		p := render.Get[*appsv1.StatefulSet](t, r, name).Spec.Template.Spec.Containers[0].StartupProbe
		assert.EqualValues(t, 1, p.PeriodSeconds, "%s: startup polled every second", name)
		assert.EqualValues(t, 600, p.FailureThreshold, "%s: still 10 minutes for a slow first start", name)
	}
	tuned := render.Render(t, chart("stack"), stackOpts(map[string]any{
		"gateway":  map[string]any{"probes": map[string]any{"readiness": map[string]any{"initialDelaySeconds": 2}}},
		"services": map[string]any{"defaults": map[string]any{"probes": map[string]any{"readiness": map[string]any{"initialDelaySeconds": 8, "periodSeconds": 5}}}},
	}))
	assert.EqualValues(t, 2, render.Get[*appsv1.Deployment](t, tuned, "shop-gateway").Spec.Template.Spec.Containers[0].ReadinessProbe.InitialDelaySeconds)
	users := render.Get[*appsv1.Deployment](t, tuned, "shop-users").Spec.Template.Spec.Containers[0].ReadinessProbe
	assert.EqualValues(t, 8, users.InitialDelaySeconds)
	assert.EqualValues(t, 5, users.PeriodSeconds)
}

// Issue 22: extraObjects ship with the release — maps or strings, rendered as templates, in the
// release namespace unless they name one.
func TestExtraObjectsShipWithTheRelease(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), stackOpts(map[string]any{"extraObjects": []any{
		map[string]any{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": map[string]any{"name": "{{ .Release.Name }}-db"},
			"spec": map[string]any{"target": map[string]any{"name": "{{ .Release.Name }}-mysql"}}},
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-flags\n  namespace: elsewhere\ndata:\n  domain: {{ .Values.global.clusterDomain | quote }}\n",
	}}))
	es := render.Unstructured(t, r, "ExternalSecret", "shop-db")
	assert.Equal(t, "shop-mysql", field(t, es, "spec", "target", "name"))
	cm := render.Get[*corev1.ConfigMap](t, r, "shop-flags")
	assert.Equal(t, "cluster.local", cm.Data["domain"])
	assert.Equal(t, "elsewhere", cm.Namespace, "its own namespace is kept")
	assert.Zero(t, render.Render(t, chart("stack"), stackOpts(nil)).Count("ExternalSecret"), "none by default")
}
