{{/*
monitoring.prometheus.config: prometheus.yml. Targets are found by Kubernetes service discovery:
pods and services annotated prometheus.io/scrape (port, path, scheme, and prometheus.io/job for
the job name, else the app.kubernetes.io/name label), the kubelets and cAdvisor, the API servers.
Every series gets namespace, pod and app labels, so rules and dashboards select by app.
*/}}
{{- define "monitoring.prometheus.config" -}}
{{- $p := .Values.prometheus -}}
{{- $sa := "/var/run/secrets/kubernetes.io/serviceaccount" -}}
{{- $namespaces := $p.scrape.namespaces -}}
{{- if gt (int64 (include "monitoring.durationMs" $p.scrapeTimeout)) (int64 (include "monitoring.durationMs" $p.scrapeInterval)) -}}
{{- fail (printf "%s (%s) is longer than prometheus.scrapeInterval (%s): Prometheus refuses such a config (\"global scrape timeout greater than scrape interval\")" (include "common.key" (dict "key" "prometheus.scrapeTimeout" "context" $)) $p.scrapeTimeout $p.scrapeInterval) -}}
{{- end -}}
global:
  scrape_interval: {{ $p.scrapeInterval }}
  scrape_timeout: {{ $p.scrapeTimeout }}
  evaluation_interval: {{ $p.evaluationInterval }}
  {{- with $p.externalLabels }}
  external_labels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
rule_files:
  - /etc/prometheus/rules/*.yaml
{{- range $i, $w := $p.remoteWrite }}
{{- $u := (kindIs "map" $w) | ternary (get $w "url") "" }}
{{- if not (regexMatch "^https?://[^/]+" (toString $u)) }}
{{- fail (printf "%s: an http(s) URL is required (got %q)" (include "common.key" (dict "key" (printf "prometheus.remoteWrite[%d].url" $i) "context" $)) (toString $u)) }}
{{- end }}
{{- end }}
{{- with $p.remoteWrite }}
remote_write:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.alertmanager.enabled }}
alerting:
  alertmanagers:
    - static_configs:
        - targets:
            - {{ printf "%s.%s.svc:%v" (include "monitoring.name" (dict "component" "alertmanager" "context" $)) (include "monitoring.namespace" $) .Values.alertmanager.service.port | quote }}
{{- end }}
scrape_configs:
  # Pods annotated prometheus.io/scrape: "true": one target per pod, on the annotated port.
  - job_name: kubernetes-pods
    honor_labels: false
    kubernetes_sd_configs:
      - role: pod
        {{- with $namespaces }}
        namespaces:
          names: {{ toJson . }}
        {{- end }}
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        regex: "true"
        action: keep
      - source_labels: [__meta_kubernetes_pod_phase]
        regex: Running
        action: keep
      # One target per pod: keep the container port the annotation names (pods with several
      # ports would otherwise yield a target per port).
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port]
        target_label: __tmp_port
      - source_labels: [__meta_kubernetes_pod_container_port_number]
        target_label: __tmp_port
        action: keepequal
      - source_labels: [__meta_kubernetes_pod_ip, __tmp_port]
        regex: (.+);(\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme]
        regex: (https?)
        target_label: __scheme__
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
        target_label: app
      # job: prometheus.io/job, else app.kubernetes.io/name, else kubernetes-pods.
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
        regex: (.+)
        target_label: job
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_job]
        regex: (.+)
        target_label: job
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
      - source_labels: [__meta_kubernetes_pod_container_name]
        target_label: container
      - source_labels: [__meta_kubernetes_pod_node_name]
        target_label: node
      # The pod-template hash of an Argo Rollout's pods: a rollout's analysis tells the new
      # version's pods from the stable ones by it (services chart, apps.<name>.rollout).
      - source_labels: [__meta_kubernetes_pod_label_rollouts_pod_template_hash]
        regex: (.+)
        target_label: rollouts_pod_template_hash
  # Services annotated prometheus.io/scrape: "true" (for targets behind a Service only).
  - job_name: kubernetes-services
    kubernetes_sd_configs:
      - role: endpoints
        {{- with $namespaces }}
        namespaces:
          names: {{ toJson . }}
        {{- end }}
    relabel_configs:
      - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape]
        regex: "true"
        action: keep
      - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_port]
        target_label: __tmp_port
      - source_labels: [__meta_kubernetes_endpoint_port_number]
        target_label: __tmp_port
        action: keepequal
      - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_path]
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__meta_kubernetes_service_label_app_kubernetes_io_name]
        target_label: app
      - source_labels: [__meta_kubernetes_service_label_app_kubernetes_io_name]
        regex: (.+)
        target_label: job
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_service_name]
        target_label: service
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
  {{- if $p.scrape.kubelet }}
  {{- range $job := list "kubelet" "cadvisor" }}
  - job_name: {{ $job }}
    scheme: https
    {{- if eq $job "cadvisor" }}
    metrics_path: /metrics/cadvisor
    {{- end }}
    authorization:
      credentials_file: {{ $sa }}/token
    tls_config:
      ca_file: {{ $sa }}/ca.crt
      insecure_skip_verify: {{ $p.scrape.kubeletInsecureSkipVerify }}
    kubernetes_sd_configs:
      - role: node
    relabel_configs:
      - source_labels: [__meta_kubernetes_node_name]
        target_label: node
  {{- end }}
  {{- end }}
  {{- if $p.scrape.apiserver }}
  - job_name: apiserver
    scheme: https
    authorization:
      credentials_file: {{ $sa }}/token
    tls_config:
      ca_file: {{ $sa }}/ca.crt
    kubernetes_sd_configs:
      - role: endpoints
        namespaces:
          names: [default]
    relabel_configs:
      - source_labels: [__meta_kubernetes_service_name, __meta_kubernetes_endpoint_port_name]
        regex: kubernetes;https
        action: keep
  {{- end }}
  {{- with $p.extraScrapeConfigs }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}


{{/* monitoring.durationMs: a Prometheus duration ("1h30m", "30s", "500ms") in milliseconds. */}}
{{- define "monitoring.durationMs" -}}
{{- $units := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 "w" 604800000 "y" 31536000000 -}}
{{- $total := 0 -}}
{{- range regexFindAll "[0-9]+(ms|s|m|h|d|w|y)" (toString .) -1 -}}
{{- $unit := regexFind "(ms|s|m|h|d|w|y)$" . -}}
{{- $total = add $total (mul (int64 (trimSuffix $unit .)) (get $units $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end -}}
