#!/usr/bin/env bash
# The air-gapped cluster's OCI registry (issue: charts and images from a registry): an image of
# Debian's docker-registry package (distribution 2.8) serving HTTPS with a certificate signed by a
# CA made here, for the names it is reached by: localhost:5001 from this host (the published
# port) and stack-registry:5000 on the kind network, from the nodes' containerd
# (tests/cluster/registry.go starts it and writes each node's /etc/containerd/certs.d entry).
# Writes $SUBSTRATE_CACHE/registry/: images.txt (registry -> tag) and ca.pem. The CA and the
# certificate are made once and kept (so the image stays cached).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export DOCKER_BUILDKIT=0
out="$SUBSTRATE_CACHE/registry"
tls="$out/tls"
mkdir -p "$tls"

if [ ! -s "$tls/cert.pem" ] || [ ! -s "$out/ca.pem" ]; then
  step "registry: a CA and its server certificate (openssl)"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -sha256 \
    -subj "/CN=stack air-gapped registry CA" -keyout "$tls/ca-key.pem" -out "$out/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || die "openssl (registry CA)"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tls/key.pem" \
    -subj "/CN=stack-registry" -out "$tls/csr.pem" 2>/dev/null || die "openssl req (registry certificate)"
  openssl x509 -req -in "$tls/csr.pem" -CA "$out/ca.pem" -CAkey "$tls/ca-key.pem" -CAcreateserial -CAserial "$tls/ca.srl" \
    -days 3650 -sha256 -out "$tls/cert.pem" \
    -extfile <(printf 'subjectAltName=DNS:stack-registry,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n') \
    2>/dev/null || die "openssl x509 (registry certificate)"
  rm -f "$tls/csr.pem" "$tls/ca.srl" "$tls/ca-key.pem"   # nothing else is ever signed with it
  chmod 0644 "$tls/key.pem"
fi

ctx=$(mktemp -d); trap 'rm -rf "$ctx"' EXIT
cp "$here/workloads/registry/Dockerfile" "$here/workloads/registry/config.yml" "$ctx/"
mkdir -p "$ctx/tls" && cp "$tls/cert.pem" "$tls/key.pem" "$ctx/tls/"
chmod -R a+rX "$ctx"
: >"$out/images.txt.tmp"
content_image "$out/images.txt.tmp" registry 2.8.2 "$ctx"
mv "$out/images.txt.tmp" "$out/images.txt"
step "registry: image $(awk '{print $2}' "$out/images.txt"), CA $out/ca.pem"
