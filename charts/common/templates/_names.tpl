{{/*
Names. Kubernetes object names are DNS labels: at most 63 characters, no trailing dash.
*/}}

{{/* common.names.name: the chart name, or .Values.nameOverride. */}}
{{- define "common.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
common.names.fit: <base>-<suffix> (or <base>) when it fits in .max characters (default 63, the
DNS label limit; 52 for StatefulSets and CronJobs, whose pods and Jobs add 11). Longer, the base
is shortened before the suffix and a hash of the whole name goes between them, so the suffix is
kept and two long names that share a prefix never come out alike:
  <base[:n]>-<sha256(name)[:6]>-<suffix>
Usage: include "common.names.fit" (dict "base" "shop" "suffix" "users" "max" 52)
*/}}
{{- define "common.names.fit" -}}
{{- $max := int (.max | default 63) -}}
{{- $full := .base -}}
{{- if .suffix }}{{- $full = printf "%s-%s" .base .suffix -}}{{- end -}}
{{- if le (len $full) $max -}}
{{- $full -}}
{{- else -}}
{{- $tail := sha256sum $full | trunc 6 -}}
{{- if .suffix }}{{- $tail = printf "%s-%s" $tail .suffix -}}{{- end -}}
{{- $keep := sub $max (add (len $tail) 1) -}}
{{- if lt $keep 1 -}}
{{- fail (printf "%q cannot be shortened to %d characters: the suffix %q alone is too long" $full $max (toString .suffix)) -}}
{{- end -}}
{{- printf "%s-%s" (trunc (int $keep) .base | trimSuffix "-") $tail -}}
{{- end -}}
{{- end -}}

{{/*
common.names.fullname: the chart's own name in the release — fullnameOverride, else the
component name of the chart (common.names.component with nameOverride or the chart name), so the
chart and the charts that refer to it compute the same name.
*/}}
{{- define "common.names.fullname" -}}
{{- include "common.names.own" (dict "context" .) -}}
{{- end -}}

{{/*
common.names.own: a chart's own name from its values, fitted to .max characters (default 63):
fullnameOverride, else <release>-<nameOverride or chart name>. .context needs only .Values,
.Chart.Name and .Release.Name, so the umbrella can compute a subchart's name from the subchart's
values (dict "Values" .Values.gateway "Release" .Release "Chart" (dict "Name" "gateway")).
Usage: include "common.names.own" (dict "context" $ "max" 52)
*/}}
{{- define "common.names.own" -}}
{{- $v := .context.Values -}}
{{- if $v.fullnameOverride -}}
{{- include "common.names.fit" (dict "base" $v.fullnameOverride "max" .max) -}}
{{- else -}}
{{- include "common.names.component" (dict "name" ($v.nameOverride | default .context.Chart.Name) "max" .max "context" .context) -}}
{{- end -}}
{{- end -}}

{{/*
common.names.component: the name of one component of the release, <release>-<name> (the
release name alone when it is the name), fitted to .max characters (common.names.fit).
This is the naming convention across charts: the gateway finds service "users" of release "shop"
at "shop-users" without reading the services chart's values.
Usage: include "common.names.component" (dict "name" "users" "context" $)
       include "common.names.component" (dict "name" "nightly" "max" 52 "context" $)
*/}}
{{- define "common.names.component" -}}
{{- $release := .context.Release.Name -}}
{{- if eq $release .name -}}
{{- include "common.names.fit" (dict "base" $release "max" .max) -}}
{{- else -}}
{{- include "common.names.fit" (dict "base" $release "suffix" .name "max" .max) -}}
{{- end -}}
{{- end -}}

{{/*
common.names.stateful: the full name of a backing service (a StatefulSet: 52 characters) —
common.names.own with that limit. The consumers of the wiring convention compute
<release>-<chart>; the umbrella checks that an override is matched by
global.dependencies.<name>.host.
Usage: include "common.names.stateful" $   (any context with .Values, .Chart.Name and .Release.Name)
*/}}
{{- define "common.names.stateful" -}}
{{- include "common.names.own" (dict "context" . "max" 52) -}}
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
{{- with .Values.global }}{{- with .tls }}{{- with .secretName }}{{- $name = include "common.utils.tpl" (dict "value" . "context" $) -}}{{- end }}{{- end }}{{- end -}}
{{- $name | default (include "common.names.component" (dict "name" "edge-tls" "context" $)) -}}
{{- end -}}
