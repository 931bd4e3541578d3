{{/*
common.cron.validate: fail, naming the key, unless .schedule is a schedule the CronJob API takes
(five fields, or a macro: @hourly @daily @midnight @weekly @monthly @yearly @annually, @every
<duration>) and .timeZone is empty or an IANA zone name (common.timezones). Renders nothing.
Usage: include "common.cron.validate" (dict "schedule" .schedule "timeZone" .timeZone "key" "apps.nightly")
*/}}
{{- define "common.cron.validate" -}}
{{- $field := "[0-9A-Za-z*/,?-]+" -}}
{{- if not (regexMatch (printf "^\\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\\s+([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+|%s(\\s+%s){4})\\s*$" $field $field) (toString .schedule)) -}}
{{- fail (printf "%s.schedule %q is not a cron schedule: five fields (minute hour day-of-month month day-of-week, e.g. \"*/5 * * * *\") or a macro (@hourly, @daily, @weekly, @monthly, @yearly, @every 1h)" $.key (toString .schedule)) -}}
{{- end -}}
{{- with $.timeZone -}}
{{- if not (has . (splitList " " (include "common.timezones" . | replace "\n" " "))) -}}
{{- fail (printf "%s.timeZone %q is not an IANA time zone name Kubernetes knows (e.g. \"Europe/Paris\", \"America/New_York\", \"Etc/UTC\")" $.key .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
