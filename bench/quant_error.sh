#!/usr/bin/env bash
# Quantization error of xfc compile --weights against the float build:
#   bash bench/quant_error.sh BUILD_DIR MODELS_DIR PRESET...
# For each preset: the f32 model is compiled as is and with --weights int8
# (groups of 32, and per channel), int4 (g32 as Q4_0, g32 --asym as Q4_1,
# g128; RTN, and g32/g128 with --quant-method mse, g32 with f32 scales),
# all with the default INT8 activations (in the weights' groups),
# int8 with f32 activations (the weights' share), and bf16 weights with
# bf16 compute; the logits of a 128-token prompt are compared with
# bench/quant_error.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1 models=$2
shift 2
xfc=$build/bin/xfc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prompt=$(seq 1 128 | awk '{ printf "%s%d", (NR > 1 ? "," : ""), ($1 * 7919) % 500 + 1 }')
for preset in "$@"; do
  base=$models/$preset-f32
  [[ -s $base.gguf ]] || "$xfc" make-model --preset "$preset" --dtype f32 \
    -o "$base.gguf" >&2
  vocab=$("$xfc" inspect "$base.gguf" |
    sed -nE 's/.*tokenizer.ggml.tokens .*\(([0-9]+) string\).*/\1/p')
  builds=()
  for variant in f32: int8:--weights=int8 \
                 int8-weights-only:--weights=int8,--compute=f32 \
                 int8-channel:--weights=int8,--group-size=-1 \
                 int4-g32:--weights=int4 int4-g32-asym:--weights=int4,--asym \
                 int4-g32-mse:--weights=int4,--quant-method=mse \
                 int4-g32-f32-scales:--weights=int4,--scale-type=f32 \
                 int4-g128:--weights=int4,--group-size=128 \
                 int4-g128-mse:--weights=int4,--group-size=128,--quant-method=mse \
                 bf16-compute:--weights=bf16,--compute=bf16; do
    label=${variant%%:*} flags=${variant#*:}
    so=$tmp/$label.so
    # A preset whose rows are not whole groups has no such build: n/a.
    if ! "$xfc" compile "$base.gguf" ${flags//,/ } -o "$so" 2>/dev/null >&2
    then
      builds+=("$label")
      continue
    fi
    "$xfc" run "$so" --prompt-ids "$prompt" -n 1 --temp 0 \
      --logits-out "$tmp/$label.f32" > /dev/null 2>&1
    rm -f "$so"
    [[ $label == f32 ]] || builds+=("$label=$tmp/$label.f32")
  done
  /usr/bin/python3 "$here/quant_error.py" --model "$preset" --vocab "$vocab" \
    "$tmp/f32.f32" "${builds[@]}"
  echo
done
