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
# Cluster add-ons and images for later charts.
"$here/gobin.sh" metrics-server sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION" sigs.k8s.io/metrics-server/cmd/metrics-server
# The checksum database has no entry for this version, nor for its k8s.io/sample-controller.
GONOSUMDB=k8s.io/kube-state-metrics,k8s.io/sample-controller "$here/gobin.sh" kube-state-metrics k8s.io/kube-state-metrics/v2 "$KSM_VERSION" k8s.io/kube-state-metrics/v2
# pause is the project's own (ci/substrate/pause), cached by the hash of its source.
pause_hash=$(hash_inputs "$here/pause")
if [ "$(cat "$SUBSTRATE_CACHE/bin/.pause.hash" 2>/dev/null)" != "$pause_hash" ] || [ ! -x "$SUBSTRATE_CACHE/bin/pause-$PAUSE_TAG" ]; then
  (cd "$here/../.." && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$SUBSTRATE_CACHE/bin/pause-$PAUSE_TAG" ./ci/substrate/pause)
  echo "$pause_hash" >"$SUBSTRATE_CACHE/bin/.pause.hash"
  step "pause $PAUSE_TAG: built from ci/substrate/pause"
else
  step "pause $PAUSE_TAG: cached"
fi
step "all substrate binaries ready"
