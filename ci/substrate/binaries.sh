#!/usr/bin/env bash
# Builds every Go binary the substrate needs from the module proxy (each cached by version).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

"$here/k8s-binaries.sh"
"$here/gobin.sh" etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
# CoreDNS without the plugins that pull in cloud SDKs, tracing and key stores (Azure, Cloud DNS,
# Route 53, etcd, GeoIP, trace, Nomad, dnssec's AWS Secrets Manager, dnstap): nothing in the kind
# Corefile, the add-ons or the suites uses them, and they were most of its cold compile. Built as the main module of a copy
# whose core/plugin/zplugin.go (generated upstream from plugin.cfg) imports the rest.
COREDNS_DROPPED_PLUGINS="azure clouddns route53 etcd dnstap geoip trace nomad dnssec"
coredns_out="$SUBSTRATE_CACHE/bin/coredns-$COREDNS_VERSION-trimmed"
if [ -x "$coredns_out" ]; then
  step "coredns $COREDNS_VERSION: cached"
else
  t0=$(date +%s); src="$SUBSTRATE_CACHE/src/coredns-$COREDNS_VERSION"
  module_copy github.com/coredns/coredns "$COREDNS_VERSION" "$src"
  drop=$(echo "$COREDNS_DROPPED_PLUGINS" | sed 's/[a-z0-9_]*/\/plugin\/&"$/g; s/ /|/g')
  grep -vE "$drop" "$src/core/plugin/zplugin.go" >"$src/zplugin.go.new" && mv "$src/zplugin.go.new" "$src/core/plugin/zplugin.go"
  step "coredns $COREDNS_VERSION: go build (without: $COREDNS_DROPPED_PLUGINS)"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$coredns_out.tmp" . >"$src/build.log" 2>&1) \
    || { tail -n 15 "$src/build.log" >&2; die "go build coredns"; }
  mv "$coredns_out.tmp" "$coredns_out"
  record build "go build coredns $COREDNS_VERSION (trimmed)" "$(( $(date +%s) - t0 ))"
  step "coredns $COREDNS_VERSION: built ($(du -h "$coredns_out" | cut -f1))"
fi
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
  (cd "$here/../.." && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$SUBSTRATE_CACHE/bin/pause-$PAUSE_TAG" ./ci/substrate/pause)
  echo "$pause_hash" >"$SUBSTRATE_CACHE/bin/.pause.hash"
  step "pause $PAUSE_TAG: built from ci/substrate/pause"
else
  step "pause $PAUSE_TAG: cached"
fi
step "all substrate binaries ready"
