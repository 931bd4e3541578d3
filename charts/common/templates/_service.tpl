{{/*
common.service.stateful: the two Services of a StatefulSet — the ClusterIP Service clients use
(<fullname>, never exposed outside the cluster) and the headless governing Service
(<fullname>-headless) that gives each pod a stable DNS name. Ports are {name, port} with a
targetPort of the same name; .headlessPorts defaults to .ports; .publishNotReadyAddresses lets
clustered peers (RabbitMQ) find each other before they are Ready.
Usage: include "common.service.stateful" (dict "name" "redis" "fullname" $full "component" "cache" "ports" (list (dict "name" "redis" "port" 6379)) "annotations" .Values.service.annotations "context" $)
*/}}
{{- define "common.service.stateful" -}}
{{- $ctx := .context -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .fullname }}
  namespace: {{ $ctx.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" $ctx) | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: ClusterIP
  selector:
    {{- include "common.labels.selector" (dict "name" .name "context" $ctx) | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      protocol: TCP
    {{- end }}
---
# The StatefulSet's governing Service: stable per-pod DNS names.
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.names.fit" (dict "base" .fullname "suffix" "headless") }}
  namespace: {{ $ctx.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" $ctx) | nindent 4 }}
spec:
  type: ClusterIP
  clusterIP: None
  publishNotReadyAddresses: {{ .publishNotReadyAddresses | default false }}
  selector:
    {{- include "common.labels.selector" (dict "name" .name "context" $ctx) | nindent 4 }}
  ports:
    {{- range (.headlessPorts | default .ports) }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      protocol: TCP
    {{- end }}
{{- end -}}
