{{/*
services.pod: the pod template of one app (Deployment or CronJob).
Usage: include "services.pod" (dict "name" $name "app" $app "apps" $apps "context" $)
*/}}
{{- define "services.pod" -}}
{{- $ctx := .context -}}
{{- $a := .app -}}
{{- $name := .name -}}
{{- $key := include "common.key" (dict "key" (printf "apps.%s" $name) "context" $ctx) -}}
{{- $full := include "common.names.component" (dict "name" $name "context" $ctx) -}}
metadata:
  labels:
    {{- include "common.labels.standard" (dict "name" $name "component" $a.type "context" $ctx) | nindent 4 }}
    {{- with include "common.deps.clientLabels" (dict "uses" $a.uses "calls" $a.calls) | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with $a.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    {{- $cfg := dict -}}
    {{- range $a.configMaps }}{{- $_ := set $cfg (printf "configmap/%s" .) (get $ctx.Values.configMaps .) -}}{{- end }}
    {{- range $a.secrets }}{{- $_ := set $cfg (printf "secret/%s" .) (get $ctx.Values.secrets .) -}}{{- end }}
    checksum/config: {{ toYaml $cfg | sha256sum | quote }}
    {{- if $a.metrics.enabled }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ include "services.portNumber" (dict "app" $a "port" $a.metrics.port) | quote }}
    prometheus.io/path: {{ $a.metrics.path | quote }}
    {{- end }}
    {{- with $a.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "common.names.serviceAccount" (dict "serviceAccount" $a.serviceAccount "fullname" $full) }}
  automountServiceAccountToken: {{ $a.serviceAccount.automountToken }}
  {{- with include "common.images.pullSecrets" (dict "secrets" $a.imagePullSecrets "context" $ctx) | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- if $a.privileged }}
  securityContext:
    seccompProfile:
      type: Unconfined
  {{- else }}
  securityContext:
    {{- include "common.security.pod" (dict "override" $a.podSecurityContext) | nindent 4 }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $a.terminationGracePeriodSeconds }}
  {{- if eq $a.type "cronjob" }}
  restartPolicy: {{ $a.restartPolicy }}
  {{- end }}
  {{- with $a.priorityClassName }}
  priorityClassName: {{ . | quote }}
  {{- end }}
  {{- with $a.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $a.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $a.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if ne $a.type "cronjob" }}
  {{- with include "common.pod.topologySpread" (dict "spread" $a.topologySpread "name" $name "context" $ctx) }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- end }}
  containers:
    - name: {{ $name }}
      image: {{ include "common.images.image" (dict "image" $a.image "key" (printf "%s.image" $key) "context" $ctx) | quote }}
      imagePullPolicy: {{ include "common.images.pullPolicy" (dict "image" $a.image "context" $ctx) }}
      {{- with $a.command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $a.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $env := include "common.deps.env" (dict "uses" $a.uses "key" (printf "%s.uses" $key) "context" $ctx) | trim }}
      {{- if or $env $a.calls $a.env }}
      env:
        {{- with $env }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- range $a.calls }}
        {{- $callee := get $.apps . }}
        {{- $port := first $callee._exposed }}
        - name: {{ include "services.envName" . }}_URL
          value: {{ printf "http://%s:%v" (include "common.names.fqdn" (dict "service" (include "common.names.component" (dict "name" . "context" $ctx)) "context" $ctx)) ($port.servicePort | default $port.containerPort) | quote }}
        {{- end }}
        {{- with $a.env }}
        {{- include "common.utils.tpl" (dict "value" . "context" $ctx) | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- if or $a.configMaps $a.secrets $a.envFrom }}
      envFrom:
        {{- range $a.configMaps }}
        - configMapRef:
            name: {{ include "common.names.component" (dict "name" . "context" $ctx) }}
        {{- end }}
        {{- range $a.secrets }}
        - secretRef:
            name: {{ include "common.names.component" (dict "name" . "context" $ctx) }}
        {{- end }}
        {{- with $a.envFrom }}
        {{- include "common.utils.tpl" (dict "value" . "context" $ctx) | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with $a.ports }}
      ports:
        {{- range . }}
        - name: {{ .name }}
          containerPort: {{ .containerPort }}
          protocol: {{ .protocol | default "TCP" }}
        {{- end }}
      {{- end }}
      {{- if ne $a.type "cronjob" }}
      {{- with include "common.probes.all" (dict "probes" $a.probes "key" (printf "%s.probes" $key)) | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- end }}
      resources:
        {{- include "common.resources" (dict "resources" $a.resources "key" (printf "%s.resources" $key)) | nindent 8 }}
      securityContext:
        {{- if $a.privileged }}
        {{- include "common.security.privileged" . | nindent 8 }}
        {{- else }}
        {{- include "common.security.container" (dict "override" $a.securityContext) | nindent 8 }}
        {{- end }}
      {{- if and (ne $a.type "cronjob") (gt (int $a.preStopSleepSeconds) 0) }}
      lifecycle:
        preStop:
          sleep:
            seconds: {{ $a.preStopSleepSeconds }}
      {{- end }}
      {{- if or $a.workVolumes $a.volumeMounts }}
      volumeMounts:
        {{- range $a.workVolumes }}
        - name: {{ .name }}
          mountPath: {{ .mountPath }}
        {{- end }}
        {{- with $a.volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
  {{- if or $a.workVolumes $a.volumes }}
  volumes:
    {{- range $a.workVolumes }}
    - name: {{ .name }}
      emptyDir:
        sizeLimit: {{ .sizeLimit }}
        {{- with .medium }}
        medium: {{ . }}
        {{- end }}
    {{- end }}
    {{- with $a.volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end -}}
