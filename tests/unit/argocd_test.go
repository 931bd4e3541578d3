package unit

import (
	"cmp"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/tests/render"
)

const (
	argoHook       = "argocd.argoproj.io/hook"
	argoHookDelete = "argocd.argoproj.io/hook-delete-policy"
	argoWave       = "argocd.argoproj.io/sync-wave"
	argoOptions    = "argocd.argoproj.io/sync-options"
)

// testPods are the `helm test` pods of a render, by name, with their annotations.
func testPods(t *testing.T, r *render.Result) map[string]map[string]string {
	t.Helper()
	pods := map[string]map[string]string{}
	for _, o := range r.Objects {
		if o.Hook && o.Kind == "Pod" {
			pods[o.Name] = o.Meta().GetAnnotations()
		}
	}
	return pods
}

func TestUnderArgoCDTheHelmTestPodsAreAlsoPostSyncHooks(t *testing.T) {
	t.Parallel()
	// Default: plain Helm test hooks (Argo CD skips them).
	plain := testPods(t, render.Render(t, chart("stack"), devOpts(nil)))
	require.Len(t, plain, 4, "the gateway, MySQL, Redis and RabbitMQ test pods")
	for name, a := range plain {
		assert.Equal(t, "test", a["helm.sh/hook"], name)
		assert.Equal(t, "before-hook-creation", a["helm.sh/hook-delete-policy"], name)
		assert.NotContains(t, a, argoHook, name)
	}
	// The switch: each pod is a PostSync hook for Argo CD and still a test hook for Helm.
	argo := testPods(t, render.Render(t, chart("stack"), devOpts(map[string]any{"global": map[string]any{"argocd": map[string]any{"testsAsPostSync": true}}})))
	require.Len(t, argo, 4)
	for name, a := range argo {
		assert.Equal(t, "test", a["helm.sh/hook"], name)
		assert.Equal(t, "PostSync", a[argoHook], name)
		assert.Equal(t, "BeforeHookCreation", a[argoHookDelete], name)
	}
	// A backing chart installed alone honours the same global.
	for _, c := range []string{"mysql", "redis", "rabbitmq"} {
		vals := map[string]any{"global": map[string]any{"argocd": map[string]any{"testsAsPostSync": true}}, "auth": map[string]any{"password": "p"}}
		switch c {
		case "mysql":
			vals["auth"] = map[string]any{"password": "p", "rootPassword": "r", "exporterPassword": "e"}
		case "rabbitmq":
			vals["auth"] = map[string]any{"password": "p", "erlangCookie": "cookiecookiecookiecookie"}
		}
		pods := testPods(t, render.Render(t, chart(c), render.Options{Values: vals}))
		require.Len(t, pods, 1, c)
		for name, a := range pods {
			assert.Equal(t, "PostSync", a[argoHook], "%s: %s", c, name)
		}
	}
}

func TestObjectsOfCRDKindsWaitForTheirCRDsAndWhatTheyNeedUnderArgoCD(t *testing.T) {
	t.Parallel()
	opts := stackOpts(map[string]any{
		"global": map[string]any{"domain": "shop.example.test", "edge": map[string]any{
			"mode": "gateway-api", "gatewayAPI": map[string]any{"create": true, "className": "traefik"}, "tls": map[string]any{"enabled": true, "redirect": true}}},
		"cert-issuer": map[string]any{"enabled": true},
		"monitoring":  map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "dev"}}},
	})
	opts.APIVersions = []string{"monitoring.coreos.com/v1"}
	r := render.Render(t, chart("stack"), opts)

	waves := map[string][]int{}
	for _, o := range r.Objects {
		u := o.Meta()
		switch o.Kind {
		case "ServiceMonitor", "PodMonitor", "PrometheusRule", "Gateway", "HTTPRoute", "Certificate", "Issuer", "ClusterIssuer":
			assert.Equal(t, "SkipDryRunOnMissingResource=true", u.GetAnnotations()[argoOptions], "%s/%s", o.Kind, o.Name)
			w, err := strconv.Atoi(u.GetAnnotations()[argoWave])
			require.NoError(t, err, "%s/%s has a sync wave", o.Kind, o.Name)
			waves[o.Kind] = append(waves[o.Kind], w)
		default:
			if _, ok := u.GetAnnotations()[argoWave]; !ok {
				waves["plain"] = append(waves["plain"], 0)
			}
		}
	}
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "Gateway", "HTTPRoute", "Certificate", "Issuer", "ClusterIssuer"} {
		require.NotEmpty(t, waves[kind], "the render has a %s", kind)
	}
	assert.NotEmpty(t, waves["plain"], "the Deployments, Services and Secrets stay in wave 0")
	// After the objects each needs: monitors after the Services they select (wave 0), the edge
	// after the edge certificate whose Secret it serves.
	for _, kind := range []string{"ServiceMonitor", "PodMonitor", "PrometheusRule"} {
		for _, w := range waves[kind] {
			assert.Greater(t, w, 0, kind)
		}
	}
	edgeCert := maxOf(waves["Certificate"])
	for _, kind := range []string{"Gateway", "HTTPRoute"} {
		for _, w := range waves[kind] {
			assert.Greater(t, w, edgeCert, "%s after the edge Certificate", kind)
		}
	}
	// Objects of built-in kinds carry no skip: their dry run must not be skipped.
	dep := render.Get[*appsv1.Deployment](t, r, "shop-gateway")
	assert.NotContains(t, dep.Annotations, argoOptions)
}

