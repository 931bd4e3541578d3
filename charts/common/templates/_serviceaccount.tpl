{{/*
common.serviceaccount: a workload's ServiceAccount when serviceAccount.create (name from
common.names.serviceAccount). automount defaults to false: only workloads that call the API
(e.g. RabbitMQ's peer discovery) mount a token. .namespace defaults to the release namespace.
Usage: include "common.serviceaccount" (dict "name" "redis" "fullname" $full "component" "cache" "serviceAccount" .Values.serviceAccount "automount" false "context" $)
*/}}
{{- define "common.serviceaccount" -}}
{{- if .serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "common.names.serviceAccount" (dict "serviceAccount" .serviceAccount "fullname" .fullname) }}
  namespace: {{ .namespace | default .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" .context) | nindent 4 }}
  {{- with .serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ .automount | default false }}
{{- end }}
{{- end -}}

{{/*
common.secret.passwords: an Opaque Secret of a backing service, rendered from values, with
the keep annotations of common.annotations.keep when .resourcePolicy is keep. .data maps keys to plain values (encoded here).
Usage: include "common.secret.passwords" (dict "name" "redis" "fullname" $full "component" "cache" "data" (dict "redis-password" .Values.auth.password) "resourcePolicy" "keep" "context" $)
*/}}
{{- define "common.secret.passwords" -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .fullname }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" .context) | nindent 4 }}
  {{- with include "common.annotations.keep" (dict "policy" .resourcePolicy) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
type: Opaque
data:
  {{- range $k, $v := .data }}
  {{ $k }}: {{ $v | toString | b64enc | quote }}
  {{- end }}
{{- end -}}
