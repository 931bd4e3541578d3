{{/*
Client TLS of the backing services (mysql, redis, rabbitmq). Each chart has the same `tls` block:
enabled, existingSecret, issuerRef {name, kind, group}, duration, renewBefore. The server reads
tls.crt, tls.key and ca.crt from one Secret (kubernetes.io/tls as cert-manager writes it), mounted
at common.tls.serverDir; its consumers in the release mount only ca.crt of the same Secret
(common.deps.tls*).
*/}}

{{/* common.tls.serverDir: where a backing service's server certificate is mounted. */}}
{{- define "common.tls.serverDir" -}}
/etc/stack/tls
{{- end -}}

{{/*
common.tls.serverSecret: the Secret of a backing service's server certificate: tls.existingSecret
(may be a template), else <fullname>-tls, which the chart's Certificate fills.
Usage: include "common.tls.serverSecret" (dict "tls" .Values.tls "fullname" $full "context" $)
*/}}
{{- define "common.tls.serverSecret" -}}
{{- if .tls.existingSecret -}}
{{- include "common.utils.tpl" (dict "value" .tls.existingSecret "context" .context) -}}
{{- else -}}
{{- include "common.names.fit" (dict "base" .fullname "suffix" "tls") -}}
{{- end -}}
{{- end -}}

{{/*
common.tls.certificate: the cert-manager Certificate of a backing service's server certificate
(nothing unless tls.enabled, nor with tls.existingSecret). Its names are every form a client uses
for the Service (short, namespaced, .svc, FQDN), the pods of the headless Service when .headless
(peers and clients that address one pod), and localhost/127.0.0.1 for the pod's own probes and
exporter, which connect over loopback and verify like any client.
Usage: include "common.tls.certificate" (dict "tls" .Values.tls "name" "mysql" "fullname" $full "component" "database" "headless" false "context" $)
*/}}
{{- define "common.tls.certificate" -}}
{{- $t := .tls -}}
{{- $ctx := .context -}}
{{- if and $t.enabled (not $t.existingSecret) -}}
{{- if not $t.issuerRef.name -}}
{{- include "common.fail" (dict "msg" (printf "tls.issuerRef.name: name the cert-manager Issuer or ClusterIssuer that signs the server certificate (the cert-issuer chart's CA Issuer is <release>-cert-issuer), or set %s to a Secret with tls.crt, tls.key and ca.crt" (include "common.key" (dict "key" "tls.existingSecret" "context" $ctx))) "context" $ctx) -}}
{{- end -}}
{{- $ns := $ctx.Release.Namespace -}}
{{- $domain := "cluster.local" -}}
{{- with $ctx.Values.global }}{{- with .clusterDomain }}{{- $domain = . }}{{- end }}{{- end -}}
{{- $names := list .fullname (printf "%s.%s" .fullname $ns) (printf "%s.%s.svc" .fullname $ns) (printf "%s.%s.svc.%s" .fullname $ns $domain) -}}
{{- if .headless -}}
{{- $names = append $names (printf "*.%s-headless.%s.svc.%s" .fullname $ns $domain) -}}
{{- end -}}
{{- $names = append $names "localhost" -}}
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ include "common.names.fit" (dict "base" .fullname "suffix" "tls") }}
  namespace: {{ $ns | quote }}
  labels:
    {{- include "common.labels.standard" (dict "name" .name "component" .component "context" $ctx) | nindent 4 }}
  annotations:
    {{- /* before the workload that mounts it (Argo CD: the kubelet would otherwise retry the mount until it exists) */}}
    {{- include "common.annotations.crdObject" (dict "wave" "-1") | nindent 4 }}
spec:
  secretName: {{ include "common.tls.serverSecret" (dict "tls" $t "fullname" .fullname "context" $ctx) }}
  commonName: {{ printf "%s.%s.svc" .fullname $ns | quote }}
  dnsNames:
    {{- toYaml $names | nindent 4 }}
  ipAddresses:
    - 127.0.0.1
  duration: {{ $t.duration }}
  renewBefore: {{ $t.renewBefore }}
  usages:
    - server auth
    - digital signature
    - key encipherment
  privateKey:
    algorithm: ECDSA
    size: 256
    rotationPolicy: Always
  issuerRef:
    name: {{ include "common.utils.tpl" (dict "value" $t.issuerRef.name "context" $ctx) }}
    kind: {{ $t.issuerRef.kind }}
    group: {{ $t.issuerRef.group }}
{{- end -}}
{{- end -}}

{{/*
common.tls.serverVolume / common.tls.serverMount: the server certificate's volume and its mount
(read-only, at common.tls.serverDir); nothing unless tls.enabled.
Usage: include "common.tls.serverVolume" (dict "tls" .Values.tls "fullname" $full "context" $)
*/}}
{{- define "common.tls.serverVolume" -}}
{{- if .tls.enabled -}}
- name: tls
  secret:
    secretName: {{ include "common.tls.serverSecret" . }}
    defaultMode: 0440
{{- end -}}
{{- end -}}

{{- define "common.tls.serverMount" -}}
{{- if .tls.enabled -}}
- name: tls
  mountPath: {{ include "common.tls.serverDir" . }}
  readOnly: true
{{- end -}}
{{- end -}}

{{/*
common.tls.caVolume: a volume with only ca.crt of the server certificate's Secret, for the
chart's own client pods (backup Jobs, helm tests): they verify the server and never see its key.
Usage: include "common.tls.caVolume" (dict "tls" .Values.tls "fullname" $full "context" $)
*/}}
{{- define "common.tls.caVolume" -}}
{{- if .tls.enabled -}}
- name: tls-ca
  secret:
    secretName: {{ include "common.tls.serverSecret" . }}
    items:
      - {key: ca.crt, path: ca.crt}
{{- end -}}
{{- end -}}

{{- define "common.tls.caMount" -}}
{{- if .tls.enabled -}}
- name: tls-ca
  mountPath: {{ include "common.tls.serverDir" . }}
  readOnly: true
{{- end -}}
{{- end -}}
