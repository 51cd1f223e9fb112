#!/usr/bin/env bash
# README command (a): install dependencies, build, and run the main job on a
# bundled default. Until the lowering to .so lands (issue #4), the main job
# stops at the xf graph: generate a small random-weight Llama model, import
# it, and show the fine-grained graph and its cleaned-up form.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release

out=build/demo
mkdir -p "$out"
xfc=build/bin/xfc
echo "== xfc make-model --arch llama --preset tiny"
"$xfc" make-model --arch llama --preset tiny -o "$out/tiny-llama.gguf"
echo "== xfc inspect (summary)"
"$xfc" inspect "$out/tiny-llama.gguf" | sed -n '1p;$p'
echo "== xfc compile --emit=xf"
"$xfc" compile "$out/tiny-llama.gguf" --emit=xf -o "$out/tiny-llama.xf.mlir"
echo "wrote $out/tiny-llama.xf.mlir ($(grep -c ' = xf\.' "$out/tiny-llama.xf.mlir") xf ops)"
echo "== xfc-opt -xf-graph-cleanup (first block)"
build/bin/xfc-opt "$out/tiny-llama.xf.mlir" -xf-graph-cleanup | sed -n '/func.func @forward/,/xf.add/p'
