{{/*
common.hpa: an autoscaling/v2 HorizontalPodAutoscaler with CPU and memory utilisation targets
(percent of the requests). Rendered when hpa.enabled.
Optional: .apiVersion of the target (default apps/v1; argoproj.io/v1alpha1 for an Argo Rollout).
Usage: include "common.hpa" (dict "name" "users" "fullname" "shop-users" "kind" "Deployment" "hpa" .hpa "key" "apps.users.hpa" "component" "service" "context" $)
*/}}
{{- define "common.hpa" -}}
{{- $hpa := .hpa | default dict -}}
{{- if $hpa.enabled }}
{{- $min := int ($hpa.minReplicas | default 2) -}}
{{- $max := int ($hpa.maxReplicas | default 10) -}}
{{- if gt $min $max }}{{- fail (printf "%s: minReplicas (%d) is greater than maxReplicas (%d)" .key $min $max) -}}{{- end }}
{{- if not (or $hpa.targetCPUUtilizationPercentage $hpa.targetMemoryUtilizationPercentage) }}
{{- fail (printf "%s: set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" .key) -}}
{{- end }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .fullname }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" .context) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: {{ .apiVersion | default "apps/v1" }}
    kind: {{ .kind | default "Deployment" }}
    name: {{ .fullname }}
  minReplicas: {{ $min }}
  maxReplicas: {{ $max }}
  metrics:
    {{- with $hpa.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $hpa.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
  {{- with $hpa.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}
