{{/* certissuer.fullname: <release>-cert-issuer (or the overrides). */}}
{{- define "certissuer.fullname" -}}
{{- include "common.names.fullname" . -}}
{{- end -}}

{{/* certissuer.clusterName: a cluster-scoped name, unique per release namespace. */}}
{{- define "certissuer.clusterName" -}}
{{- include "common.names.fit" (dict "base" (printf "%s-%s" .context.Release.Namespace (include "certissuer.fullname" .context)) "suffix" .suffix) -}}
{{- end -}}

{{/* certissuer.meta: labels and the Argo CD annotations (sync wave, dry run skipped while
cert-manager's CRDs are not served yet) of one object. */}}
{{- define "certissuer.meta" -}}
labels:
  {{- include "common.labels.standard" (dict "name" "cert-issuer" "component" "tls" "context" .context) | nindent 2 }}
annotations:
  {{- include "common.annotations.crdObject" (dict "wave" .wave) | nindent 2 }}
{{- end -}}

{{/*
certissuer.issuerRef: the issuer the release's certificates come from: the CA Issuer
(selfsigned mode) or the ACME Issuer/ClusterIssuer.
*/}}
{{- define "certissuer.issuerRef" -}}
{{- if and (eq .Values.mode "acme") .Values.acme.clusterIssuer -}}
name: {{ include "certissuer.clusterName" (dict "suffix" "acme" "context" $) }}
kind: ClusterIssuer
{{- else -}}
name: {{ include "certissuer.fullname" . }}
kind: Issuer
{{- end }}
group: cert-manager.io
{{- end -}}
