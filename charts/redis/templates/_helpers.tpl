{{/* redis.fullname: <release>-redis, the name the wiring convention gives consumers. */}}
{{- define "redis.fullname" -}}
{{- include "common.names.stateful" . -}}
{{- end -}}

{{/* redis.secretName: auth.existingSecret, or the chart's Secret (which needs auth.password). */}}
{{- define "redis.secretName" -}}
{{- if .Values.auth.existingSecret -}}
{{- include "common.utils.tpl" (dict "value" .Values.auth.existingSecret "context" .) -}}
{{- else -}}
{{- if not .Values.auth.password -}}
{{- fail (printf "%s: set it, or %s (a Secret with key %s) — there is no default password" (include "common.key" (dict "key" "auth.password" "context" .)) (include "common.key" (dict "key" "auth.existingSecret" "context" .)) .Values.auth.secretKey) -}}
{{- end -}}
{{- include "redis.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* redis.maxmemory: explicit, or a share of the memory limit in bytes; empty without either. */}}
{{- define "redis.maxmemory" -}}
{{- if .Values.config.maxmemory -}}
{{- .Values.config.maxmemory -}}
{{- else -}}
{{- with .Values.resources.limits }}{{- with .memory -}}
{{- $bytes := include "common.utils.bytes" (dict "quantity" . "key" "resources.limits.memory") | float64 -}}
{{- printf "%.0f" (floor (divf (mulf $bytes (float64 $.Values.config.maxmemoryPercent)) 100)) -}}
{{- end }}{{- end -}}
{{- end -}}
{{- end -}}

{{/* redis.ping: redis-cli ping with the password from REDISCLI_AUTH (over TLS with .tls); succeeds on the given replies. */}}
{{- define "redis.ping" -}}
redis-cli -h 127.0.0.1 -p {{ .port }} {{ with .tls }}{{ . }} {{ end }}ping | grep -Eq '^({{ .accept }})'
{{- end -}}

{{/* redis.cliTLS: redis-cli's TLS options when tls.enabled (the server verified against the CA); empty otherwise. */}}
{{- define "redis.cliTLS" -}}
{{- if .Values.tls.enabled -}}
--tls --cacert {{ include "common.tls.serverDir" . }}/ca.crt
{{- end -}}
{{- end -}}
