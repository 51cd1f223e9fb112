#!/usr/bin/env python3
"""Compares two raw f32 logit files ([tokens, vocab]) position by position:
the relative error max|a - b| / max|b| must stay within --rtol and the
argmax (greedy choice) must agree."""

import argparse
import sys

import numpy as np


def compare(actual, expected, rtol):
    """Prints OK or the first bad position; returns the exit code. Both are
    [positions, vocab] arrays."""
    err = (np.abs(actual - expected).max(axis=1) /
           np.abs(expected).max(axis=1))
    bad = np.nonzero(err > rtol)[0]
    if bad.size:
        print(f"position {bad[0]}: relative error {err[bad[0]]:.3g} > {rtol}")
        return 1
    if (actual.argmax(axis=1) != expected.argmax(axis=1)).any():
        print("greedy tokens differ")
        return 1
    print(f"OK: {actual.shape[0]} positions, max relative error "
          f"{err.max():.3g}")
    return 0


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
    return compare(a, b, args.rtol)

if __name__ == "__main__":
    sys.exit(main())
