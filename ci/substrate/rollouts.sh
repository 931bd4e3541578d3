#!/usr/bin/env bash
# Argo Rollouts for the progressive-delivery suite (tests/e2e/rollout_test.go): the controller
# built from github.com/argoproj/argo-rollouts (its go.mod pins k8s.io/* with replace lines, which
# only hold in the main module, so the module is copied out of the module cache and built there),
# an image laid out like quay.io/argoproj/argo-rollouts (the static binary at
# /bin/rollouts-controller, uid 999), and the module's own manifests/install.yaml (the five CRDs,
# RBAC, the controller) pinned to that image. Cached by version. Writes:
#   $SUBSTRATE_CACHE/rollouts/install.yaml   apply with -n argo-rollouts, server-side (large CRDs)
#   $SUBSTRATE_CACHE/rollouts/images.txt     name -> tag
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
v=$ROLLOUTS_VERSION
out="$SUBSTRATE_CACHE/rollouts"
bin="$SUBSTRATE_CACHE/bin/rollouts-controller-$v"
src="$SUBSTRATE_CACHE/src/argo-rollouts-$v"
mkdir -p "$out" "$SUBSTRATE_CACHE/bin"
export GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN

if [ -x "$bin" ] && [ -f "$src/manifests/install.yaml" ]; then
  step "rollouts-controller $v: cached"
else
  t0=$(date +%s)
  module_copy github.com/argoproj/argo-rollouts "$v" "$src"
  step "rollouts-controller $v: go build ./cmd/rollouts-controller (the module as main module, its replace lines in force)"
  (cd "$src" && go mod download >"$src/download.log" 2>&1 \
    && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/argoproj/argo-rollouts/utils/version.version=${v#v}" \
         -o "$bin.tmp" ./cmd/rollouts-controller >"$src/build.log" 2>&1) \
    || { tail -n 15 "$src/download.log" "$src/build.log" >&2 2>/dev/null; die "go build rollouts-controller"; }
  mv "$bin.tmp" "$bin"
  record build "go build rollouts-controller $v" "$(( $(date +%s) - t0 ))"
  step "rollouts-controller $v: built in $(( $(date +%s) - t0 ))s ($(du -h "$bin" | cut -f1))"
fi
"$bin" --version 2>/dev/null | head -n1 | sed 's/^/[substrate] /' || true

tag="stack.local/argo-rollouts:${v#v}-$(hash_inputs "$bin" | cut -c1-8)"
if image_exists "$tag"; then step "image $tag: cached"
else TREE_USER=999 import_tree "$tag" '["/bin/rollouts-controller"]' "$bin:/bin/rollouts-controller"; fi
echo "argo-rollouts $tag" >"$out/images.txt.tmp"

upstream=$(grep -oE 'image: quay.io/argoproj/argo-rollouts:[^ ]+' "$src/manifests/install.yaml" | cut -d' ' -f2)
[ "$(wc -l <<<"$upstream")" = 1 ] && [ -n "$upstream" ] || die "rollouts install.yaml: expected one controller image, found: $upstream"
sed -e "s|image: $upstream|image: $tag|" -e 's|imagePullPolicy: Always|imagePullPolicy: IfNotPresent|' \
  "$src/manifests/install.yaml" >"$out/install.yaml.tmp"
grep -q 'image: quay.io' "$out/install.yaml.tmp" && die "rollouts install: an upstream image is left"
mv "$out/install.yaml.tmp" "$out/install.yaml"
mv "$out/images.txt.tmp" "$out/images.txt"
step "argo rollouts $v: image $tag and install $out/install.yaml"
