{{/*
Labels. Selector labels are a small stable subset (name + instance): they go into
Deployment/StatefulSet selectors and volumeClaimTemplates, which are immutable, so nothing
that changes between releases (chart version, app version) may ever be part of them.
*/}}

{{/*
common.labels.selector
Usage: include "common.labels.selector" (dict "name" "users" "context" $)
*/}}
{{- define "common.labels.selector" -}}
app.kubernetes.io/name: {{ .name | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/instance: {{ .context.Release.Name | quote }}
{{- end -}}

{{/*
common.labels.standard: selector labels plus version, chart, component, part-of and
global.labels (release-wide labels such as team or cost centre).
Usage: include "common.labels.standard" (dict "name" "users" "component" "service" "context" $)
*/}}
{{- define "common.labels.standard" -}}
{{ include "common.labels.selector" . }}
helm.sh/chart: {{ include "common.names.chart" .context | quote }}
app.kubernetes.io/managed-by: {{ .context.Release.Service | quote }}
app.kubernetes.io/part-of: "stack"
{{- with .context.Chart.AppVersion }}
app.kubernetes.io/version: {{ . | trunc 63 | trimSuffix "-" | quote }}
{{- end }}
{{- with .component }}
app.kubernetes.io/component: {{ . | quote }}
{{- end }}
{{- with .context.Values.global }}{{- with .labels }}
{{ toYaml . }}
{{- end }}{{- end }}
{{- end -}}
