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

{{/*
common.pod.placement: the pod spec's priorityClassName, nodeSelector, tolerations and affinity
from a chart's values of the same names (each omitted when empty).
Usage: {{- with include "common.pod.placement" .Values }}{{ . | nindent 6 }}{{ end }}
*/}}
{{- define "common.pod.placement" -}}
{{- with .priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
common.pod.scrapeAnnotations: prometheus.io annotations for a metrics port (when metrics are
enabled) followed by the chart's podAnnotations.
Usage: {{- include "common.pod.scrapeAnnotations" (dict "metrics" .Values.metrics "extra" .Values.podAnnotations) | nindent 8 }}
*/}}
{{- define "common.pod.scrapeAnnotations" -}}
{{- if .metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .metrics.port | quote }}
prometheus.io/path: "/metrics"
{{- end }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end -}}
