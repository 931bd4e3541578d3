package unit

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/stack-charts/stack/tests/golden"
	"github.com/stack-charts/stack/tests/policy"
	"github.com/stack-charts/stack/tests/render"
)

// profiles are the umbrella's value profiles, each with what it needs to render.
var profiles = map[string]render.Options{
	"dev":  {ReleaseName: "stack", Namespace: "stack", ValuesFiles: []string{profile("dev")}},
	"prod": {ReleaseName: "stack", Namespace: "stack", ValuesFiles: []string{profile("prod")}},
}

var (
	profileRendersMu sync.Mutex
	profileRenders   = map[string]*render.Result{}
)

// profileRender is the umbrella rendered with a profile, rendered once per test process: the
// result is only read, so tests that inspect the same profile share it.
func profileRender(t *testing.T, name string) *render.Result {
	t.Helper()
	return sharedRender(t, name, profiles[name])
}

// shopProdRender is the prod profile as release "shop" in namespace "prod", shared like
// profileRender (several tests read it).
func shopProdRender(t *testing.T) *render.Result {
	t.Helper()
	return sharedRender(t, "prod as shop in prod", render.Options{ReleaseName: "shop", Namespace: "prod", ValuesFiles: []string{profile("prod")}})
}

// sharedRender renders the umbrella with opts once per test process under key.
func sharedRender(t *testing.T, key string, opts render.Options) *render.Result {
	t.Helper()
	profileRendersMu.Lock()
	defer profileRendersMu.Unlock()
	if r, ok := profileRenders[key]; ok {
		return r
	}
	r := render.Render(t, chart("stack"), opts)
	profileRenders[key] = r
	return r
}

func TestTheDefaultInstallRequiresTheJWTKey(t *testing.T) {
	t.Parallel()
	backing := map[string]any{"mysql": creds("mysql"), "redis": creds("redis"), "rabbitmq": creds("rabbitmq")}
	render.Fails(t, chart("stack"), render.Options{Values: backing}, "secrets.jwt.PODINFO_JWT_SECRET is empty", "no default credentials")
	r := render.Render(t, chart("stack"), render.Options{Values: backing, SetString: []string{"services.secrets.jwt.PODINFO_JWT_SECRET=s3cret"}})
	assert.Equal(t, "s3cret", string(render.Get[*corev1.Secret](t, r, "test-jwt").Data["PODINFO_JWT_SECRET"]))
}

func TestTheDevProfileRendersTheGatewayInFrontOfTheServices(t *testing.T) {
	t.Parallel()
	r := profileRender(t, "dev")
	for _, name := range []string{"stack-gateway", "stack-frontend", "stack-auth", "stack-users", "stack-orders", "stack-mailer"} {
		assert.True(t, render.Has[*appsv1.Deployment](r, name), "Deployment %s", name)
	}
	for _, name := range []string{"stack-mysql", "stack-redis", "stack-rabbitmq"} {
		assert.True(t, render.Has[*appsv1.StatefulSet](r, name), "StatefulSet %s", name)
	}
	assert.Equal(t, 2, r.Count("CronJob"), "the pipeline and the database backup")
	assert.EqualValues(t, 2, *render.Get[*appsv1.Deployment](t, r, "stack-gateway").Spec.Replicas, "the gateway keeps 2 replicas in dev")
	assert.EqualValues(t, 1, *render.Get[*appsv1.Deployment](t, r, "stack-users").Spec.Replicas)
	assert.Equal(t, 1, r.Count("PodDisruptionBudget"), "only the gateway runs several replicas in dev")

	// Every route points at a rendered Service on the routed port: the naming convention holds.
	conf := nginxConf(t, r, "stack-gateway")
	requireNginxAccepts(t, gatewayFiles(t, r, "stack-gateway"))
	routes := defaultRoutes(t)
	for _, rt := range routes {
		route := rt.(map[string]any)
		svc := render.Get[*corev1.Service](t, r, "stack-"+route["service"].(string))
		assert.EqualValues(t, route["port"], svc.Spec.Ports[0].Port, "route %s port", route["path"])
		assert.Contains(t, conf, svc.Name+".stack.svc.cluster.local:", "route %s upstream", route["path"])
	}
	auth := render.Get[*appsv1.Deployment](t, r, "stack-auth").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "stack-jwt", auth.EnvFrom[0].SecretRef.Name, "the auth service signs with the JWT Secret")

	assert.Contains(t, r.Notes, "port-forward svc/stack-gateway 8080:80")
	assert.Contains(t, r.Notes, "/api/users/ -> users:80")
	assert.Contains(t, r.Notes, "public: /api/auth/token")
	pod := render.Get[*corev1.Pod](t, r, "stack-test-gateway")
	script := strings.Join(pod.Spec.Containers[0].Args, "\n")
	assert.Contains(t, script, `expect 401 "$G/api/users/"`, "helm test proves a token is required")
	assert.Contains(t, script, `expect 200 -H "Authorization: Bearer $TOKEN" "$G/api/users/"`, "and that a token lets the request through")
	assert.NotContains(t, script, `expect 401 "$G/"`, "the public frontend route needs no token")
}

