#!/usr/bin/env bash
# Assembles the kind node image: builds node/Dockerfile with the Kubernetes binaries, then starts
# containerd in a build container, imports every control-plane image into its k8s.io namespace
# (one image per archive: multi-image archives left some untagged), and commits the result.
# Tag: stack.local/kind-node:$K8S_VERSION-<hash of every input>, recorded in
# $SUBSTRATE_CACHE/node-image.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export DOCKER_BUILDKIT=0

k8sbin="$SUBSTRATE_CACHE/k8s/$K8S_VERSION/bin"
images=(
  "registry.k8s.io/kube-apiserver:$K8S_VERSION"
  "registry.k8s.io/kube-controller-manager:$K8S_VERSION"
  "registry.k8s.io/kube-scheduler:$K8S_VERSION"
  "registry.k8s.io/kube-proxy:$K8S_VERSION"
  "registry.k8s.io/etcd:$ETCD_IMAGE_TAG"
  "registry.k8s.io/coredns/coredns:$COREDNS_VERSION"
  "registry.k8s.io/pause:$PAUSE_TAG"
  "stack.local/local-path-provisioner:$LOCAL_PATH_VERSION"
  "stack.local/busybox:1.35.0"
)
ids=""
for img in "${images[@]}"; do
  image_exists "$img" || die "missing component image $img (run component-images.sh)"
  ids="$ids $(docker image inspect -f '{{.Id}}' "$img")"
done
hash=$(hash_inputs "$here/node" "$0" "$k8sbin/kubeadm" "$k8sbin/kubelet" "$k8sbin/kubectl" "$ids" "$(docker image inspect -f '{{.Id}}' stack.local/debian:bookworm)")
tag="stack.local/kind-node:$K8S_VERSION-$hash"
if image_exists "$tag"; then step "node image $tag: cached"; echo "$tag" >"$SUBSTRATE_CACHE/node-image.txt"; exit 0; fi

ctx=$(mktemp -d)
work=$(mktemp -d "$SUBSTRATE_CACHE/preload.XXXXXX")
cleanup() { rm -rf "$ctx" "$work"; docker rm -f stack-node-preload >/dev/null 2>&1 || true; }
trap cleanup EXIT
cp -a "$here/node/." "$ctx/"
mkdir -p "$ctx/bin" "$ctx/files/kind"
cp "$k8sbin/kubeadm" "$k8sbin/kubelet" "$k8sbin/kubectl" "$ctx/bin/"
echo "$K8S_VERSION" >"$ctx/files/kind/version"
step "building node base for $tag"
dbuild -t "stack.local/kind-node-base:$hash" "$ctx" >/dev/null || die "docker build node base"

step "preloading ${#images[@]} images into the node's containerd"
docker run -d --name stack-node-preload --entrypoint /usr/bin/containerd -v "$work:/preload" \
  "stack.local/kind-node-base:$hash" --config /preload.toml >/dev/null || die "start preload containerd"
for i in $(seq 1 30); do docker exec stack-node-preload ctr version >/dev/null 2>&1 && break; sleep 1; done
for img in "${images[@]}"; do
  f="$work/$(echo "$img" | tr '/:' '__').tar"
  docker save "$img" -o "$f" || die "docker save $img"
  docker exec stack-node-preload ctr -n k8s.io images import --no-unpack "/preload/$(basename "$f")" >/dev/null \
    || die "import $img into the node"
  rm -f "$f"
done
listed=$(docker exec stack-node-preload ctr -n k8s.io images ls -q)
for img in "${images[@]}"; do
  grep -qx "$img" <<<"$listed" || die "image $img is not tagged in the node after import"
done
docker stop -t 5 stack-node-preload >/dev/null
docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' \
  stack-node-preload "$tag" >/dev/null || die "docker commit node image"
docker rmi "stack.local/kind-node-base:$hash" >/dev/null 2>&1 || true
echo "$tag" >"$SUBSTRATE_CACHE/node-image.txt"
step "node image ready: $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
