#!/usr/bin/env python3
"""How often early predictions agree with the final ones.

  early_agreement.py FINAL.f32 EARLY.f32... --vocab V [--min-last R]

FINAL is a model's logits (raw f32, [tokens, vocab]); each EARLY the logits
of one early exit (xfc-eval --early-logits-out) at the same positions.
Prints, per exit, the fraction of positions whose greedy token is the
final one's. With --min-last, fails unless the last exit agrees at least
that often.
"""
import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("final")
    ap.add_argument("early", nargs="+")
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--min-last", type=float)
    args = ap.parse_args()
    final = np.fromfile(args.final, dtype="<f4").reshape(-1, args.vocab)
    rate = 0.0
    for g, path in enumerate(args.early):
        early = np.fromfile(path, dtype="<f4").reshape(-1, args.vocab)
        if early.shape != final.shape:
            sys.exit(f"{path}: {early.shape[0]} positions, the final logits "
                     f"have {final.shape[0]}")
        rate = float(np.mean(early.argmax(1) == final.argmax(1)))
        print(f"exit {g}: greedy agreement {100 * rate:.1f}% "
              f"({final.shape[0]} positions)")
    if args.min_last is not None and rate < args.min_last:
        sys.exit(f"the last exit agrees {100 * rate:.1f}% of the time, "
                 f"below {100 * args.min_last:.1f}%")


if __name__ == "__main__":
    main()
