#!/usr/bin/env bash
# Builds the Kubernetes server binaries (kubeadm, kubelet, kubectl, kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy) from the Go module proxy, with the version
# ldflags kubeadm checks. Output: $SUBSTRATE_CACHE/k8s/$K8S_VERSION/bin. Skipped when present.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out="$SUBSTRATE_CACHE/k8s/$K8S_VERSION/bin"
cmds=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
if [ -f "$out/.complete" ]; then step "kubernetes $K8S_VERSION binaries: cached"; exit 0; fi

src="$SUBSTRATE_CACHE/k8s/$K8S_VERSION/src"
rm -rf "$src" && mkdir -p "$src" "$out"
step "kubernetes $K8S_VERSION: resolving k8s.io/kubernetes and its staging modules"
# k8s.io/kubernetes replaces its staging modules with ./staging paths; a consumer must replace
# each with the published v0.x version. Read the list from the module's own go.mod.
modfile=$(cd "$src" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$modfile" ] || die "download k8s.io/kubernetes@$K8S_VERSION"
{
  echo "module stacksubstrate/k8s"
  echo
  echo "go 1.26"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$modfile" | awk -v v="$K8S_STAGING_VERSION" '{print "replace " $1 " => " $1 " " v}'
} > "$src/go.mod"
{
  echo "//go:build tools"
  echo "package tools"
  echo "import ("
  for c in "${cmds[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
  echo ")"
} > "$src/tools.go"
(cd "$src" && go mod tidy >/dev/null 2>&1) || (cd "$src" && go mod tidy) || die "go mod tidy for kubernetes $K8S_VERSION"

ver=${K8S_VERSION#v}; major=${ver%%.*}; rest=${ver#*.}; minor=${rest%%.*}
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ld="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ld="$ld -X $pkg.gitCommit=0000000000000000000000000000000000000000 -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
done
for c in "${cmds[@]}"; do
  step "go build $c"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/$c" "k8s.io/kubernetes/cmd/$c") || die "go build $c"
done
"$out/kubeadm" version -o short | grep -qx "$K8S_VERSION" || die "kubeadm reports the wrong version"
touch "$out/.complete"
step "kubernetes $K8S_VERSION binaries ready in $out"
