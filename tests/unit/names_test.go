package unit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/stack-charts/stack/tests/policy"
	"github.com/stack-charts/stack/tests/render"
)

// checkNamesAndReferences: every object's name fits its kind's limit, no two objects share a
// (kind, namespace, name), and every reference names an object of the render or one of the
// documented external ones.
func checkNamesAndReferences(t *testing.T, what string, r *render.Result, external map[string]bool) {
	t.Helper()
	have := map[string]bool{}
	for _, o := range r.Objects {
		m, err := meta.Accessor(o.Obj)
		require.NoError(t, err)
		id := o.Kind + "/" + m.GetNamespace() + "/" + o.Name
		assert.False(t, have[id], "%s: two objects are %s", what, id)
		have[id] = true
		limit := 63
		if o.Kind == "StatefulSet" || o.Kind == "CronJob" {
			limit = 52 // their pods and Jobs add an 11-character suffix
		}
		if o.Kind == "Secret" {
			limit = validation.DNS1123SubdomainMaxLength
		}
		assert.LessOrEqual(t, len(o.Name), limit, "%s: %s %s is %d characters (limit %d)", what, o.Kind, o.Name, len(o.Name), limit)
		if o.Kind == "Service" || o.Kind == "Namespace" {
			assert.Empty(t, validation.IsDNS1035Label(o.Name), "%s: %s %q", what, o.Kind, o.Name)
		}
		for k, v := range m.GetLabels() {
			assert.Empty(t, validation.IsValidLabelValue(v), "%s: %s %s label %s=%q", what, o.Kind, o.Name, k, v)
		}
	}
	exists := func(kind, namespace, name string) bool {
		return have[kind+"/"+namespace+"/"+name] || external[kind+"/"+name]
	}
	for _, o := range r.Objects {
		m, _ := meta.Accessor(o.Obj)
		n := m.GetNamespace()
		switch x := o.Obj.(type) {
		case *networkingv1.Ingress:
			for _, rule := range x.Spec.Rules {
				for _, p := range rule.HTTP.Paths {
					assert.True(t, exists("Service", n, p.Backend.Service.Name), "%s: Ingress %s routes %s to Service %s, not in the render", what, x.Name, p.Path, p.Backend.Service.Name)
				}
			}
		case *appsv1.StatefulSet:
			assert.True(t, exists("Service", n, x.Spec.ServiceName), "%s: StatefulSet %s's serviceName %s", what, x.Name, x.Spec.ServiceName)
		}
		if o.Kind == "HTTPRoute" {
			u := o.Obj.(interface{ UnstructuredContent() map[string]any }).UnstructuredContent()
			for _, rule := range u["spec"].(map[string]any)["rules"].([]any) {
				refs, _ := rule.(map[string]any)["backendRefs"].([]any) // the redirect route has none
				for _, b := range refs {
					name := b.(map[string]any)["name"].(string)
					assert.True(t, exists("Service", n, name), "%s: HTTPRoute %s routes to Service %s, not in the render", what, o.Name, name)
				}
			}
		}
	}
	namespaceOf := map[string]string{}
	for _, o := range r.Objects {
		m, _ := meta.Accessor(o.Obj)
		namespaceOf[o.Kind+"/"+o.Name] = m.GetNamespace()
	}
	for _, w := range policy.Workloads(r.Objects) {
		id, spec, namespace := w.Object, w.Spec, namespaceOf[w.Object]
		if sa := spec.ServiceAccountName; sa != "" && sa != "default" {
			assert.True(t, exists("ServiceAccount", namespace, sa), "%s: %s runs as ServiceAccount %s, not in the render", what, id, sa)
		}
		for _, v := range spec.Volumes {
			if v.Secret != nil {
				assert.True(t, exists("Secret", namespace, v.Secret.SecretName), "%s: %s mounts Secret %s", what, id, v.Secret.SecretName)
			}
			if v.ConfigMap != nil {
				assert.True(t, exists("ConfigMap", namespace, v.ConfigMap.Name), "%s: %s mounts ConfigMap %s", what, id, v.ConfigMap.Name)
			}
			if v.PersistentVolumeClaim != nil {
				assert.True(t, exists("PersistentVolumeClaim", namespace, v.PersistentVolumeClaim.ClaimName), "%s: %s mounts PVC %s", what, id, v.PersistentVolumeClaim.ClaimName)
			}
		}
		for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					assert.True(t, exists("Secret", namespace, e.ValueFrom.SecretKeyRef.Name), "%s: %s reads %s from Secret %s", what, id, e.Name, e.ValueFrom.SecretKeyRef.Name)
				}
			}
		}
	}
}

