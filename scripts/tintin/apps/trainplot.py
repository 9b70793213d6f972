# SPDX-License-Identifier: Apache-2.0
"""learning_curve.png of `tintin train`: held-out accuracy and loss per epoch (integer, and
float32 with --compare-float) over the integer run's new saturation counts per epoch."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from tintin.apps.trainfit import COUNTERS, Curve


def plot(path: Path | BinaryIO, name: str, ints: Curve, flt: Curve | None,
         sat: list[dict[str, int]]) -> None:  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ep = range(1, len(ints.accuracy) + 1)
    fig, (acc_ax, loss_ax, sat_ax) = plt.subplots(
        3, 1, sharex=True, figsize=(7, 8), gridspec_kw={"height_ratios": [3, 3, 2]}
    )
    for ax, key, label in ((acc_ax, "accuracy", "held-out accuracy"),
                           (loss_ax, "loss", "held-out cross-entropy")):  # fmt: skip
        ax.plot(ep, getattr(ints, key), marker="o", label="integer (Tin-Tin)")
        if flt is not None:
            ax.plot(ep, getattr(flt, key), marker="s", label="float32, same start and order")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    acc_ax.legend()
    # New counts per epoch rather than running totals, on a log scale: a counter that keeps
    # rising shows as a level line, and counts of 10 and 10^6 share one panel.
    top = 10
    for key in COUNTERS[:-1]:
        per = np.diff([0] + [s[key] for s in sat])
        sat_ax.plot(ep, per, marker=".", label=key)
        top = max(top, int(per.max()) * 2)
    sat_ax.set_yscale("symlog", linthresh=1)
    sat_ax.set_ylim(0, top)
    sat_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    sat_ax.set_ylabel("new per epoch")
    sat_ax.set_xlabel("epoch")
    sat_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    sat_ax.grid(True, alpha=0.3)
    sat_ax.legend(title="integer run", ncol=4, fontsize="small", title_fontsize="small",
                  loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)  # fmt: skip
    acc_ax.set_title(f"{name}: training on the PC, bit-exact with the device")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
