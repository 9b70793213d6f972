# SPDX-License-Identifier: Apache-2.0
"""Integer training runs on a split, epoch by epoch, the way the demos and benchmarks run them.

The C runtime (clib.CModel) or the NumPy reference (RefModel) trains with inputs as int8 at the
training set's exponent, in the shared sample order (data.batches); the held-out accuracy is
reported after every epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tintin.core import average, data
from tintin.core.refmodel import RefModel
from tintin.core.spec import ModelSpec
from tintin.native import clib


@dataclass
class IntRun:
    """Per-epoch held-out accuracy of an integer run and its arena measurements."""

    accuracy: list[float]
    arena_bytes: int
    arena_high_water: int


def make_model(sp: ModelSpec, backend: str, paint: int = 0xA5) -> object:
    """A trainable model on the C runtime ("c") or the NumPy reference ("ref")."""
    if backend == "ref":
        return RefModel(sp)
    return clib.CModel(sp, paint=paint)


def average_into(avg: object, model: object, epoch: int) -> None:
    """The running weight average after epoch (0-based) on either backend."""
    q = average.share(epoch + 1)
    if isinstance(avg, clib.CModel):
        avg.average_from(model, q)  # type: ignore[arg-type]
    else:
        average.average(avg, model, q)  # type: ignore[arg-type]


def held_out_epochs(
    model: object, split: object, epochs: int, batch: int, seed: int, avg: object = None
) -> Iterator[float]:
    """Train an integer model epoch by epoch (inputs as int8 at the training set's exponent),
    yielding its held-out accuracy after each epoch; with avg (a model of the same table on
    the same backend), the accuracy of the running weight average it holds."""
    x_train, x_exp = data.quantize_inputs(split.x_train)
    x_test = data.quantize_like(split.x_test, x_exp)
    for epoch in range(epochs):
        for idx in data.batches(len(x_train), batch, epoch, seed):
            model.train_step(x_train[idx], x_exp, labels=split.y_train[idx])
        scored = model
        if avg is not None:
            average_into(avg, model, epoch)
            scored = avg
        yield scored.evaluate(x_test, x_exp, split.y_test) / len(x_test)


def train_int(
    sp: ModelSpec,
    split: object,
    epochs: int,
    batch: int,
    seed: int,
    backend: str = "c",
    progress: Callable[[int, float], None] | None = None,
) -> IntRun:
    """Train an integer model epoch by epoch and evaluate on the held-out split."""
    model = make_model(sp, backend)
    accs = []
    for epoch, acc in enumerate(held_out_epochs(model, split, epochs, batch, seed)):
        accs.append(acc)
        if progress is not None:
            progress(epoch, acc)
    planned = getattr(model, "planned", 0)
    high = model.high_water() if hasattr(model, "high_water") else 0
    return IntRun(accs, planned, high)
