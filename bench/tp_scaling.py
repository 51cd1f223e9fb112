#!/usr/bin/python3
"""The scaling model of docs/tensor-parallel.md: decode time per token on N
sockets of a memory-bound model, from measured figures.

Decode streams every weight once per token, so on one socket

    T(1) = (S + R) / B + L_other

and on N sockets, each reading its 1/N of the split weights S (attention
and FFN) and all of the replicated ones R that a token reads (the LM head;
one embedding row), from its own memory at bandwidth B:

    T(N) = (S / N + R) / B + L_other + 2 * layers * c(N)

with c(N) the cost of one all-reduce of `dim` floats (two per layer),
c(N) = c(2) * log2(N) (the barrier's depth grows with the sockets it
joins). L_other (norms, attention over a short context, sampling) is
small at short contexts and left out. B and c(2) are inputs: B as
measured on one group of this machine, c(2) measured in one process or
assumed for a crossing between sockets.

  bench/tp_scaling.py --bandwidth-gbs 200 --all-reduce-us 14 [--bits 4.5]
"""
import argparse
import math

# name: (dim, layers, ffn, heads, kv_heads, vocab)
SHAPES = {
    "1.1B preset": (2048, 22, 5632, 32, 4, 32000),
    "7B (Llama-2)": (4096, 32, 11008, 32, 32, 32000),
    "13B (Llama-2)": (5120, 40, 13824, 40, 40, 32000),
    "70B (Llama-2)": (8192, 80, 28672, 64, 8, 32000),
}
PUBLISHED = {"7B (Llama-2)": 1.80, "13B (Llama-2)": 1.83,
             "70B (Llama-2)": 1.93}


def weights(dim, layers, ffn, heads, kv_heads, vocab):
    """Parameters read per token: split (per layer: Q, K, V, O, gate, up,
    down) and replicated (the LM head)."""
    kv = dim // heads * kv_heads
    per_layer = dim * (dim + 2 * kv) + dim * dim + 3 * dim * ffn
    return layers * per_layer, vocab * dim


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bandwidth-gbs", type=float, required=True,
                   help="memory bandwidth of one socket, GB/s")
    p.add_argument("--all-reduce-us", type=float, required=True,
                   help="one all-reduce between 2 sockets, microseconds")
    p.add_argument("--bits", type=float, default=4.5,
                   help="bits per weight (Q4_0: 4.5, Q8_0: 8.5)")
    args = p.parse_args()
    bytes_per = args.bits / 8
    print("| model | split GB | replicated GB | T(1) ms | 2 sockets |"
          " 4 sockets | published, 2 sockets |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, shape in SHAPES.items():
        split, replicated = (x * bytes_per for x in weights(*shape))
        layers = shape[1]

        def t(n):
            compute = (split / n + replicated) / (args.bandwidth_gbs * 1e9)
            reduce = 0 if n == 1 else \
                2 * layers * args.all_reduce_us * 1e-6 * math.log2(n)
            return compute + reduce
        published = PUBLISHED.get(name)
        print(f"| {name} | {split / 1e9:.2f} | {replicated / 1e9:.3f} |"
              f" {t(1) * 1e3:.1f} | {t(1) / t(2):.2f}x | {t(1) / t(4):.2f}x |"
              f" {f'{published:.2f}x' if published else ''} |")


if __name__ == "__main__":
    main()
