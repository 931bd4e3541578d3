{{/*
common.storage.claimTemplate: a StatefulSet's "data" volumeClaimTemplate from a persistence value
{size, storageClassName, accessModes, annotations}. Its labels are the selector labels only: a
claim template is immutable, so nothing that changes between chart versions may appear there.
Usage: volumeClaimTemplates: {{- include "common.storage.claimTemplate" (dict "name" "redis" "persistence" .Values.persistence "context" $) | nindent 4 }}
*/}}
{{- define "common.storage.claimTemplate" -}}
- metadata:
    name: data
    labels:
      {{- include "common.labels.selector" (dict "name" .name "context" .context) | nindent 6 }}
    {{- with .persistence.annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    accessModes:
      {{- toYaml .persistence.accessModes | nindent 6 }}
    {{- with .persistence.storageClassName }}
    storageClassName: {{ . | quote }}
    {{- end }}
    resources:
      requests:
        storage: {{ .persistence.size | quote }}
{{- end -}}
