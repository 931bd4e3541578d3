package unit

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/stack-charts/stack/tests/render"
)

// gatewayRoutes is a typical route table: an authenticated API, the auth service with a public
// token path, a websocket route and a public frontend at /.
func gatewayRoutes() map[string]any {
	return map[string]any{
		"routes": []any{
			map[string]any{"path": "/api/users/", "service": "users", "port": 80},
			map[string]any{"path": "/api/auth/", "service": "auth", "port": 80},
			map[string]any{"path": "/api/live/", "service": "live", "port": 8080, "websocket": true, "stripPrefix": false,
				"timeouts": map[string]any{"connect": "2s", "read": "3600s", "send": "3600s"}},
			map[string]any{"path": "/api/legacy/", "host": "legacy.other.svc.cluster.local", "port": 8000, "rateLimit": false},
			map[string]any{"path": "/", "service": "frontend", "port": 80, "auth": false, "stripPrefix": false},
		},
		"auth": map[string]any{"mode": "request", "responseHeaders": []any{"X-User-Id"}, "publicPaths": []any{"/api/auth/token"}},
	}
}

// jwtAuth is a JWT-mode auth configuration.
func jwtAuth() map[string]any {
	return map[string]any{"mode": "jwt", "publicPaths": []any{"/api/auth/token"},
		"jwt": map[string]any{"secret": map[string]any{"name": "{{ .Release.Name }}-jwt", "key": "signing-key"},
			"issuer": "podinfo", "leewaySeconds": 5, "claimHeaders": map[string]any{"X-User": "name", "X-Tenant": "tenant"}}}
}

func renderGateway(t *testing.T, vals map[string]any, set ...string) *render.Result {
	t.Helper()
	return render.Render(t, chart("gateway"), render.Options{ReleaseName: "shop", Namespace: "prod", Values: vals, Set: set})
}

// gatewayFiles returns the gateway's config files as the image's entrypoint writes them:
// nginx.conf with the pod's resolvers substituted, and jwt.js when JWT auth is on.
func gatewayFiles(t *testing.T, r *render.Result, fullname string) map[string]string {
	t.Helper()
	cm := render.Get[*corev1.ConfigMap](t, r, fullname)
	tpl, ok := cm.Data["nginx.conf.template"]
	require.True(t, ok, "ConfigMap %s has nginx.conf.template", fullname)
	files := map[string]string{"nginx.conf": strings.ReplaceAll(tpl, "${NGINX_LOCAL_RESOLVERS}", "127.0.0.1")}
	if js, ok := cm.Data["jwt.js"]; ok {
		files["jwt.js"] = js
	}
	return files
}

// nginxConf is the gateway's nginx.conf as the entrypoint writes it.
func nginxConf(t *testing.T, r *render.Result, fullname string) string {
	t.Helper()
	return gatewayFiles(t, r, fullname)["nginx.conf"]
}

// hostNJSModule is where Debian's libnginx-mod-http-js puts the njs module; the images keep it
// at /etc/nginx/modules (the official layout, which the air-gapped image links to).
const hostNJSModule = "/usr/lib/nginx/modules/ngx_http_js_module.so"

// clusterUpstream is an upstream block's server named by a cluster Service (resolve: start), a
// name only the cluster's DNS answers.
var clusterUpstream = regexp.MustCompile(`(?m)^(\s*server )([a-z0-9.-]+\.svc\.[a-z0-9.-]+)(:[0-9]+[ ;])`)

