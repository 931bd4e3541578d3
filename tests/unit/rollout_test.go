package unit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stack-charts/stack/tests/render"
)

// rolloutsAPI is what a cluster with Argo Rollouts installed serves.
var rolloutsAPI = []string{"argoproj.io/v1alpha1", "argoproj.io/v1alpha1/Rollout", "argoproj.io/v1alpha1/AnalysisTemplate"}

func renderRollouts(t *testing.T, apps map[string]any, apiVersions ...string) *render.Result {
	t.Helper()
	return render.Render(t, chart("services"), render.Options{ReleaseName: "shop", Namespace: "prod",
		Values: map[string]any{"apps": apps}, APIVersions: append(append([]string{}, rolloutsAPI...), apiVersions...)})
}

func metricsApp(extra map[string]any) map[string]any {
	app := podinfoApp(map[string]any{"metrics": map[string]any{"enabled": true}})
	for k, v := range extra {
		app[k] = v
	}
	return app
}

func TestACanaryRolloutRunsTheDeploymentsPodsAndIsJudgedByPrometheus(t *testing.T) {
	t.Parallel()
	r := renderRollouts(t, map[string]any{"users": metricsApp(map[string]any{
		"replicas": 4,
		"rollout": map[string]any{"strategy": "canary", "scaleDown": "onsuccess",
			"canary": map[string]any{"steps": []any{map[string]any{"setWeight": 20}, map[string]any{"pause": map[string]any{"duration": "1m"}}},
				"maxSurge": 1, "maxUnavailable": "10%"},
			"analysis": map[string]any{"startingStep": 2, "interval": "15s", "initialDelay": "45s", "failureLimit": 1,
				"inconclusiveLimit": 5, "window": "2m", "errorRatio": map[string]any{"max": 0.02},
				"latency": map[string]any{"maxSeconds": 0.25, "quantile": 0.95}}},
	})}, "monitoring.coreos.com/v1/ServiceMonitor")

	d := render.Get[*appsv1.Deployment](t, r, "shop-users")
	assert.Nil(t, d.Spec.Replicas, "the Rollout owns the replica count; an upgrade must not scale the Deployment back up")
	ro := render.Unstructured(t, r, "Rollout", "shop-users")
	assert.EqualValues(t, 4, field(t, ro, "spec", "replicas"))
	assert.Equal(t, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop-users", "scaleDown": "onsuccess"},
		field(t, ro, "spec", "workloadRef"))
	assert.Equal(t, map[string]any{"app.kubernetes.io/name": "users", "app.kubernetes.io/instance": "shop"},
		field(t, ro, "spec", "selector", "matchLabels"), "the Deployment's pods' selector: the Service, PDB and NetworkPolicies select the canary too")
	canary := field(t, ro, "spec", "strategy", "canary").(map[string]any)
	assert.EqualValues(t, 1, canary["maxSurge"])
	assert.Equal(t, "10%", canary["maxUnavailable"])
	assert.Len(t, canary["steps"], 2)
	analysis := canary["analysis"].(map[string]any)
	assert.EqualValues(t, 2, analysis["startingStep"])
	assert.Equal(t, []any{map[string]any{"templateName": "shop-users"}}, analysis["templates"])
	assert.Equal(t, []any{map[string]any{"name": "hash", "valueFrom": map[string]any{"podTemplateHashValue": "Latest"}}}, analysis["args"],
		"the analysis looks at the new version's pods only")

	at := render.Unstructured(t, r, "AnalysisTemplate", "shop-users")
	metrics := field(t, at, "spec", "metrics").([]any)
	require.Len(t, metrics, 2)
	errRatio, latency := metrics[0].(map[string]any), metrics[1].(map[string]any)
	assert.Equal(t, "error-ratio", errRatio["name"])
	assert.Equal(t, "15s", errRatio["interval"])
	assert.Equal(t, "45s", errRatio["initialDelay"])
	assert.EqualValues(t, 1, errRatio["failureLimit"])
	assert.EqualValues(t, 5, errRatio["inconclusiveLimit"])
	assert.NotContains(t, errRatio, "count", "a canary's background analysis runs until the rollout is promoted")
	assert.Equal(t, "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.02", errRatio["successCondition"])
	assert.Equal(t, "len(result) > 0 && !isNaN(result[0]) && result[0] > 0.02", errRatio["failureCondition"],
		"no answer (no requests, no scrape) is neither: inconclusive, not a pass")
	prom := errRatio["provider"].(map[string]any)["prometheus"].(map[string]any)
	assert.Equal(t, "http://shop-monitoring-prometheus.prod.svc.cluster.local:9090", prom["address"], "the stack's own Prometheus")
	sel := `namespace="prod", app="users", rollouts_pod_template_hash="{{args.hash}}"`
	assert.Equal(t, `(sum(rate(http_requests_total{`+sel+`, status=~"5.."}[2m])) or vector(0)) / sum(rate(http_requests_total{`+sel+`}[2m]))`, prom["query"],
		"no 5xx series at all is a ratio of 0, no requests at all no answer")
	assert.Equal(t, "latency", latency["name"])
	assert.Equal(t, `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{`+sel+`}[2m])))`,
		latency["provider"].(map[string]any)["prometheus"].(map[string]any)["query"])
	assert.Contains(t, latency["successCondition"], "<= 0.25")

	sm := render.Unstructured(t, r, "ServiceMonitor", "shop-users")
	assert.Equal(t, []any{"rollouts-pod-template-hash"}, field(t, sm, "spec", "podTargetLabels"),
		"the operator's targets carry the hash the queries select on")
	assert.False(t, render.Has[*corev1.Service](r, "shop-users-preview"), "a canary has no preview Service")
}

