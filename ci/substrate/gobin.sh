#!/usr/bin/env bash
# gobin.sh NAME MODULE VERSION PACKAGE [LDFLAGS]
# Builds one static binary from the Go module proxy in a throwaway module that requires
# MODULE@VERSION (the proxy refuses `go install` for some modules and versions but serves a
# pinned require). Output: $SUBSTRATE_CACHE/bin/NAME-VERSION. Cached by version.
# GONOSUMDB may be set by the caller for modules the checksum database does not know.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=$1 module=$2 version=$3 pkg=$4 ldflags=${5:-}
out="$SUBSTRATE_CACHE/bin/$name-$version"
if [ -x "$out" ]; then step "$name $version: cached"; exit 0; fi
src="$SUBSTRATE_CACHE/src/$name-$version"
rm -rf "$src" && mkdir -p "$src" "$(dirname "$out")"
printf 'module stacksubstrate/%s\n\ngo 1.26\n' "$name" >"$src/go.mod"
t0=$(date +%s)
step "$name $version: resolving $module@$version"
(cd "$src" && go get "$pkg@$version" >"$src/get.log" 2>&1) || { tail -n 15 "$src/get.log" >&2; die "go get $pkg@$version"; }
step "$name $version: go build $pkg"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg" >"$src/build.log" 2>&1) \
  || { tail -n 15 "$src/build.log" >&2; die "go build $pkg"; }
mv "$out.tmp" "$out"
step "$name $version: built ($(du -h "$out" | cut -f1))"
record build "go build $name $version" "$(( $(date +%s) - t0 ))"
