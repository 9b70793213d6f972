# SPDX-License-Identifier: Apache-2.0
"""The epochs of `tintin train`: the training loop, the held-out passes after each epoch, the
curves and counters they record, and the progress line or bar.

tintin.apps.train reads the command line and the files and writes the results; this module
only trains (the C runtime through tintin.native.hosttrain, or the NumPy reference) and
measures.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from tintin.core import average, data, spec
from tintin.core.floatref import FloatModel
from tintin.core.refmodel import RefModel
from tintin.io import inputs
from tintin.native import clib, hosttrain
from tintin.tasks.runs import average_into

PROG = "tintin train"
# struct tintin_stats fields recorded per epoch (steps is the denominator).
COUNTERS = ("act_sat", "err_sat", "param_sat", "rescales", "update_clips", "steps")
# Float32 held-out passes go this many samples at a time: a conv layer's patches of a whole
# test set would not fit in memory.
FLOAT_CHUNK = 512

Model = RefModel | clib.CModel


class Progress:
    """Training progress on stderr: on a terminal, a tqdm bar per epoch with ETA and samples/s;
    anywhere else (a log file, a pipe, CI) one plain line per epoch and never a '\\r', since a
    redrawn bar in a file is megabytes of noise."""

    def __init__(self, epochs: int, samples: int, stream: TextIO | None = None) -> None:
        self.epochs, self.samples = epochs, samples
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty()) if callable(isatty) else False

    @contextmanager
    def epoch(self, epoch: int) -> Iterator[Callable[[int], None]]:
        """Yields the function to call with the samples of each step."""
        start = time.perf_counter()
        if self.tty:
            from tqdm import tqdm

            desc = f"epoch {epoch + 1}/{self.epochs}"
            # A pseudo-terminal may report a size of 0 x 0 (a fresh pty, some CI runners),
            # where tqdm draws nothing at all: a fixed 80 x 24 then.
            sized = min(terminal_size(self.stream)) > 0
            with tqdm(total=self.samples, desc=desc, unit=" samples", unit_scale=True,
                      leave=False, file=self.stream, dynamic_ncols=sized,
                      ncols=None if sized else 80, nrows=None if sized else 24) as bar:  # fmt: skip
                yield bar.update
            return
        yield lambda n: None
        took = time.perf_counter() - start
        rate = f"{self.samples / took:,.0f}" if took > 0 else "-"
        self.stream.write(
            f"{PROG}: epoch {epoch + 1}/{self.epochs}: {self.samples:,} samples in "
            f"{took:.2f} s, {rate} samples/s\n"
        )
        self.stream.flush()


def terminal_size(stream: TextIO) -> tuple[int, int]:
    """(columns, lines) of the terminal behind stream; (0, 0) when it has none."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both of the first
        return 0, 0
    return size.columns, size.lines


