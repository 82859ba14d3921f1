#!/usr/bin/env python3
"""Compare a `zktorch prove --json` result with onnxruntime's outputs for a real model of
models/REAL.md: every output within 1% of max(1, max|float|) (issue #13's target), and the
class (argmax over the last axis) equal wherever onnxruntime's top two differ by more than two
activation steps (2·2^-8).

Usage: python3 scripts/check_real.py PROVE.json models/real/NAME.expected.json
"""

import json
import sys


def main():
    proved = json.load(open(sys.argv[1]))
    expected = json.load(open(sys.argv[2]))
    outs, wants = proved["outputs"], expected["output_data"]
    if len(outs) != len(wants):
        sys.exit(f"{len(outs)} outputs proved, {len(wants)} expected")
    for out, want, shape in zip(outs, wants, expected["shapes"]):
        values = out["values"]
        if len(values) != len(want):
            sys.exit(f"{out['name']}: {len(values)} values proved, {len(want)} expected")
        bound = 0.01 * max(1.0, max(abs(v) for v in want))
        err = max(abs(a - b) for a, b in zip(values, want))
        print(f"{out['name']}: max |error| {err:.5f} (bound {bound:.5f})")
        if err > bound:
            sys.exit(f"{out['name']}: error {err} above 1% of max(1, max|float|)")
        width = shape[-1]
        for r in range(len(want) // width):
            got, ref = values[r * width:(r + 1) * width], want[r * width:(r + 1) * width]
            top = sorted(ref, reverse=True)
            if width > 1 and top[0] - top[1] > 2 * 2.0 ** -8 and got.index(max(got)) != ref.index(top[0]):
                sys.exit(f"{out['name']} row {r}: class {got.index(max(got))}, onnxruntime's {ref.index(top[0])}")
    print(f"{proved['total_s']:.1f} s, proof {proved['proof_bytes']} bytes, "
          f"peak {proved['peak_rss_bytes'] / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
