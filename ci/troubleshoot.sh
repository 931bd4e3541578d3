#!/usr/bin/env bash
# Builds replicatedhq/troubleshoot's `preflight` (the tool stackcheck is benchmarked against) from
# the Go module proxy into $STACK_CACHE/bin/troubleshoot-preflight, once. `go install` of it is
# refused, so a throwaway module requires the pinned version with the two replace lines of
# troubleshoot's own go.mod.
set -euo pipefail
CACHE="${STACK_CACHE:-$HOME/.cache/stack}"
VERSION=v0.133.0
out="$CACHE/bin/troubleshoot-preflight"
if [ -x "$out" ] && [ "$(cat "$CACHE/bin/.troubleshoot-preflight.version" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
src="$CACHE/src/troubleshoot"
mkdir -p "$src" "$CACHE/bin"
cat >"$src/go.mod" <<MOD
module stack.local/troubleshoot-build

go 1.26

require github.com/replicatedhq/troubleshoot $VERSION

replace (
	github.com/StackExchange/wmi => github.com/yusufpapurcu/wmi v1.2.2
	github.com/go-ole/go-ole => github.com/go-ole/go-ole v1.2.6
)
MOD
printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/replicatedhq/troubleshoot/cmd/preflight"\n' >"$src/tools.go"
echo "[bench $(date +%H:%M:%S)] building troubleshoot preflight $VERSION (several minutes the first time)"
(cd "$src" && go mod tidy >/dev/null && go build -o "$out" github.com/replicatedhq/troubleshoot/cmd/preflight)
echo "$VERSION" >"$CACHE/bin/.troubleshoot-preflight.version"
