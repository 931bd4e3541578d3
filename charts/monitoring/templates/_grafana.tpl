{{/*
monitoring.grafana.provisioning: Grafana's datasource and dashboard-provider files (ConfigMap data).
*/}}
{{- define "monitoring.grafana.provisioning" -}}
datasources.yaml: |
  apiVersion: 1
  datasources:
    {{- if .Values.prometheus.enabled }}
    - name: Prometheus
      uid: prometheus
      type: prometheus
      access: proxy
      url: {{ include "monitoring.url" (dict "component" "prometheus" "port" .Values.prometheus.service.port "context" $) }}
      isDefault: true
      editable: false
    {{- end }}
    {{- if .Values.alertmanager.enabled }}
    - name: Alertmanager
      uid: alertmanager
      type: alertmanager
      access: proxy
      url: {{ include "monitoring.url" (dict "component" "alertmanager" "port" .Values.alertmanager.service.port "context" $) }}
      editable: false
      jsonData:
        implementation: prometheus
        handleGrafanaManagedAlerts: false
    {{- end }}
    {{- if .Values.logs.enabled }}
    - name: Logs
      uid: logs
      type: victoriametrics-logs-datasource
      access: proxy
      url: {{ include "monitoring.url" (dict "component" "logs-store" "port" .Values.logs.store.port "context" $) }}
      editable: false
    {{- end }}
dashboards.yaml: |
  apiVersion: 1
  providers:
    - name: stack
      folder: stack
      type: file
      disableDeletion: true
      allowUiUpdates: false
      options:
        path: /var/lib/grafana/dashboards/stack
{{- end -}}
