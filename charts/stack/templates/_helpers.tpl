{{/*
stack.target: why an app name cannot receive routed traffic ("" when it can): it must be an
enabled app of services.apps of type service (workers and CronJobs have no Service).
Usage: include "stack.target" (dict "name" "users" "svcApps" $svcApps "appTypes" $appTypes)
*/}}
{{- define "stack.target" -}}
{{- if hasKey .svcApps .name -}}{{- else if hasKey .appTypes .name -}}
{{- printf "%q is a %s of services.apps, which has no Service to route to" .name (get .appTypes .name) -}}
{{- else -}}
{{- printf "%q is not an enabled app of services.apps (have: %s)" .name (keys .svcApps | sortAlpha | join ", ") -}}
{{- end -}}
{{- end -}}
