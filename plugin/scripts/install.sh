#!/bin/sh
# The install and update hook (helm plugin install/update, Helm 3 and Helm 4) on Linux and macOS.
# From a release archive (make plugin-dist): the archive carries the binary for one platform,
# bin/PLATFORM naming it and bin/SHA256SUMS its checksum; the binary is kept only if the platform
# is this one and the checksum matches. From a source tree (no prebuilt binary): build it with Go
# (scripts/build.sh).
set -eu
dir=${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$dir"
if [ -f bin/PLATFORM ]; then
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in
    x86_64|amd64) arch=amd64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  want=$(cat bin/PLATFORM)
  if [ "$want" != "$os/$arch" ]; then
    echo "stackcheck: this archive is for $want, this machine is $os/$arch: install stackcheck-<version>-$os-$arch.tgz" >&2
    exit 1
  fi
  sum=$(awk '$2 == "stackcheck" || $2 == "*stackcheck" {print $1}' bin/SHA256SUMS)
  if command -v sha256sum >/dev/null 2>&1; then got=$(sha256sum bin/stackcheck | cut -d' ' -f1)
  else got=$(shasum -a 256 bin/stackcheck | cut -d' ' -f1); fi
  if [ -z "$sum" ] || [ "$sum" != "$got" ]; then
    echo "stackcheck: bin/stackcheck does not match its checksum in bin/SHA256SUMS: refusing it" >&2
    exit 1
  fi
  chmod 0755 bin/stackcheck
  echo "stackcheck: installed the prebuilt $want binary (sha256 $got)"
  exit 0
fi
exec sh "$dir/scripts/build.sh"