// onHost writes the gateway's files into dir laid out for the host's nginx: the njs module and
// script paths and the pid file point into dir, and a cluster Service's name in an upstream block
// is the loopback address (as the cluster's DNS would answer its ClusterIP). Nothing else changes.
func onHost(t *testing.T, files map[string]string, dir string) string {
	t.Helper()
	conf := clusterUpstream.ReplaceAllString(files["nginx.conf"], "${1}127.0.0.1${3}")
	conf = strings.ReplaceAll(conf, "load_module /etc/nginx/modules/ngx_http_js_module.so;", "load_module "+hostNJSModule+";")
	conf = strings.ReplaceAll(conf, `js_path "/etc/nginx/stack-templates/";`, `js_path "`+dir+`/";`)
	conf = strings.ReplaceAll(conf, "pid /tmp/nginx.pid;", "pid "+dir+"/nginx.pid;")
	conf = strings.ReplaceAll(conf, "proxy_cache_path /tmp/stack-jwks-cache ", "proxy_cache_path "+dir+"/jwks-cache ")
	for name, content := range files {
		if name != "nginx.conf" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		}
	}
	path := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o644))
	return path
}

// nginxTestE runs `nginx -t` on a config file and returns its output on failure.
func nginxTestE(path string) (string, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(bin, "-t", "-q", "-p", filepath.Dir(path), "-e", "stderr", "-c", path).CombinedOutput()
	return string(out), err
}

// requireNginxAccepts fails the test unless a real nginx accepts the gateway's files.
func requireNginxAccepts(t *testing.T, files map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("nginx"); err != nil {
		t.Fatalf("nginx is required to validate gateway configs (make tools installs it): %v", err)
	}
	path := onHost(t, files, t.TempDir())
	out, err := nginxTestE(path)
	require.NoError(t, err, "nginx -t rejected the rendered config:\n%s\n--- config ---\n%s", out, files["nginx.conf"])
}

// location returns the body of `location <path> {` in an nginx config.
func location(t *testing.T, conf, path string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)\n\s*location ` + regexp.QuoteMeta(path) + ` \{(.*?)\n\s*\}`)
	m := re.FindStringSubmatch(conf)
	require.NotNil(t, m, "no location %s in:\n%s", path, conf)
	return m[1]
}

func TestGatewayRoutesBecomeNginxLocations(t *testing.T) {
	t.Parallel()
	r := renderGateway(t, gatewayRoutes())
	conf := nginxConf(t, r, "shop-gateway")
	requireNginxAccepts(t, gatewayFiles(t, r, "shop-gateway"))

	users := location(t, conf, "/api/users/")
	assert.Contains(t, users, "proxy_pass http://stack_route_0;", "a service's route goes to its upstream block")
	assert.NotContains(t, users, "$stack_upstream", "a service's name is not resolved per request")
	assert.Contains(t, conf, "upstream stack_route_0 {\n    server shop-users.prod.svc.cluster.local:80 max_fails=0;\n", "a service is found by the naming convention, resolved when nginx starts")
	assert.Equal(t, 3, strings.Count(conf, "server shop-users.prod.svc.cluster.local:80 max_fails=0;"), "the Service once per try (retries.tries 3)")
	assert.Contains(t, users, "proxy_next_upstream error timeout;\n      proxy_next_upstream_tries 3;\n      proxy_next_upstream_timeout 0s;", "a failed attempt retried through the Service")
	assert.Contains(t, users, "rewrite ^/api/users/(.*)$ /$1 break;", "the prefix is stripped by default")
	assert.Contains(t, users, "auth_request /_stack_auth;")
	assert.Contains(t, users, "auth_request_set $stack_auth_0 $upstream_http_x_user_id;")
	assert.Contains(t, users, "proxy_set_header X-User-Id $stack_auth_0;", "the auth response header reaches the upstream")
	assert.Contains(t, users, "limit_req zone=stack_per_client burst=40 nodelay;")
	assert.Contains(t, users, "proxy_set_header X-Request-ID $stack_request_id;")
	assert.Contains(t, users, "proxy_read_timeout 60s;", "default timeouts")

	token := location(t, conf, "/api/auth/token")
	assert.NotContains(t, token, "auth_request", "a public path skips auth")
	assert.Contains(t, token, `proxy_set_header X-User-Id "";`, "clients cannot forge auth headers on public paths")
	assert.Contains(t, token, "rewrite ^/api/auth/(.*)$ /$1 break;", "a public path keeps its route's prefix strip")
	assert.Contains(t, location(t, conf, "/api/auth/"), "auth_request", "the rest of the auth service stays protected")

	live := location(t, conf, "/api/live/")
	assert.Contains(t, live, "proxy_set_header Upgrade $http_upgrade;")
	assert.Contains(t, live, "proxy_set_header Connection $stack_connection_upgrade;")
	assert.NotContains(t, live, "rewrite", "stripPrefix false")
	assert.Contains(t, live, "proxy_connect_timeout 2s;")
	assert.Contains(t, live, "proxy_read_timeout 3600s;")

	legacy := location(t, conf, "/api/legacy/")
	assert.Contains(t, legacy, `"legacy.other.svc.cluster.local:8000"`, "an explicit host is used as is")
	assert.NotContains(t, legacy, "limit_req", "rateLimit false")

	root := location(t, conf, "/")
	assert.NotContains(t, root, "auth_request", "auth false")
	assert.NotContains(t, conf, `return 404 '{"error":"no route"`, "a route at / replaces the default 404")

	auth := location(t, conf, "= /_stack_auth")
	assert.Contains(t, auth, "internal;")
	assert.Contains(t, auth, "proxy_pass http://stack_auth/token/validate;")
	assert.Contains(t, auth, "proxy_method GET;", "the auth check is a GET whatever the client's method")
	assert.Contains(t, conf, "upstream stack_auth {\n    server shop-auth.prod.svc.cluster.local:80 max_fails=0;\n", "auth.service resolved when nginx starts")
	assert.Contains(t, auth, "proxy_next_upstream_tries 3;", "the auth check retried like a route")

	assert.Contains(t, conf, "resolver 127.0.0.1 valid=10s ipv6=off;", "the pod's resolvers, substituted at start")
	assert.Contains(t, conf, "limit_req_zone $binary_remote_addr zone=stack_per_client:10m rate=20r/s;")
	assert.Contains(t, conf, "limit_req_status 429;")
	assert.Contains(t, conf, "access_log /dev/stdout stack_json;")
	assert.Contains(t, conf, "location = /stub_status", "stub_status for the exporter")
	assert.Contains(t, conf, "listen 127.0.0.1:8081;", "stub_status only on localhost")
}

