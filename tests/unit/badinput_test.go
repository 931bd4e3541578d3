package unit

import (
	"testing"

	"github.com/stack-charts/stack/tests/render"
)

// badInput is one invalid configuration and the words its error must contain: the key at fault
// and what is wrong with it.
type badInput struct {
	name  string
	chart string
	opts  render.Options
	want  []string
}

func withApp(name string, fields map[string]any) map[string]any {
	return map[string]any{"apps": map[string]any{name: podinfoApp(fields)}}
}

func withRoutes(routes []any, extra map[string]any) map[string]any {
	v := map[string]any{"routes": routes, "auth": map[string]any{"mode": "request"}}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

func route(path, service string) map[string]any {
	return map[string]any{"path": path, "service": service, "port": 80}
}

func badInputs() []badInput {
	svc := func(fields map[string]any) render.Options { return render.Options{Values: withApp("users", fields)} }
	gw := func(v map[string]any) render.Options { return render.Options{Values: v} }
	users := []any{route("/api/users/", "users")}
	return []badInput{
		// Unknown keys and wrong types, caught by the schemas.
		{"an unknown umbrella key is refused", "stack", devOpts(nil, "gatway.replicas=3"), []string{"additional properties 'gatway' not allowed"}},
		{"CORS lists its origins", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "cors": map[string]any{"allowCredentials": true}}}, nil)), []string{"routes[0].cors.allowOrigins: list the origins allowed"}},
		{"CORS credentials need listed origins", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "cors": map[string]any{"allowOrigins": []any{"*"}, "allowCredentials": true}}}, nil)), []string{"routes[0].cors: allowCredentials with allowOrigins \"*\""}},
		{"a CORS origin is a scheme and host", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "cors": map[string]any{"allowOrigins": []any{"app.example.com"}}}}, nil)), []string{"/routes/0/cors/allowOrigins/0"}},
		{"a route's own rate limit needs the global one on", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "rateLimit": map[string]any{"requestsPerSecond": 1, "burst": 1}}}, map[string]any{"rateLimit": map[string]any{"enabled": false}})), []string{"routes[0].rateLimit: a route's own limit needs rateLimit.enabled"}},
		{"a pool needs its upstream resolved at start", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "keepalive": 8, "resolve": "request"}}, nil)), []string{"routes[0].keepalive: a pool of idle connections needs resolve: start"}},
		{"a route resolves at start or per request", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "resolve": "never"}}, nil)), []string{"/routes/0/resolve"}},
		{"a retry condition is one nginx knows", "gateway", gw(withRoutes([]any{route("/api/users/", "users")}, map[string]any{"retries": map[string]any{"conditions": []any{"http_418"}}})), []string{"/retries/conditions/0"}},
		{"a route tries at least once", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "retries": map[string]any{"tries": 0}}}, nil)), []string{"/routes/0/retries/tries"}},
		{"a body size has a unit nginx knows", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/users/", "service": "users", "port": 80, "clientMaxBodySize": "10MB"}}, nil)), []string{"/routes/0/clientMaxBodySize"}},
		{"RS256 needs the provider's JWKS", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "jwt", "jwt": map[string]any{"algorithms": []any{"RS256"}}}})), []string{"auth.jwt.jwks.uri is required when auth.jwt.algorithms has RS256 or ES256"}},
		{"an algorithm must be one the gateway verifies", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "jwt", "jwt": map[string]any{"algorithms": []any{"PS256"}}}})), []string{"/auth/jwt/algorithms/0"}},
		{"a JWKS URL is http(s)", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "jwt", "jwt": map[string]any{"algorithms": []any{"ES256"}, "jwks": map[string]any{"uri": "idp.example/certs"}}}})), []string{"/auth/jwt/jwks/uri"}},
		{"an unknown gateway key is refused", "stack", devOpts(nil, "gateway.replicaz=3"), []string{"gateway:", "additional properties 'replicaz' not allowed"}},
		{"an unknown app field is refused", "services", svc(map[string]any{"replicaz": 3}), []string{"/apps/users", "additional properties 'replicaz' not allowed"}},
		{"a mistyped service field is refused", "services", svc(map[string]any{"service": map[string]any{"sessionAfinity": "ClientIP"}}), []string{"/apps/users/service", "'sessionAfinity' not allowed"}},
		{"replicas must be a number", "stack", devOpts(nil, "services.apps.users.replicas=three"), []string{"/apps/users/replicas", "want integer"}},
		{"the gateway needs two replicas", "gateway", gw(withRoutes(users, map[string]any{"replicas": 1})), []string{"/replicas", "minimum"}},
		{"an app type must be known", "services", svc(map[string]any{"type": "daemon"}), []string{"/apps/users/type", "service", "worker", "cronjob"}},
		{"a dependency must be known", "services", svc(map[string]any{"uses": []any{"postgres"}}), []string{"/apps/users/uses/0", "mysql"}},
		{"an app name must be a DNS label", "services", render.Options{Values: map[string]any{"apps": map[string]any{"Users": podinfoApp(nil)}}}, []string{"apps.Users: an app name is a DNS label"}},
		{"a nodePort must be in the node port range", "services", svc(map[string]any{"service": map[string]any{"type": "NodePort"}, "ports": []any{map[string]any{"name": "http", "containerPort": 9898, "nodePort": 80}}}), []string{"/apps/users/ports/0/nodePort", "minimum"}},
		{"a digest must be a sha256", "services", svc(map[string]any{"image": map[string]any{"repository": "x", "digest": "latest"}}), []string{"/apps/users/image/digest"}},
		{"a pull policy must be known", "stack", devOpts(nil, "global.imagePullPolicy=Sometimes"), []string{"/global/imagePullPolicy"}},
		{"the served-by header must be a header name", "gateway", gw(withRoutes(users, map[string]any{"servedByHeader": "X Served By"})), []string{"/servedByHeader"}},
		{"a claim of one node is not shared by several pods", "services", svc(map[string]any{"persistence": map[string]any{"enabled": true}}), []string{"apps.users.persistence.accessModes", "ReadWriteOnce with up to 2 pods", "ReadWriteMany"}},
		{"an HPA's maximum counts for a shared claim", "services", svc(map[string]any{"replicas": 1, "hpa": map[string]any{"enabled": true, "minReplicas": 1, "maxReplicas": 4}, "persistence": map[string]any{"enabled": true}}), []string{"apps.users.persistence.accessModes", "up to 4 pods"}},
		{"a claim size is a quantity", "services", svc(map[string]any{"persistence": map[string]any{"size": "lots"}}), []string{"/apps/users/persistence/size"}},
		{"a backing chart's sidecar stays restricted", "stack", devOpts(map[string]any{"redis": map[string]any{"sidecars": []any{map[string]any{"name": "x", "image": map[string]any{"repository": "x/x", "tag": "1"},
			"resources": map[string]any{"requests": map[string]any{"cpu": "1m", "memory": "1Mi"}}, "securityContext": map[string]any{"privileged": true}}}}}), []string{"redis.sidecars[0].securityContext", "privileged: true"}},
		{"a backing chart's init container names its image", "mysql", render.Options{Values: backingValues("mysql", map[string]any{"initContainers": []any{map[string]any{"name": "x", "resources": map[string]any{}}}})}, []string{"/initContainers/0", "image"}},
		{"a disabled Redis command is a command name", "redis", render.Options{Values: backingValues("redis", map[string]any{"config": map[string]any{"disableCommands": []any{"flush all"}}})}, []string{"/config/disableCommands/0"}},
		{"only a job app is a hook", "services", svc(map[string]any{"job": map[string]any{"hook": "pre-install"}}), []string{"apps.users.job.hook", "set type: job"}},
		{"a hook event must be Helm's", "services", svc(map[string]any{"type": "job", "job": map[string]any{"hook": "before-install"}}), []string{"/apps/users/job/hook"}},
		{"a job cannot autoscale", "services", svc(map[string]any{"type": "job", "hpa": map[string]any{"enabled": true}}), []string{"apps.users.hpa.enabled", "a job cannot autoscale"}},
		{"an init container declares its resources", "services", svc(map[string]any{"initContainers": []any{map[string]any{"name": "migrate"}}}), []string{"apps.users.initContainers[0].resources.requests", "cpu and memory"}},
		{"a sidecar stays restricted", "services", svc(map[string]any{"sidecars": []any{map[string]any{"name": "p", "image": map[string]any{"repository": "x/p", "tag": "1"},
			"resources": map[string]any{"requests": map[string]any{"cpu": "1m", "memory": "1Mi"}}, "securityContext": map[string]any{"runAsUser": 0, "capabilities": map[string]any{"add": []any{"NET_ADMIN"}}}}}}),
			[]string{"apps.users.sidecars[0].securityContext", "runAsUser: 0", "capabilities.add NET_ADMIN", "Pod Security restricted"}},
		{"a sidecar has a valid name", "services", svc(map[string]any{"sidecars": []any{map[string]any{"name": "Proxy_1"}}}), []string{"/apps/users/sidecars/0/name"}},
		{"lifecycle knows only its hooks", "services", svc(map[string]any{"lifecycle": map[string]any{"preStart": map[string]any{}}}), []string{"/apps/users/lifecycle", "preStart"}},
		{"a rate limit key must be known", "gateway", gw(withRoutes(users, map[string]any{"rateLimit": map[string]any{"key": "cookie"}})), []string{"/rateLimit/key"}},
		{"a route path must start and end with a slash", "gateway", gw(withRoutes([]any{route("/api/users", "users")}, nil)), []string{"/routes/0/path"}},
		{"a timeout needs a unit", "gateway", gw(withRoutes(users, map[string]any{"timeouts": map[string]any{"read": 60}})), []string{"/timeouts/read"}},

		// Impossible combinations, caught by the templates with the key to fix.
		{"a cronjob needs a schedule", "services", svc(map[string]any{"type": "cronjob"}), []string{"apps.users.schedule is required"}},
		{"only a cronjob has a schedule", "services", svc(map[string]any{"schedule": "@daily"}), []string{"apps.users.schedule is set", "type: cronjob"}},
		{"a NodePort service needs fixed node ports", "services", svc(map[string]any{"service": map[string]any{"type": "NodePort"}}), []string{"apps.users.ports[0].nodePort is required"}},
		{"a nodePort needs a NodePort service", "services", svc(map[string]any{"ports": []any{map[string]any{"name": "http", "containerPort": 9898, "nodePort": 30080}}}), []string{"apps.users.ports[0].nodePort is set", "NodePort"}},
		{"a service needs an exposed port", "services", svc(map[string]any{"ports": []any{}}), []string{"apps.users.ports", "at least one exposed port"}},
		{"only workers may run privileged", "services", svc(map[string]any{"privileged": true}), []string{"apps.users.privileged", "only workers"}},
		{"an app cannot call an unknown app", "services", svc(map[string]any{"calls": []any{"billing"}}), []string{"apps.users.calls", `"billing" is not an enabled app`}},
		{"an app cannot call itself", "services", svc(map[string]any{"calls": []any{"users"}}), []string{"apps.users.calls", "cannot call itself"}},
		{"only services can be called", "services", render.Options{Values: map[string]any{"apps": map[string]any{"users": podinfoApp(map[string]any{"calls": []any{"mailer"}}), "mailer": podinfoApp(map[string]any{"type": "worker"})}}}, []string{"apps.users.calls", `"mailer" is a worker`}},
		{"app names of other charts are reserved", "services", render.Options{Values: map[string]any{"apps": map[string]any{"mysql": podinfoApp(nil)}}}, []string{"apps.mysql", "reserved"}},
		{"an image needs a tag or digest", "services", svc(map[string]any{"image": map[string]any{"repository": "stefanprodan/podinfo"}}), []string{"apps.users.image", "set tag or digest"}},
		{"latest is not a version", "services", svc(map[string]any{"image": map[string]any{"repository": "stefanprodan/podinfo", "tag": "latest"}}), []string{"apps.users.image.tag", "latest"}},
		{"every container declares its requests", "services", render.Options{Values: map[string]any{"defaults": map[string]any{"resources": nil}, "apps": map[string]any{"users": podinfoApp(map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "10m"}}})}}}, []string{"apps.users.resources.requests", "cpu and memory"}},
		{"a probe needs a handler", "services", svc(map[string]any{"probes": map[string]any{"liveness": map[string]any{"periodSeconds": 5}}}), []string{"apps.users.probes.liveness", "httpGet, tcpSocket, exec or grpc"}},
		{"an HPA's minimum cannot exceed its maximum", "services", svc(map[string]any{"hpa": map[string]any{"enabled": true, "minReplicas": 5, "maxReplicas": 2}}), []string{"apps.users.hpa", "minReplicas (5) is greater than maxReplicas (2)"}},
		{"a cronjob cannot autoscale", "services", svc(map[string]any{"type": "cronjob", "schedule": "@daily", "hpa": map[string]any{"enabled": true}}), []string{"apps.users.hpa.enabled", "cannot autoscale"}},
		{"an app loads only defined ConfigMaps", "services", svc(map[string]any{"configMaps": []any{"settings"}}), []string{"apps.users.configMaps", `"settings" is not defined`}},
		{"a metrics port must be a port of the app", "services", svc(map[string]any{"metrics": map[string]any{"enabled": true, "port": "metrics"}}), []string{"apps.users.metrics.port", "not one of the app's ports"}},
		{"a chart Secret has no empty value", "services", render.Options{Values: map[string]any{"secrets": map[string]any{"jwt": map[string]any{"KEY": ""}}}}, []string{"secrets.jwt.KEY is empty"}},
		{"a route needs a target", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/x/", "port": 80}}, nil)), []string{"routes[0]", "set service", "or host"}},
		{"a route has one target", "gateway", gw(withRoutes([]any{map[string]any{"path": "/api/x/", "port": 80, "service": "x", "host": "x.example.org"}}, nil)), []string{"routes[0]", "not both"}},
		{"a path is routed once", "gateway", gw(withRoutes([]any{route("/api/x/", "x"), route("/api/x/", "y")}, nil)), []string{"routes[1].path", "already routed by routes[0]"}},
		{"gateway paths are reserved", "gateway", gw(withRoutes([]any{route("/_stack/", "x")}, nil)), []string{"routes[0].path", "reserved"}},
		{"a public path lies under a route", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "request", "publicPaths": []any{"/api/orders/list"}}})), []string{"auth.publicPaths[0]", "not under any route"}},
		{"a whole public route uses auth: false", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "request", "publicPaths": []any{"/api/users/"}}})), []string{"auth.publicPaths[0]", "auth: false"}},
		{"request auth needs an auth service", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "request", "service": ""}})), []string{"auth.mode request", "auth.service"}},
		{"jwt auth needs the signing key", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "jwt"}})), []string{"auth.jwt.secret.name and auth.jwt.secret.key are required"}},
		{"an auth mode must be known", "gateway", gw(withRoutes(users, map[string]any{"auth": map[string]any{"mode": "oauth"}})), []string{"/auth/mode"}},
		{"a NodePort gateway needs a fixed port", "gateway", gw(withRoutes(users, map[string]any{"service": map[string]any{"type": "NodePort"}})), []string{"service.nodePort is required"}},
		{"a ClusterIP gateway has no nodePort", "gateway", gw(withRoutes(users, map[string]any{"service": map[string]any{"nodePort": 30080}})), []string{"service.nodePort is set", "ClusterIP"}},
		{"an autoscaled gateway keeps two pods", "gateway", gw(withRoutes(users, map[string]any{"hpa": map[string]any{"enabled": true, "minReplicas": 1}})), []string{"hpa.minReplicas", "at least 2"}},
	}
}

