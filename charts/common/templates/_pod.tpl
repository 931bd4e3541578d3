{{/*
common.pod.topologySpread: topologySpreadConstraints spreading a workload's pods over each of
topologyKeys, counted per rollout revision (matchLabelKeys pod-template-hash), or nothing when
spread.enabled is false.
Usage: include "common.pod.topologySpread" (dict "spread" .Values.topologySpread "name" "gateway" "context" $) | nindent 6
*/}}
{{- define "common.pod.topologySpread" -}}
{{- if .spread.enabled -}}
topologySpreadConstraints:
{{- range .spread.topologyKeys }}
  - maxSkew: {{ $.spread.maxSkew }}
    topologyKey: {{ . | quote }}
    whenUnsatisfiable: {{ $.spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "common.labels.selector" (dict "name" $.name "context" $.context) | nindent 8 }}
    matchLabelKeys:
      - pod-template-hash
{{- end }}
{{- end -}}
{{- end -}}
