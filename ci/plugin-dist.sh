#!/usr/bin/env bash
# make plugin-dist: the stackcheck plugin as release archives, one per platform, so that users
# install it without a Go toolchain or this repository:
#   $OUT/stackcheck-VERSION-OS-ARCH.tgz   plugin.yaml at its root, scripts/ (the install hooks),
#                                         bin/stackcheck[.exe], bin/PLATFORM, bin/SHA256SUMS
#   $OUT/SHA256SUMS                       the archives' checksums
#   $OUT/helm4/OS-ARCH/stackcheck-VERSION.tgz(.prov)   the same plugin with Helm 4's versioned
#                                         manifest (plugin/plugin.v1.yaml), packaged and signed by
#                                         `helm4 plugin package --sign` (with PLUGIN_SIGN_KEY and
#                                         PLUGIN_KEYRING set), for `helm4 plugin install --verify`
# The install hook keeps the archive's binary after checking its platform and checksum.
# Helm 3 installs an archive from an http(s) URL (`helm plugin install https://.../stackcheck-
# VERSION-linux-amd64.tgz`); Helm 4 also from a local path.
# PLUGIN_PLATFORMS (default: linux, darwin and windows × amd64, arm64) and PLUGIN_DIST_DIR
# (default: $STACK_CACHE/plugin-dist/VERSION) narrow or move the output.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(sed -n 's/^version: *//p' plugin/plugin.yaml)
out=${PLUGIN_DIST_DIR:-${STACK_CACHE:-$HOME/.cache/stack}/plugin-dist/$version}
platforms=${PLUGIN_PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for p in $platforms; do
  os=${p%/*} arch=${p#*/} exe=stackcheck
  [ "$os" = windows ] && exe=stackcheck.exe
  t0=$(date +%s)
  stage="$work/$os-$arch/stackcheck"
  mkdir -p "$stage/bin" "$stage/scripts"
  cp plugin/plugin.yaml "$stage/"
  cp plugin/scripts/install.sh plugin/scripts/install.ps1 "$stage/scripts/"
  GOOS=$os GOARCH=$arch CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/stack-charts/stack/plugin/internal/cli.Version=$version" \
    -o "$stage/bin/$exe" ./plugin/cmd/stackcheck
  echo "$p" >"$stage/bin/PLATFORM"
  (cd "$stage/bin" && sha256sum "$exe" >SHA256SUMS)
  archive="$out/stackcheck-$version-$os-$arch.tgz"
  tar -C "$stage" --owner=0 --group=0 -czf "$archive" plugin.yaml scripts bin
  if [ -n "${PLUGIN_SIGN_KEY:-}" ]; then
    # Helm 4's packages carry its versioned manifest (plugin/plugin.v1.yaml) as plugin.yaml.
    mkdir -p "$out/helm4/$os-$arch"
    cp plugin/plugin.v1.yaml "$stage/plugin.yaml"
    helm4 plugin package "$stage" --sign --key "$PLUGIN_SIGN_KEY" --keyring "${PLUGIN_KEYRING:?the keyring holding PLUGIN_SIGN_KEY}" \
      -d "$out/helm4/$os-$arch" >/dev/null
  fi
  echo "plugin-dist: $(basename "$archive") ($(du -h "$archive" | cut -f1)) in $(( $(date +%s) - t0 ))s"
done
(cd "$out" && sha256sum ./*.tgz | sed 's| \./| |' >SHA256SUMS)
echo "plugin-dist: $out"