// backingBadInputs are the mysql, redis and rabbitmq cases (credentials given unless the case is
// about them).
func backingBadInputs() []badInput {
	with := func(chartName string, vals map[string]any) render.Options {
		return render.Options{ReleaseName: "shop", Values: backingValues(chartName, vals)}
	}
	mysql := func(v map[string]any) render.Options { return with("mysql", v) }
	redis := func(v map[string]any) render.Options { return with("redis", v) }
	mq := func(v map[string]any) render.Options { return with("rabbitmq", v) }
	res := func(mem string) map[string]any {
		return map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "16Mi"}, "limits": map[string]any{"memory": mem}}
	}
	return []badInput{
		// mysql
		{"mysql: no root password", "mysql", render.Options{Values: map[string]any{"auth": map[string]any{"password": "a", "exporterPassword": "b"}}}, []string{"auth.rootPassword", "auth.existingSecret", "no default password"}},
		{"mysql: no app password", "mysql", render.Options{Values: map[string]any{"auth": map[string]any{"rootPassword": "a", "exporterPassword": "b"}}}, []string{"auth.password", "auth.existingSecret"}},
		{"mysql: no exporter password while metrics are on", "mysql", render.Options{Values: map[string]any{"auth": map[string]any{"rootPassword": "a", "password": "b"}}}, []string{"auth.exporterPassword", "mysql-exporter-password"}},
		{"mysql: an unknown flavor", "mysql", mysql(map[string]any{"flavor": "percona"}), []string{"/flavor", "mysql", "mariadb"}},
		{"mysql: a user name is an identifier", "mysql", mysql(map[string]any{"auth": map[string]any{"username": "app user"}}), []string{"/auth/username", "does not match pattern"}},
		{"mysql: a database name is an identifier", "mysql", mysql(map[string]any{"auth": map[string]any{"database": "app-db;DROP"}}), []string{"/auth/database"}},
		{"mysql: an init script is .sql or .sh", "mysql", mysql(map[string]any{"initdb": map[string]any{"scripts": map[string]any{"schema.txt": "x"}}}), []string{"initdb.scripts.schema.txt", "ending in .sql or .sh"}},
		{"mysql: chart script names are reserved", "mysql", mysql(map[string]any{"initdb": map[string]any{"scripts": map[string]any{"00-stack-users.sql": "x"}}}), []string{"initdb.scripts.00-stack-users.sql", "reserved"}},
		{"mysql: a buffer pool share is bounded", "mysql", mysql(map[string]any{"config": map[string]any{"innodbBufferPoolPercent": 95}}), []string{"/config/innodbBufferPoolPercent", "maximum"}},
		{"mysql: a memory limit must be a quantity it can size from", "mysql", mysql(map[string]any{"resources": res("1.5e9")}), []string{"/resources/limits/memory"}},
		{"mysql: milli-bytes are not a memory size", "mysql", mysql(map[string]any{"resources": res("500m")}), []string{"resources.limits.memory", `"500m"`, "not a memory quantity"}},
		{"mysql: a backup keeps at least one dump", "mysql", mysql(map[string]any{"backup": map[string]any{"enabled": true, "keep": 0}}), []string{"/backup/keep", "minimum"}},
		{"mysql: a PVC access mode must be known", "mysql", mysql(map[string]any{"persistence": map[string]any{"accessModes": []any{"ReadWriteSometimes"}}}), []string{"/persistence/accessModes/0"}},
		{"mysql: the retention policy is Retain or Delete", "mysql", mysql(map[string]any{"persistentVolumeClaimRetentionPolicy": map[string]any{"whenDeleted": "Keep"}}), []string{"/persistentVolumeClaimRetentionPolicy/whenDeleted"}},
		{"mysql: a resource policy is keep or empty", "mysql", mysql(map[string]any{"resourcePolicy": "retain"}), []string{"/resourcePolicy"}},
		{"mysql: the server image needs a version", "mysql", mysql(map[string]any{"image": map[string]any{"mysql": map[string]any{"repository": "library/mysql", "tag": "latest"}}}), []string{"image.mysql.tag", "latest"}},
		// redis
		{"redis: no password", "redis", render.Options{}, []string{"auth.password", "auth.existingSecret", "redis-password"}},
		{"redis: an eviction policy must be known", "redis", redis(map[string]any{"config": map[string]any{"maxmemoryPolicy": "lru"}}), []string{"/config/maxmemoryPolicy"}},
		{"redis: an eviction policy needs a memory bound", "redis", redis(map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "16Mi"}, "limits": nil}}), []string{"config.maxmemory", "resources.limits.memory", "OOM"}},
		{"redis: maxmemory uses Redis units", "redis", redis(map[string]any{"config": map[string]any{"maxmemory": "100MiB"}}), []string{"/config/maxmemory"}},
		{"redis: appendfsync must be known", "redis", redis(map[string]any{"persistence": map[string]any{"appendfsync": "sometimes"}}), []string{"/persistence/appendfsync"}},
		{"redis: a metrics port is unprivileged", "redis", redis(map[string]any{"metrics": map[string]any{"port": 80}}), []string{"/metrics/port", "minimum"}},
		{"redis: the exporter declares its requests", "redis", redis(map[string]any{"metrics": map[string]any{"resources": map[string]any{"requests": nil, "limits": map[string]any{"memory": "64Mi"}}}}), []string{"metrics.resources.requests", "cpu and memory"}},
		// rabbitmq
		{"rabbitmq: no password", "rabbitmq", render.Options{Values: map[string]any{"auth": map[string]any{"erlangCookie": "cookiecookiecookiecookie"}}}, []string{"auth.password", "rabbitmq-password"}},
		{"rabbitmq: no Erlang cookie", "rabbitmq", render.Options{Values: map[string]any{"auth": map[string]any{"password": "x"}}}, []string{"auth.erlangCookie", "rabbitmq-erlang-cookie"}},
		{"rabbitmq: a short Erlang cookie", "rabbitmq", mq(map[string]any{"auth": map[string]any{"erlangCookie": "abc"}}), []string{"auth.erlangCookie", "at least 20 characters"}},
		{"rabbitmq: two nodes cannot keep a quorum", "rabbitmq", mq(map[string]any{"replicas": 2}), []string{"replicas", "use 1 or 3"}},
		{"rabbitmq: a queue type must be known", "rabbitmq", mq(map[string]any{"definitions": map[string]any{"queues": []any{map[string]any{"name": "q", "type": "lazy"}}}}), []string{"/definitions/queues/0/type"}},
		{"rabbitmq: a queue needs a name", "rabbitmq", mq(map[string]any{"definitions": map[string]any{"queues": []any{map[string]any{"type": "quorum"}}}}), []string{"/definitions/queues/0", "name"}},
		{"rabbitmq: a quorum queue is durable", "rabbitmq", mq(map[string]any{"definitions": map[string]any{"queues": []any{map[string]any{"name": "q", "durable": false}}}}), []string{"definitions.queues[0].durable", "always durable"}},
		{"rabbitmq: amq. exchanges are the broker's", "rabbitmq", mq(map[string]any{"definitions": map[string]any{"exchanges": []any{map[string]any{"name": "amq.mine"}}}}), []string{"definitions.exchanges[0].name", "reserved"}},
		{"rabbitmq: a binding needs both ends", "rabbitmq", mq(map[string]any{"definitions": map[string]any{"bindings": []any{map[string]any{"source": "x"}}}}), []string{"/definitions/bindings/0", "destination"}},
		{"rabbitmq: a policy needs a definition", "rabbitmq", mq(map[string]any{"definitions": map[string]any{"policies": []any{map[string]any{"name": "p", "pattern": ".*", "definition": map[string]any{}}}}}), []string{"/definitions/policies/0/definition"}},
		{"rabbitmq: a user tag must be known", "rabbitmq", mq(map[string]any{"auth": map[string]any{"tags": []any{"root"}}}), []string{"/auth/tags/0"}},
		{"rabbitmq: the memory watermark is a share", "rabbitmq", mq(map[string]any{"config": map[string]any{"memoryHighWatermark": 1.5}}), []string{"/config/memoryHighWatermark"}},
		{"rabbitmq: partition handling must be known", "rabbitmq", mq(map[string]any{"config": map[string]any{"partitionHandling": "pause_if_all_down"}}), []string{"/config/partitionHandling"}},
		// the umbrella's cross-chart checks
		{"umbrella: an existing Secret on one side only", "stack", devOpts(nil, "mysql.auth.existingSecret=shop-db"), []string{"mysql.auth.existingSecret", "global.dependencies.mysql.secretName", "same value"}},
		{"umbrella: a key renamed on one side only", "stack", devOpts(nil, "redis.auth.secretKey=pw"), []string{"redis.auth.secretKey", "global.dependencies.redis.passwordKey"}},
		{"umbrella: a port changed on one side only", "stack", devOpts(nil, "rabbitmq.service.port=5673"), []string{"rabbitmq.service.port", "global.dependencies.rabbitmq.port"}},
		{"umbrella: a vhost changed on one side only", "stack", devOpts(nil, "rabbitmq.auth.vhost=shop"), []string{"rabbitmq.auth.vhost", "global.dependencies.rabbitmq.vhost"}},
		{"umbrella: an app uses a disabled backing service", "stack", devOpts(nil, "redis.enabled=false"), []string{"services.apps.users.uses", "redis is disabled", "global.dependencies.redis.host"}},
	}
}