func TestGatewayTuningKnobsReachNginx(t *testing.T) {
	t.Parallel()
	vals := gatewayRoutes()
	vals["resolver"] = "10.96.0.10"
	vals["resolverValid"] = "30s"
	vals["timeouts"] = map[string]any{"connect": "1s", "read": "10s", "send": "11s"}
	vals["rateLimit"] = map[string]any{"requestsPerSecond": 5, "burst": 7, "key": "authorization", "zoneSize": "20m"}
	vals["realIP"] = map[string]any{"trustedCIDRs": []any{"10.0.0.0/8", "fd00::/8"}, "header": "X-Real-IP"}
	vals["clientMaxBodySize"] = "8m"
	vals["workerConnections"] = 4096
	vals["keepaliveTimeout"] = "30s"
	vals["retries"] = map[string]any{"tries": 2, "conditions": []any{"error", "http_503"}, "timeout": "8s"}
	vals["accessLog"] = false
	vals["containerPort"] = 8888
	vals["auth"].(map[string]any)["path"] = "/validate"
	vals["auth"].(map[string]any)["port"] = 9000
	r := renderGateway(t, vals)
	conf := nginxConf(t, r, "shop-gateway")
	requireNginxAccepts(t, gatewayFiles(t, r, "shop-gateway"))
	for _, want := range []string{
		"resolver 10.96.0.10 valid=30s ipv6=off;",
		"limit_req_zone $http_authorization zone=stack_per_client:20m rate=5r/s;",
		"limit_req zone=stack_per_client burst=7 nodelay;",
		"set_real_ip_from 10.0.0.0/8;", "set_real_ip_from fd00::/8;", "real_ip_header X-Real-IP;",
		"client_max_body_size 8m;", "worker_connections 4096;", "keepalive_timeout 30s;", "access_log off;",
		"listen 8888 default_server;", "proxy_connect_timeout 1s;", "proxy_send_timeout 11s;",
		"proxy_pass http://stack_auth/validate;", "server shop-auth.prod.svc.cluster.local:9000 max_fails=0;",
		"proxy_next_upstream error http_503;", "proxy_next_upstream_tries 2;", "proxy_next_upstream_timeout 8s;",
	} {
		assert.Contains(t, conf, want)
	}
	assert.Equal(t, int32(8888), render.Get[*appsv1.Deployment](t, r, "shop-gateway").Spec.Template.Spec.Containers[0].Ports[0].ContainerPort)
}