// Issue 13, item 1: for release names of 1 to 53 characters (Helm's limit), both profiles, with
// monitoring on and every edge mode, every name fits its kind, every object is unique and every
// reference resolves.
func TestNamesFitAreUniqueAndResolveForEveryReleaseName(t *testing.T) {
	t.Parallel()
	edges := map[string]map[string]any{
		"none":        {"mode": "none"},
		"ingress":     {"mode": "ingress"},
		"gateway-api": {"mode": "gateway-api", "gatewayAPI": map[string]any{"create": true, "className": "eg"}},
		"nodeport":    {"mode": "nodeport"},
	}
	for _, n := range []int{1, 28, 29, 40, 53} {
		release := strings.Repeat("r", n)
		for _, prof := range []string{"dev", "prod"} {
			for mode, edge := range edges {
				if prof == "prod" && mode == "nodeport" {
					continue // prod's quota has no node port: refused at render (conflicts_test)
				}
				vals := map[string]any{"global": map[string]any{"domain": "shop.example.test", "edge": edge}}
				external := map[string]bool{"Secret/" + release + "-edge-tls": true} // written by cert-manager
				if prof == "dev" {
					vals["monitoring"] = map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}, "persistence": map[string]any{"enabled": true}},
						"alertmanager": map[string]any{"replicas": 2}}
					vals["mysql"] = map[string]any{"backup": map[string]any{"enabled": true}}
					vals["cert-issuer"] = map[string]any{"enabled": true}
				} else {
					// The Secrets the prod profile expects to exist (stack README, "Before a prod install").
					for _, s := range []string{"auth-jwt", "mysql-auth", "redis-auth", "rabbitmq-auth", "grafana-admin", "alert-receivers"} {
						external["Secret/"+release+"-"+s] = true
					}
				}
				what := fmt.Sprintf("release %d chars, %s, edge %s", n, prof, mode)
				r, err := render.RenderE(chart("stack"), render.Options{ReleaseName: release, Namespace: "team-prod", ValuesFiles: []string{profile(prof)}, Values: vals})
				require.NoError(t, err, what)
				checkNamesAndReferences(t, what, r, external)
			}
		}
	}
}

// Two long app names that share their first 36 characters, cut to fit, still get two names; an app named like
// another chart's object is refused; a namespace too long for "<ns>-monitoring" fails naming the key.
func TestLongAndReservedNamesNeverCollide(t *testing.T) {
	t.Parallel()
	a, b := strings.Repeat("a", 36)+"-one", strings.Repeat("a", 36)+"-two"
	o := devOpts(map[string]any{"services": map[string]any{"apps": map[string]any{a: map[string]any{}, b: map[string]any{}}}})
	o.ReleaseName = strings.Repeat("r", 40) // 40 + 1 + 40: both cut to 63
	r := render.Render(t, chart("stack"), o)
	names := map[string]bool{}
	for _, d := range render.All[*appsv1.Deployment](r) {
		assert.LessOrEqual(t, len(d.Name), 63)
		assert.False(t, names[d.Name], "two Deployments named %s", d.Name)
		names[d.Name] = true
	}
	assert.Len(t, names, 8, "the gateway, users, orders, auth, frontend, mailer and the two long ones")

	for _, name := range []string{"default-deny", "mysql-backup", "calls-users", "uses-redis", "edge-to-frontend", "cache-headless", "monitoring-prometheus"} {
		render.Fails(t, chart("stack"), devOpts(map[string]any{"services": map[string]any{"apps": map[string]any{name: map[string]any{}}}}),
			"services.apps."+name, "reserved")
	}

	render.Fails(t, chart("stack"), devOpts(map[string]any{"services": map[string]any{"apps": map[string]any{strings.Repeat("x", 41): map[string]any{}}}}),
		"services.apps."+strings.Repeat("x", 41)+": an app name is a DNS label of at most 40 characters")
	render.Fails(t, chart("stack"), devOpts(map[string]any{"services": map[string]any{"apps": map[string]any{"Users": map[string]any{}}}}), "services.apps.Users: an app name")

	long := strings.Repeat("n", 55)
	o = devOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}}}})
	o.Namespace = long
	render.Fails(t, chart("stack"), o, "global.networkPolicy.monitoringNamespace", long+"-monitoring", "at most 63")
	o.Values["global"] = map[string]any{"networkPolicy": map[string]any{"monitoringNamespace": "monitoring"}}
	render.Render(t, chart("stack"), o)
}

