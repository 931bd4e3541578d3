#!/bin/sh
# Builds the stackcheck binary from source into $HELM_PLUGIN_DIR/bin (helm plugin install/update).
set -eu
dir=${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
# Helm links a plugin installed from a directory: build from the real path, where go.mod is found.
cd -P "$dir"
if ! command -v go >/dev/null 2>&1; then
  echo "stackcheck: the Go toolchain is needed to build the plugin (https://go.dev/dl/, Go 1.26+);" >&2
  echo "stackcheck: install it, then run: helm plugin update stackcheck" >&2
  exit 1
fi
exe=bin/stackcheck
case "$(go env GOOS)" in windows) exe=bin/stackcheck.exe ;; esac
echo "stackcheck: building $exe with $(go version | cut -d' ' -f3)"
version=$(sed -n 's/^version: *//p' plugin.yaml)
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/stack-charts/stack/plugin/internal/cli.Version=$version" -o "$exe" ./cmd/stackcheck
echo "stackcheck: installed; try: helm stackcheck preflight --help"
