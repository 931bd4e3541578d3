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
{{- range $k := list "discord" "slack" "webhook" }}
{{- $rv := get $r $k -}}
{{- if $rv.enabled }}
{{- include "monitoring.requireSecret" (dict "secret" $rv.existingSecret "key" (printf "alertmanager.receivers.%s.existingSecret" $k) "what" (printf "the %s URL" $k) "context" $) }}
{{- if not $rv.severities }}
{{- fail (printf "%s: list at least one severity to route to %s" (include "common.key" (dict "key" (printf "alertmanager.receivers.%s.severities" $k) "context" $)) $k) }}
{{- end }}
{{- end }}
{{- end -}}
route:
  receiver: "null"
  group_by: {{ toJson $a.route.groupBy }}
  group_wait: {{ $a.route.groupWait }}
  group_interval: {{ $a.route.groupInterval }}
  repeat_interval: {{ $a.route.repeatInterval }}
  routes:
    {{- range $k := list "discord" "slack" "webhook" }}
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
{{- end -}}
{{- end -}}
