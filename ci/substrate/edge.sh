#!/usr/bin/env bash
# The live edge (tests/e2e/edge_test.go), built like every other component:
#   - Traefik, which serves Kubernetes Ingress, Gateway API and its own CRDs (the chart's redirect
#     Middleware) from one binary: github.com/traefik/traefik/v3 built as the main module of a
#     copy of it (its go.mod has replace lines, so `go install` by version is refused);
#   - Pebble, Let's Encrypt's ACME test server, and pebble-challtestsrv, the DNS server Pebble
#     resolves the names it validates with (github.com/letsencrypt/pebble/v2); Pebble serves its
#     ACME API with a certificate for its in-cluster Service name signed by the module's test root
#     (test/certs/pebble.minica.pem), the root an ACME client is given (cert-issuer acme.caBundle);
#   - the CRDs: Traefik's own (its module's reference definitions) and Gateway API's standard
#     channel at the version Traefik is built against (sigs.k8s.io/gateway-api config/crd/standard).
# Writes $SUBSTRATE_CACHE/edge/: images.txt (name -> tag of traefik and pebble), crds.yaml and
# pebble-ca.pem. Binaries cached by version, images by content.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export DOCKER_BUILDKIT=0
out="$SUBSTRATE_CACHE/edge"
mkdir -p "$out" "$SUBSTRATE_CACHE/bin"

# Traefik: the module's own build (cmd/traefik), reporting its release as its version.
traefik="$SUBSTRATE_CACHE/bin/traefik-$TRAEFIK_VERSION"
traefik_src="$SUBSTRATE_CACHE/src/traefik-$TRAEFIK_VERSION"
if [ -x "$traefik" ]; then
  step "traefik $TRAEFIK_VERSION: cached"
else
  t0=$(date +%s)
  [ -f "$traefik_src/go.mod" ] || module_copy github.com/traefik/traefik/v3 "$TRAEFIK_VERSION" "$traefik_src"
  step "traefik $TRAEFIK_VERSION: go build ./cmd/traefik"
  (cd "$traefik_src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$traefik.tmp" ./cmd/traefik >"$traefik_src/build.log" 2>&1) || { tail -n 15 "$traefik_src/build.log" >&2; die "go build traefik"; }
  mv "$traefik.tmp" "$traefik"
  record build "go build traefik $TRAEFIK_VERSION" "$(( $(date +%s) - t0 ))"
  step "traefik $TRAEFIK_VERSION: built ($(du -h "$traefik" | cut -f1))"
fi
[ -f "$traefik_src/go.mod" ] || module_copy github.com/traefik/traefik/v3 "$TRAEFIK_VERSION" "$traefik_src"

# Pebble and its DNS.
for cmd in pebble pebble-challtestsrv; do
  "$here/gobin.sh" "$cmd" github.com/letsencrypt/pebble/v2 "$PEBBLE_VERSION" "github.com/letsencrypt/pebble/v2/cmd/$cmd"
done
pebble_mod=$(cd / && go mod download -json "github.com/letsencrypt/pebble/v2@$PEBBLE_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -f "$pebble_mod/test/certs/pebble.minica.pem" ] || die "no test/certs/pebble.minica.pem in $pebble_mod"

ctx=$(mktemp -d); trap 'rm -rf "$ctx"' EXIT
: >"$out/images.txt.tmp"
image() { content_image "$out/images.txt.tmp" "$@"; }
mkdir -p "$ctx/traefik"
cp "$here/workloads/traefik/Dockerfile" "$ctx/traefik/"
cp "$traefik" "$ctx/traefik/traefik"
image traefik "${TRAEFIK_VERSION#v}" "$ctx/traefik"

# Pebble's HTTPS certificate: made once (kept, so the image stays cached), for the names the
# e2e suite gives its Service, signed by the module's test root.
tls="$out/pebble-tls"
if [ ! -s "$tls/cert.pem" ]; then
  mkdir -p "$tls"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tls/key.pem" -subj "/CN=pebble.pebble.svc.cluster.local" \
    -out "$tls/csr.pem" 2>/dev/null || die "openssl req (Pebble's certificate)"
  openssl x509 -req -in "$tls/csr.pem" -CA "$pebble_mod/test/certs/pebble.minica.pem" -CAkey "$pebble_mod/test/certs/pebble.minica.key.pem" \
    -CAcreateserial -CAserial "$tls/ca.srl" -days 3650 -sha256 -out "$tls/cert.pem" \
    -extfile <(printf 'subjectAltName=DNS:pebble.pebble.svc.cluster.local,DNS:pebble.pebble.svc,DNS:pebble.pebble,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n') \
    2>/dev/null || die "openssl x509 (Pebble's certificate)"
  rm -f "$tls/csr.pem" "$tls/ca.srl"
  chmod 0644 "$tls/key.pem"
fi
cp "$pebble_mod/test/certs/pebble.minica.pem" "$out/pebble-ca.pem"
mkdir -p "$ctx/pebble/etc/tls"
cp "$here/workloads/pebble/Dockerfile" "$ctx/pebble/"
cp "$SUBSTRATE_CACHE/bin/pebble-$PEBBLE_VERSION" "$ctx/pebble/pebble"
cp "$SUBSTRATE_CACHE/bin/pebble-challtestsrv-$PEBBLE_VERSION" "$ctx/pebble/pebble-challtestsrv"
cp "$tls/cert.pem" "$tls/key.pem" "$ctx/pebble/etc/tls/"
# The module's test config, with the challenge ports a real ACME server uses (HTTP-01 on 80,
# TLS-ALPN-01 on 443) and the certificate above.
jq '.pebble.certificate = "/etc/pebble/tls/cert.pem" | .pebble.privateKey = "/etc/pebble/tls/key.pem" | .pebble.httpPort = 80 | .pebble.tlsPort = 443' \
  "$pebble_mod/test/config/pebble-config.json" >"$ctx/pebble/etc/pebble-config.json" || die "Pebble's config"
chmod -R a+rX "$ctx/pebble"
image pebble "${PEBBLE_VERSION#v}" "$ctx/pebble"

# The CRDs: Traefik's and Gateway API's standard channel.
gwapi=$(cd / && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -d "$gwapi/config/crd/standard" ] || die "no config/crd/standard in sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
traefik_crds="$traefik_src/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"
[ -f "$traefik_crds" ] || die "no Traefik CRD definitions at $traefik_crds"
{
  cat "$traefik_crds"
  for f in "$gwapi"/config/crd/standard/*.yaml; do printf -- '---\n'; cat "$f"; done
} >"$out/crds.yaml.tmp"
mv "$out/crds.yaml.tmp" "$out/crds.yaml"
mv "$out/images.txt.tmp" "$out/images.txt"
step "edge: images $(awk '{print $2}' "$out/images.txt" | tr '\n' ' ')and CRDs $out/crds.yaml (Traefik $TRAEFIK_VERSION, Gateway API $GATEWAY_API_VERSION)"
