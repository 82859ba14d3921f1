#!/usr/bin/env python3
"""Compare a `zktorch prove --json` result with onnxruntime's float output for a bundled
transformer: every logit must lie within 1% of max(1, max|float|) (issue #12), and the argmax
token must agree at every position where onnxruntime's top two logits are more than one
quantization step (2^-8) apart; closer pairs are ties at this precision and are reported.

Usage: python3 scripts/check_transformer.py PROVE.json models/NAME.expected.json
"""

import json
import sys


def main():
    proved = json.load(open(sys.argv[1]))
    expected = json.load(open(sys.argv[2]))
    out = proved["outputs"][0]
    values, want = out["values"], expected["output"]
    if len(values) != len(want):
        sys.exit(f"{len(values)} logits proved, {len(want)} expected")
    bound = 0.01 * max(1.0, max(abs(v) for v in want))
    err = max(abs(a - b) for a, b in zip(values, want))
    vocab = out["shape"][-1]
    argmax = [
        max(range(vocab), key=lambda j: values[p * vocab + j]) for p in range(len(values) // vocab)
    ]
    print(f"max |error| {err:.5f} (bound {bound:.5f}); argmax {argmax}")
    if err > bound:
        sys.exit(f"error {err} above 1% of max(1, max|float|) = {bound}")
    step = 2.0 ** -8
    for p, (got, ref) in enumerate(zip(argmax, expected["argmax"])):
        if got == ref:
            continue
        row = want[p * vocab:(p + 1) * vocab]
        top = sorted(row, reverse=True)
        if top[0] - top[1] > step:
            sys.exit(f"position {p}: argmax {got}, onnxruntime's {ref} (margin {top[0] - top[1]:.5f})")
        print(f"position {p}: argmax {got} vs {ref}, a tie at 2^-8 (float margin {top[0] - top[1]:.5f})")
    print(f"{proved['total_s']:.1f} s, proof {proved['proof_bytes']} bytes, "
          f"peak {proved['peak_rss_bytes'] / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
