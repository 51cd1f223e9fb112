#!/usr/bin/env bash
# The tensor-parallel report (issue 9, docs/tensor-parallel.md), in one
# run, for a preset with Q8_0 weights and INT8 activations, unsplit and
# compiled with --sockets 2:
#  - weight bytes: the unsplit blob, and what each shard reads (the
#    replicated weights plus its own), from the .so's shard_weights ranges;
#  - xfc bench (pp128, tg32) for one worker group of 1 thread (one socket's
#    worth of this machine), one group of 2 threads, and two groups of one
#    thread each; and what each group spent in its all-reduces per token;
#  - mpirun -np 2 xfc run (one rank per shard): decode tokens/s and each
#    rank's peak resident memory, against the unsplit model in one process.
#   bash bench/sockets.sh [--quick] [--build DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
build=${XFC_BUILD_DIR:-$(dirname "$here")/build}
preset=1b reps=2 decode=64
while (($#)); do
  case $1 in
    --quick) preset=small reps=1 decode=32 ;;
    --build) build=$2; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
bench_setup "$build"
base=$(bench_f32_model "$xfc" "$build/bench-models" "$preset")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

"$xfc" compile "$base" --weights int8 -o "$tmp/whole.so" 2> /dev/null
"$xfc" compile "$base" --weights int8 --sockets 2 -o "$tmp/split.so" 2> /dev/null

echo "# XFC tensor-parallel benchmark, $(date '+%Y-%m-%d %H:%M')"
echo
echo "\`bash bench/sockets.sh$([[ $preset == small ]] && echo ' --quick')\` at" \
     "$(bench_origin "$here"); preset $preset with --weights int8."
echo
echo "## Weight bytes"
echo
/usr/bin/python3 - "$tmp/whole.so" "$tmp/split.so" <<'PY'
import re, subprocess, sys

def blob(path):
    out = subprocess.run(["objdump", "-h", path], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) > 2 and f[1] == ".xfc.weights":
            return int(f[2], 16)
    raise SystemExit(f"{path}: no .xfc.weights")

def ranges(path):
    data = open(path, "rb").read()
    m = re.search(rb"shard_weights=([0-9,-]+)", data)
    return [tuple(map(int, r.split(b"-"))) for r in m.group(1).split(b",")]

whole = blob(sys.argv[1])
shards = ranges(sys.argv[2])
replicated = shards[0][0]
MiB = 1 << 20
print("| model | replicated | own | one shard reads | of the unsplit |")
print("|---|---:|---:|---:|---:|")
print(f"| unsplit | {whole / MiB:.1f} MiB | | {whole / MiB:.1f} MiB | 1.00 |")
for k, (b, e) in enumerate(shards):
    total = replicated + e - b
    print(f"| --sockets 2, shard {k} | {replicated / MiB:.1f} MiB |"
          f" {(e - b) / MiB:.1f} MiB | {total / MiB:.1f} MiB |"
          f" {total / whole:.2f} |")
PY
echo
echo "## One worker group against two"
echo
# The three in turn, twice: this VM's neighbours change its speed by tens
# of percent from one minute to the next, which one round would hide.
echo "| round | model | groups x threads | pp128 t/s | tg32 t/s |"
echo "|---|---|---|---:|---:|"
bench() { # round model threads label
  "$xfc" bench "$tmp/$2" -p 128 -n 32 -r "$reps" -t "$3" -o json \
    > "$tmp/b.json" 2> "$tmp/$2.$3.$1.log"
  /usr/bin/python3 -c '
import json, sys
r = {x["test"]: x["avg_ts"] for x in json.load(open(sys.argv[1]))}
print("| %s | %s | %.1f | %.2f |" % (sys.argv[2], sys.argv[3], r["pp128"],
                                     r["tg32"]))' \
    "$tmp/b.json" "$1" "$4"
}
for round in 1 2; do
  bench $round whole.so 1 "unsplit | 1 x 1"
  bench $round whole.so 2 "unsplit | 1 x 2"
  bench $round split.so 2 "--sockets 2 | 2 x 1"
done
for round in 1 2; do
  echo
  echo "All-reduce cost per worker group, round $round (xfc bench, --sockets 2, 2 x 1):"
  echo
  sed 's/^/    /' "$tmp/split.so.2.$round.log"
done
echo
echo "## MPI: one rank per shard"
echo
prompt=$(seq 1 32 | paste -sd,)
run() { # label command...
  local label=$1
  shift
  "$@" --prompt-ids "$prompt" -n "$decode" --temp 0 -t 1 > /dev/null \
    2> "$tmp/run.log"
  local tg mem
  tg=$(grep -o 'decode: [0-9]* tokens, [0-9.]*' "$tmp/run.log" | awk '{print $4}')
  mem=$(grep -o 'peak resident memory [0-9.]* MiB' "$tmp/run.log" |
        awk '{print $4}' | paste -sd/)
  echo "| $label | $tg | $mem |"
}
echo "| run | decode t/s | peak resident MiB (per rank) |"
echo "|---|---:|---:|"
run "xfc run, unsplit, 1 thread" "$xfc" run "$tmp/whole.so"
run "mpirun -np 2, 1 thread per rank" mpirun --oversubscribe -np 2 "$xfc" run "$tmp/split.so"
