{{/* mysql.fullname: <release>-mysql, the name the wiring convention gives consumers, fitted to a StatefulSet's 52 characters. */}}
{{- define "mysql.fullname" -}}
{{- include "common.names.stateful" . -}}
{{- end -}}

{{/*
mysql.flavor: the facts that differ between the official mysql and mariadb images, as YAML:
env (the prefix of the entrypoint's variables), client, admin and dump (the binaries; mariadb 11
images no longer ship the mysql* names) and server (the image's server command).
*/}}
{{- define "mysql.flavor" -}}
{{- $flavors := dict
  "mysql" (dict "env" "MYSQL" "client" "mysql" "admin" "mysqladmin" "dump" "mysqldump" "server" "mysqld")
  "mariadb" (dict "env" "MARIADB" "client" "mariadb" "admin" "mariadb-admin" "dump" "mariadb-dump" "server" "mariadbd") -}}
{{- $f := get $flavors (toString .Values.flavor) -}}
{{- if not $f -}}
{{- fail (printf "flavor: %q is not supported (mysql or mariadb)" (toString .Values.flavor)) -}}
{{- end -}}
{{- toYaml $f -}}
{{- end -}}

{{/* mysql.image: the server image of the selected flavor. */}}
{{- define "mysql.image" -}}
{{- $flavor := toString .Values.flavor -}}
{{- include "common.images.image" (dict "image" (get .Values.image $flavor) "key" (printf "image.%s" $flavor) "context" .) -}}
{{- end -}}

{{- define "mysql.pullPolicy" -}}
{{- include "common.images.pullPolicy" (dict "image" (get .Values.image (toString .Values.flavor)) "context" .) -}}
{{- end -}}

{{/*
mysql.secretName: the Secret holding the passwords — auth.existingSecret, or the one this chart
renders from auth.*Password. Fails, naming the keys, when neither provides a password.
*/}}
{{- define "mysql.secretName" -}}
{{- if .Values.auth.existingSecret -}}
{{- include "common.utils.tpl" (dict "value" .Values.auth.existingSecret "context" .) -}}
{{- else -}}
{{- $need := list "rootPassword" "password" -}}
{{- if .Values.metrics.enabled }}{{- $need = append $need "exporterPassword" -}}{{- end -}}
{{- range $need -}}
{{- if not (get $.Values.auth .) -}}
{{- fail (printf "%s: set it, or %s (a Secret with keys %s) — there is no default password" (include "common.key" (dict "key" (printf "auth.%s" .) "context" $)) (include "common.key" (dict "key" "auth.existingSecret" "context" $)) (include "mysql.secretKeys" $)) -}}
{{- end -}}
{{- end -}}
{{- include "mysql.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* mysql.secretKeys: the keys the Secret must hold, for messages. */}}
{{- define "mysql.secretKeys" -}}
{{- $k := .Values.auth.secretKeys -}}
{{- $keys := list $k.rootPassword $k.password -}}
{{- if .Values.metrics.enabled }}{{- $keys = append $keys $k.exporterPassword -}}{{- end -}}
{{- join ", " $keys -}}
{{- end -}}

{{/* mysql.bufferPool: innodb_buffer_pool_size, explicit or a share of the memory limit (bytes). */}}
{{- define "mysql.bufferPool" -}}
{{- if .Values.config.innodbBufferPoolSize -}}
{{- .Values.config.innodbBufferPoolSize -}}
{{- else -}}
{{- with .Values.resources.limits }}{{- with .memory -}}
{{- $bytes := include "common.utils.bytes" (dict "quantity" . "key" "resources.limits.memory") | float64 -}}
{{- $pool := divf (mulf $bytes (float64 $.Values.config.innodbBufferPoolPercent)) 100 -}}
{{- /* InnoDB rounds to its chunk size (128Mi); never below one chunk. */ -}}
{{- $chunk := 134217728.0 -}}
{{- $chunks := floor (divf $pool $chunk) -}}
{{- if lt $chunks 1.0 }}{{- $chunks = 1.0 -}}{{- end -}}
{{- printf "%.0f" (mulf $chunks $chunk) -}}
{{- end }}{{- end -}}
{{- end -}}
{{- end -}}

{{/*
mysql.clientTLS: the client options of the chart's own client pods (backup, helm test) when
tls.enabled: TLS, the server's certificate verified against the CA and its name (the two
clients spell it differently). Empty otherwise.
*/}}
{{- define "mysql.clientTLS" -}}
{{- if .Values.tls.enabled -}}
{{- $ca := printf "%s/ca.crt" (include "common.tls.serverDir" .) -}}
{{- if eq (toString .Values.flavor) "mariadb" -}}
--ssl --ssl-ca={{ $ca }} --ssl-verify-server-cert
{{- else -}}
--ssl-mode=VERIFY_IDENTITY --ssl-ca={{ $ca }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* mysql.selectOne: `SELECT 1` as the app user over TCP — what a client of the database can do. */}}
{{- define "mysql.selectOne" -}}
{{- $f := include "mysql.flavor" . | fromYaml -}}
MYSQL_PWD="${{ $f.env }}_PASSWORD" {{ $f.client }} --protocol=TCP -h127.0.0.1 -P{{ .Values.service.port }} -u"${{ $f.env }}_USER" -e 'SELECT 1' "${{ $f.env }}_DATABASE"
{{- end -}}

{{/*
mysql.syncPasswords: the server container's start when auth.syncPasswords: on a data directory
initialised before, the server starts with --init-file setting root's, the app user's and the
exporter's passwords to the Secret's (ALTER USER IF EXISTS, run by the server itself at start:
no old password needed), so a changed password takes effect at the next start. On an empty data
directory the image's entrypoint initialises it from the same variables, unchanged. The file is
mode 0600 in the pod's private /var/run/mysqld (an emptyDir), holding what the env already holds.
*/}}
{{- define "mysql.syncPasswords" -}}
{{- $f := include "mysql.flavor" . | fromYaml -}}
set -eu
q() { printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/''/g"; }
if [ -d /var/lib/mysql/mysql ]; then
  umask 077
  f=/var/run/mysqld/stack-passwords.sql
  {
    echo "ALTER USER IF EXISTS 'root'@'localhost' IDENTIFIED BY '$(q "${{ $f.env }}_ROOT_PASSWORD")';"
    echo "ALTER USER IF EXISTS 'root'@'%' IDENTIFIED BY '$(q "${{ $f.env }}_ROOT_PASSWORD")';"
    echo "ALTER USER IF EXISTS '$(q "${{ $f.env }}_USER")'@'%' IDENTIFIED BY '$(q "${{ $f.env }}_PASSWORD")';"
    if [ -n "${STACK_EXPORTER_PASSWORD:-}" ]; then
      echo "ALTER USER IF EXISTS '{{ .Values.metrics.username }}'@'127.0.0.1' IDENTIFIED BY '$(q "$STACK_EXPORTER_PASSWORD")';"
    fi
  } >"$f"
  echo "stack: the passwords from the Secret are applied at start (--init-file)"
  exec docker-entrypoint.sh {{ $f.server }} --init-file="$f"
fi
exec docker-entrypoint.sh {{ $f.server }}
{{- end -}}
