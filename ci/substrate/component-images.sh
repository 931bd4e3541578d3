#!/usr/bin/env bash
# Builds the control-plane images under the names kubeadm expects (registry.k8s.io/...), from
# the binaries built by binaries.sh: static binaries in tiny imported trees, except kube-proxy,
# which needs iptables/nftables/conntrack and starts FROM the Debian base. Also the small helper
# images the node needs at boot (local-path-provisioner and its busybox helper).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

bin="$SUBSTRATE_CACHE/bin"
k8sbin="$SUBSTRATE_CACHE/k8s/$K8S_VERSION/bin"
export DOCKER_BUILDKIT=0

# Rebuild only when the binaries changed: the label records their hash.
want=$(hash_inputs "$0" "$k8sbin" "$bin/metrics-server-$METRICS_SERVER_VERSION" "$bin/kube-state-metrics-$KSM_VERSION" "$bin/kube-router-$KUBE_ROUTER_VERSION" "$bin/etcd-$ETCD_VERSION" "$bin/coredns-$COREDNS_VERSION-trimmed" "$bin/pause-$PAUSE_TAG" "$bin/local-path-provisioner-$LOCAL_PATH_VERSION")
stampfile="$SUBSTRATE_CACHE/component-images.hash"
if [ "$(cat "$stampfile" 2>/dev/null)" = "$want" ] && image_exists "registry.k8s.io/kube-proxy:$K8S_VERSION" && image_exists "stack.local/busybox:1.35.0" && image_exists "stack.local/kube-router:$KUBE_ROUTER_VERSION" \
   && image_exists "stack.local/metrics-server:$METRICS_SERVER_VERSION" && image_exists "stack.local/kube-state-metrics:$KSM_VERSION"; then
  step "component images: cached ($want)"
  exit 0
fi

for c in kube-apiserver kube-controller-manager kube-scheduler; do
  import_tree "registry.k8s.io/$c:$K8S_VERSION" "[\"/usr/local/bin/$c\"]" "$k8sbin/$c:/usr/local/bin/$c"
done
import_tree "registry.k8s.io/etcd:$ETCD_IMAGE_TAG" '["/usr/local/bin/etcd"]' "$bin/etcd-$ETCD_VERSION:/usr/local/bin/etcd"
import_tree "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" '["/coredns"]' "$bin/coredns-$COREDNS_VERSION-trimmed:/coredns"
import_tree "registry.k8s.io/pause:$PAUSE_TAG" '["/pause"]' "$bin/pause-$PAUSE_TAG:/pause"
import_tree "stack.local/metrics-server:$METRICS_SERVER_VERSION" '["/metrics-server"]' "$bin/metrics-server-$METRICS_SERVER_VERSION:/metrics-server"
# kube-state-metrics, laid out like registry.k8s.io/kube-state-metrics (for the monitoring chart).
import_tree "stack.local/kube-state-metrics:$KSM_VERSION" '["/kube-state-metrics"]' "$bin/kube-state-metrics-$KSM_VERSION:/kube-state-metrics"
import_tree "stack.local/local-path-provisioner:$LOCAL_PATH_VERSION" '["/local-path-provisioner"]' "$bin/local-path-provisioner-$LOCAL_PATH_VERSION:/local-path-provisioner"

# debian_image IMAGE BINARY PACKAGES...: a Debian-based image running one binary that needs system
# tools (iptables with the nf_tables backend, as on the node).
debian_image() {
  local image=$1 binary=$2; shift 2
  local dir; dir=$(mktemp -d)
  cp "$binary" "$dir/$(basename "$image" | cut -d: -f1)"
  cat >"$dir/Dockerfile" <<DOCKERFILE
FROM stack.local/debian:bookworm
RUN apt-get update -qq && apt-get install -y -qq $* >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY $(basename "$image" | cut -d: -f1) /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/$(basename "$image" | cut -d: -f1)"]
DOCKERFILE
  dbuild -t "$image" "$dir" || die "docker build $image"
  rm -rf "$dir"
  step "image $image"
}
debian_image "registry.k8s.io/kube-proxy:$K8S_VERSION" "$k8sbin/kube-proxy" iptables nftables conntrack ipset kmod iproute2
# kube-router: the NetworkPolicy enforcement add-on.
debian_image "stack.local/kube-router:$KUBE_ROUTER_VERSION" "$bin/kube-router-$KUBE_ROUTER_VERSION" iptables ipset conntrack iproute2

ctx=$(mktemp -d)
# busybox from Debian's busybox-static, on scratch: the local-path helper and test pods' shell.
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM stack.local/debian:bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq busybox-static >/dev/null \
 && mkdir -p /out/bin /out/tmp && chmod 1777 /out/tmp && cp /bin/busybox /out/bin/busybox \
 && for app in $(/out/bin/busybox --list); do [ "$app" = busybox ] || ln -s busybox "/out/bin/$app"; done
FROM scratch
COPY --from=build /out/ /
ENV PATH=/bin
ENTRYPOINT ["/bin/sh"]
DOCKERFILE
dbuild -t stack.local/busybox:1.35.0 "$ctx" >/dev/null || die "docker build busybox"
step "image stack.local/busybox:1.35.0"
rm -rf "$ctx"
docker image prune -f >/dev/null
echo "$want" >"$stampfile"