func TestBadInputFailsWithAMessageNamingTheKey(t *testing.T) {
	t.Parallel()
	cases := badInputs()
	if len(cases) < 20 {
		t.Fatalf("the bad-input table must keep at least 20 cases, has %d", len(cases))
	}
	backing := backingBadInputs()
	if len(backing) < 30 {
		t.Fatalf("the backing services need at least 30 bad-input cases, have %d", len(backing))
	}
	platform := platformBadInputs()
	if len(platform) < 20 {
		t.Fatalf("monitoring, cert-issuer and the edge need at least 20 bad-input cases, have %d", len(platform))
	}
	cases = append(append(cases, backing...), platform...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			render.Fails(t, chart(tc.chart), tc.opts, tc.want...)
		})
	}
	t.Logf("%d bad-input cases", len(cases))
}

// platformBadInputs: monitoring, cert-issuer, the edge and the namespace policy.
func platformBadInputs() []badInput {
	mon := func(v map[string]any) render.Options { return render.Options{Values: monValues(v)} }
	iss := func(v map[string]any) render.Options { return render.Options{Values: v} }
	acme := func(a map[string]any) render.Options {
		base := map[string]any{"email": "ops@example.com", "http01": map[string]any{"ingressClassName": "nginx"}}
		for k, v := range a {
			base[k] = v
		}
		return iss(map[string]any{"mode": "acme", "global": map[string]any{"domain": "shop.example.com"}, "acme": base})
	}
	edge := func(e map[string]any, extra ...string) render.Options {
		return devOpts(map[string]any{"global": map[string]any{"edge": e}}, extra...)
	}
	return []badInput{
		// monitoring
		{"a retention needs a Prometheus duration", "monitoring", mon(map[string]any{"prometheus": map[string]any{"retention": "15days"}}), []string{"/prometheus/retention", "does not match pattern"}},
		{"a retention size needs a unit Prometheus knows", "monitoring", mon(map[string]any{"prometheus": map[string]any{"retentionSize": "8Gi"}}), []string{"/prometheus/retentionSize"}},
		{"a remote write needs a URL", "monitoring", mon(map[string]any{"prometheus": map[string]any{"remoteWrite": []any{map[string]any{"name": "thanos"}}}}), []string{"/prometheus/remoteWrite/0", "url"}},
		{"a remote write URL is http(s)", "monitoring", mon(map[string]any{"prometheus": map[string]any{"remoteWrite": []any{map[string]any{"url": "thanos:19291"}}}}), []string{"/prometheus/remoteWrite/0/url"}},
		{"a secret mount names a Secret", "monitoring", mon(map[string]any{"prometheus": map[string]any{"secretMounts": []any{"Remote_Write"}}}), []string{"/prometheus/secretMounts/0"}},
		{"a scrape interval needs a unit", "monitoring", mon(map[string]any{"prometheus": map[string]any{"scrapeInterval": 30}}), []string{"/prometheus/scrapeInterval"}},
		{"the Discord receiver needs its Secret", "monitoring", mon(map[string]any{"alertmanager": map[string]any{"receivers": map[string]any{"discord": map[string]any{"enabled": true}}}}), []string{"alertmanager.receivers.discord.existingSecret", "never takes the value inline"}},
		{"the Slack receiver needs its Secret", "monitoring", mon(map[string]any{"alertmanager": map[string]any{"receivers": map[string]any{"slack": map[string]any{"enabled": true}}}}), []string{"alertmanager.receivers.slack.existingSecret"}},
		{"a receiver needs a severity to route", "monitoring", mon(map[string]any{"alertmanager": map[string]any{"receivers": map[string]any{"webhook": map[string]any{"enabled": true, "existingSecret": "hook", "severities": []any{}}}}}), []string{"alertmanager.receivers.webhook.severities", "at least one severity"}},
		{"a severity must be known", "monitoring", mon(map[string]any{"alertmanager": map[string]any{"receivers": map[string]any{"discord": map[string]any{"severities": []any{"page"}}}}}), []string{"/alertmanager/receivers/discord/severities/0"}},
		{"Grafana has no default password", "monitoring", render.Options{Values: map[string]any{}}, []string{"grafana.admin.existingSecret", "no default password"}},
		{"a kube-state-metrics collector must be one the chart can grant", "monitoring", mon(map[string]any{"kubeStateMetrics": map[string]any{"collectors": []any{"pods", "widgets"}}}), []string{"kubeStateMetrics.collectors", `"widgets"`}},
		{"a threshold ratio is at most 1", "monitoring", mon(map[string]any{"rules": map[string]any{"errorRateRatio": 5}}), []string{"/rules/errorRateRatio", "maximum"}},
		{"an unknown monitoring key is refused", "monitoring", mon(map[string]any{"promethues": map[string]any{}}), []string{"additional properties 'promethues' not allowed"}},
		{"the Pod Security level must be a PSS level", "monitoring", mon(map[string]any{"namespace": map[string]any{"podSecurity": "open"}}), []string{"/namespace/podSecurity"}},
		{"creating the release namespace is refused", "monitoring", render.Options{Values: map[string]any{"namespace": map[string]any{"create": true}, "grafana": map[string]any{"admin": map[string]any{"password": "x"}}}}, []string{"namespace.create", "release namespace"}},
		{"a monitoring image must be pinned", "stack", devOpts(map[string]any{"monitoring": map[string]any{"enabled": true, "grafana": map[string]any{"admin": map[string]any{"password": "x"}}, "images": map[string]any{"prometheus": map[string]any{"tag": "latest"}}}}), []string{"monitoring.images.prometheus.tag", "latest"}},
		// cert-issuer
		{"the issuer mode must be known", "cert-issuer", iss(map[string]any{"mode": "vault"}), []string{"/mode", "selfsigned", "acme"}},
		{"ACME needs an e-mail", "cert-issuer", acme(map[string]any{"email": ""}), []string{"acme.email is required"}},
		{"an ACME server must be staging, production or a URL", "cert-issuer", acme(map[string]any{"server": "prod"}), []string{"acme.server", `"prod"`}},
		{"HTTP-01 needs an Ingress class or a Gateway", "cert-issuer", acme(map[string]any{"http01": map[string]any{"ingressClassName": ""}}), []string{"acme.http01.ingressClassName", "Ingress class"}},
		{"a Gateway parentRef needs a name", "cert-issuer", acme(map[string]any{"http01": map[string]any{"gatewayParentRef": map[string]any{"namespace": "gw"}}}), []string{"acme.http01.gatewayParentRef.name"}},
		{"Cloudflare needs its token Secret", "cert-issuer", acme(map[string]any{"dns01": map[string]any{"provider": "cloudflare"}}), []string{"acme.dns01.cloudflare.apiTokenSecretRef", "Cloudflare API token"}},
		{"a Route53 access key needs its secret", "cert-issuer", acme(map[string]any{"dns01": map[string]any{"provider": "route53", "route53": map[string]any{"accessKeyID": "AKIA1"}}}), []string{"acme.dns01.route53.secretAccessKeySecretRef"}},
		{"a DNS-01 provider must be known", "cert-issuer", acme(map[string]any{"dns01": map[string]any{"provider": "gandi"}}), []string{"/acme/dns01/provider"}},
		{"an ACME issuer needs a solver", "cert-issuer", acme(map[string]any{"http01": map[string]any{"enabled": false}}), []string{"acme.http01.enabled", "needs a solver"}},
		{"a wildcard needs DNS-01", "cert-issuer", func() render.Options {
			o := acme(nil)
			o.Values["certificate"] = map[string]any{"hosts": []any{"*.shop.example.com"}}
			return o
		}(), []string{"certificate.hosts", "wildcard", "DNS-01"}},
		{"the edge certificate needs a name", "cert-issuer", iss(nil), []string{"certificate.hosts", "global.domain"}},
		{"an ACME CA bundle must be PEM", "cert-issuer", iss(map[string]any{"mode": "acme", "certificate": map[string]any{"hosts": []any{"a.test"}}, "acme": map[string]any{"email": "ops@example.com", "caBundle": "MIIBfake", "http01": map[string]any{"ingressClassName": "nginx"}}}), []string{"acme.caBundle", "BEGIN CERTIFICATE"}},
		{"a certificate duration needs a unit", "cert-issuer", iss(map[string]any{"certificate": map[string]any{"duration": "90d"}}), []string{"/certificate/duration"}},
		{"an ECDSA key size must be a real one", "cert-issuer", iss(map[string]any{"certificate": map[string]any{"privateKey": map[string]any{"size": 1000}}}), []string{"/certificate/privateKey/size"}},
		// edge and namespace policy
		{"the edge mode must be known", "stack", edge(map[string]any{"mode": "loadbalancer"}), []string{"/global/edge/mode", "ingress", "gateway-api", "nodeport"}},
		{"an Ingress needs a host", "stack", edge(map[string]any{"mode": "ingress"}), []string{"global.edge.host", "global.domain"}},
		{"an HTTPRoute needs a Gateway", "stack", edge(map[string]any{"mode": "gateway-api", "host": "a.test"}), []string{"global.edge.gatewayAPI.gatewayName"}},
		{"a created Gateway needs a GatewayClass", "stack", edge(map[string]any{"mode": "gateway-api", "host": "a.test", "gatewayAPI": map[string]any{"create": true}}), []string{"global.edge.gatewayAPI.className"}},
		{"a Gateway listener port must be a port", "stack", edge(map[string]any{"mode": "gateway-api", "host": "a.test", "gatewayAPI": map[string]any{"create": true, "className": "traefik", "ports": map[string]any{"http": 0, "https": 443}}}), []string{"/global/edge/gatewayAPI/ports/http", "minimum"}},
		{"a node port must be in the node port range", "stack", edge(map[string]any{"mode": "nodeport", "nodePort": map[string]any{"gateway": 8080}}), []string{"/global/edge/nodePort/gateway", "minimum"}},
		{"an edge path must start with a slash", "stack", edge(map[string]any{"paths": []any{map[string]any{"path": "api", "service": "gateway", "port": 80}}}), []string{"/global/edge/paths/0/path"}},
		{"a quota value must be a quantity", "stack", devOpts(map[string]any{"namespacePolicy": map[string]any{"resourceQuota": map[string]any{"hard": map[string]any{"requests.cpu": "lots"}}}}), []string{"/namespacePolicy/resourceQuota/hard/requests.cpu"}},
		{"an extra object needs a kind", "stack", devOpts(map[string]any{"extraObjects": []any{map[string]any{"apiVersion": "v1", "metadata": map[string]any{"name": "x"}}}}), []string{"extraObjects[0]", "apiVersion, kind and metadata.name"}},
		{"an extra object is YAML after templating", "stack", devOpts(map[string]any{"extraObjects": []any{"kind: [unclosed"}}), []string{"extraObjects[0]: not a YAML object"}},
		{"an extra object is a map or a string", "stack", devOpts(map[string]any{"extraObjects": []any{3}}), []string{"/extraObjects/0"}},
		{"the domain must be a DNS name", "stack", devOpts(map[string]any{"global": map[string]any{"domain": "Shop_Example"}}), []string{"/global/domain"}},
	}
}
