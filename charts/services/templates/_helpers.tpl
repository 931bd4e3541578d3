{{/*
services.apps: every enabled app merged over .Values.defaults and validated, as a dict
(name -> app). Merging and validating is the costly part of a render, so it is done once and
kept on the render context ($._stackApps, shared by all templates of this chart in one render).
Usage: {{- include "services.apps" . }}{{- $apps := ._stackApps }}
*/}}
{{- define "services.apps" -}}
{{- if not (hasKey . "_stackApps") -}}
{{- $out := dict -}}
{{- range $name, $app := .Values.apps -}}
{{- $m := deepCopy $.Values.defaults -}}
{{- include "common.utils.merge" (dict "base" $m "override" (deepCopy ($app | default dict))) -}}
{{- if $m.enabled -}}
{{- $exposed := list -}}
{{- range $m.ports }}{{- if ne (toString .expose) "false" }}{{- $exposed = append $exposed . -}}{{- end }}{{- end -}}
{{- $_ := set $m "_exposed" $exposed -}}
{{- $_ := set $out $name $m -}}
{{- end -}}
{{- end -}}
{{- range $name, $app := $out -}}
{{- include "services.validate" (dict "name" $name "app" $app "apps" $out "context" $) -}}
{{- end -}}
{{- $_ := set . "_stackApps" $out -}}
{{- end -}}
{{- end -}}

{{/* services.reserved: names the other charts of the stack give their own objects (<release>-<name>):
an app of the same name would overwrite them or be overwritten. Prefixes and the suffix below
are reserved the same way (the namespace policy's uses-/calls- flows, the edge's edge-to-
policies, monitoring-<component>, <stateful>-headless). */}}
{{- define "services.reserved" -}}
gateway mysql redis rabbitmq monitoring prometheus alertmanager grafana cert-issuer default-deny quota limits edge edge-tls edge-gateway edge-frontend mysql-backup test-gateway
{{- end -}}
{{- define "services.reservedPattern" -}}
^(calls-|uses-|edge-to-|monitoring-|cert-issuer-).*|.*-headless$
{{- end -}}

