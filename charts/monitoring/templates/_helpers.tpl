{{/* monitoring.fullname: <release>-monitoring (or the overrides). */}}
{{- define "monitoring.fullname" -}}
{{- include "common.names.fullname" . -}}
{{- end -}}

{{/* monitoring.name: the object name of one component, <fullname>-<component>, fitted to 52
characters (Prometheus and Alertmanager are StatefulSets; one limit keeps every component's
objects under one name) without two components ever coming out alike (common.names.fit). */}}
{{- define "monitoring.name" -}}
{{- include "common.names.fit" (dict "base" (include "monitoring.fullname" .context) "suffix" .component "max" 52) -}}
{{- end -}}

{{/* monitoring.namespace: where every object of this chart goes (common.monitoring.namespace). */}}
{{- define "monitoring.namespace" -}}
{{- include "common.monitoring.namespace" . -}}
{{- end -}}

{{/* monitoring.url: the in-cluster URL of a component's Service. */}}
{{- define "monitoring.url" -}}
{{- printf "http://%s.%s.svc:%v" (include "monitoring.name" .) (include "monitoring.namespace" .context) .port -}}
{{- end -}}

{{/*
monitoring.objectMeta: name, namespace and labels of a component's object.
Usage: {{- include "monitoring.objectMeta" (dict "component" "prometheus" "context" $) | nindent 2 }}
*/}}
{{- define "monitoring.objectMeta" -}}
name: {{ include "monitoring.name" . }}
namespace: {{ include "monitoring.namespace" .context | quote }}
labels:
  {{- include "common.labels.standard" (dict "name" .component "component" "monitoring" "context" .context) | nindent 2 }}
{{- end -}}

{{/*
monitoring.service: the ClusterIP Service of a component, one TCP port named like its container
port. Usage: include "monitoring.service" (dict "component" "grafana" "portName" "http" "port" 3000 "context" $)
*/}}
{{- define "monitoring.service" -}}
apiVersion: v1
kind: Service
metadata:
  {{- include "monitoring.objectMeta" . | nindent 2 }}
spec:
  type: ClusterIP
  selector:
    {{- include "common.labels.selector" (dict "name" .component "context" .context) | nindent 4 }}
  ports:
    - name: {{ .portName }}
      port: {{ .port }}
      targetPort: {{ .portName }}
      protocol: TCP
{{- end -}}

{{/*
monitoring.clusterRBAC: a ClusterRole with .rules and its binding to the component's
ServiceAccount. Cluster-scoped names carry the release namespace (two releases never clash).
*/}}
{{- define "monitoring.clusterRBAC" -}}
{{- $name := include "monitoring.name" . -}}
{{- $cluster := include "common.names.fit" (dict "base" .context.Release.Namespace "suffix" $name) -}}
{{- $labels := include "common.labels.standard" (dict "name" .component "component" "monitoring" "context" .context) -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ $cluster }}
  labels:
    {{- $labels | nindent 4 }}
rules:
  {{- toYaml .rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $cluster }}
  labels:
    {{- $labels | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $cluster }}
subjects:
  - kind: ServiceAccount
    name: {{ $name }}
    namespace: {{ include "monitoring.namespace" .context | quote }}
{{- end -}}

{{/*
monitoring.podSpecCommon: service account, pull secrets, security context and placement shared
by the pods of every component but node-exporter.
*/}}
{{- define "monitoring.podSpecCommon" -}}
{{- $v := .context.Values -}}
serviceAccountName: {{ include "monitoring.name" . }}
automountServiceAccountToken: {{ .automount | default false }}
{{- with include "common.images.pullSecrets" (dict "secrets" $v.imagePullSecrets "context" .context) | trim }}
{{ . }}
{{- end }}
securityContext:
  {{- include "common.security.pod" (dict "override" (.podSecurityContext | default $v.podSecurityContext)) | nindent 2 }}
{{- with include "common.pod.placement" $v | trim }}
{{ . }}
{{- end }}
{{- end -}}

{{/* monitoring.image: image reference and pull policy lines of images.<key>. */}}
{{- define "monitoring.image" -}}
{{- $img := index .context.Values.images .key -}}
image: {{ include "common.images.image" (dict "image" $img "key" (include "common.key" (dict "key" (printf "images.%s" .key) "context" .context)) "context" .context) | quote }}
imagePullPolicy: {{ include "common.images.pullPolicy" (dict "image" $img "context" .context) }}
{{- end -}}

{{/*
monitoring.receiverSecret: fail unless a receiver that is enabled names its Secret.
*/}}
{{- define "monitoring.requireSecret" -}}
{{- if not .secret -}}
{{- fail (printf "%s: set the name of an existing Secret (%s) — this chart never takes the value inline" (include "common.key" (dict "key" .key "context" .context)) .what) -}}
{{- end -}}
{{- end -}}