// defaultRoutes reads the umbrella's default routes from its values.yaml.
func defaultRoutes(t *testing.T) []any {
	t.Helper()
	vals, err := render.MergeValues(render.Options{ValuesFiles: []string{filepath.Join(chart("stack"), "values.yaml")}})
	require.NoError(t, err)
	return vals["gateway"].(map[string]any)["routes"].([]any)
}

func TestTheProdProfileIsSizedForProduction(t *testing.T) {
	t.Parallel()
	r := profileRender(t, "prod")
	for _, name := range []string{"stack-gateway", "stack-users", "stack-orders"} {
		hpa := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, r, name)
		assert.GreaterOrEqual(t, *hpa.Spec.MinReplicas, int32(3), "%s HPA min", name)
	}
	for _, name := range []string{"stack-frontend", "stack-auth"} {
		d := render.Get[*appsv1.Deployment](t, r, name)
		assert.EqualValues(t, 3, *d.Spec.Replicas)
		assert.Equal(t, "0", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String(), "%s rolls without losing capacity", name)
		assert.NotNil(t, d.Spec.Template.Spec.Containers[0].StartupProbe)
	}
	assert.Equal(t, 8, r.Count("PodDisruptionBudget"), "every Deployment, the 3-node RabbitMQ and the 2 Alertmanagers have a PDB")
	assert.Zero(t, r.Count("Secret"), "prod takes the JWT key and the backing services' passwords from existing Secrets")
	auth := render.Get[*appsv1.Deployment](t, r, "stack-auth").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "stack-auth-jwt", env(auth)["PODINFO_JWT_SECRET"].ValueFrom.SecretKeyRef.Name)
	conf := nginxConf(t, r, "stack-gateway")
	assert.Equal(t, 5, strings.Count(conf, "server stack-orders.stack.svc.cluster.local:80 max_fails=0;"), "the Service once per try")
	assert.Contains(t, location(t, conf, "/api/orders/"), "proxy_next_upstream_tries 5;", "five attempts at a refused connection")
}

func TestSubchartsCanBeSwitchedOff(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), devOpts(nil, "gateway.enabled=false"))
	assert.False(t, render.Has[*appsv1.Deployment](r, "stack-gateway"))
	assert.False(t, render.Has[*corev1.Pod](r, "stack-test-gateway"), "no gateway, no gateway test")
	assert.NotContains(t, r.Notes, "port-forward")
	r = render.Render(t, chart("stack"), devOpts(nil, "services.enabled=false"))
	assert.Equal(t, 1, r.Count("Deployment"), "only the gateway")
}

func TestGlobalValuesReachEverySubchart(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), render.Options{ReleaseName: "stack", ValuesFiles: []string{profile("dev")},
		Values: map[string]any{
			"global": map[string]any{"imageRegistry": "registry.local:5000", "imagePullSecrets": []any{"pull"}, "imagePullPolicy": "Never",
				"labels": map[string]any{"team": "shop"}, "clusterDomain": "cluster.local",
				"dependencies":  map[string]any{"redis": map[string]any{"port": 6380}},
				"networkPolicy": map[string]any{"dnsNamespace": "kube-system", "monitoringNamespace": "monitoring"}},
			"tests": map[string]any{"image": map[string]any{"registry": "docker.io", "repository": "curlimages/curl", "tag": "8.17.0", "digest": "", "pullPolicy": "IfNotPresent"}},
			"redis": map[string]any{"service": map[string]any{"port": 6380}},
		}})
	for _, s := range render.All[*appsv1.StatefulSet](r) {
		for _, c := range s.Spec.Template.Spec.Containers {
			assert.True(t, strings.HasPrefix(c.Image, "registry.local:5000/"), "%s/%s image %s", s.Name, c.Name, c.Image)
		}
		assert.Equal(t, "shop", s.Labels["team"])
	}
	users := render.Get[*appsv1.Deployment](t, r, "stack-users").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "stack-redis.default.svc.cluster.local:6380", env(users)["REDIS_ADDR"].Value, "a dependency override reaches the consumers")
	for _, d := range render.All[*appsv1.Deployment](r) {
		for _, c := range d.Spec.Template.Spec.Containers {
			assert.True(t, strings.HasPrefix(c.Image, "registry.local:5000/"), "%s/%s image %s", d.Name, c.Name, c.Image)
		}
		assert.Equal(t, "pull", d.Spec.Template.Spec.ImagePullSecrets[0].Name)
		assert.Equal(t, "shop", d.Labels["team"])
	}
	test := render.Get[*corev1.Pod](t, r, "stack-test-gateway")
	assert.Equal(t, "registry.local:5000/curlimages/curl:8.17.0", test.Spec.Containers[0].Image)
	assert.Equal(t, corev1.PullIfNotPresent, test.Spec.Containers[0].ImagePullPolicy)
}