{{/* services.validate: impossible combinations fail with the key to fix. */}}
{{- define "services.validate" -}}
{{- $n := .name -}}
{{- $a := .app -}}
{{- $k := include "common.key" (dict "key" (printf "apps.%s" $n) "context" .context) -}}
{{- /* in the template, not the schema: Helm's JSON-schema library names the wrong key for a bad map key */ -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$" $n) -}}
{{- fail (printf "%s: an app name is a DNS label of at most 40 characters starting with a letter (lowercase letters, digits and '-'), got %d characters" $k (len $n)) -}}
{{- end -}}
{{- if or (has $n (splitList " " (include "services.reserved" .))) (regexMatch (include "services.reservedPattern" .) $n) -}}
{{- fail (printf "%s: the name %q is reserved for another object of the stack (%s, or %s); choose another app name" $k $n (include "services.reserved" . | replace " " ", ") (include "services.reservedPattern" .)) -}}
{{- end -}}
{{- $exposed := list -}}
{{- range $i, $p := $a.ports -}}
{{- if ne (toString $p.expose) "false" }}{{- $exposed = append $exposed $p -}}{{- end -}}
{{- if and $p.nodePort (ne $a.service.type "NodePort") -}}
{{- fail (printf "%s.ports[%d].nodePort is set but %s.service.type is %s; set service.type: NodePort or drop the nodePort" $k $i $k $a.service.type) -}}
{{- end -}}
{{- if and (eq $a.service.type "NodePort") (eq $a.type "service") (ne (toString $p.expose) "false") (not $p.nodePort) -}}
{{- fail (printf "%s.ports[%d].nodePort is required with service.type NodePort (a fixed port in 30000-32767)" $k $i) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $a.type "service") (not $exposed) -}}
{{- fail (printf "%s.ports: a service needs at least one exposed port (or use type: worker)" $k) -}}
{{- end -}}
{{- if and $a.privileged (ne $a.type "worker") -}}
{{- fail (printf "%s.privileged: only workers may run privileged (type is %s)" $k $a.type) -}}
{{- end -}}
{{- with $a.persistence }}{{- if .enabled }}
{{- $pods := ternary (int $a.hpa.maxReplicas) (int $a.replicas) (and $a.hpa.enabled (has $a.type (list "service" "worker"))) -}}
{{- if and (has $a.type (list "service" "worker")) (gt $pods 1) (not (or (has "ReadWriteMany" .accessModes) (has "ReadOnlyMany" .accessModes))) -}}
{{- fail (printf "%s.persistence.accessModes: %s with up to %d pods: pods on other nodes cannot mount it; use ReadWriteMany, or one replica" $k (join "," .accessModes) $pods) -}}
{{- end -}}
{{- end }}{{- end -}}
{{- if eq $a.type "job" -}}
{{- if $a.hpa.enabled }}{{- fail (printf "%s.hpa.enabled: a job cannot autoscale" $k) -}}{{- end -}}
{{- end -}}
{{- if and $a.job.hook (ne $a.type "job") -}}
{{- fail (printf "%s.job.hook is set but the app is a %s; set type: job" $k $a.type) -}}
{{- end -}}
{{- if eq $a.type "cronjob" -}}
{{- if not $a.schedule }}{{- fail (printf "%s.schedule is required for a cronjob (e.g. \"*/5 * * * *\")" $k) -}}{{- end -}}
{{- include "common.cron.validate" (dict "schedule" $a.schedule "timeZone" $a.timeZone "key" $k "context" .context) -}}
{{- if $a.hpa.enabled }}{{- fail (printf "%s.hpa.enabled: a cronjob cannot autoscale" $k) -}}{{- end -}}
{{- else if $a.schedule -}}
{{- fail (printf "%s.schedule is set but the app is a %s; set type: cronjob" $k $a.type) -}}
{{- end -}}
{{- range $a.calls -}}
{{- $callee := get $.apps . -}}
{{- if eq . $n }}{{- fail (printf "%s.calls: an app cannot call itself" $k) -}}{{- end -}}
{{- if not $callee }}{{- fail (printf "%s.calls: %q is not an enabled app of this chart" $k .) -}}{{- end -}}
{{- if ne $callee.type "service" }}{{- fail (printf "%s.calls: %q is a %s, and only services can be called" $k . $callee.type) -}}{{- end -}}
{{- end -}}
{{- range $a.uses -}}
{{- $_ := include "common.deps.info" (dict "name" . "key" (printf "%s.uses" $k) "context" $.context) -}}
{{- end -}}
{{- range $a.configMaps -}}
{{- if not (get $.context.Values.configMaps .) }}{{- fail (printf "%s.configMaps: %q is not defined under configMaps" $k .) -}}{{- end -}}
{{- end -}}
{{- range $a.secrets -}}
{{- if not (get $.context.Values.secrets .) }}{{- fail (printf "%s.secrets: %q is not defined under secrets" $k .) -}}{{- end -}}
{{- end -}}
{{- if $a.metrics.enabled -}}
{{- if not (include "services.portNumber" (dict "app" $a "port" $a.metrics.port)) -}}
{{- fail (printf "%s.metrics.port: %v is not one of the app's ports" $k $a.metrics.port) -}}
{{- end -}}
{{- end -}}
{{- with $a.rollout }}{{- if .strategy }}
{{- if not (has $a.type (list "service" "worker")) -}}
{{- fail (printf "%s.rollout.strategy: %s is for services and workers, and the app is a %s" $k .strategy $a.type) -}}
{{- end -}}
{{- if and (eq .strategy "blueGreen") (ne $a.type "service") -}}
{{- fail (printf "%s.rollout.strategy: blueGreen switches the app's Service, and a worker has none; use canary" $k) -}}
{{- end -}}
{{- if not ($.context.Capabilities.APIVersions.Has "argoproj.io/v1alpha1/Rollout") -}}
{{- fail (printf "%s.rollout.strategy: %s needs Argo Rollouts, and this cluster does not serve argoproj.io/v1alpha1 Rollout; install Argo Rollouts (its CRDs and controller) first (helm template: --api-versions argoproj.io/v1alpha1/Rollout)" $k .strategy) -}}
{{- end -}}
{{- if and (eq .strategy "blueGreen") (hasKey $.apps (printf "%s-preview" $n)) -}}
{{- fail (printf "%s.rollout.strategy: blueGreen gives the app a Service named %s-preview, and an app of that name exists" $k $n) -}}
{{- end -}}
{{- if and .analysis.enabled (eq .strategy "blueGreen") -}}
{{- range $limit := list "failureLimit" "inconclusiveLimit" -}}
{{- if lt (int $a.rollout.analysis.count) (int (get $a.rollout.analysis $limit)) -}}
{{- fail (printf "%s.rollout.analysis.count (%v) must be at least %s.rollout.analysis.%s (%v): Argo Rollouts refuses the analysis otherwise, and the rollout aborts" $k $a.rollout.analysis.count $k $limit (get $a.rollout.analysis $limit)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and .analysis.enabled (not $a.metrics.enabled) (not (and .analysis.errorRatio.query (or .analysis.latency.query (kindIs "invalid" .analysis.latency.maxSeconds)))) -}}
{{- fail (printf "%s.rollout.analysis.enabled: the analysis reads the app's metrics from Prometheus: set %s.metrics.enabled (Prometheus scrapes the pods), give the queries (rollout.analysis.errorRatio.query, latency.query), or set analysis.enabled false" $k $k) -}}
{{- end -}}
{{- end }}{{- end -}}
{{- if and (eq $a.type "service") (lt (int ($a.hpa.enabled | ternary $a.hpa.minReplicas $a.replicas)) 1) -}}
{{- fail (printf "%s.replicas must be at least 1 for a service" $k) -}}
{{- end -}}
{{- end -}}

{{/* services.portNumber: the containerPort of a port given by name or number ("" when absent). */}}
{{- define "services.portNumber" -}}
{{- range .app.ports -}}
{{- if or (eq (toString .name) (toString $.port)) (eq (toString .containerPort) (toString $.port)) -}}
{{- .containerPort -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* services.envName: an app name as an environment variable prefix (users-api -> USERS_API). */}}
{{- define "services.envName" -}}
{{- . | upper | replace "-" "_" -}}
{{- end -}}