func TestGatewayWithoutAuthRateLimitOrMetrics(t *testing.T) {
	t.Parallel()
	r := renderGateway(t, map[string]any{
		"routes":    []any{map[string]any{"path": "/api/users/", "service": "users", "port": 80}},
		"auth":      map[string]any{"enabled": false, "mode": "jwt"},
		"rateLimit": map[string]any{"enabled": false},
		"metrics":   map[string]any{"enabled": false},
	})
	conf := nginxConf(t, r, "shop-gateway")
	requireNginxAccepts(t, gatewayFiles(t, r, "shop-gateway"))
	assert.NotContains(t, conf, "auth_request")
	assert.NotContains(t, conf, "_stack_auth")
	assert.NotContains(t, conf, "limit_req")
	assert.NotContains(t, conf, "stub_status")
	assert.Contains(t, conf, `return 404 '{"error":"no route"`, "unknown paths get a JSON 404")
	d := render.Get[*appsv1.Deployment](t, r, "shop-gateway")
	assert.Len(t, d.Spec.Template.Spec.Containers, 1, "no exporter sidecar")
	assert.NotContains(t, d.Spec.Template.Annotations, "prometheus.io/scrape")
	assert.Len(t, render.Get[*corev1.Service](t, r, "shop-gateway").Spec.Ports, 1, "no metrics port")
}

func TestGatewayAuthByExplicitHost(t *testing.T) {
	t.Parallel()
	r := renderGateway(t, map[string]any{
		"routes": []any{map[string]any{"path": "/api/", "service": "api", "port": 80}},
		"auth":   map[string]any{"mode": "request", "service": "", "host": "auth.idp.svc.cluster.local", "port": 443},
	})
	conf := nginxConf(t, r, "shop-gateway")
	requireNginxAccepts(t, gatewayFiles(t, r, "shop-gateway"))
	auth := location(t, conf, "= /_stack_auth")
	assert.Contains(t, auth, `set $stack_auth_upstream "auth.idp.svc.cluster.local:443";`, "an explicit auth host is resolved per request")
	assert.Contains(t, auth, "proxy_pass http://$stack_auth_upstream/token/validate;")
	assert.NotContains(t, conf, "upstream stack_auth", "no upstream block for an explicit auth host")
}

// routes[].resolve overrides the default (a service at start, a host per request) either way.
func TestARouteResolvesItsUpstreamAtStartOrPerRequest(t *testing.T) {
	t.Parallel()
	r := renderGateway(t, map[string]any{
		"routes": []any{
			map[string]any{"path": "/api/users/", "service": "users", "port": 80, "resolve": "request"},
			map[string]any{"path": "/api/billing/", "host": "billing.finance.svc.cluster.local", "port": 8080, "resolve": "start", "retries": map[string]any{"tries": 1}},
			map[string]any{"path": "/api/search/", "host": "search.example.org", "port": 443, "keepalive": 4},
			map[string]any{"path": "/api/news/", "host": "news.example.org", "port": 80},
		},
		"auth": map[string]any{"enabled": false},
	})
	conf := nginxConf(t, r, "shop-gateway")
	users := location(t, conf, "/api/users/")
	assert.Contains(t, users, `set $stack_upstream "shop-users.prod.svc.cluster.local:80";`, "resolve: request on a service route")
	assert.Contains(t, users, "proxy_pass http://$stack_upstream;")
	assert.NotContains(t, conf, "upstream stack_route_0 ")
	billing := location(t, conf, "/api/billing/")
	assert.Contains(t, billing, "proxy_pass http://stack_route_1;", "resolve: start on a host route")
	assert.Contains(t, billing, "proxy_next_upstream off;", "routes[].retries.tries 1: no retry")
	assert.Contains(t, conf, "upstream stack_route_1 {\n    server billing.finance.svc.cluster.local:8080 max_fails=0;\n  }", "one try: the server once")
	assert.Contains(t, conf, "upstream stack_route_2 {\n    server search.example.org:443 max_fails=0;\n", "a pool resolves at start by default")
	assert.Contains(t, conf, "server search.example.org:443 max_fails=0; # try 3\n    keepalive 4;\n  }")
	assert.Contains(t, location(t, conf, "/api/news/"), `set $stack_upstream "news.example.org:80";`, "a host is resolved per request by default")
	assert.NotContains(t, conf, "upstream stack_route_3 ")
}

