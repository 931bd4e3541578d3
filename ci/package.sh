#!/usr/bin/env bash
# make package: every chart as a signed, versioned package, optionally pushed to an OCI registry.
#   $OUT/NAME-VERSION.tgz(.prov)   `helm package --sign` of each chart with its dependencies (from
#                                  `make deps`), verified with `helm verify` against the public key
#   $OUT/SHA256SUMS                the packages' checksums
#   $OUT/pubring.gpg               the public key that verifies them (for `--verify --keyring`)
# Signing key (OpenPGP, the legacy keyring format Helm reads: `gpg --export-secret-keys >secring.gpg`):
#   SIGN_KEY (its name or e-mail) and KEYRING (the secret keyring), PASSPHRASE_FILE if it has one.
#   Without SIGN_KEY, a development key is made once under $STACK_CACHE/signing and used, and the
#   output says so: fine for a registry of your own, not for a release others trust.
# PUSH=oci://HOST/PATH pushes each package with `helm push` (the .prov beside it goes along as a
# layer); REGISTRY_CA a CA file for a registry whose certificate it signs; HELM the helm binary
# (helm or helm4). PACKAGE_DIR (default $STACK_CACHE/packages) is emptied first. CHARTS narrows
# the charts (default: all, dependencies first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${STACK_CACHE:-$HOME/.cache/stack}
helm=${HELM:-helm}
out=${PACKAGE_DIR:-$cache/packages}
charts=${CHARTS:-common services gateway mysql redis rabbitmq monitoring cert-issuer stack}
say() { printf '[package] %s\n' "$*"; }
die() { printf '[package] %s\n' "$*" >&2; exit 1; }

key=${SIGN_KEY:-} keyring=${KEYRING:-}
if [ -z "$key" ]; then
  dev="$cache/signing"
  key="stack development key <dev@stack.invalid>"
  keyring="$dev/secring.gpg"
  if [ ! -s "$keyring" ]; then
    command -v gpg >/dev/null || die "no SIGN_KEY given and no gpg to make a development key: apt-get install gnupg, or set SIGN_KEY and KEYRING"
    mkdir -p "$dev/gnupg" && chmod 0700 "$dev/gnupg"
    GNUPGHOME="$dev/gnupg" gpg --batch --quiet --passphrase '' --quick-gen-key "$key" rsa3072 sign never 2>/dev/null || die "gpg --quick-gen-key (development key)"
    GNUPGHOME="$dev/gnupg" gpg --batch --export-secret-keys "$key" >"$keyring.tmp" && mv "$keyring.tmp" "$keyring"
    GNUPGHOME="$dev/gnupg" gpg --batch --export "$key" >"$dev/pubring.gpg"
  fi
  say "signing with the development key in $dev (set SIGN_KEY and KEYRING to sign a release)"
  pubring="$dev/pubring.gpg"
else
  [ -n "$keyring" ] || die "SIGN_KEY is set but KEYRING is not: the secret keyring (legacy format) holding \"$key\""
  [ -s "$keyring" ] || die "KEYRING $keyring: no such file"
  pubring=${PUBRING:-}
fi

rm -rf "$out" && mkdir -p "$out"
sign=(--sign --key "$key" --keyring "$keyring")
[ -n "${PASSPHRASE_FILE:-}" ] && sign+=(--passphrase-file "$PASSPHRASE_FILE")
for c in $charts; do
  [ -f "charts/$c/Chart.yaml" ] || die "charts/$c: no such chart"
  if grep -q 'repository: file://' "charts/$c/Chart.yaml" && [ ! -d "charts/$c/charts" ]; then
    die "charts/$c: dependencies not packaged (run make deps)"
  fi
  version=$(sed -n 's/^version: *//p' "charts/$c/Chart.yaml" | tr -d '"')
  "$helm" package "charts/$c" -d "$out" "${sign[@]}" >/dev/null || die "helm package --sign charts/$c"
  [ -s "$out/$c-$version.tgz.prov" ] || die "helm package --sign charts/$c wrote no $c-$version.tgz.prov"
done
# The public half, for users' --verify: the development key's export, or PUBRING, or derived from
# the secret keyring with gpg.
if [ -z "$pubring" ]; then
  command -v gpg >/dev/null || die "set PUBRING (the public keyring for $key): no gpg to derive it"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  GNUPGHOME="$tmp" gpg --batch --quiet --import "$keyring" 2>/dev/null || die "gpg --import $keyring"
  GNUPGHOME="$tmp" gpg --batch --export "$key" >"$out/pubring.gpg"
else
  cp "$pubring" "$out/pubring.gpg"
fi
for p in "$out"/*.tgz; do
  "$helm" verify "$p" --keyring "$out/pubring.gpg" >/dev/null || die "helm verify $p failed against $out/pubring.gpg"
done
(cd "$out" && sha256sum ./*.tgz ./*.prov | sed 's| \./| |' >SHA256SUMS)
say "$(ls "$out"/*.tgz | wc -l) charts packaged, signed and verified in $out"

if [ -n "${PUSH:-}" ]; then
  case $PUSH in oci://*) ;; *) die "PUSH=$PUSH: want oci://HOST/PATH";; esac
  push=()
  [ -n "${REGISTRY_CA:-}" ] && push+=(--ca-file "$REGISTRY_CA")
  for c in $charts; do
    version=$(sed -n 's/^version: *//p' "charts/$c/Chart.yaml" | tr -d '"')
    t0=$(date +%s%N)
    log=$("$helm" push "$out/$c-$version.tgz" "$PUSH" "${push[@]}" 2>&1) || die "helm push $c-$version.tgz $PUSH: $log"
    digest=$(sed -n 's/^Digest: *//p' <<<"$log")
    [ -n "$digest" ] || die "helm push $c-$version.tgz $PUSH: no digest reported: $log"
    say "pushed $PUSH/$c:$version $digest in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  done
fi
