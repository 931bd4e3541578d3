{{/*
common.utils.merge: deep-merge .override into .base IN PLACE (both must be dicts the caller
owns, e.g. from deepCopy), the override winning at every level — including an explicit false, 0,
"" or [] (sprig's mergeOverwrite skips those, which would make "enabled: false" impossible to set
over a default of true). Lists are replaced, not appended. It renders nothing: maps are passed by
reference, so no YAML round trip is needed (that made renders several times slower).
Usage: {{- $app := deepCopy .Values.defaults }}{{- include "common.utils.merge" (dict "base" $app "override" (deepCopy $raw)) }}
*/}}
{{- define "common.utils.merge" -}}
{{- $base := .base -}}
{{- range $k, $v := (.override | default dict) -}}
{{- $cur := get $base $k -}}
{{- if and (kindIs "map" $v) (kindIs "map" $cur) -}}
{{- include "common.utils.merge" (dict "base" $cur "override" $v) -}}
{{- else -}}
{{- $_ := set $base $k $v -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.utils.tpl: render a value that may contain template expressions ("{{ .Release.Name }}-db");
a value that is not a string is rendered as YAML first. Text without "{{" is its own rendering, so
it is returned as is: `tpl` clones every template of the release on each call (a fifth of the
umbrella's render went to it).
Usage: include "common.utils.tpl" (dict "value" .Values.x "context" $)
*/}}
{{- define "common.utils.tpl" -}}
{{- $text := .value -}}
{{- if not (kindIs "string" $text) -}}
{{- $text = toYaml $text -}}
{{- end -}}
{{- if contains "{{" $text -}}
{{- tpl $text .context -}}
{{- else -}}
{{- $text -}}
{{- end -}}
{{- end -}}

{{/*
common.utils.bytes: a Kubernetes memory quantity ("512Mi", "1G", "1536M", "2e9", "1048576") as a
whole number of bytes, for servers that take a byte count (InnoDB's buffer pool, Redis
maxmemory). Milli-units ("500m") and an unparsable quantity fail naming the key.
Usage: include "common.utils.bytes" (dict "quantity" .Values.resources.limits.memory "key" "resources.limits.memory")
*/}}
{{- define "common.utils.bytes" -}}
{{- include "common.utils.notMilli" . -}}
{{- $q := toString .quantity | trim -}}
{{- $m := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $suffix := trimPrefix $m $q -}}
{{- $units := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- if or (not $m) (not (hasKey $units $suffix)) -}}
{{- fail (printf "%s: %q is not a memory quantity this chart can size from (use e.g. 512Mi, 1Gi, 1G or bytes)" .key $q) -}}
{{- end -}}
{{- printf "%.0f" (mulf (float64 $m) (get $units $suffix)) -}}
{{- end -}}

{{/*
common.utils.notMilli: fail, naming .key, when a memory .quantity is in milli-bytes ("128m" is
0.128 bytes: a typo for 128Mi that the API server accepts). Renders nothing.
Usage: include "common.utils.notMilli" (dict "quantity" "128m" "key" "resources.limits.memory")
*/}}
{{- define "common.utils.notMilli" -}}
{{- $q := toString .quantity | trim -}}
{{- if regexMatch "^[0-9.]+m$" $q -}}
{{- fail (printf "%s: %q is not a memory quantity in bytes: m is milli (thousandths of a byte), not mega; write Mi or M, e.g. %q" .key $q (printf "%sMi" (trimSuffix "m" $q))) -}}
{{- end -}}
{{- end -}}

{{/*
common.key: a values key as the user writes it — prefixed with the chart name when the chart
renders as a subchart of an umbrella ("redis.auth.password"), bare when installed alone.
Usage: include "common.key" (dict "key" "auth.password" "context" $)
*/}}
{{- define "common.key" -}}
{{- if contains "/charts/" .context.Template.BasePath -}}{{ .context.Chart.Name }}.{{ end -}}
{{- .key -}}
{{- end -}}

{{/*
common.annotations.keep: the annotations that keep an object when its owner goes away, for Helm
and for Argo CD alike. helm.sh/resource-policy: keep stops `helm uninstall`/`upgrade` from
deleting it; Argo CD honours that annotation only when the Application itself is deleted, so an
automated prune (a knob turned off, a switch to an existing Secret) would still delete it:
argocd.argoproj.io/sync-options Prune=false,Delete=false stops both. Renders nothing unless
.policy is "keep". Indent it under `annotations:`.
Usage: {{- with include "common.annotations.keep" (dict "policy" .Values.resourcePolicy) }}
  annotations:
    {{- . | nindent 4 }}
{{- end }}
*/}}
{{- define "common.annotations.keep" -}}
{{- if eq (toString .policy) "keep" -}}
helm.sh/resource-policy: keep
argocd.argoproj.io/sync-options: Prune=false,Delete=false
{{- end -}}
{{- end -}}

{{/*
common.annotations.testHook: the annotations of a `helm test` pod. Argo CD never runs Helm test
hooks (it skips every hook it cannot map); with global.argocd.testsAsPostSync the pod is also an
Argo CD PostSync hook, so a sync verifies the release the way `helm test` does. Helm ignores the
Argo CD keys and Argo CD prefers its own over Helm's, so one manifest serves both. Either way the
pod is kept until the next run (its logs show what was checked). Indent it under `annotations:`.
Usage: {{- include "common.annotations.testHook" (dict "context" $) | nindent 4 }}
*/}}
{{- define "common.annotations.testHook" -}}
helm.sh/hook: test
helm.sh/hook-delete-policy: before-hook-creation
{{- with .context.Values.global }}{{- with .argocd }}{{- if .testsAsPostSync }}
argocd.argoproj.io/hook: PostSync
argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
{{- end }}{{- end }}{{- end }}
{{- end -}}

{{/*
common.annotations.crdObject: the Argo CD annotations of an object whose kind comes from a CRD
another Application may install (cert-manager, Gateway API, prometheus-operator): a sync wave
after the objects it needs, and SkipDryRunOnMissingResource so that the first sync does not fail
its dry run while the CRD is not yet served. The waves of the release:
  -10  the monitoring namespace
    0  everything else (Deployments, Services, Secrets, ...)
    1  issuers; ServiceMonitors, PodMonitors, PrometheusRules (after the Services they select)
    2  the CA Certificate (after the self-signed issuer)
    3  the CA Issuer (after the CA Secret the Certificate writes)
    4  the edge Certificate (after the CA Issuer)
    5  the Gateway and HTTPRoutes (after the edge certificate's Secret they serve)
(cert-issuer's are values: cert-issuer.syncWaves). Indent it under `annotations:`.
Usage: {{- include "common.annotations.crdObject" (dict "wave" "1") | nindent 4 }}
*/}}
{{- define "common.annotations.crdObject" -}}
argocd.argoproj.io/sync-wave: {{ .wave | toString | quote }}
argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true
{{- end -}}

{{/*
common.fail: fail the render with .msg, which starts with the values key to fix, prefixed like
common.key ("gateway.routes[0]: ..." inside the umbrella, "routes[0]: ..." alone).
Usage: {{- include "common.fail" (dict "msg" (printf "%s: set service or host" $k) "context" $) -}}
*/}}
{{- define "common.fail" -}}
{{- fail (include "common.key" (dict "key" .msg "context" .context)) -}}
{{- end -}}

{{/*
common.url.port: the TCP port of an http(s) URL — the one it names, else its scheme's (80, 443) —
for the egress rule that lets a pod reach it.
Usage: include "common.url.port" "https://idp.example.com:8443/certs" | int
*/}}
{{- define "common.url.port" -}}
{{- $u := urlParse (toString .) -}}
{{- $port := ternary 80 443 (eq $u.scheme "http") -}}
{{- with regexFind ":[0-9]+$" $u.host }}{{- $port = trimPrefix ":" . | int }}{{- end -}}
{{- $port -}}
{{- end -}}