func TestGatewayDeploymentIsHighlyAvailableAndRollsOnConfigChange(t *testing.T) {
	t.Parallel()
	r := renderGateway(t, gatewayRoutes())
	d := render.Get[*appsv1.Deployment](t, r, "shop-gateway")
	assert.EqualValues(t, 2, *d.Spec.Replicas, "two replicas by default")
	assert.Equal(t, "0", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String(), "the gateway never loses capacity in a rollout")
	pod := d.Spec.Template.Spec
	assert.EqualValues(t, 101, *pod.SecurityContext.RunAsUser, "the image's nginx uid")
	nginx := pod.Containers[0]
	assert.Equal(t, "docker.io/nginxinc/nginx-unprivileged:1.28.0", nginx.Image)
	assert.Equal(t, []string{"nginx", "-c", "/etc/nginx/stack/nginx.conf", "-g", "daemon off;"}, nginx.Args)
	assert.EqualValues(t, 10, nginx.Lifecycle.PreStop.Sleep.Seconds, "keeps serving while endpoints drop the pod")
	assert.Equal(t, "/healthz", nginx.ReadinessProbe.HTTPGet.Path)
	assert.EqualValues(t, 2, nginx.ReadinessProbe.PeriodSeconds)
	e := env(nginx)
	assert.Equal(t, "NGINX_LOCAL_RESOLVERS", e["NGINX_ENVSUBST_FILTER"].Value, "only the resolver is substituted")
	exporter := pod.Containers[1]
	assert.Equal(t, "docker.io/nginx/nginx-prometheus-exporter:1.4.2", exporter.Image)
	assert.Contains(t, exporter.Args, "--nginx.scrape-uri=http://127.0.0.1:8081/stub_status")
	assert.Equal(t, "9113", d.Spec.Template.Annotations["prometheus.io/port"])
	pdb := render.Get[*policyv1.PodDisruptionBudget](t, r, "shop-gateway")
	assert.Equal(t, "1", pdb.Spec.MinAvailable.String())

	before := d.Spec.Template.Annotations["checksum/config"]
	vals := gatewayRoutes()
	vals["clientMaxBodySize"] = "2m"
	after := render.Get[*appsv1.Deployment](t, renderGateway(t, vals), "shop-gateway").Spec.Template.Annotations["checksum/config"]
	assert.NotEqual(t, before, after, "a config change rolls the gateway")
}

