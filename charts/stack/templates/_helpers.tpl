{{/*
stack.target: why an app name cannot receive routed traffic ("" when it can): it must be an
enabled app of services.apps of type service (workers and CronJobs have no Service).
Usage: include "stack.target" (dict "name" "users" "svcApps" $svcApps "appTypes" $appTypes)
*/}}
{{- define "stack.target" -}}
{{- if hasKey .svcApps .name -}}{{- else if hasKey .appTypes .name -}}
{{- printf "%q is a %s of services.apps, which has no Service to route to" .name (get .appTypes .name) -}}
{{- else -}}
{{- printf "%q is not an enabled app of services.apps (have: %s)" .name (keys .svcApps | sortAlpha | join ", ") -}}
{{- end -}}
{{- end -}}

{{/*
stack.serviceName: the Service name of a component the umbrella routes to — the gateway chart's
own name (gateway.fullnameOverride, gateway.nameOverride: the same helper the chart uses), or a
services app's <release>-<app>.
Usage: include "stack.serviceName" (dict "name" "gateway" "context" $)
*/}}
{{- define "stack.serviceName" -}}
{{- $ctx := .context -}}
{{- if eq .name "gateway" -}}
{{- include "common.names.own" (dict "context" (dict "Values" ($ctx.Values.gateway | default dict) "Release" $ctx.Release "Chart" (dict "Name" "gateway"))) -}}
{{- else -}}
{{- include "common.names.component" (dict "name" .name "context" $ctx) -}}
{{- end -}}
{{- end -}}

{{/*
stack.edge.ingress: the edge's Ingress (global.edge.paths on one host), with .annotations and, when
.tls, the TLS section naming .tlsSecret.
*/}}
{{- define "stack.edge.ingress" -}}
{{- $ctx := .context -}}
{{- $e := $ctx.Values.global.edge -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name }}
  namespace: {{ $ctx.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" "edge" "component" "edge" "context" $ctx) | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  ingressClassName: {{ $e.ingress.className | quote }}
  {{- if .tls }}
  tls:
    - hosts: [{{ .host | quote }}]
      secretName: {{ .tlsSecret }}
  {{- end }}
  rules:
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range $e.paths }}
          - path: {{ .path }}
            pathType: Prefix
            backend:
              service:
                name: {{ include "stack.serviceName" (dict "name" .service "context" $ctx) }}
                port:
                  number: {{ .port }}
          {{- end }}
{{- end -}}
