{{/*
Security contexts. The defaults meet Pod Security Standards "restricted": non-root with a numeric
uid (images whose USER is a name cannot be verified by the kubelet), seccomp RuntimeDefault, no
privilege escalation, every capability dropped, read-only root filesystem. A chart's values are
merged over the defaults, so a chart can change the uid without restating the rest.
*/}}

{{/*
common.security.pod
Usage: include "common.security.pod" (dict "override" .Values.podSecurityContext)
*/}}
{{- define "common.security.pod" -}}
{{- $defaults := dict "runAsNonRoot" true "runAsUser" 65532 "runAsGroup" 65532 "fsGroup" 65532 "fsGroupChangePolicy" "OnRootMismatch" "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- toYaml (mergeOverwrite $defaults (deepCopy (.override | default dict))) -}}
{{- end -}}

{{/*
common.security.container
Usage: include "common.security.container" (dict "override" .Values.securityContext)
*/}}
{{- define "common.security.container" -}}
{{- $defaults := dict "runAsNonRoot" true "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "privileged" false "capabilities" (dict "drop" (list "ALL")) "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- toYaml (mergeOverwrite $defaults (deepCopy (.override | default dict))) -}}
{{- end -}}

{{/*
common.security.privileged: the one documented exception to "restricted" — a container that runs
privileged (Docker-in-Docker style code runners). The namespace must allow the "privileged" Pod
Security level for it to be admitted.
*/}}
{{- define "common.security.privileged" -}}
privileged: true
allowPrivilegeEscalation: true
runAsNonRoot: false
runAsUser: 0
readOnlyRootFilesystem: false
seccompProfile:
  type: Unconfined
{{- end -}}
