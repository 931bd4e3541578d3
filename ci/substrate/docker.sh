#!/usr/bin/env bash
# Makes a Docker engine available, idempotently: installs Debian's docker.io when dockerd is
# absent, starts dockerd in the background when the daemon does not answer, and waits until it
# does. Debian's docker.io (20.10) has no buildx, so builds use DOCKER_BUILDKIT=0.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if ! command -v dockerd >/dev/null 2>&1; then
  step "installing docker.io, debootstrap and zstd from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap zstd iptables >/dev/null
fi
for pkg in debootstrap zstd; do
  command -v "$pkg" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done

# The engine Debian installs; the preinstalled /usr/local/bin/docker may be a newer client only.
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
if docker version >/dev/null 2>&1; then
  step "docker engine: running"
  exit 0
fi
step "starting dockerd"
mkdir -p "$STACK_CACHE/log"
nohup dockerd >"$STACK_CACHE/log/dockerd.log" 2>&1 &
for i in $(seq 1 60); do
  if docker version >/dev/null 2>&1; then
    step "docker engine: ready after ${i}s ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
tail -n 20 "$STACK_CACHE/log/dockerd.log" >&2
die "dockerd did not answer within 60s (log: $STACK_CACHE/log/dockerd.log)"
