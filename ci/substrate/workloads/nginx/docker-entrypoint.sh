#!/bin/sh
# Entrypoint of the stack air-gapped nginx image, the same contract as the official image's
# /docker-entrypoint.sh for the parts the stack uses:
#   NGINX_ENTRYPOINT_LOCAL_RESOLVERS  set: export NGINX_LOCAL_RESOLVERS (nameservers of /etc/resolv.conf)
#   NGINX_ENVSUBST_TEMPLATE_DIR       templates (*.template, default /etc/nginx/templates)
#   NGINX_ENVSUBST_OUTPUT_DIR         where rendered files go (default /etc/nginx/conf.d)
#   NGINX_ENVSUBST_FILTER             only variables whose names match this regex are substituted
# It runs only when the command is nginx (or nginx-debug), like the official image.
set -eu

if [ "${1:-}" = "nginx" ] || [ "${1:-}" = "nginx-debug" ]; then
  if [ -n "${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}" ]; then
    NGINX_LOCAL_RESOLVERS=$(awk 'BEGIN{ORS=" "} $1=="nameserver" { if ($2 ~ ":") print "[" $2 "]"; else print $2 }' /etc/resolv.conf)
    export NGINX_LOCAL_RESOLVERS
    echo "docker-entrypoint: NGINX_LOCAL_RESOLVERS=$NGINX_LOCAL_RESOLVERS" >&2
  fi
  template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
  output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
  suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
  filter="${NGINX_ENVSUBST_FILTER:-}"
  if [ -d "$template_dir" ]; then
    [ -w "$output_dir" ] || { echo "docker-entrypoint: $output_dir is not writable" >&2; exit 1; }
    defined=$(env | cut -d= -f1 | grep -E "${filter:-.}" | sed 's/^/${/; s/$/}/' | tr '\n' ' ')
    # (skip the ..data and ..timestamp directories of a mounted ConfigMap: they hold the same files)
    find "$template_dir" -follow -type f -name "*$suffix" -not -path '*/..*' | while read -r template; do
      relative="${template#"$template_dir"/}"
      out="$output_dir/${relative%"$suffix"}"
      mkdir -p "$(dirname "$out")"
      echo "docker-entrypoint: rendering $template -> $out" >&2
      envsubst "$defined" <"$template" >"$out"
    done
  fi
fi
exec "$@"
