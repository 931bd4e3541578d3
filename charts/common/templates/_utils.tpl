{{/*
common.utils.merge: deep-merge .override into .base IN PLACE (both must be dicts the caller
owns, e.g. from deepCopy), the override winning at every level — including an explicit false, 0,
"" or [] (sprig's mergeOverwrite skips those, which would make "enabled: false" impossible to set
over a default of true). Lists are replaced, not appended. It renders nothing: maps are passed by
reference, so no YAML round trip is needed (that made renders several times slower).
Usage: {{- $app := deepCopy .Values.defaults }}{{- include "common.utils.merge" (dict "base" $app "override" (deepCopy $raw)) }}
*/}}
{{- define "common.utils.merge" -}}
{{- $base := .base -}}
{{- range $k, $v := (.override | default dict) -}}
{{- $cur := get $base $k -}}
{{- if and (kindIs "map" $v) (kindIs "map" $cur) -}}
{{- include "common.utils.merge" (dict "base" $cur "override" $v) -}}
{{- else -}}
{{- $_ := set $base $k $v -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.utils.tpl: render a value that may contain template expressions ("{{ .Release.Name }}-db").
Usage: include "common.utils.tpl" (dict "value" .Values.x "context" $)
*/}}
{{- define "common.utils.tpl" -}}
{{- if kindIs "string" .value -}}
{{- tpl .value .context -}}
{{- else -}}
{{- tpl (toYaml .value) .context -}}
{{- end -}}
{{- end -}}