// The umbrella refers to the gateway by the name the gateway chart gives itself, whatever the
// release is called or overrides: the Ingress /api backend and the helm test's target.
func TestTheUmbrellaFindsTheGatewayUnderAnyNameOrOverride(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		release string
		gateway map[string]any
		want    string
	}{
		{"api-gateway", nil, "api-gateway-gateway"},
		{"gateway", nil, "gateway"},
		{"shop", map[string]any{"fullnameOverride": "edge-gw"}, "edge-gw"},
		{"shop", map[string]any{"nameOverride": "api"}, "shop-api"},
	} {
		vals := map[string]any{"global": map[string]any{"domain": "a.test", "edge": map[string]any{"mode": "ingress"}}}
		if tc.gateway != nil {
			vals["gateway"] = tc.gateway
		}
		r := render.Render(t, chart("stack"), render.Options{ReleaseName: tc.release, Namespace: "shop", ValuesFiles: []string{profile("dev")}, Values: vals})
		svc := render.Get[*corev1.Service](t, r, tc.want)
		assert.Equal(t, "gateway", svc.Labels["app.kubernetes.io/name"], tc.release)
		ing := render.Get[*networkingv1.Ingress](t, r, include(tc.release, "edge"))
		assert.Equal(t, tc.want, ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name, "%s %v: the /api backend", tc.release, tc.gateway)
		var test *corev1.Pod
		for _, p := range render.All[*corev1.Pod](r) {
			if strings.HasSuffix(p.Name, "test-gateway") {
				test = p
			}
		}
		require.NotNil(t, test)
		assert.Contains(t, strings.Join(test.Spec.Containers[0].Command, " ")+strings.Join(test.Spec.Containers[0].Args, " "), tc.want+".shop.svc.cluster.local", "the helm test's target")
	}
}

// include is <release>-<name>, or the release alone when it is the name.
func include(release, name string) string {
	if release == name {
		return release
	}
	return release + "-" + name
}

// The backing charts take nameOverride and fullnameOverride; the umbrella makes the consumers'
// side follow (global.dependencies.<dep>.host and secretName) or fails naming both keys, and an
// external host beside a deployed chart is refused.
func TestBackingServiceOverridesKeepTheWiringTogether(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("mysql"), render.Options{ReleaseName: "shop", Values: map[string]any{"fullnameOverride": "orders-db",
		"auth": map[string]any{"rootPassword": "r", "password": "a", "exporterPassword": "e"}}})
	render.Get[*appsv1.StatefulSet](t, r, "orders-db")
	render.Get[*corev1.Service](t, r, "orders-db")
	render.Get[*corev1.Secret](t, r, "orders-db")
	r = render.Render(t, chart("mysql"), render.Options{ReleaseName: "shop", Values: map[string]any{"nameOverride": "db",
		"auth": map[string]any{"rootPassword": "r", "password": "a", "exporterPassword": "e"}}})
	render.Get[*appsv1.StatefulSet](t, r, "shop-db")
	r = render.Render(t, chart("redis"), render.Options{ReleaseName: "shop", Values: map[string]any{"nameOverride": "cache", "auth": map[string]any{"password": "p"}}})
	render.Get[*appsv1.StatefulSet](t, r, "shop-cache")
	r = render.Render(t, chart("redis"), render.Options{ReleaseName: "shop", Values: map[string]any{"fullnameOverride": "sessions", "auth": map[string]any{"password": "p"}}})
	render.Get[*appsv1.StatefulSet](t, r, "sessions")
	r = render.Render(t, chart("rabbitmq"), render.Options{ReleaseName: "shop", Values: map[string]any{"nameOverride": "mq",
		"auth": map[string]any{"password": "p", "erlangCookie": "an-erlang-cookie-of-24ch"}}})
	render.Get[*appsv1.StatefulSet](t, r, "shop-mq")
	r = render.Render(t, chart("rabbitmq"), render.Options{ReleaseName: "shop", Values: map[string]any{"fullnameOverride": "bus",
		"auth": map[string]any{"password": "p", "erlangCookie": "an-erlang-cookie-of-24ch"}}})
	render.Get[*appsv1.StatefulSet](t, r, "bus")

	render.Fails(t, chart("stack"), devOpts(nil, "mysql.fullnameOverride=orders-db"),
		"global.dependencies.mysql.host", "mysql.enabled deploys the Service \"orders-db\"")
	ok := render.Render(t, chart("stack"), devOpts(map[string]any{"mysql": map[string]any{"fullnameOverride": "orders-db"},
		"global": map[string]any{"dependencies": map[string]any{"mysql": map[string]any{"host": "orders-db.default.svc.cluster.local", "secretName": "orders-db"}}}}))
	users := render.Get[*appsv1.Deployment](t, ok, "test-users").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "orders-db.default.svc.cluster.local", envOf(users)["MYSQL_HOST"].Value)
	render.Fails(t, chart("stack"), devOpts(nil, "global.dependencies.redis.host=cache.example.com"),
		"global.dependencies.redis.host is \"cache.example.com\"", "redis.enabled: false")
}
