package unit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/tests/render"
)

// conflictInputs (issue 13, items 2 and 3): configurations that rendered and linted clean and
// then failed at the API server or at runtime, and errors that lacked their chart's prefix inside
// the umbrella. Each now fails at render naming the key, prefixed as the user writes it.
func conflictInputs() []badInput {
	cron := func(fields map[string]any) render.Options {
		f := map[string]any{"type": "cronjob", "schedule": "*/5 * * * *", "ports": []any{}, "metrics": map[string]any{"enabled": false}}
		for k, v := range fields {
			f[k] = v
		}
		return render.Options{Values: withApp("nightly", f)}
	}
	authRoute := map[string]any{"path": "/api/auth/", "service": "auth", "port": 80}
	routes := func(r map[string]any) render.Options {
		return devOpts(map[string]any{"gateway": map[string]any{"routes": []any{r, authRoute}}})
	}
	return []badInput{
		// item 2
		{"the prod quota has no node port for the nodeport edge", "stack",
			render.Options{ValuesFiles: []string{profile("prod")}, Values: map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "nodeport"}}}},
			[]string{"namespacePolicy.resourceQuota.hard.services.nodeports", "allows 0", "uses 2", "global.edge.nodePort.gateway"}},
		{"a node port used twice", "stack", devOpts(map[string]any{"global": map[string]any{"edge": map[string]any{"mode": "nodeport", "nodePort": map[string]any{"frontend": 30080}}}}),
			[]string{"global.edge.nodePort.frontend", "30080", "already used by global.edge.nodePort.gateway"}},
		{"an app's node port clashing with the edge's", "stack", devOpts(map[string]any{
			"global": map[string]any{"edge": map[string]any{"mode": "nodeport"}},
			"services": map[string]any{"apps": map[string]any{"users": map[string]any{"service": map[string]any{"type": "NodePort"}, "ports": []any{
				map[string]any{"name": "http", "containerPort": 9898, "servicePort": 80, "nodePort": 30081},
				map[string]any{"name": "metrics", "containerPort": 9797, "expose": false}}}}}}),
			[]string{"services.apps.users.ports[0].nodePort", "30081", "global.edge.nodePort.frontend"}},
		{"a gateway route to a worker", "stack", routes(map[string]any{"path": "/api/mail/", "service": "mailer", "port": 80}),
			[]string{"gateway.routes[0].service", `"mailer" is a worker`, "no Service"}},
		{"a gateway route to an app that does not exist", "stack", routes(map[string]any{"path": "/api/users/", "service": "user", "port": 80}),
			[]string{"gateway.routes[0].service", `"user" is not an enabled app`, "users"}},
		{"an edge path to a CronJob", "stack", devOpts(map[string]any{"global": map[string]any{"domain": "a.test", "edge": map[string]any{"mode": "ingress",
			"paths": []any{map[string]any{"path": "/", "service": "pipeline", "port": 80}}}}}),
			[]string{"global.edge.paths[0].service", `"pipeline" is a cronjob`}},
		{"a cron schedule of four fields", "services", cron(map[string]any{"schedule": "*/5 * * *"}), []string{"apps.nightly.schedule", "not a cron schedule", "five fields"}},
		{"a cron schedule in words", "services", cron(map[string]any{"schedule": "every night"}), []string{"apps.nightly.schedule", "@daily"}},
		{"an unknown time zone", "services", cron(map[string]any{"timeZone": "Europe/Pariss"}), []string{"apps.nightly.timeZone", "Europe/Pariss", "IANA"}},
		{"a memory request in milli-bytes", "services", render.Options{Values: withApp("users", map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "128m"}}})},
			[]string{"apps.users.resources.requests.memory", `"128m"`, "milli", "128Mi"}},
		{"a memory limit in milli-bytes, prefixed in the umbrella", "stack", devOpts(nil, "gateway.resources.limits.memory=256m"),
			[]string{"gateway.resources.limits.memory", "milli"}},
		{"a backing service's memory in milli-bytes", "stack", devOpts(nil, "redis.resources.requests.memory=64m"), []string{"redis.resources.requests.memory", "milli"}},
		{"a numeric image tag (YAML 1.10 is the float 1.1)", "stack", devOpts(map[string]any{"services": map[string]any{"defaults": map[string]any{"image": map[string]any{"tag": 1.10}}}}),
			[]string{"/defaults/image/tag", "string"}},
		{"a numeric backing-service tag", "stack", devOpts(map[string]any{"redis": map[string]any{"image": map[string]any{"tag": 7.4}}}), []string{"/image/tag", "string"}},
		{"an HPA minimum above its maximum, prefixed in the umbrella", "stack", devOpts(nil, "services.apps.users.hpa.enabled=true", "services.apps.users.hpa.minReplicas=5",
			"services.apps.users.hpa.maxReplicas=2", "services.apps.users.hpa.targetCPUUtilizationPercentage=50"),
			[]string{"services.apps.users.hpa", "minReplicas (5) is greater than maxReplicas (2)"}},
		{"a scrape timeout longer than the interval", "stack", devOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "x"}},
			"prometheus": map[string]any{"scrapeInterval": "5s"}}}), []string{"monitoring.prometheus.scrapeTimeout (10s) is longer than prometheus.scrapeInterval (5s)"}},
		// item 3: the services and gateway charts' messages carry their prefix inside the umbrella
		{"a services message is prefixed in the umbrella", "stack", devOpts(nil, "services.apps.users.calls[0]=nope"), []string{"services.apps.users.calls", `"nope"`}},
		{"a gateway message is prefixed in the umbrella", "stack", devOpts(nil, "gateway.service.nodePort=30099"), []string{"gateway.service.nodePort is set but service.type is ClusterIP"}},
		{"an empty secret is prefixed in the umbrella", "stack", devOpts(nil, "services.secrets.jwt.PODINFO_JWT_SECRET="), []string{"services.secrets.jwt.PODINFO_JWT_SECRET is empty"}},
	}
}

