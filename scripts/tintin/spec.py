# SPDX-License-Identifier: Apache-2.0
"""Model specification shared by the NumPy reference, the C binding and the float32 trainer.

A spec is the Python twin of the C layer table (``struct tintin_model_desc``): layer types,
shapes, training modes, initial int8 weights with their exponents, loss and optimizer settings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

# Enum values mirror lib/tintin/include/tintin/types.h.
LAYER_DENSE = 1
LAYER_RELU = 2
LAYER_FLATTEN = 3

TRAIN_FULL = 0
TRAIN_FROZEN = 1
TRAIN_BIAS_ONLY = 2

LOSS_XENT = 0
LOSS_MSE = 1

RULE_ALIGNED = 0
RULE_NITI = 1

ROUND_STOCHASTIC = 0
ROUND_PSEUDO = 1

MODE_TRAIN = 0
MODE_INFER = 1

# Bias and master weights carry this many more fractional bits than the int8 weights.
BIAS_EXTRA_BITS = 8

LAYER_NAMES = {"dense": LAYER_DENSE, "relu": LAYER_RELU, "flatten": LAYER_FLATTEN}


@dataclass
class Layer:
    """One row of the layer table."""

    kind: int
    units: int = 0
    train: int = TRAIN_FULL
    weights: np.ndarray | None = None  # int8 [units, fan_in]
    w_exp: int = 0
    bias: np.ndarray | None = None  # int32 [units] at exponent w_exp - BIAS_EXTRA_BITS


@dataclass
class Optim:
    """Optimizer settings (``struct tintin_optim_cfg``)."""

    # Defaults = TINTIN_OPTIM_DEFAULT: the best setting of `tintin sweep` (docs/numerics.md).
    rule: int = RULE_ALIGNED
    lr_shift: int = 5  # learning rate 2^-lr_shift (times lr_mult)
    lr_mult: int = 1  # bit k set adds 2^-k to the multiplier: 1 -> 1.0, 3 -> 1.5, 5 -> 1.25
    mu: int = 0  # NITI rule: update bit-width
    momentum_shift: int = 3  # 0 = off, else beta = 1 - 2^-momentum_shift
    upscale_bits: int = 8  # 0 = int8 weights; 8 = int16 master weights behind an int8 view
    rounding: int = ROUND_STOCHASTIC

    @classmethod
    def lean(cls) -> Optim:
        """TINTIN_OPTIM_LEAN: int8 weights, no momentum, lr 2^-3 (3.2x less arena on digits)."""
        return cls(lr_shift=3, momentum_shift=0, upscale_bits=0)


@dataclass
class ModelSpec:
    """A whole model: input shape (h, w, c per sample), layers, loss, optimizer, batch, seed."""

    input_shape: tuple[int, int, int]
    layers: list[Layer]
    loss: int = LOSS_XENT
    optim: Optim = field(default_factory=Optim)
    max_batch: int = 1
    seed: int = 1

    @property
    def input_size(self) -> int:
        h, w, c = self.input_shape
        return h * w * c


def quantize_weights(w: np.ndarray) -> tuple[np.ndarray, int]:
    """Float weights to int8 with one exponent, NITI-style: the largest magnitude uses the range.

    The exponent is the smallest e with max|w| <= 127 * 2^e, so nothing saturates.
    """
    m = float(np.max(np.abs(w)))
    if m == 0.0:
        return np.zeros(w.shape, np.int8), 0
    e = int(np.ceil(np.log2(m / 127.0)))
    q = np.clip(np.rint(w * 2.0**-e), -127, 127).astype(np.int8)
    return q, e


def mlp(
    sizes: list[int],
    seed: int,
    *,
    optim: Optim | None = None,
    max_batch: int = 1,
    loss: int = LOSS_XENT,
) -> ModelSpec:
    """A dense/ReLU MLP with He-uniform float init quantised to int8 (zero biases)."""
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        limit = np.sqrt(6.0 / fan_in)
        w = rng.uniform(-limit, limit, size=(fan_out, fan_in))
        q, e = quantize_weights(w)
        layers.append(
            Layer(LAYER_DENSE, units=fan_out, weights=q, w_exp=e, bias=np.zeros(fan_out, np.int32))
        )
        if i < len(sizes) - 2:
            layers.append(Layer(LAYER_RELU))
    return ModelSpec(
        input_shape=(1, 1, sizes[0]),
        layers=layers,
        loss=loss,
        optim=optim or Optim(),
        max_batch=max_batch,
        seed=seed,
    )


def layer_shapes(spec: ModelSpec) -> list[tuple[int, int]]:
    """Per layer (fan_in, fan_out) in elements per sample; raises ValueError on a bad table."""
    shapes = []
    size = spec.input_size
    for i, layer in enumerate(spec.layers):
        if layer.kind == LAYER_DENSE:
            if layer.weights is None or layer.weights.shape != (layer.units, size):
                raise ValueError(
                    f"layer {i}: dense weights must have shape ({layer.units}, {size})"
                )
            shapes.append((size, layer.units))
            size = layer.units
        elif layer.kind in (LAYER_RELU, LAYER_FLATTEN):
            shapes.append((size, size))
        else:
            raise ValueError(f"layer {i}: unknown layer type {layer.kind}")
    return shapes
