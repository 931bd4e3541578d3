#!/usr/bin/env bash
# Builds the whole air-gapped substrate, each step cached: Docker engine, Debian base image, Go
# binaries (Kubernetes, etcd, CoreDNS, local-path-provisioner, kube-router, pause), control-plane
# and add-on images, the kind node image, the workload images, Argo CD, Argo Rollouts, the live edge (Traefik,
# Pebble, the Gateway API CRDs) and the OCI registry. Prints elapsed time per step,
# the total and the disk used by images. Writes:
#   $SUBSTRATE_CACHE/node-image.txt        the node image tag
#   $SUBSTRATE_CACHE/workload-images.txt   name -> tag of each workload image
#   $SUBSTRATE_CACHE/airgap-values.yaml    values overlay for the umbrella
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

run() {
  local name=$1; shift
  local t=$(date +%s)
  "$@" || die "$name"
  step "== $name: $(( $(date +%s) - t ))s"
  record build "substrate: $name" "$(( $(date +%s) - t ))"
}
total=$(date +%s)
run "docker engine" "$here/docker.sh"
run "base image" "$here/base-image.sh"
# The workload images made of Debian packages need the network and the disk more than the CPU:
# they build beside the Go compiles (which saturate both cores), and the workload step below finds
# them cached.
debian_log="$SUBSTRATE_CACHE/debian-images.log"
"$here/workload-images.sh" --debian-only >"$debian_log" 2>&1 & debian_pid=$!
run "go binaries" "$here/binaries.sh"
run "component images" "$here/component-images.sh"
run "cert-manager" "$here/cert-manager.sh"
run "node image" "$here/node-image.sh"
node=$(cat "$SUBSTRATE_CACHE/node-image.txt")
wait "$debian_pid" || { tail -n 20 "$debian_log" >&2; die "Debian-package workload images (log: $debian_log)"; }
step "== Debian-package workload images, built beside the Go compiles: $(grep -o 'ready in [0-9]*s' "$debian_log" || echo cached)"
run "workload images" "$here/workload-images.sh"
run "argocd" "$here/argocd.sh"
run "argo rollouts" "$here/rollouts.sh"
run "edge" "$here/edge.sh"
run "registry" "$here/registry.sh"
# Remove superseded builds: every stack.local image whose tag is not the current one.
keep=$(printf '%s\n' "$node" $(docker image inspect -f '{{range .RepoTags}}{{println .}}{{end}}' stack.local/debian:bookworm stack.local/debian:trixie) \
  "stack.local/busybox:1.35.0" "stack.local/kube-router:$KUBE_ROUTER_VERSION" "stack.local/local-path-provisioner:$LOCAL_PATH_VERSION" \
  "stack.local/metrics-server:$METRICS_SERVER_VERSION" "stack.local/kube-state-metrics:$KSM_VERSION" \
  "stack.local/cert-manager-controller:$CERT_MANAGER_VERSION" "stack.local/cert-manager-webhook:$CERT_MANAGER_VERSION" "stack.local/cert-manager-cainjector:$CERT_MANAGER_VERSION" \
  "stack.local/cert-manager-acmesolver:$CERT_MANAGER_VERSION"; \
  awk '{print $2}' "$SUBSTRATE_CACHE/workload-images.txt" "$SUBSTRATE_CACHE/argocd/images.txt" "$SUBSTRATE_CACHE/edge/images.txt" "$SUBSTRATE_CACHE/registry/images.txt" "$SUBSTRATE_CACHE/rollouts/images.txt")
docker image ls --format '{{.Repository}}:{{.Tag}}' | grep '^stack.local/' | while read -r img; do
  grep -qxF "$img" <<<"$keep" || { docker rmi "$img" >/dev/null 2>&1 && step "removed superseded image $img"; } || true
done
docker image prune -f >/dev/null
step "substrate ready in $(( $(date +%s) - total ))s; node image $node"
docker system df --format '{{.Type}}: {{.Size}} ({{.Reclaimable}} reclaimable)' | sed 's/^/[substrate] disk /'
