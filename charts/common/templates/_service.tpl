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

{{/*
common.service.annotations: a Service's annotations — its own (.annotations) and what the edge needs
on the Services it routes to. Traefik keeps cookie affinity (sticky sessions) on the backend
Service, not on the Ingress: with global.edge.mode ingress, global.edge.ingress.controller traefik
and global.edge.affinity.enabled, each Service named by a global.edge.paths entry gets Traefik's
sticky-cookie annotations (the cookie global.edge.affinity.cookieName, Secure when the edge serves
TLS, HttpOnly, SameSite Lax). The Service's own annotations win. Prints a YAML map or nothing.
Usage: include "common.service.annotations" (dict "name" "gateway" "annotations" .Values.service.annotations "context" $)
*/}}
{{- define "common.service.annotations" -}}
{{- $e := (.context.Values.global | default dict).edge | default dict -}}
{{- $ann := dict -}}
{{- $routed := false -}}
{{- range (dig "paths" list $e) }}{{- if eq (toString .service) $.name }}{{- $routed = true }}{{- end }}{{- end -}}
{{- if and $routed (eq (dig "mode" "" $e) "ingress") (eq (dig "ingress" "controller" "" $e) "traefik") (dig "affinity" "enabled" false $e) -}}
{{- $p := "traefik.ingress.kubernetes.io/service.sticky.cookie" -}}
{{- $_ := set $ann $p "true" -}}
{{- $_ := set $ann (printf "%s.name" $p) (dig "affinity" "cookieName" "stack-affinity" $e) -}}
{{- $_ := set $ann (printf "%s.secure" $p) (toString (dig "tls" "enabled" false $e)) -}}
{{- $_ := set $ann (printf "%s.httponly" $p) "true" -}}
{{- $_ := set $ann (printf "%s.samesite" $p) "lax" -}}
{{- end -}}
{{- $ann = merge (deepCopy (.annotations | default dict)) $ann -}}
{{- with $ann }}{{ toYaml . }}{{ end -}}
{{- end -}}
