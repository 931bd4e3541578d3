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

{{/*
common.security.restrictedOverride: fails naming the key when a container's securityContext
override would break Pod Security "restricted" (privileged, privilege escalation, root, added
capabilities other than NET_BIND_SERVICE, an unconfined seccomp profile).
Usage: include "common.security.restrictedOverride" (dict "override" $c.securityContext "key" "apps.web.sidecars[0].securityContext")
*/}}
{{- define "common.security.restrictedOverride" -}}
{{- $o := .override | default dict -}}
{{- $why := list -}}
{{- if $o.privileged }}{{- $why = append $why "privileged: true" }}{{- end -}}
{{- if $o.allowPrivilegeEscalation }}{{- $why = append $why "allowPrivilegeEscalation: true" }}{{- end -}}
{{- if and (hasKey $o "runAsNonRoot") (not $o.runAsNonRoot) }}{{- $why = append $why "runAsNonRoot: false" }}{{- end -}}
{{- if and (hasKey $o "runAsUser") (eq (int $o.runAsUser) 0) }}{{- $why = append $why "runAsUser: 0" }}{{- end -}}
{{- range (dig "capabilities" "add" list $o) }}{{- if ne . "NET_BIND_SERVICE" }}{{- $why = append $why (printf "capabilities.add %s" .) }}{{- end }}{{- end -}}
{{- if eq (dig "seccompProfile" "type" "" $o) "Unconfined" }}{{- $why = append $why "seccompProfile Unconfined" }}{{- end -}}
{{- with $why -}}
{{- fail (printf "%s: %s would break Pod Security restricted" $.key (join ", " .)) -}}
{{- end -}}
{{- end -}}
