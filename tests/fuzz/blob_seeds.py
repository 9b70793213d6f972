# SPDX-License-Identifier: Apache-2.0
"""Seed corpus of the model-blob fuzz target: valid blobs of small models that cover every
layer type, both losses, every optimizer family and parameter padding.

    python tests/fuzz/blob_seeds.py DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from tintin.core import spec
from tintin.core.spec import Optim
from tintin.io import blob

MODELS: dict[str, tuple[tuple[int, int, int], list[dict[str, object]], Optim, int]] = {
    "mlp": (
        (1, 1, 12),
        [{"type": "dense", "units": 6}, {"type": "relu"}, {"type": "dense", "units": 3}],
        Optim.momentum(), spec.LOSS_XENT,
    ),
    "conv1d_maxpool": (
        (1, 9, 3),
        [{"type": "conv1d", "units": 3, "kernel": [3], "stride": 1, "pad": "same"},
         {"type": "relu"}, {"type": "maxpool", "kernel": [2], "stride": 0, "pad": "same"},
         {"type": "flatten"}, {"type": "dense", "units": 3}],
        Optim.compact(), spec.LOSS_XENT,
    ),
    "conv2d_avgpool_gap_mse": (
        (6, 6, 2),
        [{"type": "conv2d", "units": 4, "kernel": [3, 3], "stride": 1, "pad": "valid",
          "train": "bias_only"},
         {"type": "relu"}, {"type": "avgpool", "kernel": [2, 2], "stride": 0, "pad": "valid"},
         {"type": "conv2d", "units": 3, "kernel": [1, 1], "stride": 1, "pad": "valid"},
         {"type": "gap"}, {"type": "flatten"}, {"type": "dense", "units": 2}],
        Optim.lean(), spec.LOSS_MSE,
    ),
    "niti": (
        (1, 1, 10),
        [{"type": "dense", "units": 5, "train": "frozen"}, {"type": "relu"},
         {"type": "dense", "units": 4}],
        Optim(spec.RULE_NITI, 0, 1, 2, 0, 0, spec.ROUND_PSEUDO), spec.LOSS_XENT,
    ),
}  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: blob_seeds.py DIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, (dims, rows, optim, loss) in MODELS.items():
        sp = spec.build(dims, rows, 7, optim=optim, max_batch=2, loss=loss)
        for layer in sp.layers:
            if layer.bias is not None:  # nonzero, so that bias bytes reach the fuzzer too
                layer.bias = (np.arange(len(layer.bias), dtype=np.int32) - 1) * 301
        (out / name).write_bytes(blob.pack(sp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
