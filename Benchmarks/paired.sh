#!/usr/bin/env bash
# Paired comparison of two `tideline` binaries on the label join's operator benchmark, for a noisy machine:
# each pair runs both binaries back to back on one core (`taskset -c 1`), the order alternating from pair to
# pair (a fixed order biases the second binary), and the result is the median of the per-pair ratios.
#
#   Benchmarks/paired.sh OLD_BINARY NEW_BINARY [PAIRS] [-- extra `bench join` arguments]
#
# Prints, for `join-operator` and `join-decode-operator`: each binary's median and best rate, and the median of
# NEW/OLD over the pairs with every ratio. Copy the binaries out of `.build` first (a rebuild replaces them).
set -euo pipefail
OLD=${1:?old binary}; NEW=${2:?new binary}; PAIRS=${3:-8}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
ARGS=("$@"); [ ${#ARGS[@]} -eq 0 ] && ARGS=(--count 1000000 --pending 0 --repeats 2)
PIN=(); command -v taskset >/dev/null && PIN=(taskset -c 1)
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) -eq 1 ]; then order=("$OLD" "$NEW"); else order=("$NEW" "$OLD"); fi
  for bin in "${order[@]}"; do
    "${PIN[@]}" "$bin" bench join "${ARGS[@]}" 2>/dev/null \
      | sed -nE 's/.*"benchmark":"(join-(decode-)?operator)".*"rate":([0-9]+).*/\1 \3/p' | sed "s|^|$i $bin |"
  done
done | python3 -c '
import statistics, sys
old, new = sys.argv[1], sys.argv[2]
runs = {}
for line in sys.stdin:
    pair, binary, name, rate = line.split()
    runs.setdefault(name, {}).setdefault(int(pair), {})[binary] = int(rate)
for name, pairs in sorted(runs.items()):
    complete = [p for p in pairs.values() if old in p and new in p]
    if not complete: continue
    ratios = [p[new] / p[old] for p in complete]
    a, b = [p[old] for p in complete], [p[new] for p in complete]
    listed = " ".join("%.2f" % r for r in ratios)
    print("%s: old median %d best %d | new median %d best %d | new/old median %.3f (%d pairs: %s)"
          % (name, statistics.median(a), max(a), statistics.median(b), max(b), statistics.median(ratios), len(ratios), listed))
' "$OLD" "$NEW"
