#!/usr/bin/env python3
"""The `xfc bench` table of bench/run.sh: tokens/s per weight format, and
decode as a percentage of the memory-bandwidth roofline.

Arguments after the options come in threes: format, `xfc inspect` output
of the GGUF (or, for formats xfc quantizes itself, a `.bytes` file holding
"<bytes read per token> <weight bytes>" of the compiled weights), `xfc
bench -o json` output of the compiled model.
"""
import argparse
import json


def weight_bytes_per_token(inspect_text):
    """Bytes of tensor data one decode step reads: every tensor, except
    that the token embedding is a lookup of one row unless it doubles as
    the LM head (no separate output.weight)."""
    tensors = {}
    in_table = False
    for line in inspect_text.splitlines():
        if line.startswith("Tensors:"):
            in_table = True
            continue
        fields = line.split()
        if (not in_table or len(fields) < 5 or not fields[-1].isdigit()
                or not fields[-2].isdigit()):
            continue  # not a tensor row
        tensors[fields[0]] = int(fields[-2])
    total = sum(tensors.values())
    if "output.weight" in tensors and "token_embd.weight" in tensors:
        total -= tensors["token_embd.weight"]
    return total, sum(tensors.values())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", required=True)
    parser.add_argument("--bandwidth", required=True, nargs="+",
                        help="files of '<threads> <GB/s>' lines (the best "
                        "figure counts: noise only lowers them)")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    if len(args.runs) % 3:
        parser.error("runs come in threes: format inspect.txt bench.json")

    bw = 0.0
    for path in args.bandwidth:
        with open(path) as f:
            for line in f:
                threads, gbs = line.split()
                if int(threads) == args.threads:
                    bw = max(bw, float(gbs))

    print(f"## xfc bench, {args.preset} preset, {args.threads} threads\n")
    print(f"Roofline: {bw:.1f} GB/s (the better {args.threads}-thread "
          "probe above) / weight bytes read per token.\n")
    print("| format | weights MiB | read/token MiB | pp128 tok/s "
          "| tg32 tok/s | decode GB/s | roofline tok/s | % roofline |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for i in range(0, len(args.runs), 3):
        name, inspect_path, bench_path = args.runs[i:i + 3]
        with open(inspect_path) as f:
            if inspect_path.endswith(".bytes"):
                per_token, total = map(int, f.read().split())
            else:
                per_token, total = weight_bytes_per_token(f.read())
        with open(bench_path) as f:
            results = {r["test"]: r for r in json.load(f)}

        def rate(test):
            r = results.get(test)
            return (f"{r['avg_ts']:.2f} ± {r['stddev_ts']:.2f}", r["avg_ts"]) \
                if r else ("n/a", None)

        pp, _ = rate("pp128")
        tg, tg_value = rate("tg32")
        gbs = per_token * tg_value / 1e9 if tg_value else None
        roof = bw * 1e9 / per_token
        print(f"| {name} | {total / 2**20:.1f} | {per_token / 2**20:.1f} "
              f"| {pp} | {tg} | {gbs:.1f} | {roof:.1f} "
              f"| {100 * gbs / bw:.0f}% |" if gbs else
              f"| {name} | {total / 2**20:.1f} | {per_token / 2**20:.1f} "
              f"| {pp} | {tg} | n/a | {roof:.1f} | n/a |")
    if args.preset != "1b":
        print("\nThe weights of this preset fit in the caches: % of roofline "
              "is not meaningful (run without --quick).")


if __name__ == "__main__":
    main()
