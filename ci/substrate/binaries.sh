#!/usr/bin/env bash
# Builds every Go binary the substrate needs from the module proxy (each cached by version).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

"$here/k8s-binaries.sh"
"$here/gobin.sh" etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
"$here/gobin.sh" coredns github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns
"$here/gobin.sh" local-path-provisioner github.com/rancher/local-path-provisioner "$LOCAL_PATH_VERSION" github.com/rancher/local-path-provisioner
# kube-router: the checksum database has no entry for it, and the proxy refuses `go install` of it.
GONOSUMDB=github.com/cloudnativelabs/kube-router "$here/gobin.sh" kube-router github.com/cloudnativelabs/kube-router "$KUBE_ROUTER_VERSION" github.com/cloudnativelabs/kube-router/cmd/kube-router
mkdir -p "$SUBSTRATE_CACHE/bin"
if [ ! -x "$SUBSTRATE_CACHE/bin/pause-$PAUSE_TAG" ] || [ "$here/pause/main.go" -nt "$SUBSTRATE_CACHE/bin/pause-$PAUSE_TAG" ]; then
  (cd "$here/../.." && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$SUBSTRATE_CACHE/bin/pause-$PAUSE_TAG" ./ci/substrate/pause)
  step "pause $PAUSE_TAG: built from ci/substrate/pause"
fi
step "all substrate binaries ready"
