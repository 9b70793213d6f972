# SPDX-License-Identifier: Apache-2.0
"""`tintin headroom`: how much int8 range power-of-two requantisation leaves unused.

Tin-Tin's compound exponents (NUMERICS.md 2.2b) exist to rescale by non-power-of-two factors
so that int8 tensors use more of their range. This measures what there is to win: every
activation and error tensor that the reference requantises while training the digits MLP, its
largest magnitude after requantisation, and the bits a x1.5 factor could have recovered.
"""

from __future__ import annotations

import argparse

import numpy as np

from tintin.core import data, numerics, refmodel, spec
from tintin.core.spec import Optim
from tintin.tasks import digits


def record_maxima(epochs: int, batch: int, seed: int) -> np.ndarray:
    """Largest |q| of every requantised tensor during training (reference model)."""
    seen: list[int] = []
    original = numerics.requantize

    def recording(acc: np.ndarray) -> tuple[np.ndarray, int, int]:
        q, shift, nsat = original(acc)
        seen.append(int(np.max(np.abs(q))) if q.size else 0)
        return q, shift, nsat

    split = digits.load_digits_split()
    xq, x_exp = data.quantize_inputs(split.x_train)
    model = refmodel.RefModel(spec.mlp([64, 32, 10], seed=seed, optim=Optim(), max_batch=batch))
    numerics.requantize = recording
    try:
        for epoch in range(epochs):
            for idx in data.batches(len(xq), batch, epoch, seed):
                model.train_step(xq[idx], x_exp, labels=split.y_train[idx])
    finally:
        numerics.requantize = original
    return np.array(seen)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tintin headroom", description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    m = record_maxima(args.epochs, args.batch, args.seed)
    m = m[m > 0]
    unused = np.log2(127.0 / m)
    up = m < 85  # 85 * 1.5 < 128: a x1.5 factor would still fit
    gain = np.where(up, np.log2(1.5), 0.0)
    print(f"requantised tensors: {m.size}")
    print(f"largest |q| after requantisation: median {np.median(m):.0f}, min {m.min()}")
    print(f"unused int8 range: mean {unused.mean():.2f} bits, max {unused.max():.2f} bits")
    print(f"tensors where x1.5 fits: {100 * up.mean():.1f}%, mean bits recovered {gain.mean():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
