{{/*
monitoring.rules: files/rules.yaml with its ${name} placeholders filled from .Values.rules.
*/}}
{{- define "monitoring.rules" -}}
{{- $text := regexReplaceAll "(?m)^#.*\n" (.Files.Get "files/rules.yaml") "" -}}
{{- range $k, $v := .Values.rules -}}
{{- if not (kindIs "slice" $v) -}}
{{- $text = replace (printf "${%s}" $k) (toString $v) $text -}}
{{- end -}}
{{- end -}}
{{- $text -}}
{{- end -}}
