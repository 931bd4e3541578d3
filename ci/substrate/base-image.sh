#!/usr/bin/env bash
# Builds the Debian bookworm base image every other substrate image starts FROM: a minbase
# debootstrap root filesystem imported with `docker import`. Tag: stack.local/debian:bookworm-<hash>
# (hash of this script and the mirror), also tagged stack.local/debian:bookworm for Dockerfiles.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mirror=$(debian_mirror)
tag="stack.local/debian:bookworm-$(hash_inputs "$0" "$mirror")"
if image_exists "$tag"; then
  docker tag "$tag" stack.local/debian:bookworm
  step "base image $tag: cached"
  exit 0
fi
root=$(mktemp -d "$SUBSTRATE_CACHE/debootstrap.XXXXXX")
trap 'rm -rf "$root"' EXIT
step "debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror" >"$SUBSTRATE_CACHE/debootstrap.log" 2>&1 \
  || { tail -n 20 "$SUBSTRATE_CACHE/debootstrap.log" >&2; die "debootstrap"; }
# apt sources with security updates; no recommends; smaller layers.
cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SRC
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/90stack"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
step "docker import $tag"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null || die "docker import"
docker tag "$tag" stack.local/debian:bookworm
step "base image ready: $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
