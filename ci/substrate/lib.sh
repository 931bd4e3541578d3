# Shared helpers for the air-gapped substrate scripts (sourced, not run).
# Everything built lives under $STACK_CACHE (default ~/.cache/stack), never in the repository.

STACK_CACHE="${STACK_CACHE:-$HOME/.cache/stack}"
export STACK_CACHE
SUBSTRATE_CACHE="$STACK_CACHE/substrate"
mkdir -p "$SUBSTRATE_CACHE"

# Pinned versions. Kubernetes 1.36 is supported and runs on this host's cgroup v1 with
# failCgroupV1: false (see shared AIRGAP notes); kubeadm 1.36 expects these component versions.
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
K8S_STAGING_VERSION="${K8S_STAGING_VERSION:-v0.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.8}"
ETCD_IMAGE_TAG="${ETCD_IMAGE_TAG:-3.6.8-0}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.14.2}"
PAUSE_TAG="${PAUSE_TAG:-3.10.2}"
KIND_VERSION="${KIND_VERSION:-v0.33.0}"

_t0=$(date +%s)
step() { printf '[substrate %s +%4ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - _t0 ))" "$*"; }
die() { printf '[substrate] FAILED at step: %s\n' "$*" >&2; exit 1; }