func TestABlueGreenRolloutHasAPreviewServiceAndAnalysesAfterTheSwitch(t *testing.T) {
	t.Parallel()
	r := renderRollouts(t, map[string]any{"web": metricsApp(map[string]any{
		"hpa":     map[string]any{"enabled": true, "minReplicas": 3},
		"service": map[string]any{"type": "NodePort"},
		"ports":   []any{map[string]any{"name": "http", "containerPort": 9898, "servicePort": 80, "nodePort": 30080}},
		"rollout": map[string]any{"strategy": "blueGreen",
			"blueGreen": map[string]any{"autoPromotionEnabled": true, "autoPromotionSeconds": 120, "scaleDownDelaySeconds": 60, "previewReplicaCount": 1},
			"analysis": map[string]any{"count": 5, "prometheusAddress": "http://prometheus.observability:9090",
				"errorRatio": map[string]any{"query": `sum(rate(errors{pod_hash="{{args.hash}}"}[1m]))`},
				"latency":    map[string]any{"query": `max(latency{pod_hash="{{args.hash}}"})`}}},
	})})
	ro := render.Unstructured(t, r, "Rollout", "shop-web")
	_, hasReplicas, _ := unstructured.NestedFieldNoCopy(ro.Object, "spec", "replicas")
	assert.False(t, hasReplicas, "the HPA scales the Rollout")
	assert.Equal(t, map[string]any{
		"activeService": "shop-web", "previewService": "shop-web-preview", "autoPromotionEnabled": true,
		"autoPromotionSeconds": int64(120), "scaleDownDelaySeconds": int64(60), "previewReplicaCount": int64(1),
		"postPromotionAnalysis": map[string]any{"templates": []any{map[string]any{"templateName": "shop-web"}},
			"args": []any{map[string]any{"name": "hash", "valueFrom": map[string]any{"podTemplateHashValue": "Latest"}}}},
	}, field(t, ro, "spec", "strategy", "blueGreen"))

	hpa := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, r, "shop-web")
	assert.Equal(t, autoscalingv2.CrossVersionObjectReference{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "shop-web"}, hpa.Spec.ScaleTargetRef)

	active := render.Get[*corev1.Service](t, r, "shop-web")
	preview := render.Get[*corev1.Service](t, r, "shop-web-preview")
	assert.Equal(t, active.Spec.Selector, preview.Spec.Selector, "both select the app's pods; Argo Rollouts adds each one's hash")
	assert.Equal(t, corev1.ServiceTypeNodePort, active.Spec.Type)
	assert.Equal(t, corev1.ServiceTypeClusterIP, preview.Spec.Type, "the preview never takes the app's fixed node ports")
	assert.Equal(t, "web-preview", preview.Labels["app.kubernetes.io/name"], "ServiceMonitors selecting the app's Service do not scrape its pods twice")

	at := render.Unstructured(t, r, "AnalysisTemplate", "shop-web")
	metrics := field(t, at, "spec", "metrics").([]any)
	require.Len(t, metrics, 2)
	for _, m := range metrics {
		m := m.(map[string]any)
		assert.EqualValues(t, 5, m["count"], "a post-promotion analysis ends")
		assert.Equal(t, "http://prometheus.observability:9090", m["provider"].(map[string]any)["prometheus"].(map[string]any)["address"])
	}
	assert.Equal(t, `sum(rate(errors{pod_hash="{{args.hash}}"}[1m]))`, metrics[0].(map[string]any)["provider"].(map[string]any)["prometheus"].(map[string]any)["query"])
	assert.Equal(t, `max(latency{pod_hash="{{args.hash}}"})`, metrics[1].(map[string]any)["provider"].(map[string]any)["prometheus"].(map[string]any)["query"])
}

