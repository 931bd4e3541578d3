{{/*
monitoring.alertmanager.config: alertmanager.yml. The root route goes to "null" (alerts stay
visible in Alertmanager); each enabled receiver gets a child route matching its severities
(continue: true, so Discord and Slack both hear about a critical alert). Receiver URLs are
files mounted from Secrets (webhook_url_file, api_url_file, url_file): none is inline.
alertmanager.config, when set, is the whole file instead.
*/}}
{{- define "monitoring.alertmanager.config" -}}
{{- $a := .Values.alertmanager -}}
{{- if $a.config -}}
{{- toYaml $a.config -}}
{{- else -}}
{{- $r := $a.receivers -}}
{{- range $k := include "monitoring.alertmanager.receiverNames" $ | fromYamlArray }}
{{- $rv := get $r $k -}}
{{- if $rv.enabled }}
{{- $what := get (dict "discord" "the Discord webhook URL" "slack" "the Slack webhook URL" "webhook" "the webhook URL" "email" "the SMTP password" "pagerduty" "the PagerDuty routing key" "opsgenie" "the Opsgenie API key") $k }}
{{- if or (ne $k "email") $rv.authUsername }}
{{- include "monitoring.requireSecret" (dict "secret" $rv.existingSecret "key" (printf "alertmanager.receivers.%s.existingSecret" $k) "what" $what "context" $) }}
{{- end }}
{{- if not $rv.severities }}
{{- fail (printf "%s: list at least one severity to route to %s" (include "common.key" (dict "key" (printf "alertmanager.receivers.%s.severities" $k) "context" $)) $k) }}
{{- end }}
{{- end }}
{{- end -}}
{{- if $r.email.enabled }}
{{- range $f := list "to" "from" "smarthost" }}
{{- if not (get $r.email $f) }}{{- fail (printf "%s is required with the email receiver" (include "common.key" (dict "key" (printf "alertmanager.receivers.email.%s" $f) "context" $))) }}{{- end }}
{{- end }}
{{- end }}
{{- $known := list "null" }}
{{- range $k := include "monitoring.alertmanager.receiverNames" $ | fromYamlArray }}{{- if (get $r $k).enabled }}{{- $known = append $known $k }}{{- end }}{{- end }}
{{- range $i, $x := $a.extraReceivers }}{{- $known = append $known (toString $x.name) }}{{- end }}
{{- range $i, $route := $a.routes }}
{{- if and $route.receiver (not (has (toString $route.receiver) $known)) }}
{{- fail (printf "%s: %q is not a receiver (enabled: %s)" (include "common.key" (dict "key" (printf "alertmanager.routes[%d].receiver" $i) "context" $)) (toString $route.receiver) (join ", " $known)) }}
{{- end }}
{{- end }}
route:
  receiver: "null"
  group_by: {{ toJson $a.route.groupBy }}
  group_wait: {{ $a.route.groupWait }}
  group_interval: {{ $a.route.groupInterval }}
  repeat_interval: {{ $a.route.repeatInterval }}
  routes:
    {{- with $a.routes }}
    # alertmanager.routes: the teams' own routes first.
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- range $k := include "monitoring.alertmanager.receiverNames" $ | fromYamlArray }}
    {{- $rv := get $r $k }}
    {{- if $rv.enabled }}
    - receiver: {{ $k }}
      matchers:
        - severity=~"{{ join "|" $rv.severities }}"
      continue: true
    {{- end }}
    {{- end }}
{{- with $a.inhibitRules }}
inhibit_rules:
  {{- toYaml . | nindent 2 }}
{{- end }}
receivers:
  - name: "null"
  {{- if $r.discord.enabled }}
  - name: discord
    discord_configs:
      - webhook_url_file: /etc/alertmanager/secrets/discord/{{ $r.discord.secretKey }}
        send_resolved: {{ $r.discord.sendResolved }}
  {{- end }}
  {{- if $r.slack.enabled }}
  - name: slack
    slack_configs:
      - api_url_file: /etc/alertmanager/secrets/slack/{{ $r.slack.secretKey }}
        send_resolved: {{ $r.slack.sendResolved }}
        {{- with $r.slack.channel }}
        channel: {{ . | quote }}
        {{- end }}
        title: '{{ "{{" }} .CommonLabels.alertname {{ "}}" }} ({{ "{{" }} .Status {{ "}}" }})'
        text: '{{ "{{" }} range .Alerts {{ "}}" }}{{ "{{" }} .Annotations.summary {{ "}}" }} {{ "{{" }} .Annotations.runbook_url {{ "}}" }}{{ "{{" }} "\n" {{ "}}" }}{{ "{{" }} end {{ "}}" }}'
  {{- end }}
  {{- if $r.webhook.enabled }}
  - name: webhook
    webhook_configs:
      - url_file: /etc/alertmanager/secrets/webhook/{{ $r.webhook.secretKey }}
        send_resolved: {{ $r.webhook.sendResolved }}
  {{- end }}
  {{- with $r.email }}{{- if .enabled }}
  - name: email
    email_configs:
      - to: {{ .to | quote }}
        from: {{ .from | quote }}
        smarthost: {{ .smarthost | quote }}
        {{- with .authUsername }}
        auth_username: {{ . | quote }}
        auth_password_file: /etc/alertmanager/secrets/email/{{ $r.email.secretKey }}
        {{- end }}
        require_tls: {{ .requireTLS }}
        send_resolved: {{ .sendResolved }}
  {{- end }}{{- end }}
  {{- with $r.pagerduty }}{{- if .enabled }}
  - name: pagerduty
    pagerduty_configs:
      - routing_key_file: /etc/alertmanager/secrets/pagerduty/{{ .secretKey }}
        send_resolved: {{ .sendResolved }}
        severity: '{{ "{{" }} if eq .CommonLabels.severity "critical" {{ "}}" }}critical{{ "{{" }} else {{ "}}" }}warning{{ "{{" }} end {{ "}}" }}'
  {{- end }}{{- end }}
  {{- with $r.opsgenie }}{{- if .enabled }}
  - name: opsgenie
    opsgenie_configs:
      - api_key_file: /etc/alertmanager/secrets/opsgenie/{{ .secretKey }}
        {{- with .apiURL }}
        api_url: {{ . | quote }}
        {{- end }}
        send_resolved: {{ .sendResolved }}
        priority: '{{ "{{" }} if eq .CommonLabels.severity "critical" {{ "}}" }}P1{{ "{{" }} else {{ "}}" }}P3{{ "{{" }} end {{ "}}" }}'
  {{- end }}{{- end }}
  {{- with $a.extraReceivers }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
monitoring.alertmanager.receiverNames: the receivers this chart models (alertmanager.receivers.*),
as a YAML list: the configuration, the Secret mounts and the egress go by it.
*/}}
{{- define "monitoring.alertmanager.receiverNames" -}}
{{- toYaml (list "discord" "slack" "webhook" "email" "pagerduty" "opsgenie") -}}
{{- end -}}
