{{/*
NetworkPolicies. Every workload of the stack carries its own policy selecting exactly its pods;
the umbrella adds a namespace-wide default deny. Rules are plain Kubernetes NetworkPolicy rules.
*/}}

{{/*
common.networkpolicy.dnsEgress: the egress rule every pod needs to resolve names: UDP and TCP 53
to the cluster DNS in kube-system (global.networkPolicy.dnsNamespace to change it).
*/}}
{{- define "common.networkpolicy.dnsEgress" -}}
{{- $ns := "kube-system" -}}
{{- with .context.Values.global }}{{- with .networkPolicy }}{{- with .dnsNamespace }}{{- $ns = . -}}{{- end }}{{- end }}{{- end -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ $ns | quote }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}

{{/*
common.networkpolicy: a NetworkPolicy for one workload with both policy types (so anything not
listed is denied). ingress and egress are lists of rules; DNS egress is always added.
.namespace defaults to the release namespace.
Usage: include "common.networkpolicy" (dict "name" "users" "fullname" "shop-users" "component" "service" "ingress" $rules "egress" $rules "context" $)
*/}}
{{- define "common.networkpolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .fullname }}
  namespace: {{ .namespace | default .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" .context) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "common.labels.selector" (dict "name" .name "context" .context) | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  {{- if .ingress }}
  ingress:
    {{- toYaml .ingress | nindent 4 }}
  {{- else }}
  ingress: []
  {{- end }}
  egress:
    {{- include "common.networkpolicy.dnsEgress" . | nindent 4 }}
    {{- with .egress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/*
common.networkpolicy.fromMonitoring: an ingress rule admitting the monitoring scraper to a
metrics port (.port) or several (.ports). The scraper is found by its namespace
(common.monitoring.namespace: the monitoring chart runs in its own) and the label
app.kubernetes.io/name=prometheus.
Usage: include "common.networkpolicy.fromMonitoring" (dict "port" 9113 "context" $)
       include "common.networkpolicy.fromMonitoring" (dict "ports" (list 8080 8081) "context" $)
*/}}
{{- define "common.networkpolicy.fromMonitoring" -}}
{{- $ns := include "common.monitoring.namespace" .context -}}
- from:
    - podSelector:
        matchLabels:
          app.kubernetes.io/name: prometheus
      {{- if ne $ns .context.Release.Namespace }}
      namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ $ns | quote }}
      {{- end }}
  ports:
    {{- range .ports | default (list .port) }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end -}}

{{/*
common.networkpolicy.backing: the NetworkPolicy of a backing service (mysql, redis, rabbitmq):
its port admits the pods labelled uses.stack.dev/<name>: "true" (the wiring convention's client
label) plus the extra peers in .allowed; the metrics port admits the monitoring scraper;
.ingress and .egress append rules. DNS egress is always allowed.
Usage: include "common.networkpolicy.backing" (dict "name" "redis" "fullname" $full "component" "cache" "port" 6379 "metricsPort" 9121 "allowed" .Values.networkPolicy.allowedClients "context" $)
*/}}
{{- define "common.networkpolicy.backing" -}}
{{- $label := dict (printf "uses.stack.dev/%s" .name) "true" -}}
{{- $clients := concat (list (dict "podSelector" (dict "matchLabels" $label))) (.allowed | default list) -}}
{{- $ingress := list (dict "from" $clients "ports" (list (dict "protocol" "TCP" "port" (int .port)))) -}}
{{- if .metricsPort -}}
{{- $ingress = concat $ingress (include "common.networkpolicy.fromMonitoring" (dict "port" (int .metricsPort) "context" .context) | fromYamlArray) -}}
{{- end -}}
{{- $ingress = concat $ingress (.ingress | default list) -}}
{{- include "common.networkpolicy" (dict "name" .name "fullname" .fullname "component" .component "ingress" $ingress "egress" (.egress | default list) "context" .context) -}}
{{- end -}}


{{/*
common.monitoring.namespace: the namespace the monitoring chart's Prometheus runs in —
global.networkPolicy.monitoringNamespace, which may be a template ("{{ .Release.Namespace }}-monitoring"),
or the release namespace when unset. Every chart agrees on it because it comes from global.
Usage: include "common.monitoring.namespace" $
*/}}
{{- define "common.monitoring.namespace" -}}
{{- $ns := "" -}}
{{- with .Values.global }}{{- with .networkPolicy }}{{- with .monitoringNamespace }}{{- $ns = include "common.utils.tpl" (dict "value" . "context" $) -}}{{- end }}{{- end }}{{- end -}}
{{- $ns = $ns | default .Release.Namespace -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $ns) -}}
{{- fail (printf "global.networkPolicy.monitoringNamespace: %q is not a namespace name (a DNS label: lowercase letters, digits and '-', at most 63 characters); with the default \"{{ .Release.Namespace }}-monitoring\" a release namespace longer than 52 characters needs an explicit one" $ns) -}}
{{- end -}}
{{- $ns -}}
{{- end -}}
