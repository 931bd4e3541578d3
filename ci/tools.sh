#!/usr/bin/env bash
# Installs the pinned tools the tests need, idempotently, under $STACK_CACHE/bin (default
# ~/.cache/stack/bin): Debian's nginx with the njs module (the gateway config is checked with
# nginx -t and run live), yamllint (ct lint) and gnupg (make package's development key),
# and, built from the Go module proxy, helm v3 (with the version ldflags release binaries carry),
# helm v4 (as helm4, for the plugin tests),
# helm-docs and chart-testing (ct); promtool and amtool (from the Go modules, the releases the
# prometheus and alertmanager images run; Debian's promtool lacks Kubernetes service discovery)
# for the monitoring chart's rule tests and config checks. A tool already present at the pinned version is not rebuilt.
set -euo pipefail

CACHE="${STACK_CACHE:-$HOME/.cache/stack}"
BIN="$CACHE/bin"
mkdir -p "$BIN"

HELM_VERSION=v3.22.0
HELM_K8S_MINOR=37          # k8s.io/client-go v0.37 in helm v3.22.0's go.mod
HELM4_VERSION=v4.3.1
HELM_DOCS_VERSION=v1.14.2
CT_VERSION=v3.14.0
# The Prometheus and Alertmanager pins (shared with the substrate's images) and prom_bin.
. "$(dirname "$0")/substrate/lib.sh"

log() { printf '[tools %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# stamp NAME VERSION: true when $BIN/NAME was built at VERSION.
stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$BIN/.$1.version"; record build "tool $1 $2" "$(( $(date +%s) - ${t0:-$(date +%s)} ))"; }

# gnupg: make package's development signing key (ci/package.sh) and the unit test of it.
apt_install nginx-light libnginx-mod-http-js yamllint git gnupg

# helm and helm4 are built from this repository's module (go.mod's `tool` lines pin both), with the
# flags every Go build of `make test` uses (CGO off, -trimpath): the Helm SDK, client-go and the
# rest of their graph are then compiled once for the helm binaries, the render and plugin tests,
# the stackcheck plugin and the e2e suites, instead of once per main module and flag set.
export CGO_ENABLED=0
case " ${GOFLAGS:-} " in *" -trimpath "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath" ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
for pin in "helm.sh/helm/v3 $HELM_VERSION" "helm.sh/helm/v4 $HELM4_VERSION"; do
  read -r mod want <<<"$pin"
  have=$(cd "$root" && go list -m -f '{{.Version}}' "$mod")
  [ "$have" = "$want" ] || { echo "ci/tools.sh pins $mod $want but go.mod resolves $have: change both together" >&2; exit 1; }
done

if ! stamp_ok helm "$HELM_VERSION+module"; then
  log "building helm $HELM_VERSION"; t0=$(date +%s)
  (cd "$root" && go build -o "$BIN/helm" -ldflags "-s -w \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR" \
    helm.sh/helm/v3/cmd/helm)
  stamp helm "$HELM_VERSION+module"
fi

# Helm 4 too, as helm4: the stackcheck plugin must install and run under both.
if ! stamp_ok helm4 "$HELM4_VERSION+module"; then
  log "building helm $HELM4_VERSION (as helm4)"; t0=$(date +%s)
  (cd "$root" && go build -o "$BIN/helm4" -ldflags "-s -w \
    -X helm.sh/helm/v4/internal/version.version=$HELM4_VERSION \
    -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    helm.sh/helm/v4/cmd/helm)
  stamp helm4 "$HELM4_VERSION+module"
fi

if ! stamp_ok helm-docs "$HELM_DOCS_VERSION"; then
  log "building helm-docs $HELM_DOCS_VERSION"; t0=$(date +%s)
  GOBIN="$BIN" go install "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION"
  stamp helm-docs "$HELM_DOCS_VERSION"
fi

if ! stamp_ok ct "$CT_VERSION"; then
  # The proxy refuses `go install ct@version` (it will not list the module's versions), but a
  # module that requires the pinned version resolves it.
  log "building chart-testing (ct) $CT_VERSION"; t0=$(date +%s)
  src="$CACHE/src/ct"
  rm -rf "$src" && mkdir -p "$src"
  printf 'module stacktools/ct\n\ngo 1.26\n' > "$src/go.mod"
  (cd "$src" && go get "github.com/helm/chart-testing/v3/ct@$CT_VERSION" && go build -o "$BIN/ct" github.com/helm/chart-testing/v3/ct)
  stamp ct "$CT_VERSION"
fi

for tool in "promtool $PROMETHEUS_MODULE_VERSION-sd" "amtool $ALERTMANAGER_VERSION"; do
  read -r name version <<<"$tool"
  if ! stamp_ok "$name" "$version"; then
    log "building $name ($version)"; t0=$(date +%s)
    cp "$(prom_bin "$name")" "$BIN/$name"
    stamp "$name" "$version"
  fi
done

log "ready: $(ls "$BIN" | tr '\n' ' ')"
