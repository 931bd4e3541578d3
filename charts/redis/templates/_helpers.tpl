{{/* redis.fullname: <release>-redis, the name the wiring convention gives consumers. */}}
{{- define "redis.fullname" -}}
{{- include "common.names.stateful" . -}}
{{- end -}}

{{/* redis.secretName: auth.existingSecret, or the chart's Secret (which needs auth.password). */}}
{{- define "redis.secretName" -}}
{{- if .Values.auth.existingSecret -}}
{{- tpl .Values.auth.existingSecret . -}}
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

{{/* redis.ping: redis-cli ping with the password from REDISCLI_AUTH; succeeds on the given replies. */}}
{{- define "redis.ping" -}}
redis-cli -h 127.0.0.1 -p {{ .port }} ping | grep -Eq '^({{ .accept }})'
{{- end -}}
