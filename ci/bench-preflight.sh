#!/usr/bin/env bash
# Times `stackcheck preflight` (the umbrella, dev profile: 13 checks incl. a server dry-run of every
# object) and troubleshoot's `preflight` with ci/bench/preflight-spec.yaml (4 analyzers) against the
# same cluster in the same run, RUNS times each, interleaved, and prints the medians and the ratio.
# `make bench-preflight`; needs the e2e cluster (make test-e2e or make up) and KUBECONFIG.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CACHE="${STACK_CACHE:-$HOME/.cache/stack}"
export KUBECONFIG="${KUBECONFIG:-$CACHE/kind/stack-e2e.kubeconfig}"
RUNS="${RUNS:-5}"
"$root/ci/troubleshoot.sh"
bin=$(mktemp -d)
trap 'rm -rf "$bin"; kubectl delete ns bench-preflight --wait=false >/dev/null 2>&1 || true' EXIT
go build -o "$bin/stackcheck" "$root/plugin/cmd/stackcheck"
kubectl create ns bench-preflight >/dev/null 2>&1 || true
kubectl label ns bench-preflight pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null

seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f", (e - s) / 1e9}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

ours=() theirs=()
for i in $(seq 1 "$RUNS"); do
  ours+=("$(seconds "$bin/stackcheck" preflight stack "$root/charts/stack" -n bench-preflight -f "$root/charts/stack/profiles/dev.yaml" -o json)")
  # troubleshoot writes a support bundle (a dump of the cluster) into the working directory:
  # run it in the scratch directory, never in the repository.
  theirs+=("$(cd "$bin" && seconds "$CACHE/bin/troubleshoot-preflight" "$root/ci/bench/preflight-spec.yaml" --interactive=false --format=json)")
done
o=$(printf '%s\n' "${ours[@]}" | median)
t=$(printf '%s\n' "${theirs[@]}" | median)
echo "stackcheck preflight (13 checks, 55 objects dry-run): runs ${ours[*]} s; median $o s"
echo "troubleshoot preflight v0.133.0 (4 analyzers):      runs ${theirs[*]} s; median $t s"
echo "ratio: troubleshoot / stackcheck = $(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.1f", t / o}')x (target: stackcheck < 1 s and >= 5x faster)"
