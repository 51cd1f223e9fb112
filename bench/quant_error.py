#!/usr/bin/env python3
"""Quantization error table: logits of quantized builds of one model against
its float build, on the same prompt (every prompt position). Relative RMS
error is ||q - f|| / ||f|| over all logits; top-1 agreement is the share of
positions whose argmax is the same."""

import argparse
import sys

import numpy as np


def load(path, vocab):
    a = np.fromfile(path, dtype="<f4").astype(np.float64)
    if a.size == 0 or a.size % vocab:
        sys.exit(f"{path}: {a.size} logits is not a whole number of "
                 f"{vocab}-wide rows")
    return a.reshape(-1, vocab)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True, help="label for the table")
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("reference", help="logits of the float build")
    ap.add_argument("builds", nargs="+", metavar="LABEL=LOGITS")
    args = ap.parse_args()
    ref = load(args.reference, args.vocab)
    print(f"| model | weights | positions | relative RMS error | "
          f"top-1 agreement |\n|---|---|---:|---:|---:|")
    for build in args.builds:
        label, _, path = build.partition("=")
        if not path:
            print(f"| {args.model} | {label} | n/a | n/a | n/a |")
            continue
        q = load(path, args.vocab)
        if q.shape != ref.shape:
            sys.exit(f"{path}: {q.shape[0]} positions, reference has "
                     f"{ref.shape[0]}")
        rms = np.linalg.norm(q - ref) / np.linalg.norm(ref)
        top1 = (q.argmax(axis=1) == ref.argmax(axis=1)).mean()
        print(f"| {args.model} | {label} | {ref.shape[0]} | {rms:.4f} | "
              f"{100 * top1:.1f}% |")


if __name__ == "__main__":
    main()
