# SPDX-License-Identifier: Apache-2.0
"""Random trainable models for the tests that compare two ways of running one: odd shapes
(primes, 1-wide maps and layers), SAME padding with stride 2, frozen and bias-only layers,
every preset and loss, batches of 1 and more. One generator, driven either by hypothesis
(`models()`, which shrinks a failure) or by a seeded NumPy generator (`model_from_rng`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

import numpy as np
from hypothesis import strategies as st

from tintin.core import spec
from tintin.core.spec import Optim

T = TypeVar("T")

PRESETS = {
    "default": Optim(),
    "lean": Optim.lean(),
    "compact": Optim.compact(),
    "momentum": Optim.momentum(),
    "niti": Optim(spec.RULE_NITI, 0, 1, 2, 0, 0, spec.ROUND_PSEUDO),
    # NITI normalises to mu + 8 bits where a layer has masters: conv layers only here.
    "niti-conv-masters": Optim(spec.RULE_NITI, 0, 1, 2, 0, 8, spec.ROUND_PSEUDO, spec.UPSCALE_CONV),
}
ODD = (1, 2, 3, 5, 7, 11, 13)  # map sizes: primes and 1-wide
UNITS = (1, 2, 3, 5, 7, 11)
TRAINS = ("full", "frozen", "bias_only")


class Picker(Protocol):
    def int(self, lo: int, hi: int) -> int: ...  # lo..hi inclusive
    def pick(self, options: Sequence[T]) -> T: ...


class DrawPicker:
    """Choices from hypothesis, so that a failing model shrinks."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def int(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def pick(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))


class RngPicker:
    """Choices from a seeded generator: the long run is the same models every time."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def int(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.rng.integers(len(options)))]


def _conv_rows(p: Picker, one_d: bool) -> list[dict[str, object]]:
    conv = "conv1d" if one_d else "conv2d"
    rows: list[dict[str, object]] = []
    if p.int(0, 3) == 0:  # a pool straight on the inputs sees whole windows of -128
        k = p.int(1, 3)
        rows.append({"type": p.pick(("maxpool", "avgpool")),
                     "kernel": [k] if one_d else [k, p.int(1, 3)],
                     "stride": p.int(0, 2), "pad": p.pick(("valid", "same"))})  # fmt: skip
    for _ in range(p.int(1, 2)):
        kernel = [p.int(1, 3)] if one_d else [p.int(1, 3), p.int(1, 3)]
        rows.append(
            {
                "type": conv,
                "units": p.pick(UNITS[:4]),
                "kernel": kernel,
                # SAME with stride 2 (uneven padding on odd sizes) as often as the rest.
                "stride": p.int(1, 2),
                "pad": p.pick(("valid", "same")),
                "train": p.pick(TRAINS),
            }
        )
        if p.int(0, 2):
            rows.append({"type": "relu"})
        pool = p.pick(("maxpool", "avgpool", None))
        if pool is not None:
            k = p.int(1, 3)
            rows.append(
                {
                    "type": pool,
                    "kernel": [k] if one_d else [k, p.int(1, 3)],
                    "stride": p.int(0, 2),
                    "pad": p.pick(("valid", "same")),
                }
            )
    if p.int(0, 2) == 0:
        rows.append({"type": "gap"})
    return rows


def random_model(p: Picker) -> spec.ModelSpec | None:
    """A random trainable model, or None when the draw makes a table the planner refuses."""
    kind = p.pick(("mlp", "mlp_flatten", "conv1d", "conv2d"))
    loss = p.pick((spec.LOSS_XENT, spec.LOSS_MSE))
    optim = PRESETS[p.pick(tuple(PRESETS))]
    batch = p.pick((1, 1, 2, 3, 4, 8))
    rows: list[dict[str, object]] = []
    if kind == "mlp":
        dims = (1, 1, p.pick((*ODD, 17)))
    elif kind == "conv1d":
        dims = (1, p.pick(ODD[1:]), p.int(1, 3))
        rows = _conv_rows(p, True)
    else:
        dims = (p.pick(ODD), p.pick(ODD), p.int(1, 3))
        rows = _conv_rows(p, False) if kind == "conv2d" else []
    rows.append({"type": "flatten"})
    for _ in range(p.int(0, 2)):
        rows += [{"type": "dense", "units": p.pick(UNITS), "train": p.pick(TRAINS)},
                 {"type": "relu"}]  # fmt: skip
    classes = p.pick((2, 3, 5, 7)) if loss == spec.LOSS_XENT else p.pick((1, 2, 3, 5))
    rows.append({"type": "dense", "units": classes, "train": p.pick(TRAINS)})
    seed = p.int(0, 9999)
    try:
        sp = spec.build(dims, rows, seed, optim=optim, max_batch=batch, loss=loss)
    except ValueError:
        return None
    weighted = [layer for layer in sp.layers if layer.kind in spec.WEIGHT_LAYERS]
    if all(layer.train == spec.TRAIN_FROZEN for layer in weighted):
        return None  # not trainable: init refuses it in training mode
    rng = np.random.default_rng(seed)
    for layer in weighted:
        if rng.integers(2):  # nonzero biases, so that bias-only layers start off zero
            layer.bias = rng.integers(-3000, 3000, layer.units).astype(np.int32)
    return sp


def model_from_rng(rng: np.random.Generator) -> spec.ModelSpec:
    while (sp := random_model(RngPicker(rng))) is None:
        pass
    return sp


@st.composite
def models(draw: st.DrawFn) -> spec.ModelSpec | None:
    return random_model(DrawPicker(draw))