func TestOperatorObjectsAppearWhenTheClusterServesMonitoringV1(t *testing.T) {
	t.Parallel()
	opts := profiles["dev"]
	opts.APIVersions = []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor"}
	r := render.Render(t, chart("stack"), opts)
	assert.Equal(t, 4, r.Count("ServiceMonitor"), "the gateway's, MySQL's, Redis' and RabbitMQ's metrics ports are on their Services")
	assert.Equal(t, 5, r.Count("PodMonitor"), "podinfo's metrics port is not on the Services: four services and the worker get PodMonitors")
	assert.Zero(t, profileRender(t, "dev").Count("ServiceMonitor"))
}

func TestEveryPodOfEveryProfileMeetsThePolicy(t *testing.T) {
	t.Parallel()
	for name := range profiles {
		t.Run(name, func(t *testing.T) {
			r := profileRender(t, name)
			require.NotEmpty(t, policy.Workloads(r.Objects))
			// node-exporter and the log collector (monitoring, prod) need host access: their
			// namespace is privileged.
			exempt := []string{"DaemonSet/stack-monitoring-node-exporter", "DaemonSet/stack-monitoring-logs-collector"}
			for _, f := range policy.Check(r.Objects, policy.Options{Exempt: exempt}) {
				t.Errorf("%s", f)
			}
		})
	}
}

func TestEveryProfileRendersAGatewayConfigNginxAccepts(t *testing.T) {
	t.Parallel()
	for name := range profiles {
		t.Run(name, func(t *testing.T) {
			r := profileRender(t, name)
			requireNginxAccepts(t, gatewayFiles(t, r, "stack-gateway"))
		})
	}
}

func TestAPrivilegedWorkerOnlyPassesWhenExempt(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"runner": podinfoApp(map[string]any{"type": "worker", "privileged": true})}, nil)
	var pss []string
	for _, f := range policy.Check(r.Objects, policy.Options{}) {
		if f.Rule == "pss-restricted" {
			pss = append(pss, f.Message)
		}
	}
	assert.NotEmpty(t, pss, "a privileged worker breaks PSS restricted")
	for _, f := range policy.Check(r.Objects, policy.Options{Exempt: []string{"Deployment/shop-runner"}}) {
		assert.NotEqual(t, "pss-restricted", f.Rule)
	}
}

func TestRendersAreDeterministic(t *testing.T) {
	t.Parallel()
	for name, opts := range profiles {
		a := render.Render(t, chart("stack"), opts).YAML()
		b := render.Render(t, chart("stack"), opts).YAML()
		assert.Equal(t, a, b, "two renders of profile %s differ", name)
	}
}

func TestGoldenRenders(t *testing.T) {
	t.Parallel()
	for name := range profiles {
		t.Run(name, func(t *testing.T) {
			golden.Assert(t, filepath.Join("testdata", "golden", "stack-"+name+".yaml"), []byte(profileRender(t, name).YAML()))
		})
	}
}

func TestTheProfilesInTheREADMEExist(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	for name := range profiles {
		assert.Contains(t, string(readme), "profiles/"+name+".yaml")
	}
}

func TestTheNginxCheckRejectsABrokenConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nginx.conf")
	require.NoError(t, os.WriteFile(path, []byte("events {}\nhttp { server { listen 8080; location / { proxy_pass http://$undefined_variable; } } }\n"), 0o644))
	out, err := nginxTestE(path)
	require.Error(t, err, "nginx -t must reject an unknown variable; the gateway checks would be vacuous otherwise")
	assert.Contains(t, out, "unknown", out)
}

// ct lints charts/stack/ci/*-values.yaml; they must be the profiles (ct cannot read profiles/).
func TestTheLintValuesAreTheProfiles(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"dev", "prod"} {
		want, err := os.ReadFile(profile(p))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(chart("stack"), "ci", p+"-values.yaml"))
		require.NoError(t, err)
		body := string(got)
		if strings.HasPrefix(body, "# chart-testing") {
			body = body[strings.Index(body, "\n")+1:]
		}
		assert.Equal(t, string(want), body, "charts/stack/ci/%s-values.yaml must be profiles/%s.yaml (with an optional first comment line): copy it", p, p)
	}
}
