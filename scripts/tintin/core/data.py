# SPDX-License-Identifier: Apache-2.0
"""A labelled split, inputs as int8 with one exponent, and the sample order every trainer shares.

NumPy only: the loaders of real datasets are tasks (tintin.tasks).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass
class Split:
    """A fixed train/test split: real-valued features, uint8 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    classes: int


def input_exponent(m: float) -> int:
    """The smallest e with m <= 127 * 2^e, for the largest magnitude m > 0 of the inputs."""
    e = int(np.ceil(np.log2(m / 127.0)))
    while m > 127.0 * 2.0**e:  # guard the float log against rounding down
        e += 1
    while e > -126 and m <= 127.0 * 2.0 ** (e - 1):
        e -= 1
    return e


def quantize_inputs(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Real values to int8 with one exponent: the smallest e with max|x| <= 127 * 2^e."""
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if m == 0.0:
        return np.zeros(x.shape, np.int8), 0
    e = input_exponent(m)
    return np.clip(np.rint(x * 2.0**-e), -127, 127).astype(np.int8), e


def quantize_like(x: np.ndarray, exp: int) -> np.ndarray:
    """Quantise held-out data with the training data's exponent, saturating."""
    return np.clip(np.rint(x * 2.0**-exp), -127, 127).astype(np.int8)


def epoch_order(n: int, epoch: int, seed: int) -> np.ndarray:
    """Sample order of one epoch, identical for every trainer."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def batches(n: int, batch: int, epoch: int, seed: int) -> Iterator[np.ndarray]:
    """Index arrays of one epoch, the last one possibly short."""
    order = epoch_order(n, epoch, seed)
    for k in range(0, n, batch):
        yield order[k : k + batch]
