{{/*
common.resources: container resources. Requests are mandatory (the scheduler and the HPA need
them); a missing CPU or memory request fails the render with the key to set.
Usage: include "common.resources" (dict "resources" .Values.resources "key" "gateway.resources")
*/}}
{{- define "common.resources" -}}
{{- $r := .resources | default dict -}}
{{- $req := $r.requests | default dict -}}
{{- if not (and $req.cpu $req.memory) -}}
{{- fail (printf "%s.requests: set both cpu and memory (every container declares what it needs)" .key) -}}
{{- end -}}
{{- toYaml $r -}}
{{- end -}}
