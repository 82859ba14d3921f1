#!/usr/bin/env python3
"""Draw prove time and peak memory against model size from scripts/bench.sh's summary.json.

    python3 scripts/plot_bench.py target/bench/summary.json docs/bench.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    rows = json.load(open(sys.argv[1]))
    rows = sorted(rows, key=lambda r: r["activation_entries"])
    x = [r["activation_entries"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(x, [r["prove_warm_s"] for r in rows], "o-", label="prove, warm (whole command)")
    ax1.plot(x, [r["prove_stage_s"] for r in rows], "s--", label="proving stage")
    ax1.set_ylabel("seconds")
    ax2.plot(x, [r["prove_peak_rss_bytes"] / 1e9 for r in rows], "o-", label="peak RSS")
    ax2.set_ylabel("GB")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("activation entries")
        ax.grid(True, which="both", alpha=0.3)
        for r, xv in zip(rows, x):
            y = r["prove_warm_s"] if ax is ax1 else r["prove_peak_rss_bytes"] / 1e9
            ax.annotate(r["model"], (xv, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.legend(fontsize=8)
    ax1.set_title("prove time")
    ax2.set_title("prove peak memory")
    fig.suptitle("zktorch, bundled models (2-core VM; scripts/bench.sh)", fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
