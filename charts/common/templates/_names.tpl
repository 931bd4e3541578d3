{{/*
Names. Kubernetes object names are DNS labels: at most 63 characters, no trailing dash.
*/}}

{{/* common.names.name: the chart name, or .Values.nameOverride. */}}
{{- define "common.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
common.names.fullname: <release>-<chart> (or fullnameOverride); the release name alone when it
already contains the chart name.
*/}}
{{- define "common.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "common.names.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.names.component: the name of one component of the release, <release>-<name>.
This is the naming convention across charts: the gateway finds service "users" of release "shop"
at "shop-users" without reading the services chart's values.
Usage: include "common.names.component" (dict "name" "users" "context" $)
*/}}
{{- define "common.names.component" -}}
{{- $release := .context.Release.Name -}}
{{- if eq $release .name -}}
{{- $release | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" $release .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* common.names.chart: <chart>-<version> for the helm.sh/chart label. */}}
{{- define "common.names.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
common.names.fqdn: the cluster-local DNS name of a Service, with global.clusterDomain.
Usage: include "common.names.fqdn" (dict "service" "shop-users" "context" $)
*/}}
{{- define "common.names.fqdn" -}}
{{- $domain := "cluster.local" -}}
{{- with .context.Values.global -}}{{- with .clusterDomain -}}{{- $domain = . -}}{{- end -}}{{- end -}}
{{- printf "%s.%s.svc.%s" .service .context.Release.Namespace $domain -}}
{{- end -}}

{{/*
common.names.serviceAccount: the ServiceAccount a workload runs as — its own (serviceAccount.name,
else the workload's full name) when serviceAccount.create, else the named one or "default".
Usage: include "common.names.serviceAccount" (dict "serviceAccount" .Values.serviceAccount "fullname" $full)
*/}}
{{- define "common.names.serviceAccount" -}}
{{- if .serviceAccount.create -}}
{{- default .fullname .serviceAccount.name -}}
{{- else -}}
{{- default "default" .serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
common.tls.secretName: the Secret holding the edge certificate — global.tls.secretName (may be a
template), else <release>-edge-tls. The cert-issuer chart writes it; the edge serves it.
Usage: include "common.tls.secretName" $
*/}}
{{- define "common.tls.secretName" -}}
{{- $name := "" -}}
{{- with .Values.global }}{{- with .tls }}{{- with .secretName }}{{- $name = tpl . $ -}}{{- end }}{{- end }}{{- end -}}
{{- $name | default (include "common.names.component" (dict "name" "edge-tls" "context" $)) -}}
{{- end -}}
