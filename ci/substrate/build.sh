#!/usr/bin/env bash
# Builds the whole air-gapped substrate, each step cached: Docker engine, Debian base image, Go
# binaries (Kubernetes, etcd, CoreDNS, local-path-provisioner, kube-router, pause), control-plane
# and add-on images, the kind node image and the workload images. Prints elapsed time per step,
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
}
total=$(date +%s)
run "docker engine" "$here/docker.sh"
run "base image" "$here/base-image.sh"
run "go binaries" "$here/binaries.sh"
run "component images" "$here/component-images.sh"
t=$(date +%s)
node=$("$here/node-image.sh" | tee /dev/stderr | tail -n 1) || die "node image"
echo "$node" >"$SUBSTRATE_CACHE/node-image.txt"
step "== node image: $(( $(date +%s) - t ))s"
run "workload images" "$here/workload-images.sh"
step "substrate ready in $(( $(date +%s) - total ))s; node image $node"
docker system df --format '{{.Type}}: {{.Size}} ({{.Reclaimable}} reclaimable)' | sed 's/^/[substrate] disk /'