func TestRolloutAnalysisCanBeOffOrWithoutLatency(t *testing.T) {
	t.Parallel()
	r := renderRollouts(t, map[string]any{
		"users":  podinfoApp(map[string]any{"rollout": map[string]any{"strategy": "canary", "analysis": map[string]any{"enabled": false}}}),
		"mailer": metricsApp(map[string]any{"type": "worker", "rollout": map[string]any{"strategy": "canary", "analysis": map[string]any{"latency": map[string]any{"maxSeconds": nil}}}}),
	})
	assert.Equal(t, 1, r.Count("AnalysisTemplate"), "only the mailer's")
	_, found, _ := unstructured.NestedFieldNoCopy(render.Unstructured(t, r, "Rollout", "shop-users").Object, "spec", "strategy", "canary", "analysis")
	assert.False(t, found)
	metrics := field(t, render.Unstructured(t, r, "AnalysisTemplate", "shop-mailer"), "spec", "metrics").([]any)
	require.Len(t, metrics, 1, "latency.maxSeconds null: the error ratio only")
	assert.Equal(t, "error-ratio", metrics[0].(map[string]any)["name"])

	// Without a strategy nothing changes: a Deployment with its replicas, no Argo objects, and no API needed.
	plain := renderServices(t, map[string]any{"users": podinfoApp(nil)}, nil)
	assert.EqualValues(t, 2, *render.Get[*appsv1.Deployment](t, plain, "shop-users").Spec.Replicas)
	assert.Zero(t, plain.Count("Rollout"))
}

func TestBadRolloutsFailNamingTheKey(t *testing.T) {
	t.Parallel()
	opts := func(app map[string]any, api []string) render.Options {
		return render.Options{ReleaseName: "shop", Values: map[string]any{"apps": map[string]any{"users": app}}, APIVersions: api}
	}
	canary := map[string]any{"strategy": "canary"}
	render.Fails(t, chart("services"), opts(metricsApp(map[string]any{"rollout": canary}), []string{"argoproj.io/v1alpha1", "argoproj.io/v1alpha1/Application"}),
		"apps.users.rollout.strategy: canary needs Argo Rollouts, and this cluster does not serve argoproj.io/v1alpha1 Rollout; install Argo Rollouts")
	render.Fails(t, chart("services"), opts(podinfoApp(map[string]any{"rollout": canary}), rolloutsAPI),
		"apps.users.rollout.analysis.enabled: the analysis reads the app's metrics from Prometheus: set apps.users.metrics.enabled")
	render.Fails(t, chart("services"), opts(metricsApp(map[string]any{"type": "worker", "rollout": map[string]any{"strategy": "blueGreen"}}), rolloutsAPI),
		"apps.users.rollout.strategy: blueGreen switches the app's Service, and a worker has none")
	render.Fails(t, chart("services"), opts(metricsApp(map[string]any{"type": "cronjob", "schedule": "* * * * *", "rollout": canary}), rolloutsAPI),
		"apps.users.rollout.strategy: canary is for services and workers, and the app is a cronjob")
	render.Fails(t, chart("services"), opts(metricsApp(map[string]any{"rollout": map[string]any{"strategy": "linear"}}), rolloutsAPI),
		"/apps/users/rollout/strategy")
	render.Fails(t, chart("services"), opts(metricsApp(map[string]any{"rollout": map[string]any{"strategy": "blueGreen", "analysis": map[string]any{"count": 2, "inconclusiveLimit": 4}}}), rolloutsAPI),
		"apps.users.rollout.analysis.count (2) must be at least apps.users.rollout.analysis.inconclusiveLimit (4): Argo Rollouts refuses the analysis otherwise")
	render.Fails(t, chart("services"), opts(metricsApp(map[string]any{"rollout": map[string]any{"strategy": "blueGreen", "analysis": map[string]any{"count": 1, "failureLimit": 2, "inconclusiveLimit": 0}}}), rolloutsAPI),
		"apps.users.rollout.analysis.count (1) must be at least apps.users.rollout.analysis.failureLimit (2)")
	render.Fails(t, chart("services"), render.Options{ReleaseName: "shop", APIVersions: rolloutsAPI, Values: map[string]any{"apps": map[string]any{
		"web": metricsApp(map[string]any{"rollout": map[string]any{"strategy": "blueGreen"}}), "web-preview": podinfoApp(nil)}}},
		"apps.web.rollout.strategy: blueGreen gives the app a Service named web-preview, and an app of that name exists")
}

