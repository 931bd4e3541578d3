{{/*
common.checksum: the sha256 of rendered templates, for a checksum/config pod annotation, so a
config change rolls the pods (a ConfigMap change alone does not restart anything).
Usage: include "common.checksum" (dict "templates" (list "configmap.yaml") "context" $)
*/}}
{{- define "common.checksum" -}}
{{- $out := "" -}}
{{- range .templates -}}
{{- $out = print $out (include (print $.context.Template.BasePath "/" .) $.context) -}}
{{- end -}}
{{- $out | sha256sum -}}
{{- end -}}
