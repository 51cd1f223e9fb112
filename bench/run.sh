#!/usr/bin/env bash
# One command for XFC's benchmark table (bench/README.md):
#   bash bench/run.sh [--quick] [--build DIR] [--threads N]
# prints Markdown and writes it to bench/results/<date>.md (git-ignored).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${XFC_BUILD_DIR:-$(dirname "$here")/build}
quick=() preset=1b threads=2 group=128
while (($#)); do
  case $1 in
    --quick) quick=(--quick) preset=small group=64 ;; # its FFN: 704 wide
    --build) build=$2; shift ;;
    --threads) threads=$2; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR] [--threads N]" >&2; exit 2 ;;
  esac
  shift
done
xfc=$build/bin/xfc kernels=$build/bin/xfc-kernel-bench
for tool in "$xfc" "$kernels"; do
  [[ -x $tool ]] || { echo "$0: no $tool (build it; the kernel benchmark" \
                           "needs libdnnl-dev)" >&2; exit 1; }
done

# Models are cached in the build directory: the 1b GGUFs take a while to
# write. A .so older than xfc is compiled again.
models=$build/bench-models tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$models" "$here/results"
out=$here/results/$(date +%Y-%m-%d-%H%M%S).md

{
  echo "# XFC benchmark, $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "\`bash bench/run.sh ${quick[*]:+--quick }--threads $threads\` at" \
       "$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')" \
       "on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
       "$(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  "$kernels" "${quick[@]}" --threads=1,"$threads" --bandwidth-file="$tmp/bw"
  args=()
  for dtype in f32 f16 q8_0 q4_0; do
    base=$models/$preset-$dtype
    [[ -s $base.gguf ]] || "$xfc" make-model --preset "$preset" \
      --dtype "$dtype" -o "$base.gguf" >&2
    [[ $base.so -nt $xfc ]] || "$xfc" compile "$base.gguf" -o "$base.so" >&2
    "$xfc" inspect "$base.gguf" > "$tmp/$dtype.inspect"
    "$xfc" bench "$base.so" -p 128 -n 32 -r 2 -t "$threads" -o json \
      > "$tmp/$dtype.json"
    args+=("$dtype" "$tmp/$dtype.inspect" "$tmp/$dtype.json")
  done
  # Formats xfc quantizes itself from the f32 model (no GGUF type holds
  # them). Bytes per token: the weight blob less the embedding table (f32,
  # read one row per token).
  embd=$(awk '$1 == "token_embd.weight" { print $(NF - 1) }' "$tmp/f32.inspect")
  for variant in bf16-compute:--weights=bf16,--compute=bf16 \
                 int8-channel:--weights=int8,--group-size=-1 \
                 int4-g$group:--weights=int4,--group-size=$group; do
    label=${variant%%:*} flags=${variant#*:}
    so=$models/$preset-$label.so
    [[ $so -nt $xfc ]] || "$xfc" compile "$models/$preset-f32.gguf" \
      ${flags//,/ } --weight-storage sidecar -o "$so" >&2
    blob=$(stat -c %s "$so.weights")
    echo "$((blob - embd)) $blob" > "$tmp/$label.bytes"
    "$xfc" bench "$so" -p 128 -n 32 -r 2 -t "$threads" -o json \
      > "$tmp/$label.json"
    args+=("xfc $label" "$tmp/$label.bytes" "$tmp/$label.json")
  done
  # The probe again: on a shared machine the roofline takes the better one.
  echo
  "$kernels" "${quick[@]}" --threads=1,"$threads" --bandwidth-only \
    --bandwidth-file="$tmp/bw2" | sed 's/^## Streaming-read bandwidth/&, again/'
  echo
  /usr/bin/python3 "$here/model_table.py" --preset "$preset" \
    --bandwidth "$tmp/bw" "$tmp/bw2" --threads "$threads" "${args[@]}"
  echo
  echo "## Quantization error"
  echo
  echo "Logits of xfc compile --weights builds against the f32 build, 128" \
       "prompt positions (bench/quant_error.sh)."
  echo
  bash "$here/quant_error.sh" "$build" "$models" tiny "$preset"
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$out"
echo "wrote $out" >&2
