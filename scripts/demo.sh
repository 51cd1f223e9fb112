#!/usr/bin/env bash
# README command (a): install dependencies, build, and run the main job on
# the bundled default. Until the end-to-end lowering lands, the main job is
# the IR pipeline: parse and verify a one-layer Llama block, expand its fused
# ops, clean the graph up, and print the result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
echo "== xfc-opt examples/llama-block.mlir -xf-decompose-fused -xf-graph-cleanup"
./build/bin/xfc-opt examples/llama-block.mlir -xf-decompose-fused -xf-graph-cleanup
