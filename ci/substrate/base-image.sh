#!/usr/bin/env bash
# Builds the Debian base images the other substrate images start FROM: a minbase debootstrap root
# filesystem imported with `docker import`, one per suite. Tags: stack.local/debian:SUITE-<hash>
# (hash of this script and the mirror), also tagged stack.local/debian:SUITE for Dockerfiles.
# bookworm (Debian 12) is the base of everything but RabbitMQ; trixie (Debian 13) carries RabbitMQ
# 4.0 on Erlang 27 (bookworm's 3.10.8 on Erlang 25.2 lacks RabbitMQ's fix for OTP 25.1+'s `global`,
# and a member that rejoins after its node was lost can hang at boot).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mirror=$(debian_mirror)
for suite in bookworm trixie; do
  tag="stack.local/debian:$suite-$(hash_inputs "$0" "$mirror" "$suite")"
  if image_exists "$tag"; then
    docker tag "$tag" "stack.local/debian:$suite"
    step "base image $tag: cached"
    continue
  fi
  root=$(mktemp -d "$SUBSTRATE_CACHE/debootstrap.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  step "debootstrap $suite from $mirror"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror" >"$SUBSTRATE_CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$SUBSTRATE_CACHE/debootstrap.log" >&2; die "debootstrap $suite"; }
  # apt sources with security updates; no recommends; smaller layers.
  cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
SRC
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/90stack"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  step "docker import $tag"
  tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null || die "docker import"
  rm -rf "$root"; trap - EXIT
  docker tag "$tag" "stack.local/debian:$suite"
  step "base image ready: $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
done
