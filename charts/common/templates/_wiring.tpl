{{/*
Dependency wiring. The backing charts (mysql, redis, rabbitmq) publish their Service and Secret
under conventional names; a consumer that declares `uses: [mysql, redis, rabbitmq]` gets the env
vars, the secretKeyRefs, a client label and the egress rules for exactly those flows, and the
backing chart's NetworkPolicy admits pods that carry the client label. Nothing reads another
chart's values: the only shared facts are these conventions and global.dependencies.<name>,
where a release overrides host, port, secret name and keys (e.g. an existing Secret).
*/}}

{{/* common.deps.known: the backing services the convention knows. */}}
{{- define "common.deps.known" -}}
mysql redis rabbitmq
{{- end -}}

{{/*
common.deps.info: the connection facts of one backing service as YAML:
host, port, secretName, passwordKey, username, database (mysql), vhost (rabbitmq), selector, and
tls (clients connect over TLS) with caSecret/caKey, the Secret and key of the CA that signs the
server's certificate (default: the backing chart's server-certificate Secret <name>-tls, ca.crt).
The facts depend only on the chart's values and the release, so each is made once per render and
kept on the render context ($._commonDepsInfo, as YAML: a caller's fromYaml gets its own copy).
Usage: include "common.deps.info" (dict "name" "mysql" "key" "apps.users.uses" "context" $) | fromYaml
*/}}
{{- define "common.deps.info" -}}
{{- $cache := .context._commonDepsInfo | default dict -}}
{{- if hasKey $cache .name -}}
{{- get $cache .name -}}
{{- else -}}
{{- $yaml := include "common.deps.infoYaml" . -}}
{{- $_ := set $cache .name $yaml -}}
{{- $_ = set .context "_commonDepsInfo" $cache -}}
{{- $yaml -}}
{{- end -}}
{{- end -}}

{{/* common.deps.infoYaml: common.deps.info, made (not cached). */}}
{{- define "common.deps.infoYaml" -}}
{{- $ctx := .context -}}
{{- $known := splitList " " (include "common.deps.known" .) -}}
{{- if not (has .name $known) -}}
{{- fail (printf "%s: unknown dependency %q (known: %s)" (.key | default "uses") .name (join ", " $known)) -}}
{{- end -}}
{{- /* the backing services are StatefulSets: their names fit 52 characters (common.names.fit) */ -}}
{{- $full := include "common.names.component" (dict "name" .name "max" 52 "context" $ctx) -}}
{{- $defaults := dict
  "mysql" (dict "port" 3306 "passwordKey" "mysql-password" "username" "app" "database" "app")
  "redis" (dict "port" 6379 "passwordKey" "redis-password")
  "rabbitmq" (dict "port" 5672 "passwordKey" "rabbitmq-password" "username" "app" "vhost" "/") -}}
{{- $info := deepCopy (get $defaults .name) -}}
{{- $_ := set $info "host" (include "common.names.fqdn" (dict "service" $full "context" $ctx)) -}}
{{- $_ = set $info "secretName" $full -}}
{{- $_ = set $info "tls" false -}}
{{- $_ = set $info "caSecret" (include "common.tls.serverSecret" (dict "tls" (dict) "fullname" $full "context" $ctx)) -}}
{{- $_ = set $info "caKey" "ca.crt" -}}
{{- $over := dict -}}
{{- with $ctx.Values.global }}{{- with .dependencies }}{{- with get . $.name }}{{- $over = . }}{{- end }}{{- end }}{{- end -}}
{{- $info = mergeOverwrite $info (deepCopy $over) -}}
{{- /* RabbitMQ's AMQPS port when TLS is on and no port is given (MySQL and Redis keep theirs) */ -}}
{{- if and (eq .name "rabbitmq") $info.tls (not (hasKey $over "port")) -}}
{{- $_ = set $info "port" 5671 -}}
{{- end -}}
{{- range $k := list "host" "secretName" "caSecret" -}}
{{- $_ := set $info $k (include "common.utils.tpl" (dict "value" (toString (get $info $k)) "context" $ctx)) -}}
{{- end -}}
{{- $_ = set $info "selector" (dict "app.kubernetes.io/name" .name "app.kubernetes.io/instance" $ctx.Release.Name) -}}
{{- toYaml $info -}}
{{- end -}}

{{/*
common.deps.clientLabels: the labels that mark a pod as a client of its dependencies
(uses.stack.dev/<name>: "true") and of the services it calls (calls.stack.dev/<name>: "true").
Usage: include "common.deps.clientLabels" (dict "uses" .uses "calls" .calls)
*/}}
{{- define "common.deps.clientLabels" -}}
{{- range .uses }}
uses.stack.dev/{{ . }}: "true"
{{- end }}
{{- range .calls }}
calls.stack.dev/{{ . }}: "true"
{{- end }}
{{- end -}}

