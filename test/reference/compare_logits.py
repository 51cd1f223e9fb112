#!/usr/bin/env python3
"""Compares two raw f32 logit files ([tokens, vocab]) position by position:
the relative error max|a - b| / max|b| must stay within --rtol and the
argmax (greedy choice) must agree."""

import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("actual")
    ap.add_argument("expected")
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()
    a = np.fromfile(args.actual, dtype="<f4").astype(np.float64)
    b = np.fromfile(args.expected, dtype="<f4").astype(np.float64)
    if a.size != b.size or a.size % args.vocab:
        print(f"sizes differ: {a.size} vs {b.size} logits")
        return 1
    a, b = a.reshape(-1, args.vocab), b.reshape(-1, args.vocab)
    err = np.abs(a - b).max(axis=1) / np.abs(b).max(axis=1)
    bad = np.nonzero(err > args.rtol)[0]
    if bad.size:
        print(f"position {bad[0]}: relative error {err[bad[0]]:.3g}")
        return 1
    if (a.argmax(axis=1) != b.argmax(axis=1)).any():
        print("greedy tokens differ")
        return 1
    print(f"OK: {a.shape[0]} positions, max relative error {err.max():.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
