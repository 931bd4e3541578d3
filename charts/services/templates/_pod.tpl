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
{{- $deps := dict "uses" $a.uses "key" (printf "%s.uses" $key) "context" $ctx -}}
{{- $tls := include "common.deps.tls" $deps | fromYaml -}}
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
  {{- if has $a.type (list "cronjob" "job") }}
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
  {{- if has $a.type (list "service" "worker") }}
  {{- with include "common.pod.topologySpread" (dict "spread" $a.topologySpread "name" $name "context" $ctx) }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- end }}
  {{- if or $a.sidecars $a.initContainers }}
  initContainers:
    {{- range $i, $c := $a.sidecars }}
    {{- include "services.extraContainer" (dict "c" $c "key" (printf "%s.sidecars[%d]" $key $i) "sidecar" true "name" $name "app" $a "apps" $.apps "context" $ctx) | nindent 4 }}
    {{- end }}
    {{- range $i, $c := $a.initContainers }}
    {{- include "services.extraContainer" (dict "c" $c "key" (printf "%s.initContainers[%d]" $key $i) "sidecar" false "name" $name "app" $a "apps" $.apps "tlsMounts" $tls.mounts "context" $ctx) | nindent 4 }}
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
      {{- with include "services.env" (dict "name" $name "app" $a "apps" .apps "context" $ctx) | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with $a.ports }}
      ports:
        {{- range . }}
        - name: {{ .name }}
          containerPort: {{ .containerPort }}
          protocol: {{ .protocol | default "TCP" }}
        {{- end }}
      {{- end }}
      {{- if has $a.type (list "service" "worker") }}
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
      {{- if $a.lifecycle }}
      lifecycle:
        {{- toYaml $a.lifecycle | nindent 8 }}
      {{- else if and (has $a.type (list "service" "worker")) (gt (int $a.preStopSleepSeconds) 0) }}
      lifecycle:
        preStop:
          sleep:
            seconds: {{ $a.preStopSleepSeconds }}
      {{- end }}
      {{- if or $a.workVolumes $a.volumeMounts $a.persistence.enabled $tls.mounts }}
      volumeMounts:
        {{- range $a.workVolumes }}
        - name: {{ .name }}
          mountPath: {{ .mountPath }}
        {{- end }}
        {{- with $tls.mounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- if $a.persistence.enabled }}
        - name: data
          mountPath: {{ $a.persistence.mountPath }}
        {{- end }}
        {{- with $a.volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
  {{- if or $a.workVolumes $a.volumes $a.persistence.enabled $tls.volumes }}
  volumes:
    {{- with $tls.volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- if $a.persistence.enabled }}
    - name: data
      persistentVolumeClaim:
        claimName: {{ $a.persistence.existingClaim | default (include "common.names.fit" (dict "base" $full "suffix" "data")) }}
    {{- end }}
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


{{/*
services.env: an app's env and envFrom (its wiring: backing services, called apps, env, envFrom,
configMaps, secrets), for the app's container and its init containers; .extra is appended to env.
Usage: include "services.env" (dict "name" $name "app" $a "apps" $apps "extra" $c.env "context" $ctx)
*/}}
{{- define "services.env" -}}
{{- $ctx := .context -}}
{{- $a := .app -}}
{{- $key := include "common.key" (dict "key" (printf "apps.%s" .name) "context" $ctx) -}}
{{- $env := include "common.deps.env" (dict "uses" $a.uses "key" (printf "%s.uses" $key) "context" $ctx) | trim }}
{{- if or $env $a.calls $a.env .extra }}
env:
  {{- with $env }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- range $a.calls }}
  {{- $callee := get $.apps . }}
  {{- $port := first $callee._exposed }}
  - name: {{ include "services.envName" . }}_URL
    value: {{ printf "http://%s:%v" (include "common.names.fqdn" (dict "service" (include "common.names.component" (dict "name" . "context" $ctx)) "context" $ctx)) ($port.servicePort | default $port.containerPort) | quote }}
  {{- end }}
  {{- with $a.env }}
  {{- include "common.utils.tpl" (dict "value" . "context" $ctx) | nindent 2 }}
  {{- end }}
  {{- with .extra }}
  {{- include "common.utils.tpl" (dict "value" . "context" $ctx) | nindent 2 }}
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
  {{- include "common.utils.tpl" (dict "value" . "context" $ctx) | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
services.extraContainer: an app's init container (with the app's wiring env before its own, and
the CA mounts of its dependencies reached over TLS, .tlsMounts from common.deps.tls) or
native sidecar (its own env only), through common.containers.extra: the app's image by default,
the app's work volumes mounted.
*/}}
{{- define "services.extraContainer" -}}
{{- $a := .app -}}
{{- $mounts := list -}}
{{- range $a.workVolumes }}{{- $mounts = append $mounts (dict "name" .name "mountPath" .mountPath) }}{{- end -}}
{{- $env := "" -}}
{{- if not .sidecar -}}
{{- $env = include "services.env" (dict "name" .name "app" $a "apps" .apps "extra" .c.env "context" .context) | trim -}}
{{- $mounts = concat $mounts (.tlsMounts | default list) -}}
{{- end -}}
{{- include "common.containers.extra" (dict "c" .c "key" .key "sidecar" .sidecar "defaultImage" $a.image "mounts" $mounts "env" $env "context" .context) -}}
{{- end -}}