{{/*
common.deps.env: environment variables for each dependency in uses.
  mysql:    MYSQL_HOST MYSQL_PORT MYSQL_DATABASE MYSQL_USER MYSQL_PASSWORD
  redis:    REDIS_HOST REDIS_PORT REDIS_ADDR REDIS_PASSWORD
  rabbitmq: RABBITMQ_HOST RABBITMQ_PORT RABBITMQ_USER RABBITMQ_PASSWORD RABBITMQ_VHOST AMQP_URL
  and, for one reached over TLS: <NAME>_TLS=true and <NAME>_CA_FILE (the CA, common.deps.tls);
  AMQP_URL is then amqps://.
Passwords are secretKeyRefs, never values. AMQP_URL embeds the password through Kubernetes'
$(VAR) expansion; a password with URL-reserved characters needs the discrete variables instead.
Usage: include "common.deps.env" (dict "uses" .uses "key" "apps.users.uses" "context" $)
*/}}
{{- define "common.deps.env" -}}
{{- range $name := .uses }}
{{- $d := include "common.deps.info" (dict "name" $name "key" $.key "context" $.context) | fromYaml }}
{{- $p := upper $name }}
- name: {{ $p }}_HOST
  value: {{ $d.host | quote }}
- name: {{ $p }}_PORT
  value: {{ $d.port | quote }}
{{- if eq $name "mysql" }}
- name: MYSQL_DATABASE
  value: {{ $d.database | quote }}
- name: MYSQL_USER
  value: {{ $d.username | quote }}
{{- else if eq $name "rabbitmq" }}
- name: RABBITMQ_USER
  value: {{ $d.username | quote }}
- name: RABBITMQ_VHOST
  value: {{ $d.vhost | quote }}
{{- else if eq $name "redis" }}
- name: REDIS_ADDR
  value: {{ printf "%s:%v" $d.host $d.port | quote }}
{{- end }}
- name: {{ $p }}_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $d.secretName | quote }}
      key: {{ $d.passwordKey | quote }}
{{- if eq $name "rabbitmq" }}
- name: AMQP_URL
  value: {{ printf "%s://$(RABBITMQ_USER):$(RABBITMQ_PASSWORD)@%s:%v/%s" ($d.tls | ternary "amqps" "amqp") $d.host $d.port (urlquery $d.vhost) | quote }}
{{- end }}
{{- if $d.tls }}
- name: {{ $p }}_TLS
  value: "true"
- name: {{ $p }}_CA_FILE
  value: {{ printf "%s/%s" (include "common.deps.tlsDir" $name) $d.caKey | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* common.deps.tlsDir: where a consumer finds the CA of a dependency reached over TLS. */}}
{{- define "common.deps.tlsDir" -}}
/etc/stack/tls/{{ . }}
{{- end -}}

{{/*
common.deps.tls: for each dependency in uses reached over TLS (global.dependencies.<name>.tls),
a volume with only the CA key of its caSecret and its read-only mount at common.deps.tlsDir
(<NAME>_CA_FILE points there), as YAML {volumes: [...], mounts: [...]} (empty lists when none
is). One pass over the dependencies for the pod's volumes and every container's mounts.
Usage: include "common.deps.tls" (dict "uses" .uses "key" "apps.users.uses" "context" $) | fromYaml
*/}}
{{- define "common.deps.tls" -}}
{{- $volumes := list -}}
{{- $mounts := list -}}
{{- range $name := .uses }}
{{- $d := include "common.deps.info" (dict "name" $name "key" $.key "context" $.context) | fromYaml }}
{{- if $d.tls }}
{{- $volumes = append $volumes (dict "name" (printf "tls-ca-%s" $name) "secret" (dict "secretName" $d.caSecret "items" (list (dict "key" $d.caKey "path" $d.caKey)))) }}
{{- $mounts = append $mounts (dict "name" (printf "tls-ca-%s" $name) "mountPath" (include "common.deps.tlsDir" $name) "readOnly" true) }}
{{- end }}
{{- end }}
{{- toYaml (dict "volumes" $volumes "mounts" $mounts) -}}
{{- end -}}

{{/*
common.deps.external: "true" when the dependency is outside the release: its host is set in
global.dependencies.<name>.host (a managed database, a server in another namespace). Empty otherwise.
Usage: include "common.deps.external" (dict "name" "mysql" "context" $)
*/}}
{{- define "common.deps.external" -}}
{{- with .context.Values.global }}{{- with .dependencies }}{{- with get . $.name }}{{- if .host }}true{{- end }}{{- end }}{{- end }}{{- end -}}
{{- end -}}

{{/*
common.deps.egress: NetworkPolicy egress rules to each dependency on its port. In the release:
the dependency's pods. External (global.dependencies.<name>.host set): the addresses in
global.dependencies.<name>.cidrs (ipBlocks) and the peers in .peers (NetworkPolicyPeers, e.g. the
namespace of an in-cluster server); with neither, any address on that port — a NetworkPolicy
cannot name a DNS host, so the port is the only limit unless the CIDRs are given.
Usage: include "common.deps.egress" (dict "uses" .uses "key" "apps.users.uses" "context" $)
*/}}
{{- define "common.deps.egress" -}}
{{- range $name := .uses }}
{{- $d := include "common.deps.info" (dict "name" $name "key" $.key "context" $.context) | fromYaml }}
{{- $to := list (dict "podSelector" (dict "matchLabels" $d.selector)) }}
{{- if include "common.deps.external" (dict "name" $name "context" $.context) }}
{{- $to = list }}
{{- range ($d.cidrs | default list) }}{{- $to = append $to (dict "ipBlock" (dict "cidr" .)) }}{{- end }}
{{- $to = concat $to ($d.peers | default list) }}
{{- end }}
- {{- with $to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - protocol: TCP
      port: {{ $d.port }}
{{- end }}
{{- end -}}
