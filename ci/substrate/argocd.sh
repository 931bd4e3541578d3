#!/usr/bin/env bash
# Argo CD for the Application-source suite (tests/e2e/argocd_test.go), built like every other
# component: the multi-call binary from github.com/argoproj/argo-cd/v3 (cached by version), an
# image with it and what its repo server runs (helm4, git, gpg, the module's wrappers), the
# suite's Git server image (internal/gitserver), and Argo CD's core install (application
# controller, repo server, ApplicationSet controller, redis; no API server or UI) rendered from the
# module's own manifests/core-install.yaml with these images. Writes:
#   $SUBSTRATE_CACHE/argocd/install.yaml   the core install (apply with -n argocd, server-side)
#   $SUBSTRATE_CACHE/argocd/default-project.yaml   the `default` AppProject (argocd-server's job)
#   $SUBSTRATE_CACHE/argocd/images.txt     name -> tag of argocd, git-server and the redis it uses
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export DOCKER_BUILDKIT=0
v=$ARGOCD_VERSION
out="$SUBSTRATE_CACHE/argocd"
mkdir -p "$out"

GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN "$here/gobin.sh" argocd github.com/argoproj/argo-cd/v3 "$v" github.com/argoproj/argo-cd/v3/cmd \
  "-X github.com/argoproj/argo-cd/v3/common.version=${v#v}"
dir=$(cd "$SUBSTRATE_CACHE/src/argocd-$v" && GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
[ -f "$dir/manifests/core-install.yaml" ] || die "no manifests/core-install.yaml in $dir"
[ -x "$STACK_CACHE/bin/helm4" ] || die "no helm4 in $STACK_CACHE/bin (run ci/tools.sh)"

ctx=$(mktemp -d); trap 'rm -rf "$ctx"' EXIT
image() { content_image "$out/images.txt.tmp" "$@"; }
: >"$out/images.txt.tmp"
mkdir -p "$ctx/argocd"
cp "$here/workloads/argocd/Dockerfile" "$SUBSTRATE_CACHE/bin/argocd-$v" "$dir/hack/gpg-wrapper.sh" "$dir/hack/git-verify-wrapper.sh" "$ctx/argocd/"
mv "$ctx/argocd/argocd-$v" "$ctx/argocd/argocd"
cp "$STACK_CACHE/bin/helm4" "$ctx/argocd/helm"
chmod 0755 "$ctx/argocd/"*.sh
image argocd "${v#v}" "$ctx/argocd"
mkdir -p "$ctx/git-server"
cp "$here/workloads/git-server/Dockerfile" "$ctx/git-server/"
(cd "$here/../.." && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$ctx/git-server/git-server" ./internal/gitserver/cmd/git-server) || die "go build git-server"
image git-server 0.1.0 "$ctx/git-server"
redis=$(awk '$1 == "redis" {print $2}' "$SUBSTRATE_CACHE/workload-images.txt")
[ -n "$redis" ] || die "no redis workload image (run workload-images.sh first)"
echo "redis $redis" >>"$out/images.txt.tmp"
argocd_tag=$(awk '$1 == "argocd" {print $2}' "$out/images.txt.tmp")

# The core install with the local images: pulled only if missing (upstream pulls Always), and the
# redis container given its command (upstream's image has an entrypoint that adds redis-server;
# the air-gapped redis image runs what it is told).
upstream_redis=$(grep -oE 'image: [^ ]*/redis:[^ ]+' "$dir/manifests/core-install.yaml" | head -n1 | cut -d' ' -f2)
[ -n "$upstream_redis" ] || die "core-install.yaml: no redis image to replace"
{
  sed -e "s|image: quay.io/argoproj/argocd:$v|image: $argocd_tag|" \
      -e "s|^\( *\)image: $upstream_redis|\1command: [redis-server]\n\1image: $redis|" \
      -e 's|imagePullPolicy: Always|imagePullPolicy: IfNotPresent|' \
      "$dir/manifests/core-install.yaml"
} >"$out/install.yaml.tmp"
# argocd-server creates the default AppProject; the core install has no argocd-server. Applied
# once the install's CRDs are established.
cat >"$out/default-project.yaml" <<'PROJECT'
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: default
spec:
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  clusterResourceWhitelist: [{group: "*", kind: "*"}]
PROJECT
grep -qE 'image: (quay.io|public.ecr.aws)' "$out/install.yaml.tmp" && die "argocd install: an upstream image is left in $out/install.yaml.tmp"
mv "$out/install.yaml.tmp" "$out/install.yaml"
mv "$out/images.txt.tmp" "$out/images.txt"
step "argocd $v: images $(awk '{print $2}' "$out/images.txt" | tr '\n' ' ')and core install $out/install.yaml"