func maxOf(xs []int) int {
	m := xs[0]
	for _, x := range xs[1:] {
		m = max(m, x)
	}
	return m
}

// argoExample reads examples/argocd/<name>.yaml.
func argoExample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "examples", "argocd", name+".yaml"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, yaml.Unmarshal(b, &m))
	return m
}

// clusterScoped are the cluster-scoped kinds a chart could render.
var clusterScoped = map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "ClusterIssuer": true,
	"PriorityClass": true, "StorageClass": true, "CustomResourceDefinition": true, "IngressClass": true, "GatewayClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "PersistentVolume": true, "APIService": true}

func TestTheExampleAppProjectAllowsWhatTheReleaseCreatesAndNoMore(t *testing.T) {
	t.Parallel()
	spec := argoExample(t, "project")["spec"].(map[string]any)
	allowed := map[string]bool{}
	for _, w := range spec["clusterResourceWhitelist"].([]any) {
		w := w.(map[string]any)
		allowed[w["group"].(string)+"/"+w["kind"].(string)] = true
	}
	destinations := map[string]bool{}
	for _, d := range spec["destinations"].([]any) {
		destinations[d.(map[string]any)["namespace"].(string)] = true
	}
	// The release as the example Application names it, with every optional part that adds
	// cluster-scoped objects or namespaces: monitoring and cert-issuer (self-signed: ClusterIssuer).
	used := map[string]bool{}
	for _, vals := range []map[string]any{
		{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "p"}}}, "cert-issuer": map[string]any{"enabled": true},
			"global": map[string]any{"domain": "shop.example.test"}},
		{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "p"}}}, "cert-issuer": map[string]any{"enabled": true, "mode": "acme",
			"acme": map[string]any{"email": "ops@example.com", "clusterIssuer": true, "http01": map[string]any{"ingressClassName": "traefik"}}},
			"global": map[string]any{"domain": "shop.example.test", "edge": map[string]any{"mode": "ingress"}}},
	} {
		opts := devOpts(vals)
		opts.ReleaseName, opts.Namespace = "stack", "stack"
		r := render.Render(t, chart("stack"), opts)
		for _, o := range r.Objects {
			if clusterScoped[o.Kind] {
				key := o.GVK().Group + "/" + o.Kind
				assert.True(t, allowed[key], "the AppProject's clusterResourceWhitelist lacks %s (%s)", key, o.Name)
				used[key] = true
				continue
			}
			ns := cmp.Or(o.Namespace, "stack")
			assert.True(t, destinations[ns], "the AppProject has no destination for namespace %s (%s/%s)", ns, o.Kind, o.Name)
		}
	}
	used["/Namespace"] = true // the release namespace, created by Argo CD (CreateNamespace=true)
	for key := range allowed {
		assert.True(t, used[key], "the AppProject allows %s, which the release never creates", key)
	}
}

func TestTheExampleApplicationRendersTheUmbrellaWithItsTestsAsPostSyncHooks(t *testing.T) {
	t.Parallel()
	app := argoExample(t, "application")
	spec := app["spec"].(map[string]any)
	source := spec["source"].(map[string]any)
	require.Equal(t, "charts/stack", source["path"])
	assert.Equal(t, "stack", spec["project"], "the example AppProject")
	helmSpec := source["helm"].(map[string]any)
	var files []string
	for _, f := range helmSpec["valueFiles"].([]any) {
		files = append(files, filepath.Join(root, source["path"].(string), f.(string)))
	}
	r := render.Render(t, chart("stack"), render.Options{ReleaseName: helmSpec["releaseName"].(string), Namespace: spec["destination"].(map[string]any)["namespace"].(string),
		ValuesFiles: files, Values: helmSpec["valuesObject"].(map[string]any)})
	pods := testPods(t, r)
	require.NotEmpty(t, pods)
	for name, a := range pods {
		assert.Equal(t, "PostSync", a[argoHook], name)
	}
	policy := spec["syncPolicy"].(map[string]any)
	assert.Equal(t, map[string]any{"prune": true, "selfHeal": true}, policy["automated"])
	assert.Contains(t, policy["syncOptions"], "CreateNamespace=true")
}
