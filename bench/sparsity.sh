#!/usr/bin/env bash
# The sparsity table (issue 8, docs/sparsity.md), in one run: decode (tg)
# and prefill (pp) tokens/s of a preset pruned at compile time to 0, 50,
# 70, 80 and 90% zeros, and the speedup over the dense build of the same
# type:
#  - f32: unstructured pruning; the cost model chooses the sparse panels;
#  - int8: Q8_0 weights (xfc --weights int8) with INT8 activations,
#    pruned unstructured (the sparse codes: a mask per VNNI run and the
#    nonzero codes, expanded by vpexpandb) and in blocks of 16x32 (whole
#    groups, which the sparse tiles skip).
# Then the kernels alone (xfc-kernel-bench --sparse): sparse panels against
# dense ones, sparse INT8 tiles and codes against dense ones and oneDNN's u8s8 GEMM.
#   bash bench/sparsity.sh [--quick] [--build DIR] [--threads N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${XFC_BUILD_DIR:-$(dirname "$here")/build}
preset=1b threads=2 quick=() reps=2
while (($#)); do
  case $1 in
    --quick) quick=(--quick) preset=small reps=1 ;;
    --build) build=$2; shift ;;
    --threads) threads=$2; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR] [--threads N]" >&2; exit 2 ;;
  esac
  shift
done
xfc=$build/bin/xfc kernels=$build/bin/xfc-kernel-bench
for tool in "$xfc" "$kernels"; do
  [[ -x $tool ]] || { echo "$0: no $tool (build it first)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
base=$(bench_f32_model "$xfc" "$build/bench-models" "$preset")

echo "# XFC sparsity benchmark, $(date '+%Y-%m-%d %H:%M')"
echo
echo "\`bash bench/sparsity.sh ${quick[*]:+--quick }--threads $threads\` at" \
     "$(bench_origin "$here"); preset $preset, xfc bench -p 128 -n 32 -r $reps -t $threads."
echo
echo "| type | pattern | zeros | sparse / weights with zeros | pp128 t/s | tg32 t/s | pp speedup | tg speedup |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for variant in f32:unstructured: int8:unstructured:--weights=int8 \
               int8:block:16x32:--weights=int8; do
  type=${variant%%:*} rest=${variant#*:}
  pattern=${rest%:*} flags=${rest##*:}
  [[ $pattern == block:16x32 ]] && pattern_flags=(--sparsity-pattern block:16x32) || pattern_flags=()
  dense_pp= dense_tg=
  for level in 0 0.5 0.7 0.8 0.9; do
    so=$tmp/m.so
    sparsity=()
    [[ $level != 0 ]] && sparsity=(--sparsity "$level" "${pattern_flags[@]}")
    "$xfc" compile "$base" ${flags//,/ } "${sparsity[@]}" -o "$so" \
      2> "$tmp/compile.err"
    # "xfc: sparse kernels for N of the M weights with 1% zeros or more"
    chosen=$(awk '/sparse kernels for/ { print $5 "/" $8 }' "$tmp/compile.err")
    "$xfc" bench "$so" -p 128 -n 32 -r "$reps" -t "$threads" -o json > "$tmp/b.json"
    read -r pp tg < <(/usr/bin/python3 -c '
import json, sys
r = {x["test"]: x["avg_ts"] for x in json.load(open(sys.argv[1]))}
print(r["pp128"], r["tg32"])' "$tmp/b.json")
    [[ -z $dense_pp ]] && dense_pp=$pp dense_tg=$tg
    /usr/bin/python3 -c '
import sys
t, p, z, c, pp, tg, dpp, dtg = sys.argv[1:]
pp, tg, dpp, dtg = map(float, (pp, tg, dpp, dtg))
print(f"| {t} | {p} | {float(z):.0%} | {c} | {pp:.1f} | {tg:.2f} | {pp / dpp:.2f} | {tg / dtg:.2f} |")' \
      "$type" "$pattern" "$level" "${chosen:-0/0}" "$pp" "$tg" "$dense_pp" "$dense_tg"
  done
done
echo
"$kernels" "${quick[@]}" --sparse=0,0.3,0.5,0.7,0.8,0.9 --m=1,128 --n=5632 \
  --k=2048 --threads=1,"$threads"
