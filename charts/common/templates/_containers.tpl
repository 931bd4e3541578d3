{{/*
common.containers.extra: one user-given container of a pod — an init container (run to completion
before the main one) or a native sidecar (.sidecar: an init container with restartPolicy Always,
beside the main container for its whole life). Its image (.defaultImage when it names none),
command, args, env (.env: a pre-rendered env list that replaces .c.env, e.g. an app's wiring plus
its own), ports and probes (sidecars), volumeMounts (after .mounts, the pod's own mounts it shares),
required resources, and the restricted security context — an override that would break Pod
Security restricted fails the render naming the key.
Usage: include "common.containers.extra" (dict "c" $c "key" "initContainers[0]" "sidecar" false "context" $) | nindent 8
*/}}
{{- define "common.containers.extra" -}}
{{- $ctx := .context -}}
{{- $c := .c -}}
{{- $key := .key -}}
{{- if not $c.name }}{{- fail (printf "%s.name: every container has a name" $key) }}{{- end -}}
{{- $image := $c.image | default dict -}}
{{- if not $image.repository }}{{- $image = .defaultImage | default dict }}{{- end -}}
{{- if not $image.repository }}{{- fail (printf "%s.image.repository: name the container's image" $key) }}{{- end -}}
{{- include "common.security.restrictedOverride" (dict "override" $c.securityContext "key" (printf "%s.securityContext" $key)) -}}
- name: {{ $c.name }}
  image: {{ include "common.images.image" (dict "image" $image "key" (printf "%s.image" $key) "context" $ctx) | quote }}
  imagePullPolicy: {{ include "common.images.pullPolicy" (dict "image" $image "context" $ctx) }}
  {{- if .sidecar }}
  restartPolicy: Always
  {{- end }}
  {{- with $c.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .env }}
  {{- .env | nindent 2 }}
  {{- else if $c.env }}
  env:
    {{- include "common.utils.tpl" (dict "value" $c.env "context" $ctx) | nindent 4 }}
  {{- end }}
  {{- with $c.ports }}
  ports:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- range $probe := list "startupProbe" "livenessProbe" "readinessProbe" }}
  {{- with get $c $probe }}
  {{ $probe }}:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- end }}
  resources:
    {{- include "common.resources" (dict "resources" $c.resources "key" (printf "%s.resources" $key)) | nindent 4 }}
  securityContext:
    {{- include "common.security.container" (dict "override" $c.securityContext) | nindent 4 }}
  {{- if or .mounts $c.volumeMounts }}
  volumeMounts:
    {{- with .mounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $c.volumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end -}}

{{/*
common.containers.userInit: a chart's user-given native sidecars, then its init containers
(.sidecars, .initContainers: values lists, keyed `sidecars[i]`/`initContainers[i]` with the
chart's prefix), as items of a pod's initContainers list. Prints nothing when both are empty.
Usage: {{- include "common.containers.userInit" (dict "sidecars" .Values.sidecars "initContainers" .Values.initContainers "context" $) | nindent 8 }}
*/}}
{{- define "common.containers.userInit" -}}
{{- $ctx := .context -}}
{{- range $i, $c := .sidecars }}
{{ include "common.containers.extra" (dict "c" $c "key" (include "common.key" (dict "key" (printf "sidecars[%d]" $i) "context" $ctx)) "sidecar" true "context" $ctx) }}
{{- end }}
{{- range $i, $c := .initContainers }}
{{ include "common.containers.extra" (dict "c" $c "key" (include "common.key" (dict "key" (printf "initContainers[%d]" $i) "context" $ctx)) "sidecar" false "context" $ctx) }}
{{- end }}
{{- end -}}
