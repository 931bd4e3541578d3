{{/*
common.monitoring.served: "true" when the cluster serves a prometheus-operator kind — the group
version monitoring.coreos.com/v1 (what `helm template --api-versions monitoring.coreos.com/v1`
and a live cluster both report) or the kind itself; empty otherwise.
Usage: {{- if include "common.monitoring.served" (dict "kind" "PrometheusRule" "context" $) }}
*/}}
{{- define "common.monitoring.served" -}}
{{- $v := .context.Capabilities.APIVersions -}}
{{- if or ($v.Has (printf "monitoring.coreos.com/v1/%s" .kind)) ($v.Has "monitoring.coreos.com/v1") }}true{{ end -}}
{{- end -}}

{{/*
common.servicemonitor: a prometheus-operator ServiceMonitor, rendered only when the cluster
serves monitoring.coreos.com/v1 (helm template --api-versions monitoring.coreos.com/v1/ServiceMonitor
emulates one). Pod annotations cover plain Prometheus; this covers the operator.
Optional: .namespace (default: the release's), .labels (what an operator's Prometheus selects by),
.podTargetLabels (pod labels copied onto the samples).
Usage: include "common.servicemonitor" (dict "name" "gateway" "fullname" "shop-gateway" "component" "gateway" "port" "metrics" "path" "/metrics" "interval" "30s" "context" $)
*/}}
{{- define "common.servicemonitor" -}}
{{- if include "common.monitoring.served" (dict "kind" "ServiceMonitor" "context" .context) }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .fullname }}
  namespace: {{ .namespace | default .context.Release.Namespace | quote }}
  annotations:
    {{- include "common.annotations.crdObject" (dict "wave" "1") | nindent 4 }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" .context) | nindent 4 }}
    {{- with .labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "common.labels.selector" (dict "name" .name "context" .context) | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .namespace | default .context.Release.Namespace | quote }}
  {{- with .podTargetLabels }}
  podTargetLabels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  endpoints:
    - port: {{ .port | quote }}
      path: {{ .path | default "/metrics" | quote }}
      interval: {{ .interval | default "30s" | quote }}
{{- end }}
{{- end -}}

{{/*
common.podmonitor: a prometheus-operator PodMonitor (for pods without a Service, e.g. workers),
rendered only when the cluster serves monitoring.coreos.com/v1.
Optional: .namespace, .labels and .podTargetLabels as for common.servicemonitor.
Usage: include "common.podmonitor" (dict "name" "mailer" "fullname" "shop-mailer" "component" "worker" "port" "metrics" "path" "/metrics" "interval" "30s" "context" $)
*/}}
{{- define "common.podmonitor" -}}
{{- if include "common.monitoring.served" (dict "kind" "PodMonitor" "context" .context) }}
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: {{ .fullname }}
  namespace: {{ .namespace | default .context.Release.Namespace | quote }}
  annotations:
    {{- include "common.annotations.crdObject" (dict "wave" "1") | nindent 4 }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" .context) | nindent 4 }}
    {{- with .labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "common.labels.selector" (dict "name" .name "context" .context) | nindent 6 }}
  {{- with .podTargetLabels }}
  podTargetLabels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  podMetricsEndpoints:
    - port: {{ .port | quote }}
      path: {{ .path | default "/metrics" | quote }}
      interval: {{ .interval | default "30s" | quote }}
{{- end }}
{{- end -}}

{{/*
common.monitoring.prometheusURL: the in-cluster URL of the monitoring chart's Prometheus under its
default names — the Service <release>-monitoring-prometheus (monitoring.name: fitted to 52
characters) in common.monitoring.namespace, port 9090. A monitoring chart with a fullnameOverride
or nameOverride needs the URL given where this is used.
Usage: include "common.monitoring.prometheusURL" $
*/}}
{{- define "common.monitoring.prometheusURL" -}}
{{- $base := include "common.names.component" (dict "name" "monitoring" "context" .) -}}
{{- $svc := include "common.names.fit" (dict "base" $base "suffix" "prometheus" "max" 52) -}}
{{- $domain := (.Values.global | default dict).clusterDomain | default "cluster.local" -}}
{{- printf "http://%s.%s.svc.%s:9090" $svc (include "common.monitoring.namespace" .) $domain -}}
{{- end -}}
