#!/usr/bin/env bash
# cert-manager for the air-gapped cluster (the TLS suites): the controller, webhook, cainjector
# and ACME HTTP-01 solver (the pod the controller starts to answer a challenge) built from the github.com/cert-manager/cert-manager module (v1.11.5 is the newest whose commands
# live in the root module the proxy serves), imported as images laid out like quay.io/jetstack's,
# and an add-on manifest rendered from the module's own files: its CRDs (deploy/crds) and its
# Helm chart (deploy/charts/cert-manager) pointed at those images, with the Gateway API HTTP-01
# solver on (ExperimentalGatewayAPISupport: the Gateway API CRDs are an add-on applied before
# cert-manager, see tests/cluster DefaultAddons). Writes
# $SUBSTRATE_CACHE/addons/cert-manager.yaml. Cached by version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

v=$CERT_MANAGER_VERSION
bin="$SUBSTRATE_CACHE/bin"
ldflags="-X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$v -X github.com/cert-manager/cert-manager/pkg/util.AppGitCommit=module-proxy"
for cmd in controller webhook cainjector acmesolver; do
  "$here/gobin.sh" "cert-manager-$cmd" github.com/cert-manager/cert-manager "$v" "github.com/cert-manager/cert-manager/cmd/$cmd" "$ldflags"
done

want=$(hash_inputs "$0" "$bin/cert-manager-controller-$v" "$bin/cert-manager-webhook-$v" "$bin/cert-manager-cainjector-$v" "$bin/cert-manager-acmesolver-$v")
manifest="$SUBSTRATE_CACHE/addons/cert-manager.yaml"
if [ "$(cat "$SUBSTRATE_CACHE/cert-manager.hash" 2>/dev/null)" = "$want" ] && [ -s "$manifest" ] \
   && image_exists "stack.local/cert-manager-controller:$v" && image_exists "stack.local/cert-manager-webhook:$v" && image_exists "stack.local/cert-manager-cainjector:$v" && image_exists "stack.local/cert-manager-acmesolver:$v"; then
  step "cert-manager $v: cached"
  exit 0
fi
for cmd in controller webhook cainjector acmesolver; do
  # uid 1000 like quay.io/jetstack's images (the chart sets runAsNonRoot without a uid).
  TREE_USER=1000 import_tree "stack.local/cert-manager-$cmd:$v" "[\"/app/cmd/$cmd/$cmd\"]" "$bin/cert-manager-$cmd-$v:/app/cmd/$cmd/$cmd"
done

src="$SUBSTRATE_CACHE/src/cert-manager-controller-$v"
dir=$(cd "$src" && go list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r "$dir/deploy/charts/cert-manager" "$work/chart" && chmod -R u+w "$work/chart"
sed -e "s/^version: .*/version: $v/" -e "s/^appVersion: .*/appVersion: $v/" "$work/chart/Chart.template.yaml" >"$work/chart/Chart.yaml"
mkdir -p "$(dirname "$manifest")"
{
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cert-manager\n'
  for f in "$dir"/deploy/crds/crd-*.yaml; do
    printf -- '---\n'
    # The CRDs carry Helm label templates for the release tooling; plain labels here.
    sed -e "s/'{{ template \"cert-manager.name\" . }}'/cert-manager/" -e "s/'{{ .Release.Name }}'/cert-manager/" -e '/# Generated labels/d' "$f"
  done
  printf -- '---\n'
  helm template cert-manager "$work/chart" --namespace cert-manager \
    --set image.repository=stack.local/cert-manager-controller --set image.tag="$v" --set image.pullPolicy=IfNotPresent \
    --set webhook.image.repository=stack.local/cert-manager-webhook --set webhook.image.tag="$v" --set webhook.image.pullPolicy=IfNotPresent \
    --set cainjector.image.repository=stack.local/cert-manager-cainjector --set cainjector.image.tag="$v" --set cainjector.image.pullPolicy=IfNotPresent \
    --set acmesolver.image.repository=stack.local/cert-manager-acmesolver --set acmesolver.image.tag="$v" \
    --set startupapicheck.enabled=false --set global.leaderElection.namespace=cert-manager \
    --set featureGates=ExperimentalGatewayAPISupport=true
} >"$manifest.tmp" || die "render the cert-manager add-on"
grep -q '{{' "$manifest.tmp" && die "cert-manager add-on: unrendered template left in $manifest.tmp"
mv "$manifest.tmp" "$manifest"
echo "$want" >"$SUBSTRATE_CACHE/cert-manager.hash"
step "cert-manager $v: images and add-on manifest $manifest"
