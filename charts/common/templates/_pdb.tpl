{{/*
common.pdb: a PodDisruptionBudget for a workload. Rendered when pdb.enabled is true, or when it
is unset ("auto") and the workload runs more than one replica (a PDB on a single replica would
block node drains forever). .namespace defaults to the release namespace.
Usage: include "common.pdb" (dict "name" "users" "fullname" "shop-users" "pdb" .pdb "replicas" 2 "component" "service" "context" $)
*/}}
{{- define "common.pdb" -}}
{{- $pdb := .pdb | default dict -}}
{{- $enabled := gt (int .replicas) 1 -}}
{{- if hasKey $pdb "enabled" }}{{- if ne (toString $pdb.enabled) "auto" }}{{- $enabled = $pdb.enabled -}}{{- end }}{{- end -}}
{{- if $enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .fullname }}
  namespace: {{ .namespace | default .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" .context) | nindent 4 }}
spec:
  {{- if $pdb.maxUnavailable }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ $pdb.minAvailable | default 1 }}
  {{- end }}
  {{- with $pdb.unhealthyPodEvictionPolicy }}
  unhealthyPodEvictionPolicy: {{ . }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "common.labels.selector" (dict "name" .name "context" .context) | nindent 6 }}
{{- end }}
{{- end -}}
