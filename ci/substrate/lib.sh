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
LOCAL_PATH_VERSION="${LOCAL_PATH_VERSION:-v0.0.30}"
KUBE_ROUTER_VERSION="${KUBE_ROUTER_VERSION:-v1.4.0}"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-v0.9.0}"
KSM_VERSION="${KSM_VERSION:-v2.16.0}"
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.11.5}"   # the newest whose commands the proxy serves (root module)
# Argo CD for the Application-source suite; 3.6 needs Go >= 1.27, which the go command fetches
# through the module proxy (GOTOOLCHAIN).
ARGOCD_VERSION="${ARGOCD_VERSION:-v3.6.1}"
ARGOCD_GOTOOLCHAIN="${ARGOCD_GOTOOLCHAIN:-go1.27.3}"
ROLLOUTS_VERSION="${ROLLOUTS_VERSION:-v1.10.2}"     # Argo Rollouts: needs Go >= 1.26.10 (ARGOCD_GOTOOLCHAIN), replace lines (built as the main module)
# The live edge (tests/e2e/edge_test.go): Traefik, the Gateway API CRDs Traefik is built against,
# and Pebble (Let's Encrypt's ACME test server) with its DNS, pebble-challtestsrv.
TRAEFIK_VERSION="${TRAEFIK_VERSION:-v3.6.12}"     # v3.7.x does not build from the proxy (missing dynamic/ext module and DNS providers)
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-v1.4.0}"
PEBBLE_VERSION="${PEBBLE_VERSION:-v2.10.3}"
# The monitoring images and the tests' promtool/amtool (ci/tools.sh) are the same releases.
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-3.7.3}"
PROMETHEUS_MODULE_VERSION="${PROMETHEUS_MODULE_VERSION:-v0.307.3}"   # Prometheus 3.7.3 (the module's versions are v0.3XX.y)
ALERTMANAGER_VERSION="${ALERTMANAGER_VERSION:-v0.28.1}"

