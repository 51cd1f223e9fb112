#!/usr/bin/env bash
# Builds the GGUF reader's libFuzzer target with clang (ASan + UBSan) and
# runs it for a number of seconds (default 60) from a seed corpus of valid
# files. Exits non-zero on any crash or sanitizer report.
#   scripts/fuzz-gguf.sh [seconds] [work-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
work="${2:-build/fuzz}"
xfc="${XFC_BIN:-build/bin/xfc}"
mkdir -p "$work/corpus"

clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -Ifrontends/include \
  test/fuzz/GGUFReaderFuzzer.cpp frontends/lib/GGUF/GGMLType.cpp \
  frontends/lib/GGUF/GGUFFile.cpp frontends/lib/Support/MappedFile.cpp \
  -o "$work/gguf-reader-fuzzer"

# Seeds: small valid models of each architecture and weight type.
if [ -x "$xfc" ]; then
  # Grouped-query attention (2 heads, 1 KV head) where the architecture
  # has it; GPT-2 does not.
  for spec in "llama f32 1" "qwen2 q4_0 1" "gpt2 q8_0 2" "llama q4_1 1"; do
    set -- $spec
    "$xfc" make-model --arch "$1" --dtype "$2" --layers 1 --dim 32 \
      --heads 2 --kv-heads "$3" --ffn 64 --vocab-size 330 --ctx 16 \
      -o "$work/corpus/$1-$2.gguf" >/dev/null
  done
fi

"$work/gguf-reader-fuzzer" -max_total_time="$seconds" -max_len=131072 \
  -print_final_stats=1 "$work/corpus"