func TestGatewayScalingServiceAndPolicyKnobs(t *testing.T) {
	t.Parallel()
	vals := gatewayRoutes()
	vals["hpa"] = map[string]any{"enabled": true, "minReplicas": 3, "maxReplicas": 9, "targetCPUUtilizationPercentage": 50,
		"targetMemoryUtilizationPercentage": 75, "behavior": map[string]any{"scaleUp": map[string]any{"stabilizationWindowSeconds": 0}}}
	vals["pdb"] = map[string]any{"enabled": true, "maxUnavailable": 1, "minAvailable": 2}
	vals["service"] = map[string]any{"type": "NodePort", "port": 8080, "nodePort": 30080, "sessionAffinity": "ClientIP", "annotations": map[string]any{"lb": "internal"}}
	vals["networkPolicy"] = map[string]any{
		"allowedSources": []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "ingress-nginx"}}}},
		"egress":         []any{map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.20.0.0/16"}}}}},
	}
	vals["strategy"] = map[string]any{"maxSurge": "50%", "maxUnavailable": 1}
	vals["topologySpread"] = map[string]any{"maxSkew": 2, "whenUnsatisfiable": "DoNotSchedule", "topologyKeys": []any{"kubernetes.io/hostname"}}
	vals["preStopSleepSeconds"] = 0
	vals["terminationGracePeriodSeconds"] = 45
	vals["resources"] = map[string]any{"requests": map[string]any{"cpu": "200m", "memory": "128Mi"}, "limits": map[string]any{"memory": "256Mi"}}
	vals["probes"] = map[string]any{"startup": map[string]any{"enabled": true, "httpGet": map[string]any{"path": "/healthz", "port": "http"}}}
	vals["metrics"] = map[string]any{"port": 9200, "statusPort": 8099, "interval": "10s",
		"resources": map[string]any{"requests": map[string]any{"cpu": "5m", "memory": "8Mi"}, "limits": map[string]any{"memory": "16Mi"}}}
	r := render.Render(t, chart("gateway"), render.Options{ReleaseName: "shop", Namespace: "prod", Values: vals,
		APIVersions: []string{"monitoring.coreos.com/v1/ServiceMonitor"}})
	requireNginxAccepts(t, gatewayFiles(t, r, "shop-gateway"))

	d := render.Get[*appsv1.Deployment](t, r, "shop-gateway")
	assert.Nil(t, d.Spec.Replicas)
	assert.Equal(t, "50%", d.Spec.Strategy.RollingUpdate.MaxSurge.String())
	pod := d.Spec.Template.Spec
	assert.EqualValues(t, 45, *pod.TerminationGracePeriodSeconds)
	assert.Nil(t, pod.Containers[0].Lifecycle)
	assert.NotNil(t, pod.Containers[0].StartupProbe)
	assert.Equal(t, "200m", pod.Containers[0].Resources.Requests.Cpu().String())
	assert.Equal(t, "16Mi", pod.Containers[1].Resources.Limits.Memory().String())
	assert.Contains(t, pod.Containers[1].Args, "--web.listen-address=:9200")
	assert.Contains(t, pod.Containers[1].Args, "--nginx.scrape-uri=http://127.0.0.1:8099/stub_status")
	require.Len(t, pod.TopologySpreadConstraints, 1)
	assert.EqualValues(t, 2, pod.TopologySpreadConstraints[0].MaxSkew)

	hpa := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, r, "shop-gateway")
	assert.EqualValues(t, 3, *hpa.Spec.MinReplicas)
	assert.EqualValues(t, 9, hpa.Spec.MaxReplicas)
	assert.Len(t, hpa.Spec.Metrics, 2)
	assert.EqualValues(t, 0, *hpa.Spec.Behavior.ScaleUp.StabilizationWindowSeconds)
	pdb := render.Get[*policyv1.PodDisruptionBudget](t, r, "shop-gateway")
	assert.Equal(t, "1", pdb.Spec.MaxUnavailable.String())

	svc := render.Get[*corev1.Service](t, r, "shop-gateway")
	assert.Equal(t, corev1.ServiceTypeNodePort, svc.Spec.Type)
	assert.EqualValues(t, 8080, svc.Spec.Ports[0].Port)
	assert.EqualValues(t, 30080, svc.Spec.Ports[0].NodePort)
	assert.Equal(t, corev1.ServiceAffinityClientIP, svc.Spec.SessionAffinity)
	assert.Equal(t, "internal", svc.Annotations["lb"])

	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-gateway")
	assert.Equal(t, "ingress-nginx", np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	var targets []string
	for _, e := range np.Spec.Egress {
		for _, to := range e.To {
			if to.PodSelector != nil {
				targets = append(targets, to.PodSelector.MatchLabels["app.kubernetes.io/name"])
			}
		}
	}
	assert.ElementsMatch(t, []string{"users", "auth", "live", "frontend"}, targets, "egress to every routed service and the auth service")
	assert.Equal(t, "10.20.0.0/16", np.Spec.Egress[len(np.Spec.Egress)-1].To[0].IPBlock.CIDR)
	render.Unstructured(t, r, "ServiceMonitor", "shop-gateway")
}