_t0=$(date +%s)
step() { printf '[substrate %s +%4ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - _t0 ))" "$*"; }
die() { printf '[substrate] FAILED at step: %s\n' "$*" >&2; exit 1; }
# record KIND NAME SECONDS: one line of $STACK_CACHE/timings.tsv, which `make test` prints as its
# table of what ran (ci/timings).
record() { printf '%s\t%s\t%s\t%s\n' "$(date +%s)" "$1" "$2" "$3" >>"${STACK_CACHE:-$HOME/.cache/stack}/timings.tsv"; }

# The Debian mirror the host's apt uses (containers reach the same one).
debian_mirror() {
  local uri
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$uri" ] || uri=$(grep -hE '^\s*deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  if [ -z "$uri" ]; then
    echo "debian_mirror: no Debian mirror in this host's apt sources (/etc/apt/sources.list.d/*.sources URIs:, /etc/apt/sources.list deb lines); the substrate is built from the mirror the host uses, add one there" >&2
    return 1
  fi
  echo "$uri"
}

# hash_inputs FILE_OR_DIR...: a short content hash of files (names and bytes) and strings.
hash_inputs() {
  local f
  for f in "$@"; do
    if [ -d "$f" ]; then (cd "$f" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    elif [ -f "$f" ]; then sha256sum <"$f"   # content only: the same inputs in another checkout hash alike
    else printf '%s\n' "$f"
    fi
  done | sha256sum | cut -c1-12
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# dbuild ARGS...: docker build (legacy builder: Debian's docker.io has no buildx), quiet unless it
# fails, never reusing layers (every tag is content-addressed, so a build only runs for new inputs,
# and the legacy builder has been seen to reuse a stale multi-stage layer).
dbuild() {
  local log
  log=$(mktemp)
  if DOCKER_BUILDKIT=0 docker build --no-cache -q "$@" >/dev/null 2>"$log"; then
    rm -f "$log"
  else
    grep -v DEPRECATED "$log" >&2
    rm -f "$log"
    return 1
  fi
}

# content_image LIST NAME VERSION CONTEXT: docker build CONTEXT (FROM the base image) as
# stack.local/NAME:VERSION-<hash of the context and the base image>, unless that tag exists
# (unchanged inputs are never rebuilt), and append "NAME TAG" to the image list file LIST.
content_image() {
  local list=$1 name=$2 version=$3 ctx=$4 base tag
  # The base the Dockerfile starts FROM (stack.local/debian:SUITE) is part of the content.
  local from; from=$(awk 'toupper($1) == "FROM" {print $2; exit}' "$ctx/Dockerfile")
  [[ $from == stack.local/debian:* ]] || from=stack.local/debian:bookworm
  base=$(docker image inspect -f '{{.Id}}' "$from") || die "no base image $from (run base-image.sh)"
  tag="stack.local/$name:$version-$(hash_inputs "$ctx" "$base")"
  if image_exists "$tag"; then
    step "image $tag: cached"
  else
    dbuild -t "$tag" "$ctx" >/dev/null || die "docker build $name"
    step "image $tag: built"
  fi
  echo "$name $tag" >>"$list"
}

# import_tree IMAGE ENTRYPOINT_JSON SRC:DEST... — a minimal image with static binaries (USER $TREE_USER when set).
import_tree() {
  local image=$1 entrypoint=$2; shift 2
  local tree; tree=$(mktemp -d)
  mkdir -p "$tree/tmp" "$tree/etc" && chmod 1777 "$tree/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$tree/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$tree/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$tree/etc/ca-certificates.crt" 2>/dev/null || true
  local pair
  for pair in "$@"; do
    mkdir -p "$tree/$(dirname "${pair#*:}")"
    cp "${pair%%:*}" "$tree/${pair#*:}"
  done
  local change=(--change "ENTRYPOINT $entrypoint")
  [ -n "${TREE_USER:-}" ] && change+=(--change "USER $TREE_USER")
  tar -C "$tree" -c . | docker import "${change[@]}" - "$image" >/dev/null || die "docker import $image"
  rm -rf "$tree"
  step "image $image"
}

# module_copy MODULE VERSION DEST: a writable copy of MODULE@VERSION (downloaded through the module
# proxy) at DEST, to build it as the main module: after regenerating a file that selects its
# plugins, or because its go.mod has replace lines (which `go install` by version refuses). Only
# for modules whose replace lines name other modules, not directories outside the module.
module_copy() {
  local module=$1 version=$2 dest=$3 dir
  dir=$(cd / && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$dir" ] || die "go mod download $module@$version"
  rm -rf "$dest" && mkdir -p "$(dirname "$dest")" && cp -r "$dir" "$dest" && chmod -R u+w "$dest"
}

# prom_bin CMD: builds CMD (prometheus, promtool, alertmanager or amtool) from its module at the
# pinned release, reporting that release as its version (cached); prints its path.
prom_bin() {
  local cmd=$1
  case $cmd in
    prometheus|promtool) prometheus_bin "$cmd" ;;
    alertmanager|amtool)
      GONOSUMDB=github.com/prometheus/alertmanager "$(dirname "${BASH_SOURCE[0]}")/gobin.sh" "$cmd" github.com/prometheus/alertmanager \
        "$ALERTMANAGER_VERSION" "github.com/prometheus/alertmanager/cmd/$cmd" \
        "-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION#v}" >&2 || die "build $cmd"
      echo "$SUBSTRATE_CACHE/bin/$cmd-$ALERTMANAGER_VERSION" ;;
    *) die "prom_bin: unknown command $cmd" ;;
  esac
}

# The service discovery the air-gapped Prometheus and promtool register: the monitoring chart's
# scrape configs use kubernetes_sd_configs only (file, http and dns come with the module's minimum
# set). The upstream image registers every plugin; the other 25 (AWS, Azure, GCE, Consul, ...)
# pulled in the cloud SDKs that were most of the module's cold compile.
PROMETHEUS_SD_PLUGINS="kubernetes dns"

# prometheus_bin CMD: prometheus or promtool built as the main module of a copy of the Prometheus
# module at the pinned release whose plugins/plugins.go registers only $PROMETHEUS_SD_PLUGINS
# (its go.mod has no replace lines, so the dependency versions are the release's own).
prometheus_bin() {
  local cmd=$1 tag out src dir t0 p
  tag="$PROMETHEUS_MODULE_VERSION-sd-$(echo "$PROMETHEUS_SD_PLUGINS" | tr ' ' '-')"
  out="$SUBSTRATE_CACHE/bin/$cmd-$tag"
  if [ -x "$out" ]; then step "$cmd $tag: cached" >&2; echo "$out"; return 0; fi
  t0=$(date +%s); mkdir -p "$SUBSTRATE_CACHE/bin"
  src="$SUBSTRATE_CACHE/src/prometheus-$tag"
  if [ ! -f "$src/.trimmed" ]; then
    GONOSUMDB=github.com/prometheus/prometheus module_copy github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION" "$src"
    {
      echo "// Generated by ci/substrate/lib.sh (prometheus_bin): the air-gapped build's discovery plugins."
      echo
      echo "package plugins"
      echo
      echo "import ("
      for p in $PROMETHEUS_SD_PLUGINS; do echo "	_ \"github.com/prometheus/prometheus/discovery/$p\""; done
      echo ")"
    } >"$src/plugins/plugins.go"
    touch "$src/.trimmed"
  fi
  step "$cmd $tag: go build ./cmd/$cmd (service discovery: $PROMETHEUS_SD_PLUGINS file http)" >&2
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    -o "$out.tmp" "./cmd/$cmd" >"$src/build-$cmd.log" 2>&1) || { tail -n 15 "$src/build-$cmd.log" >&2; die "go build $cmd"; }
  mv "$out.tmp" "$out"
  record build "go build $cmd $tag" "$(( $(date +%s) - t0 ))"
  step "$cmd $tag: built ($(du -h "$out" | cut -f1))" >&2
  echo "$out"
}
