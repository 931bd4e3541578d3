{{/*
Probes. A probe value is a Kubernetes probe plus "enabled". Unset timing fields default to a 10 s
period and 3 failures, so a container is restarted (liveness) or taken out of its Service
(readiness) after ~30 s of failures, not on one slow answer.
*/}}

{{/*
common.probes.probe: renders one probe, or nothing when enabled is false.
Usage: include "common.probes.probe" (dict "probe" .liveness "key" "apps.users.probes.liveness")
*/}}
{{- define "common.probes.probe" -}}
{{- $p := deepCopy (.probe | default dict) -}}
{{- if ne (toString (get $p "enabled")) "false" -}}
{{- $_ := unset $p "enabled" -}}
{{- if not (or $p.httpGet $p.tcpSocket $p.exec $p.grpc) -}}
{{- fail (printf "%s: a probe needs one of httpGet, tcpSocket, exec or grpc (or enabled: false)" .key) -}}
{{- end -}}
{{- toYaml (mergeOverwrite (dict "periodSeconds" 10 "failureThreshold" 3 "timeoutSeconds" 2) $p) -}}
{{- end -}}
{{- end -}}

{{/*
common.probes.all: livenessProbe/readinessProbe/startupProbe keys for a container.
Usage: include "common.probes.all" (dict "probes" .Values.probes "key" "gateway.probes") | nindent 10
*/}}
{{- define "common.probes.all" -}}
{{- $probes := .probes | default dict -}}
{{- range $kind := list "liveness" "readiness" "startup" -}}
{{- with get $probes $kind -}}
{{- $rendered := include "common.probes.probe" (dict "probe" . "key" (printf "%s.%s" $.key $kind)) -}}
{{- if $rendered }}
{{ $kind }}Probe:
{{- $rendered | nindent 2 }}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
