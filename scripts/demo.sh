#!/usr/bin/env bash
# README command (a): install dependencies, build, and run the main job on a
# bundled default: generate a small random-weight Llama model, compile it to
# a native .so, and generate text from a prompt with it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release

out=build/demo
mkdir -p "$out"
xfc=build/bin/xfc
echo "== xfc make-model --arch llama --preset tiny"
"$xfc" make-model --arch llama --preset tiny --seed 1 -o "$out/tiny-llama.gguf"
echo "== xfc compile (-> $out/tiny-llama.so)"
"$xfc" compile "$out/tiny-llama.gguf" -o "$out/tiny-llama.so"
echo "== xfc run -p 'Once upon a time' -n 32 (random weights: expect noise)"
"$xfc" run "$out/tiny-llama.so" -p "Once upon a time" -n 32 --seed 1