func TestTheGatewayRoutesAPathToABlueGreenPreview(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("gateway"), render.Options{ReleaseName: "shop", Namespace: "prod", Values: map[string]any{
		"auth": map[string]any{"enabled": false},
		"routes": []any{
			map[string]any{"path": "/api/web/", "service": "web", "port": 80},
			map[string]any{"path": "/preview/web/", "service": "web", "port": 80, "preview": true},
		}}})
	conf := nginxConf(t, r, "shop-gateway")
	assert.Contains(t, conf, "shop-web-preview.prod.svc.cluster.local:80", "the preview route's upstream")
	assert.Contains(t, conf, "shop-web.prod.svc.cluster.local:80")
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-gateway")
	var to []string
	for _, e := range np.Spec.Egress {
		for _, p := range e.To {
			if p.PodSelector != nil {
				to = append(to, p.PodSelector.MatchLabels["app.kubernetes.io/name"])
			}
		}
	}
	assert.Contains(t, to, "web", "egress to the app's pods, which the preview Service selects too")
	assert.NotContains(t, to, "web-preview", "no pods carry the preview Service's name")

	render.Fails(t, chart("gateway"), render.Options{ReleaseName: "shop", Values: map[string]any{
		"routes": []any{map[string]any{"path": "/x/", "host": "example.org", "port": 80, "preview": true}}}},
		"routes[0].preview: only a route to a service")
}

func TestTheUmbrellaRefusesAPreviewRouteWithoutABlueGreenApp(t *testing.T) {
	t.Parallel()
	routes := map[string]any{"gateway": map[string]any{"routes": []any{
		map[string]any{"path": "/api/orders/", "service": "orders", "port": 80},
		map[string]any{"path": "/preview/orders/", "service": "orders", "port": 80, "preview": true},
		map[string]any{"path": "/api/auth/", "service": "auth", "port": 80},
	}}}
	render.Fails(t, chart("stack"), stackOpts(routes),
		`gateway.routes[1].preview: services.apps.orders has no blue-green rollout (rollout.strategy is ""), so there is no preview Service to route to`)

	o := stackOpts(routes, "services.apps.orders.rollout.strategy=blueGreen")
	o.APIVersions = rolloutsAPI
	r := render.Render(t, chart("stack"), o)
	assert.True(t, render.Has[*corev1.Service](r, "shop-orders-preview"))
	assert.Contains(t, nginxConf(t, r, "shop-gateway"), "shop-orders-preview.prod.svc.cluster.local:80")
	render.Fails(t, chart("stack"), stackOpts(routes, "services.apps.orders.rollout.strategy=canary"),
		"services.apps.orders.rollout.strategy: canary needs Argo Rollouts")
}
