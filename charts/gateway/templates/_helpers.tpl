{{/* gateway.fullname */}}
{{- define "gateway.fullname" -}}
{{- include "common.names.fullname" . -}}
{{- end -}}

{{/*
gateway.upstream: host:port of a route or of the auth service. A `service` is an app of the
services chart, found by the naming convention (<release>-<service>, with `preview` its blue-green
preview Service <release>-<service>-preview, the same app's pods); `host` is taken as is.
Usage: include "gateway.upstream" (dict "target" $route "context" $)
*/}}
{{- define "gateway.upstream" -}}
{{- $host := .target.host -}}
{{- if not $host -}}
{{- $svc := .target.service -}}
{{- if .target.preview }}{{- $svc = printf "%s-preview" $svc -}}{{- end -}}
{{- $host = include "common.names.fqdn" (dict "service" (include "common.names.component" (dict "name" $svc "context" .context)) "context" .context) -}}
{{- end -}}
{{- printf "%s:%v" $host .target.port -}}
{{- end -}}

{{/* gateway.headerVar: an HTTP header as the nginx variable suffix (X-User-Id -> x_user_id). */}}
{{- define "gateway.headerVar" -}}
{{- . | lower | replace "-" "_" -}}
{{- end -}}

{{/*
gateway.routes: the routes with defaults applied and validated, as a YAML list. Each gains
`auth`, `rateLimit`, `timeouts` and `publicPaths` (auth.publicPaths that fall under it).
*/}}
{{- define "gateway.routes" -}}
{{- $v := .Values -}}
{{- $out := list -}}
{{- $seen := dict -}}
{{- range $i, $r := $v.routes -}}
{{- $k := printf "routes[%d]" $i -}}
{{- if not (or $r.service $r.host) }}{{- include "common.fail" (dict "msg" (printf "%s: set service (an app of the services chart) or host" $k) "context" $) -}}{{- end -}}
{{- if and $r.service $r.host }}{{- include "common.fail" (dict "msg" (printf "%s: set service or host, not both" $k) "context" $) -}}{{- end -}}
{{- if and $r.preview (not $r.service) }}{{- include "common.fail" (dict "msg" (printf "%s.preview: only a route to a service (an app of the services chart with a blue-green rollout) has a preview" $k) "context" $) -}}{{- end -}}
{{- if hasKey $seen $r.path }}{{- include "common.fail" (dict "msg" (printf "%s.path %q is already routed by routes[%v]" $k $r.path (get $seen $r.path)) "context" $) -}}{{- end -}}
{{- if or (eq $r.path "/healthz/") (hasPrefix "/_stack" $r.path) }}{{- include "common.fail" (dict "msg" (printf "%s.path %q is reserved by the gateway" $k $r.path) "context" $) -}}{{- end -}}
{{- $_ := set $seen $r.path $i -}}
{{- $route := dict "stripPrefix" true "auth" $v.auth.enabled "rateLimit" $v.rateLimit.enabled "websocket" false "keepalive" 0 "resolve" (ternary "start" "request" (or (not (empty $r.service)) (gt (int ($r.keepalive | default 0)) 0))) "timeouts" (deepCopy $v.timeouts) "retries" (deepCopy $v.retries) "publicPaths" list -}}
{{- include "common.utils.merge" (dict "base" $route "override" (deepCopy $r)) -}}
{{- if and $route.keepalive (ne $route.resolve "start") }}{{- include "common.fail" (dict "msg" (printf "%s.keepalive: a pool of idle connections needs resolve: start (the upstream resolved when nginx starts); got resolve: %s" $k $route.resolve) "context" $) -}}{{- end -}}
{{- with $route.cors }}
{{- $cors := merge . (dict "allowMethods" (list "GET" "POST" "PUT" "PATCH" "DELETE" "OPTIONS") "allowHeaders" (list "Authorization" "Content-Type" "X-Request-ID") "exposeHeaders" (list "X-Request-ID") "allowCredentials" false "maxAge" 600) -}}
{{- if not $cors.allowOrigins }}{{- include "common.fail" (dict "msg" (printf "%s.cors.allowOrigins: list the origins allowed (e.g. https://app.example.com, or \"*\")" $k) "context" $) -}}{{- end -}}
{{- if and $cors.allowCredentials (has "*" $cors.allowOrigins) }}{{- include "common.fail" (dict "msg" (printf "%s.cors: allowCredentials with allowOrigins \"*\" is refused by browsers: list the origins" $k) "context" $) -}}{{- end -}}
{{- $_ := set $route "cors" $cors -}}
{{- end -}}
{{- if and (kindIs "map" $route.rateLimit) (not $v.rateLimit.enabled) }}{{- include "common.fail" (dict "msg" (printf "%s.rateLimit: a route's own limit needs rateLimit.enabled (its key and zone size)" $k) "context" $) -}}{{- end -}}
{{- $out = append $out $route -}}
{{- end -}}
{{- range $j, $p := $v.auth.publicPaths -}}
{{- $best := -1 -}}
{{- $bestLen := 0 -}}
{{- range $i, $r := $out -}}
{{- if and (hasPrefix $r.path $p) (gt (len $r.path) $bestLen) -}}{{- $best = $i -}}{{- $bestLen = len $r.path -}}{{- end -}}
{{- end -}}
{{- if lt $best 0 }}{{- include "common.fail" (dict "msg" (printf "auth.publicPaths[%d] %q is not under any route path" $j $p) "context" $) -}}{{- end -}}
{{- if eq (len $p) $bestLen }}{{- include "common.fail" (dict "msg" (printf "auth.publicPaths[%d] %q is a whole route: set auth: false on that route instead" $j $p) "context" $) -}}{{- end -}}
{{- $r := index $out $best -}}
{{- $_ := set $r "publicPaths" (append ($r.publicPaths | default list) $p) -}}
{{- end -}}
{{- if $v.auth.enabled -}}
{{- if eq $v.auth.mode "jwt" -}}
{{- $algs := $v.auth.jwt.algorithms -}}
{{- if and (has "HS256" $algs) (not (and $v.auth.jwt.secret.name $v.auth.jwt.secret.key)) }}{{- include "common.fail" (dict "msg" "auth.jwt.secret.name and auth.jwt.secret.key are required when auth.jwt.algorithms has HS256: the Secret and key holding the HS256 key the tokens are signed with" "context" $) -}}{{- end -}}
{{- if and (or (has "RS256" $algs) (has "ES256" $algs)) (not $v.auth.jwt.jwks.uri) }}{{- include "common.fail" (dict "msg" "auth.jwt.jwks.uri is required when auth.jwt.algorithms has RS256 or ES256: the identity provider's JWKS URL" "context" $) -}}{{- end -}}
{{- else if not (or $v.auth.service $v.auth.host) -}}
{{- include "common.fail" (dict "msg" "auth.mode request: set auth.service (the app that validates tokens) or auth.host" "context" $) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $v.service.type "NodePort") (not $v.service.nodePort) }}{{- include "common.fail" (dict "msg" "service.nodePort is required with service.type NodePort (a fixed port in 30000-32767)" "context" $) -}}{{- end -}}
{{- if and $v.service.nodePort (ne $v.service.type "NodePort") }}{{- include "common.fail" (dict "msg" (printf "service.nodePort is set but service.type is %s" $v.service.type) "context" $) -}}{{- end -}}
{{- if and (not $v.hpa.enabled) (lt (int $v.replicas) 2) }}{{- include "common.fail" (dict "msg" (printf "replicas: the gateway needs at least 2 replicas (got %v) so that one survives a drain or a rollout" $v.replicas) "context" $) -}}{{- end -}}
{{- if and $v.hpa.enabled (lt (int $v.hpa.minReplicas) 2) }}{{- include "common.fail" (dict "msg" (printf "hpa.minReplicas: the gateway needs at least 2 (got %v)" $v.hpa.minReplicas) "context" $) -}}{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
gateway.proxy: the proxy directives of one location. proxy_set_header is not inherited once a
location sets any, so every location states all of them.
Usage: include "gateway.proxy" (dict "route" $r "public" true "context" $)
*/}}
{{- define "gateway.proxy" -}}
{{- $r := .route -}}
{{- $v := .context.Values -}}
{{- with $r.cors }}
{{- $cors := . }}
# CORS: a preflight is answered here, before auth and rate limits; add_header in a location
# replaces the server's, so those are repeated.
if ($request_method = OPTIONS) {
  {{- include "gateway.corsHeaders" (dict "cors" $cors "index" $.index) | nindent 2 }}
  add_header Access-Control-Allow-Methods {{ join ", " $cors.allowMethods | quote }} always;
  add_header Access-Control-Allow-Headers {{ join ", " $cors.allowHeaders | quote }} always;
  add_header Access-Control-Max-Age {{ $cors.maxAge }} always;
  {{- include "gateway.serverHeaders" $.context | nindent 2 }}
  return 204;
}
{{- include "gateway.corsHeaders" (dict "cors" $cors "index" $.index) }}
{{- with $cors.exposeHeaders }}
add_header Access-Control-Expose-Headers {{ join ", " . | quote }} always;
{{- end }}
{{- include "gateway.serverHeaders" $.context }}
{{- end }}
{{- with $r.clientMaxBodySize }}
client_max_body_size {{ . }};
{{- end }}
{{- if kindIs "map" $r.rateLimit }}
limit_req zone=stack_route_{{ .index }} burst={{ $r.rateLimit.burst }} nodelay;
{{- else if $r.rateLimit }}
limit_req zone=stack_per_client burst={{ $v.rateLimit.burst }} nodelay;
{{- end }}
{{- $authed := and $v.auth.enabled $r.auth (not .public) }}
{{- $jwt := eq $v.auth.mode "jwt" }}
{{- if $authed }}
auth_request /_stack_auth;
{{- if not $jwt }}
{{- range $i, $h := $v.auth.responseHeaders }}
auth_request_set $stack_auth_{{ $i }} $upstream_http_{{ include "gateway.headerVar" $h }};
{{- end }}
{{- end }}
{{- end }}
{{- $perRequest := eq $r.resolve "request" }}
{{- if $perRequest }}
# resolve: request: the name resolved per request (resolver, resolverValid)
set $stack_upstream "{{ include "gateway.upstream" (dict "target" $r "context" .context) }}";
{{- end }}
{{- if $r.stripPrefix }}
rewrite ^{{ $r.path | replace "." "\\." }}(.*)$ /$1 break;
{{- end }}
{{- if $perRequest }}
proxy_pass http://$stack_upstream;
{{- else }}
proxy_pass http://stack_route_{{ .index }};
{{- end }}
proxy_http_version 1.1;
proxy_set_header Host $host;
proxy_set_header X-Real-IP $remote_addr;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Proto $stack_forwarded_proto;
proxy_set_header X-Forwarded-Prefix {{ $r.path | quote }};
proxy_set_header X-Request-ID $stack_request_id;
{{- if $jwt }}
{{- $i := 0 }}
{{- range $h, $_ := $v.auth.jwt.claimHeaders }}
proxy_set_header {{ $h }} {{ if $authed }}$stack_claim_{{ $i }}{{ else }}""{{ end }};
{{- $i = add1 $i }}
{{- end }}
{{- else }}
{{- range $i, $h := $v.auth.responseHeaders }}
proxy_set_header {{ $h }} {{ if $authed }}$stack_auth_{{ $i }}{{ else }}""{{ end }};
{{- end }}
{{- end }}
{{- if $r.websocket }}
proxy_set_header Upgrade $http_upgrade;
proxy_set_header Connection $stack_connection_upgrade;
{{- else }}
proxy_set_header Connection "";
{{- end }}
proxy_connect_timeout {{ $r.timeouts.connect }};
proxy_read_timeout {{ $r.timeouts.read }};
proxy_send_timeout {{ $r.timeouts.send }};
{{- include "gateway.retries" $r.retries }}
{{- end -}}

