#!/usr/bin/env bash
# The KV-cache table (issue 8, docs/kv-cache.md), in one run, for a preset
# with Q8_0 weights and INT8 activations compiled with each --kv-cache
# (f32, f16, bf16, int8):
#  - decode (tg) and prefill (pp) tokens/s after 0, 512 and 1920 tokens
#    already in the cache (xfc bench -d), and the speedup over the f32
#    cache at the same depth;
#  - the logits' error against the f32 cache over one prompt, with f32
#    weights (the cache the only rounding) and with the Q8_0 build: max and
#    mean of max|a - b| / max|b| per position, and how often the greedy
#    token agrees.
#   bash bench/kv-cache.sh [--quick] [--build DIR] [--threads N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${XFC_BUILD_DIR:-$(dirname "$here")/build}
preset=1b threads=2 reps=2 depths=(0 512 1920) promptLength=512 vocab=32000
while (($#)); do
  case $1 in
    --quick) preset=small reps=1 depths=(0 512) promptLength=128 vocab=2048 ;;
    --build) build=$2; shift ;;
    --threads) threads=$2; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR] [--threads N]" >&2; exit 2 ;;
  esac
  shift
done
bench_setup "$build"
base=$(bench_f32_model "$xfc" "$build/bench-models" "$preset")

echo "# XFC KV-cache benchmark, $(date '+%Y-%m-%d %H:%M')"
echo
echo "\`bash bench/kv-cache.sh $([[ $preset == small ]] && echo '--quick ')--threads $threads\` at" \
     "$(bench_origin "$here"); preset $preset with --weights int8, xfc bench -p 128" \
     "-n 32 -r $reps -t $threads -d DEPTH."
echo
echo "| kv cache | depth | pp128 t/s | tg32 t/s | pp speedup | tg speedup |"
echo "|---|---:|---:|---:|---:|---:|"
prompt=$(seq 0 $((promptLength - 1)) |
         awk -v v="$vocab" '{ print (11 + 7 * $1) % v }' | paste -sd,)
# The speed table runs Q8_0 weights with INT8 activations; the error is
# measured on both those and the f32 weights, where the cache is the only
# rounding (INT8 activations amplify any difference into whole levels).
for kv in f32 f16 bf16 int8; do
  for weights in int8 f32; do
    flags=(--kv-cache "$kv")
    [[ $weights == int8 ]] && flags+=(--weights int8)
    "$xfc" compile "$base" "${flags[@]}" -o "$tmp/$kv-$weights.so" 2> /dev/null
    "$xfc" run "$tmp/$kv-$weights.so" --prompt-ids "$prompt" -n 0 --temp 0 \
      --logits-out "$tmp/$kv-$weights.logits" > /dev/null 2>&1
  done
done
for depth in "${depths[@]}"; do
  for kv in f32 f16 bf16 int8; do
    "$xfc" bench "$tmp/$kv-int8.so" -p 128 -n 32 -d "$depth" -r "$reps" \
      -t "$threads" -o json > "$tmp/b.json"
    read -r pp tg < <(/usr/bin/python3 -c '
import json, sys
r = {x["test"].split(" ")[0]: x["avg_ts"] for x in json.load(open(sys.argv[1]))}
print(r["pp128"], r["tg32"])' "$tmp/b.json")
    [[ $kv == f32 ]] && base_pp=$pp base_tg=$tg
    /usr/bin/python3 -c '
import sys
kv, d, pp, tg, bpp, btg = sys.argv[1:]
pp, tg, bpp, btg = map(float, (pp, tg, bpp, btg))
print(f"| {kv} | {d} | {pp:.1f} | {tg:.2f} | {pp / bpp:.2f} | {tg / btg:.2f} |")' \
      "$kv" "$depth" "$pp" "$tg" "$base_pp" "$base_tg"
  done
done
echo
echo "Logits against the f32 cache, $promptLength prompt positions:"
echo
echo "| weights | kv cache | max rel. error | mean rel. error | greedy token agrees |"
echo "|---|---|---:|---:|---:|"
for weights in f32 int8; do
  for kv in f16 bf16 int8; do
    /usr/bin/python3 -c '
import sys
import numpy as np
weights, kv, actual, expected, positions = sys.argv[1:]
a = np.fromfile(actual, dtype="<f4").astype(np.float64)
b = np.fromfile(expected, dtype="<f4").astype(np.float64)
a, b = a.reshape(int(positions), -1), b.reshape(int(positions), -1)
err = np.abs(a - b).max(axis=1) / np.abs(b).max(axis=1)
agree = (a.argmax(axis=1) == b.argmax(axis=1)).mean()
label = "Q8_0, INT8 activations" if weights == "int8" else "f32"
print(f"| {label} | {kv} | {err.max():.2e} | {err.mean():.2e} | {agree:.1%} |")' \
      "$weights" "$kv" "$tmp/$kv-$weights.logits" "$tmp/f32-$weights.logits" \
      "$promptLength"
  done
done