func TestGatewayPodKnobs(t *testing.T) {
	t.Parallel()
	vals := gatewayRoutes()
	vals["fullnameOverride"] = "edge-gw"
	vals["replicas"] = 3
	vals["image"] = map[string]any{"registry": "mirror.local", "repository": "nginx-unpriv", "tag": "1.28.0", "digest": "", "pullPolicy": "Always"}
	vals["imagePullSecrets"] = []any{"gw-pull"}
	vals["serviceAccount"] = map[string]any{"name": "gw", "automountToken": false, "annotations": map[string]any{"a": "b"}}
	vals["podAnnotations"] = map[string]any{"x": "y"}
	vals["podLabels"] = map[string]any{"tier": "edge"}
	vals["podSecurityContext"] = map[string]any{"runAsUser": 1001}
	vals["securityContext"] = map[string]any{"readOnlyRootFilesystem": true}
	vals["nodeSelector"] = map[string]any{"pool": "edge"}
	vals["tolerations"] = []any{map[string]any{"key": "edge", "operator": "Exists"}}
	vals["affinity"] = map[string]any{"podAntiAffinity": map[string]any{}}
	vals["priorityClassName"] = "edge-critical"
	vals["topologySpread"] = map[string]any{"enabled": false}
	r := renderGateway(t, vals)
	d := render.Get[*appsv1.Deployment](t, r, "edge-gw")
	assert.EqualValues(t, 3, *d.Spec.Replicas)
	pod := d.Spec.Template
	assert.Equal(t, "mirror.local/nginx-unpriv:1.28.0", pod.Spec.Containers[0].Image)
	assert.Equal(t, corev1.PullAlways, pod.Spec.Containers[0].ImagePullPolicy)
	assert.Equal(t, "gw-pull", pod.Spec.ImagePullSecrets[0].Name)
	assert.Equal(t, "gw", pod.Spec.ServiceAccountName)
	assert.Equal(t, "b", render.Get[*corev1.ServiceAccount](t, r, "gw").Annotations["a"])
	assert.Equal(t, "y", pod.Annotations["x"])
	assert.Equal(t, "edge", pod.Labels["tier"])
	assert.EqualValues(t, 1001, *pod.Spec.SecurityContext.RunAsUser)
	assert.Equal(t, "edge", pod.Spec.NodeSelector["pool"])
	assert.Equal(t, "edge", pod.Spec.Tolerations[0].Key)
	assert.NotNil(t, pod.Spec.Affinity.PodAntiAffinity)
	assert.Equal(t, "edge-critical", pod.Spec.PriorityClassName)
	assert.Empty(t, pod.Spec.TopologySpreadConstraints)

	vals = gatewayRoutes()
	vals["nameOverride"] = "api"
	vals["serviceAccount"] = map[string]any{"create": false}
	vals["networkPolicy"] = map[string]any{"enabled": false}
	vals["pdb"] = map[string]any{"enabled": false}
	r = renderGateway(t, vals)
	assert.True(t, render.Has[*appsv1.Deployment](r, "shop-api"), "nameOverride")
	assert.Equal(t, "default", render.Get[*appsv1.Deployment](t, r, "shop-api").Spec.Template.Spec.ServiceAccountName)
	assert.Zero(t, r.Count("NetworkPolicy"))
	assert.Zero(t, r.Count("PodDisruptionBudget"))
	assert.Zero(t, r.Count("ServiceAccount"))
}