{{/*
gateway.upstreamBlock: an upstream block resolved when nginx starts, its server listed once per
try: each retry is a new connection through the Service, balanced anew (max_fails=0: a failed
attempt does not take the Service out of the block).
Usage: include "gateway.upstreamBlock" (dict "name" "stack_route_0" "target" $route "keepalive" 0 "tries" 3 "context" $)
*/}}
{{- define "gateway.upstreamBlock" -}}
{{- $server := include "gateway.upstream" (dict "target" .target "context" .context) -}}
upstream {{ .name }} {
  {{- range $i := until (int .tries) }}
  server {{ $server }} max_fails=0;{{ if gt $i 0 }} # try {{ add1 $i }}{{ end }}
  {{- end }}
  {{- with .keepalive }}
  keepalive {{ . }};
  {{- end }}
}
{{- end -}}

{{/* gateway.retries: the proxy_next_upstream directives of a location, from a retries value. */}}
{{- define "gateway.retries" -}}
{{- if gt (int .tries) 1 }}
proxy_next_upstream {{ join " " .conditions }};
proxy_next_upstream_tries {{ .tries }};
proxy_next_upstream_timeout {{ .timeout }};
{{- else }}
proxy_next_upstream off;
{{- end }}
{{- end -}}

{{/*
gateway.trustedProxies: the addresses whose client-address header (realIP.header) the gateway
believes, as a YAML list: realIP.trustedCIDRs when set; else, when the edge puts a proxy in front
(global.edge.mode ingress or gateway-api), global.edge.trustedProxyCIDRs; else none.
*/}}
{{- define "gateway.trustedProxies" -}}
{{- $cidrs := .Values.realIP.trustedCIDRs -}}
{{- if not $cidrs -}}
{{- with .Values.global.edge -}}
{{- if has (.mode | default "none") (list "ingress" "gateway-api") -}}
{{- $cidrs = .trustedProxyCIDRs -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml ($cidrs | default list) -}}
{{- end -}}

{{/*
gateway.serverHeaders: the server's add_header lines (request id, served-by, WWW-Authenticate),
which a location with add_header of its own must repeat.
*/}}
{{- define "gateway.serverHeaders" -}}
add_header X-Request-ID $stack_request_id always;
{{- with .Values.servedByHeader }}
add_header {{ . }} $hostname always;
{{- end }}
{{- if and .Values.auth.enabled (eq .Values.auth.mode "jwt") }}
add_header WWW-Authenticate $stack_www_authenticate always;
{{- end }}
{{- end -}}

{{/* gateway.corsHeaders: the origin headers of a CORS route (the map's answer, empty: none). */}}
{{- define "gateway.corsHeaders" -}}
add_header Access-Control-Allow-Origin $stack_cors_{{ .index }} always;
{{- if .cors.allowCredentials }}
add_header Access-Control-Allow-Credentials "true" always;
{{- end }}
add_header Vary Origin always;
{{- end -}}