func TestConflictsAndLateFailuresFailAtRenderNamingTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range conflictInputs() {
		t.Run(tc.name, func(t *testing.T) {
			render.Fails(t, chart(tc.chart), tc.opts, tc.want...)
		})
	}
}

// The schedules and zones Kubernetes takes still render.
func TestValidSchedulesAndTimeZonesRender(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"*/5 * * * *", "0 3 * * MON-FRI", "@daily", "@every 1h30m", "0 0 1,15 * ?"} {
		render.Render(t, chart("services"), render.Options{Values: withApp("nightly", map[string]any{"type": "cronjob", "schedule": s, "timeZone": "America/Argentina/Buenos_Aires",
			"ports": []any{}, "metrics": map[string]any{"enabled": false}})})
	}
}

// The chart's time zone list (common.timezones) holds real zones: every name loads with Go's
// time.LoadLocation, as the API server's CronJob validation does.
func TestTheTimeZoneListHoldsZonesGoLoads(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(chart("common"), "templates", "_timezones.tpl"))
	require.NoError(t, err)
	body := string(raw)
	body = body[strings.Index(body, `define "common.timezones" -}}`)+len(`define "common.timezones" -}}`) : strings.LastIndex(body, "{{- end -}}")]
	names := strings.Fields(body)
	require.Greater(t, len(names), 500)
	for _, n := range names {
		_, err := time.LoadLocation(n)
		assert.NoError(t, err, n)
	}
}

// The gateway's own HTTPS node port counts only when its Service is a NodePort one.
func TestTheGatewaysTLSNodePortCountsOnlyOnANodePortService(t *testing.T) {
	t.Parallel()
	tls := map[string]any{"enabled": true, "nodePort": 30080}
	render.Render(t, chart("stack"), devOpts(map[string]any{"gateway": map[string]any{"tls": tls}, "global": map[string]any{"edge": map[string]any{"mode": "nodeport"}}}))
	render.Fails(t, chart("stack"), devOpts(map[string]any{"gateway": map[string]any{"tls": tls, "service": map[string]any{"type": "NodePort", "nodePort": 30090}},
		"global": map[string]any{"edge": map[string]any{"mode": "nodeport"}}}),
		"gateway.tls.nodePort: node port 30080 is already used by", "global.edge.nodePort.gateway")
}
