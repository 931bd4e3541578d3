{{/*
common.utils.merge: deep-merge two maps, the override winning at every level — including an
explicit false, 0 or "" (sprig's mergeOverwrite skips those, which would make "enabled: false"
impossible to set over a default of true). Lists are replaced, not appended.
Usage: include "common.utils.merge" (dict "base" .Values.defaults "override" $app) | fromYaml
*/}}
{{- define "common.utils.merge" -}}
{{- $out := deepCopy (.base | default dict) -}}
{{- range $k, $v := (.override | default dict) -}}
{{- $cur := get $out $k -}}
{{- if and (kindIs "map" $v) (kindIs "map" $cur) -}}
{{- $_ := set $out $k (include "common.utils.merge" (dict "base" $cur "override" $v) | fromYaml) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
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
