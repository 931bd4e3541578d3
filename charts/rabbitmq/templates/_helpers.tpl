{{/* rabbitmq.fullname: <release>-rabbitmq, the name the wiring convention gives consumers. */}}
{{- define "rabbitmq.fullname" -}}
{{- include "common.names.stateful" . -}}
{{- end -}}

{{/* rabbitmq.secretName: auth.existingSecret, or the chart's Secret (which needs the password and cookie). */}}
{{- define "rabbitmq.secretName" -}}
{{- if .Values.auth.existingSecret -}}
{{- include "common.utils.tpl" (dict "value" .Values.auth.existingSecret "context" .) -}}
{{- else -}}
{{- $keys := printf "%s, %s" .Values.auth.secretKeys.password .Values.auth.secretKeys.erlangCookie -}}
{{- range list "password" "erlangCookie" -}}
{{- if not (get $.Values.auth .) -}}
{{- fail (printf "%s: set it, or %s (a Secret with keys %s) — there is no default" (include "common.key" (dict "key" (printf "auth.%s" .) "context" $)) (include "common.key" (dict "key" "auth.existingSecret" "context" $)) $keys) -}}
{{- end -}}
{{- end -}}
{{- if lt (len .Values.auth.erlangCookie) 20 -}}
{{- fail "auth.erlangCookie: use at least 20 characters (it is the only secret between the nodes)" -}}
{{- end -}}
{{- include "rabbitmq.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* rabbitmq.domain: the cluster DNS domain. */}}
{{/* rabbitmq.clientPort: the clients' port and its name: AMQPS on service.tlsPort with tls.enabled, else AMQP on service.port. */}}
{{- define "rabbitmq.clientPort" -}}
{{- if .Values.tls.enabled -}}
{name: amqps, port: {{ .Values.service.tlsPort }}}
{{- else -}}
{name: amqp, port: {{ .Values.service.port }}}
{{- end -}}
{{- end -}}

{{- define "rabbitmq.domain" -}}
{{- $d := "cluster.local" -}}
{{- with .Values.global }}{{- with .clusterDomain }}{{- $d = . -}}{{- end }}{{- end -}}
{{- $d -}}
{{- end -}}

{{/*
rabbitmq.definitions: the definitions file without its users (the init container prepends the
app user with the password from the Secret), as JSON with sorted keys, so "{"+"users" comes first.
*/}}
{{- define "rabbitmq.definitions" -}}
{{- $v := .Values.auth.vhost -}}
{{- $d := .Values.definitions -}}
{{- $vhost := dict "name" $v "description" "stack app vhost" "tags" list "default_queue_type" $d.defaultQueueType "metadata" (dict "description" "stack app vhost" "tags" list "default_queue_type" $d.defaultQueueType) -}}
{{- $perm := dict "user" .Values.auth.username "vhost" $v "configure" ".*" "write" ".*" "read" ".*" -}}
{{- $queues := list -}}
{{- range $i, $q := $d.queues -}}
{{- if not $q.name }}{{- fail (printf "definitions.queues[%d].name is required" $i) }}{{- end -}}
{{- $type := $q.type | default "quorum" -}}
{{- if not (has $type (list "quorum" "classic" "stream")) }}{{- fail (printf "definitions.queues[%d].type: %q is not quorum, classic or stream" $i $type) }}{{- end -}}
{{- $durable := ternary true $q.durable (not (hasKey $q "durable")) -}}
{{- if and (ne $type "classic") (not $durable) }}{{- fail (printf "definitions.queues[%d].durable: %s queues are always durable" $i $type) }}{{- end -}}
{{- $args := merge (dict "x-queue-type" $type) (deepCopy ($q.arguments | default dict)) -}}
{{- $queues = append $queues (dict "name" $q.name "vhost" $v "durable" $durable "auto_delete" false "arguments" $args) -}}
{{- end -}}
{{- $exchanges := list -}}
{{- range $i, $e := $d.exchanges -}}
{{- if not $e.name }}{{- fail (printf "definitions.exchanges[%d].name is required" $i) }}{{- end -}}
{{- if hasPrefix "amq." $e.name }}{{- fail (printf "definitions.exchanges[%d].name: %q — names starting with amq. are reserved by the broker" $i $e.name) }}{{- end -}}
{{- $type := $e.type | default "direct" -}}
{{- if not (has $type (list "direct" "topic" "fanout" "headers")) }}{{- fail (printf "definitions.exchanges[%d].type: %q is not direct, topic, fanout or headers" $i $type) }}{{- end -}}
{{- $exchanges = append $exchanges (dict "name" $e.name "vhost" $v "type" $type "durable" (ternary true $e.durable (not (hasKey $e "durable"))) "auto_delete" false "internal" false "arguments" ($e.arguments | default dict)) -}}
{{- end -}}
{{- $bindings := list -}}
{{- range $i, $b := $d.bindings -}}
{{- if not (and $b.source $b.destination) }}{{- fail (printf "definitions.bindings[%d]: source and destination are required" $i) }}{{- end -}}
{{- $dt := $b.destinationType | default "queue" -}}
{{- if not (has $dt (list "queue" "exchange")) }}{{- fail (printf "definitions.bindings[%d].destinationType: %q is not queue or exchange" $i $dt) }}{{- end -}}
{{- $bindings = append $bindings (dict "source" $b.source "vhost" $v "destination" $b.destination "destination_type" $dt "routing_key" ($b.routingKey | default "") "arguments" ($b.arguments | default dict)) -}}
{{- end -}}
{{- $policies := list -}}
{{- range $i, $p := $d.policies -}}
{{- if not (and $p.name $p.pattern $p.definition) }}{{- fail (printf "definitions.policies[%d]: name, pattern and definition are required" $i) }}{{- end -}}
{{- $policies = append $policies (dict "vhost" $v "name" $p.name "pattern" $p.pattern "apply-to" ($p.applyTo | default "queues") "priority" (int ($p.priority | default 0)) "definition" $p.definition) -}}
{{- end -}}
{{- toJson (dict "vhosts" (list $vhost) "permissions" (list $perm) "queues" $queues "exchanges" $exchanges "bindings" $bindings "policies" $policies "parameters" list "global_parameters" list "topic_permissions" list) -}}
{{- end -}}

{{/* rabbitmq.memoryBytes: the memory limit in bytes (total_memory_available_override_value), or empty. */}}
{{- define "rabbitmq.memoryBytes" -}}
{{- with .Values.resources.limits }}{{- with .memory -}}
{{- include "common.utils.bytes" (dict "quantity" . "key" "resources.limits.memory") -}}
{{- end }}{{- end -}}
{{- end -}}

{{/* rabbitmq.headless: the headless Service's DNS domain, under which each member is <pod>.<this>. */}}
{{- define "rabbitmq.headless" -}}
{{- include "common.names.fqdn" (dict "service" (printf "%s-headless" (include "rabbitmq.fullname" .)) "context" .) -}}
{{- end -}}

{{/* rabbitmq.waitsForPeers: "true" when a member with data waits for its peers' network (peerNetworkWaitSeconds). */}}
{{- define "rabbitmq.waitsForPeers" -}}
{{- if and (gt (int .Values.replicas) 1) (gt (int .Values.peerNetworkWaitSeconds) 0) }}true{{ end -}}
{{- end -}}

{{/* rabbitmq.peerHosts: every member's host name under the headless Service, space-separated. */}}
{{- define "rabbitmq.peerHosts" -}}
{{- $full := include "rabbitmq.fullname" . -}}
{{- $headless := include "rabbitmq.headless" . -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.replicas) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s" $full $i $headless) -}}
{{- end -}}
{{- join " " $hosts -}}
{{- end -}}
