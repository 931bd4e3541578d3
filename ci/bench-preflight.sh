#!/usr/bin/env bash
# Times `stackcheck preflight` of the umbrella (dev profile: every check, incl. a server dry-run of
# every object), the same with only the four checks troubleshoot's spec makes (cluster version, a
# StorageClass, the CRDs, node capacity), and troubleshoot's `preflight` with
# ci/bench/preflight-spec.yaml (4 analyzers), against the same cluster in the same run, RUNS times
# each, interleaved; prints the medians, the ratio and the full preflight's phases
# (STACKCHECK_TIMING=1). BASE=<git revision> also builds that revision's stackcheck and times its
# full preflight in the same loop (before/after).
# `make bench-preflight`; needs the e2e cluster (make test-e2e or make up) and KUBECONFIG.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CACHE="${STACK_CACHE:-$HOME/.cache/stack}"
export KUBECONFIG="${KUBECONFIG:-$CACHE/kind/stack-e2e.kubeconfig}"
RUNS="${RUNS:-5}"
BASE="${BASE:-}"
"$root/ci/troubleshoot.sh"
bin=$(mktemp -d)
cleanup() {
  [ -z "$BASE" ] || git -C "$root" worktree remove --force "$bin/base-src" >/dev/null 2>&1 || true
  rm -rf "$bin"
  kubectl delete ns bench-preflight --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT
go build -o "$bin/stackcheck" "$root/plugin/cmd/stackcheck"
if [ -n "$BASE" ]; then
  git -C "$root" worktree add --detach "$bin/base-src" "$BASE" >/dev/null 2>&1
  (cd "$bin/base-src" && go build -o "$bin/stackcheck-base" ./plugin/cmd/stackcheck)
fi
kubectl create ns bench-preflight >/dev/null 2>&1 || true
kubectl label ns bench-preflight pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# run NAME CMD...: times CMD (wall seconds appended to $bin/NAME.s), keeps its last output in
# $bin/NAME.out and its stderr's phases ("stackcheck: render 120.3 ms") in $bin/NAME.phases.
run() {
  local name=$1 s e
  shift
  s=$(date +%s%N)
  STACKCHECK_TIMING=1 "$@" >"$bin/$name.out" 2>"$bin/$name.err" || true
  e=$(date +%s%N)
  awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f\n", (e - s) / 1e9}' >>"$bin/$name.s"
  awk '$1 == "stackcheck:" && $2 != "check" {print $2, $3}' "$bin/$name.err" >>"$bin/$name.phases"
  awk '$1 == "stackcheck:" && $2 == "check" && $3 == "dry-run" {print "dry-run", $4}' "$bin/$name.err" >>"$bin/$name.phases"
}
full() { run "$1" "$2" preflight stack "$root/charts/stack" -n bench-preflight -f "$root/charts/stack/profiles/dev.yaml" -o json; }

for i in $(seq 1 "$RUNS"); do
  full new "$bin/stackcheck"
  [ -z "$BASE" ] || full base "$bin/stackcheck-base"
  run four "$bin/stackcheck" preflight stack "$root/charts/stack" -n bench-preflight -f "$root/charts/stack/profiles/dev.yaml" -o json --only kube-version,storage,api-groups,capacity
  # troubleshoot writes a support bundle (a dump of the cluster) into the working directory:
  # run it in the scratch directory, never in the repository.
  (cd "$bin" && run theirs "$CACHE/bin/troubleshoot-preflight" "$root/ci/bench/preflight-spec.yaml" --interactive=false --format=json)
done
m() { median <"$bin/$1.s"; }
phases() {
  local p out=""
  for p in load discovery render dry-run checks; do
    out+="$p $(awk -v p="$p" '$1 == p {print $2}' "$bin/$1.phases" | median) ms, "
  done
  echo "${out%, }"
}
objects=$(grep -o 'accepts all [0-9]* objects' "$bin/new.out" | grep -o '[0-9]*' || echo "?")
echo "stackcheck preflight, all checks ($objects objects dry-run): runs $(tr '\n' ' ' <"$bin/new.s")s; median $(m new) s"
echo "  phases (medians): $(phases new)"
if [ -n "$BASE" ]; then
  echo "stackcheck preflight at $BASE, all checks: runs $(tr '\n' ' ' <"$bin/base.s")s; median $(m base) s"
  echo "  phases (medians): $(phases base)"
fi
echo "stackcheck preflight, troubleshoot's 4 checks: runs $(tr '\n' ' ' <"$bin/four.s")s; median $(m four) s"
echo "troubleshoot preflight v0.133.0 (4 analyzers): runs $(tr '\n' ' ' <"$bin/theirs.s")s; median $(m theirs) s"
echo "ratio: troubleshoot / stackcheck = $(awk -v t="$(m theirs)" -v o="$(m four)" 'BEGIN {printf "%.1f", t / o}')x for the same 4 checks, $(awk -v t="$(m theirs)" -v o="$(m new)" 'BEGIN {printf "%.1f", t / o}')x against all checks (target: the full preflight <= 0.2 s median; >= 5x faster than troubleshoot)"
