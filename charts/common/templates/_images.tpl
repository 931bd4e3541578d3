{{/*
Images. An image value is {registry, repository, tag, digest, pullPolicy}.
global.imageRegistry replaces the registry of every image (a mirror or an air-gapped registry).
A digest wins over the tag; an image with neither fails the render, so nothing runs ":latest".
*/}}

{{/*
common.images.image
Usage: include "common.images.image" (dict "image" .Values.image "key" "gateway.image" "context" $)
*/}}
{{- define "common.images.image" -}}
{{- $img := .image | default dict -}}
{{- $key := .key | default "image" -}}
{{- $registry := $img.registry | default "" -}}
{{- with .context.Values.global }}{{- with .imageRegistry }}{{- $registry = . -}}{{- end }}{{- end -}}
{{- $repo := required (printf "%s.repository is required" $key) $img.repository -}}
{{- $ref := $repo -}}
{{- if $registry }}{{- $ref = printf "%s/%s" $registry $repo -}}{{- end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $ref $img.digest -}}
{{- else if $img.tag -}}
{{- if eq (toString $img.tag) "latest" -}}
{{- fail (printf "%s.tag: \"latest\" is not allowed; pin a version or a digest" $key) -}}
{{- end -}}
{{- printf "%s:%s" $ref (toString $img.tag) -}}
{{- else -}}
{{- fail (printf "%s: set tag or digest (an unpinned image is not allowed)" $key) -}}
{{- end -}}
{{- end -}}

{{/*
common.images.pullPolicy: the image's pullPolicy, else global.imagePullPolicy, else IfNotPresent.
*/}}
{{- define "common.images.pullPolicy" -}}
{{- $policy := "IfNotPresent" -}}
{{- with .context.Values.global }}{{- with .imagePullPolicy }}{{- $policy = . -}}{{- end }}{{- end -}}
{{- with .image }}{{- with .pullPolicy }}{{- $policy = . -}}{{- end }}{{- end -}}
{{- $policy -}}
{{- end -}}

{{/*
common.images.pullSecrets: imagePullSecrets from global.imagePullSecrets plus the chart's own list.
Entries may be names or {name: ...} objects.
Usage: include "common.images.pullSecrets" (dict "secrets" .Values.imagePullSecrets "context" $)
*/}}
{{- define "common.images.pullSecrets" -}}
{{- $names := list -}}
{{- $all := list -}}
{{- with .context.Values.global }}{{- $all = concat $all (.imagePullSecrets | default list) -}}{{- end -}}
{{- $all = concat $all (.secrets | default list) -}}
{{- range $all }}
{{- if kindIs "string" . }}{{- $names = append $names . -}}{{- else }}{{- $names = append $names (required "imagePullSecrets entries need a name" .name) -}}{{- end }}
{{- end -}}
{{- if $names }}
imagePullSecrets:
{{- range ($names | uniq) }}
  - name: {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}