def xent(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy of logits [n, classes]: a stable log-softmax in float64."""
    z = np.asarray(z, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]


def held_out_int(
    model: Model, x: np.ndarray, e: int, y: np.ndarray, batch: int, rows: np.ndarray | None = None
) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of the integer model on x[rows] (all of x by default),
    max_batch samples at a time: rows index the whole set, so no copy of the held-out part."""
    rows = np.arange(len(y)) if rows is None else rows
    out, oe = hosttrain.outputs(model, x, e, batch, rows)  # one C call for the C runtime
    yt = y[rows]
    # Argmax of the int8 outputs, as tintin_model_evaluate; the row maximum comes off in
    # integers before scaling, since 2^oe alone can overflow float64 on a runaway exponent.
    hits = int(np.count_nonzero(np.argmax(out, axis=1) == yt))
    z = np.asarray(out - out.max(axis=1, keepdims=True), np.float64)
    with np.errstate(over="ignore"):  # a -inf logit gives the true loss, inf or 0
        losses = xent(np.ldexp(z, oe[:, None]), yt)
    return hits / len(rows), float(losses.mean())


def real(x: np.ndarray, e: int) -> np.ndarray:
    """The real values the integer path sees, exact in float32 (int8 times a power of two)."""
    return np.ldexp(x.astype(np.float32), e)


def held_out_float(
    fm: FloatModel, x: np.ndarray, e: int, y: np.ndarray, rows: np.ndarray
) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of the float32 model on the int8 codes x[rows] * 2^e."""
    chunks = (rows[k : k + FLOAT_CHUNK] for k in range(0, len(rows), FLOAT_CHUNK))
    z = np.concatenate([fm.forward(real(x[r], e)) for r in chunks])
    yt = y[rows]
    return float(np.mean(np.argmax(z, axis=1) == yt)), float(xent(z, yt).mean())


def counters(model: Model) -> dict[str, int]:
    """The cumulative saturation counters (RefModel keeps a Stats, CModel returns a dict)."""
    s = model.stats() if callable(model.stats) else dataclasses.asdict(model.stats)
    return {k: int(s[k]) for k in COUNTERS}


def finite(v: float) -> float | None:
    """JSON has no NaN or infinity: a diverged loss is written as null."""
    return v if math.isfinite(v) else None


@dataclass
class Curve:
    """Held-out accuracy and loss per epoch of one trainer."""

    accuracy: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)

    def add(self, acc: float, loss: float) -> None:
        self.accuracy.append(acc)
        self.loss.append(loss)

    @property
    def best(self) -> int:
        """Index of the first epoch with the highest accuracy."""
        return int(np.argmax(self.accuracy))

    def summary(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "final_accuracy": self.accuracy[-1],
            "best_epoch": self.best + 1,
            "best_accuracy": self.accuracy[self.best],
            "loss": [finite(v) for v in self.loss],
            "final_loss": finite(self.loss[-1]),
        }

    def line(self) -> str:
        return f"{self.accuracy[-1]:.4f}  loss {self.loss[-1]:.4f}"

    def final(self) -> str:
        b = self.best
        return f"{self.accuracy[-1]:.4f} (best {self.accuracy[b]:.4f} at epoch {b + 1})"


@dataclass
class Data:
    """The int8 codes of every sample (one array, never copied per split), their exponent,
    the labels and the indices of the two sides of the split; how the codes were made, the
    class and feature names when the file had them, and what to warn about."""

    x: np.ndarray
    e: int
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray
    scaling: inputs.Scaling
    classes: list[str] | None = None
    names: list[str] | None = None
    warning: str | None = None


@dataclass
class History:
    """What the epochs left: both curves, the counters, the exponents, the best model."""

    ints: Curve = field(default_factory=Curve)
    flt: Curve = field(default_factory=Curve)
    sat: list[dict[str, int]] = field(default_factory=list)
    w_exp: list[list[int]] = field(default_factory=list)
    best: spec.ModelSpec | None = None
    stopped_early: bool = False

    @property
    def epochs_run(self) -> int:
        return len(self.ints.accuracy)


def epoch_batches(rows: np.ndarray, batch: int, epoch: int, seed: int) -> Iterator[np.ndarray]:
    """The training rows of one epoch in batches, shuffled by the generator seeded with
    (seed, epoch) that every trainer of the project shares (data.epoch_order)."""
    for idx in data.batches(len(rows), batch, epoch, seed):
        yield rows[idx]


def fit(args: argparse.Namespace, sp: spec.ModelSpec, model: Model, fm: FloatModel | None,
        d: Data) -> History:  # fmt: skip
    """Trains epoch by epoch, keeps the best epoch's model, stops on --patience. With
    --average the held-out figures, the best epoch and the model kept are those of the running
    weight average (tintin_model_average after each epoch), for float32 too."""
    h = History()
    avg: Model | None = None
    favg = None
    if getattr(args, "average", False):
        avg = (clib.CModel(sp, spec.MODE_AVERAGE) if isinstance(model, clib.CModel)
               else average.model(sp))  # fmt: skip
        favg = FloatModel(sp) if fm is not None else None
    layers = spec.weight_layers(sp)
    held_sat = 0  # act_sat of the held-out passes, kept out of the training counters
    progress = Progress(args.epochs, len(d.train))
    for epoch in range(args.epochs):
        with progress.epoch(epoch) as advance:
            # The batches of epoch_batches; the C runtime runs their loop itself (hosttrain).
            order = d.train[data.epoch_order(len(d.train), epoch, args.seed)]
            hosttrain.train_epoch(model, d.x, d.e, d.y, order, sp.max_batch,
                                  advance if fm is None else None)  # fmt: skip
            if fm is not None:  # the same batches, as real values; the bar follows the slower
                for rows in epoch_batches(d.train, sp.max_batch, epoch, args.seed):
                    with np.errstate(all="ignore"):  # a diverging float32 run shows as its loss
                        fm.train_step(real(d.x[rows], d.e), d.y[rows])
                    advance(len(rows))
        c = counters(model)
        scored = model
        if avg is not None:
            average_into(avg, model, epoch)
            scored = avg
        h.ints.add(*held_out_int(scored, d.x, d.e, d.y, sp.max_batch, d.test))
        h.sat.append(c | {"act_sat": c["act_sat"] - held_sat})
        held_sat += counters(model)["act_sat"] - c["act_sat"]
        h.w_exp.append([int(model.layer_params(i)["w_exp"]) for i in layers])
        if h.ints.best == epoch:  # a new best (a tie keeps the earlier epoch)
            h.best = spec.trained_spec(sp, scored)
        line = f"epoch {epoch + 1:3d}  held-out accuracy {h.ints.line()}"
        if fm is not None:
            if favg is not None:
                favg.average_from(fm, average.share(epoch + 1))
            with np.errstate(all="ignore"):
                h.flt.add(*held_out_float(favg if favg is not None else fm, d.x, d.e, d.y, d.test))
            line += f"  | float32 {h.flt.line()}"
        print(line, flush=True)
        if args.patience is not None and epoch - h.ints.best >= args.patience:
            h.stopped_early = True
            break
    return h
