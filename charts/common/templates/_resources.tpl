{{/*
common.resources: container resources. Requests are mandatory (the scheduler and the HPA need
them); a missing CPU or memory request fails the render with the key to set, and so does a memory
quantity in milli-bytes ("128m": 0.128 bytes, a typo for 128Mi the API server accepts).
.context (optional) prefixes the key with the chart's name inside an umbrella (common.key).
Usage: include "common.resources" (dict "resources" .Values.resources "key" "resources" "context" $)
*/}}
{{- define "common.resources" -}}
{{- $key := .key -}}
{{- if .context }}{{- $key = include "common.key" (dict "key" .key "context" .context) -}}{{- end -}}
{{- $r := .resources | default dict -}}
{{- $req := $r.requests | default dict -}}
{{- if not (and $req.cpu $req.memory) -}}
{{- fail (printf "%s.requests: set both cpu and memory (every container declares what it needs)" $key) -}}
{{- end -}}
{{- range $kind := list "requests" "limits" -}}
{{- with get $r $kind -}}{{- with .memory -}}
{{- include "common.utils.notMilli" (dict "quantity" . "key" (printf "%s.%s.memory" $key $kind)) -}}
{{- end -}}{{- end -}}
{{- end -}}
{{- toYaml $r -}}
{{- end -}}