func TestGatewayExporterImageProbesAndPodSecurity(t *testing.T) {
	t.Parallel()
	vals := gatewayRoutes()
	vals["metrics"] = map[string]any{"image": map[string]any{"registry": "mirror.local", "repository": "exporter", "tag": "1.4.2",
		"digest": "sha256:" + strings.Repeat("b", 64), "pullPolicy": "Always"}}
	vals["podSecurityContext"] = map[string]any{"runAsUser": 101, "runAsGroup": 2000, "fsGroup": 3000}
	vals["probes"] = map[string]any{
		"liveness":  map[string]any{"enabled": false, "httpGet": map[string]any{"path": "/healthz", "port": "http"}},
		"readiness": map[string]any{"enabled": true, "httpGet": map[string]any{"path": "/ready", "port": 8080}, "periodSeconds": 3},
	}
	r := renderGateway(t, vals)
	pod := render.Get[*appsv1.Deployment](t, r, "shop-gateway").Spec.Template.Spec
	assert.EqualValues(t, 2000, *pod.SecurityContext.RunAsGroup)
	assert.EqualValues(t, 3000, *pod.SecurityContext.FSGroup)
	nginx, exporter := pod.Containers[0], pod.Containers[1]
	assert.Nil(t, nginx.LivenessProbe, "liveness disabled")
	assert.Equal(t, "/ready", nginx.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, "8080", nginx.ReadinessProbe.HTTPGet.Port.String())
	assert.EqualValues(t, 3, nginx.ReadinessProbe.PeriodSeconds)
	assert.Equal(t, "mirror.local/exporter@sha256:"+strings.Repeat("b", 64), exporter.Image)
	assert.Equal(t, corev1.PullAlways, exporter.ImagePullPolicy)
}

func TestGatewayJWTModeWiresTheKeyScriptAndClaims(t *testing.T) {
	t.Parallel()
	vals := gatewayRoutes()
	vals["auth"] = jwtAuth()
	vals["auth"].(map[string]any)["jwt"].(map[string]any)["njsModule"] = "/usr/lib/nginx/modules/ngx_http_js_module.so"
	r := renderGateway(t, vals)
	files := gatewayFiles(t, r, "shop-gateway")
	requireNginxAccepts(t, files)
	conf := files["nginx.conf"]
	assert.Contains(t, conf, "load_module /usr/lib/nginx/modules/ngx_http_js_module.so;")
	assert.Contains(t, conf, "env STACK_JWT_SECRET;", "the key reaches njs through the environment")
	assert.Contains(t, location(t, conf, "= /_stack_auth"), "js_content stack_jwt.verify;")
	users := location(t, conf, "/api/users/")
	assert.Contains(t, users, "auth_request /_stack_auth;")
	assert.Contains(t, users, "proxy_set_header X-Tenant $stack_claim_0;", "claim headers, sorted by header name")
	assert.Contains(t, users, "proxy_set_header X-User $stack_claim_1;")
	assert.Contains(t, location(t, conf, "/api/auth/token"), `proxy_set_header X-User "";`)
	assert.Contains(t, files["jwt.js"], `var ISSUER = "podinfo";`)
	assert.Contains(t, files["jwt.js"], "var LEEWAY = 5;")
	assert.Contains(t, files["jwt.js"], "export default {verify, claim0, claim1};")
	assert.NotContains(t, conf, "$upstream_http_", "no auth service is asked in jwt mode")

	d := render.Get[*appsv1.Deployment](t, r, "shop-gateway")
	key := env(d.Spec.Template.Spec.Containers[0])["STACK_JWT_SECRET"].ValueFrom.SecretKeyRef
	assert.Equal(t, "shop-jwt", key.Name, "the Secret name is a template")
	assert.Equal(t, "signing-key", key.Key)
	items := d.Spec.Template.Spec.Volumes[0].ConfigMap.Items
	require.Len(t, items, 2)
	assert.Equal(t, "jwt.js", items[1].Path)
}
