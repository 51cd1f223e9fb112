#!/usr/bin/env bash
# The SPEED report (issue 10, docs/parameter-sharing.md), in one run: for
# a 4 x 3 and a 2 x 6 parameter-shared llama at two widths (dim 768: 12
# heads, FFN 2048; dim 2048: 32 heads, FFN 5632; 4 KV heads, Q8_0 weights,
# INT8 activations), at several --early-exit-friendly scales: decode
# tokens/s of plain decoding and of --speed (same tokens, checked), the
# agreement of early predictions, the mean tokens in flight, and the weight
# bytes read per token; then the cost of a forward call of M tokens against
# one (pp M / pp 1), which bounds what a stage of M rows gains.
#   bash bench/speed.sh [--quick] [--build DIR] [--vocab N] [--threads N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${XFC_BUILD_DIR:-$(dirname "$here")/build}
tokens=128 vocab=4096 threads=2
# width:heads:ffn:scales (the scales that give about 75 to 97% agreement)
widths=("768:12:2048:0.01 0.004 0.002 0.001"
        "2048:32:5632:0.002 0.001 0.0005 0.0001")
while (($#)); do
  case $1 in
    --quick) tokens=64 widths=("256:4:512:0.01") ;;
    --build) build=$2; shift ;;
    --vocab) vocab=$2; shift ;;
    --threads) threads=$2; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR] [--vocab N] [--threads N]" >&2
       exit 2 ;;
  esac
  shift
done
bench_setup "$build"
prompt=1,287,5,93,400,17,256,3

echo "# XFC SPEED benchmark, $(date '+%Y-%m-%d %H:%M')"
echo
echo "\`bash bench/speed.sh$([[ $tokens == 64 ]] && echo ' --quick')\` at" \
     "$(bench_origin "$here"); llama with 4 KV heads, vocabulary $vocab," \
     "Q8_0 weights, INT8 activations; $tokens tokens decoded greedily after" \
     "an 8-token prompt, $threads threads. Weights are stored once: the" \
     ".so's blob is what one stage reads."
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| dim | model | scale | agreement | plain t/s | SPEED t/s | speedup |" \
     "in flight | stages/token | MiB/token plain | MiB/token SPEED |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for width in "${widths[@]}"; do
IFS=: read -r dim heads ffn scales <<< "$width"
for shape in 4x3 2x6; do
  cycle=${shape%x*} repeats=${shape#*x}
  for scale in $scales; do
    model=$tmp/m-$dim-$shape-$scale
    "$xfc" make-model --arch llama --dim "$dim" --heads "$heads" --kv-heads 4 \
      --ffn "$ffn" --share-cycle "$cycle" --repeats "$repeats" \
      --vocab-size "$vocab" --ctx 512 --dtype q8_0 \
      --early-exit-friendly "$scale" --seed 5 -o "$model.gguf" > /dev/null
    "$xfc" compile "$model.gguf" -o "$model.so" 2> /dev/null
    run=("$xfc" run "$model.so" --prompt-ids "$prompt" -n "$tokens" --temp 0
         -t "$threads")
    plain=$("${run[@]}" --ids-out "$model.plain.ids" 2>&1 > /dev/null)
    speed=$("${run[@]}" --speed --stats --ids-out "$model.speed.ids" \
            2>&1 > /dev/null)
    cmp -s "$model.plain.ids" "$model.speed.ids" ||
      { echo "$shape at $scale: SPEED changed the tokens" >&2; exit 1; }
    /usr/bin/python3 - "$dim" "$shape" "$scale" "$plain" "$speed" <<'PY'
import re, sys
dim, shape, scale, plain, speed = sys.argv[1:]
rate = lambda text: float(re.search(r"decode: \d+ tokens, ([\d.]+)", text)[1])
pairs = re.findall(r" (\d+): (\d+)/(\d+) ", speed)
changed = sum(int(c) for _, c, _ in pairs)
checked = sum(int(n) for _, _, n in pairs)
flight = float(re.search(r"([\d.]+) tokens in flight", speed)[1])
tokens, stages = map(int, re.search(r"speed: (\d+) tokens in (\d+) stages",
                                    speed).groups())
speed_mib, plain_mib = map(float, re.search(
    r"per generated token ([\d.]+) MiB \(plain decoding: ([\d.]+)", speed).groups())
p, s = rate(plain), rate(speed)
print(f"| {dim} | {shape} | {scale} | {100 * (1 - changed / max(checked, 1)):.0f}% "
      f"| {p:.1f} | {s:.1f} | {s / p:.2f}x | {flight:.2f} "
      f"| {stages / tokens:.2f} | {plain_mib:.1f} "
      f"| {speed_mib:.1f} |")
PY
    rm -f "$model.gguf"
  done
done
done
echo
echo "Agreement: the share of early predictions (after groups 1 to G-1) that"
echo "the next group confirmed. Stages/token: 1 when every prediction holds."
echo
echo "## A forward call of M tokens against one (the 4 x 3 model, dim $dim)"
echo
echo "| M | tokens/s | time of M against 1 |"
echo "|---:|---:|---:|"
model=$tmp/m-$dim-4x3-${scales%% *}
one=""
for m in 1 2 3 4; do
  rate=$("$xfc" bench "$model.so" -p "$m" -n 0 -r 20 -t "$threads" |
         awk -F'|' -v m="pp$m" '$4 ~ m {print $5}' | awk '{print $1}')
  [[ -n $one ]] || one=$rate
  /usr/bin/python3 -c "import sys; m, r, one = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print(f'| {m} | {r:.1f} | {m / r * one:.2f} |')" "$m" "$rate" "$one"
done
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
