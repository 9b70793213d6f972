# SPDX-License-Identifier: Apache-2.0
"""Epochs and held-out passes on the PC with the batch loop in C.

The C runtime (clib.CModel) trains a run of batches in one call (tintin_train_order,
lib/tintin/port/host_train.c) and forwards a held-out set in another (tintin_forward_order),
reading the samples where they lie in the whole set, instead of crossing from Python into C
once per step; the NumPy reference (RefModel) steps batch by batch as before. Both give the same
integers as calling train_step and forward batch by batch in the same order
(tests/python/native/test_hosttrain.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tintin.core.refmodel import RefModel
from tintin.native import clib

# Steps per C call: between calls the progress callback runs (and Ctrl-C gets through). 64
# steps of batch 8 are about 10 ms for a 784-128-10 MLP, 0.15 s for LeNet-5.
CHUNK_STEPS = 64


def train_epoch(
    model: RefModel | clib.CModel,
    x: np.ndarray,
    x_exp: int,
    labels: np.ndarray,
    order: np.ndarray,
    batch: int,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Train on the samples order[k : k + batch] of x for k = 0, batch, ...: the same steps as
    model.train_step(x[idx], x_exp, labels=labels[idx]) on each of those batches.

    x and labels are the whole set (order indexes them: no copy of the training part).
    advance(samples) runs with the samples trained since its last call, every CHUNK_STEPS
    steps and after the last step (a progress bar's update). Returns the steps taken.
    """
    steps = -(-len(order) // batch)
    if isinstance(model, clib.CModel):
        # As C reads them, once for the epoch (no copy when they already are).
        x = np.ascontiguousarray(x, np.int8)
        labels = np.ascontiguousarray(labels, np.uint8)
        for k in range(0, steps, CHUNK_STEPS):
            part = order[k * batch : (k + CHUNK_STEPS) * batch]
            model.train_order(x, x_exp, part, batch, labels=labels)
            if advance is not None:
                advance(len(part))
        return steps
    done = 0
    for k in range(steps):
        idx = order[k * batch : (k + 1) * batch]
        model.train_step(x[idx], x_exp, labels=labels[idx])
        if advance is not None and ((k + 1) % CHUNK_STEPS == 0 or k + 1 == steps):
            advance(min((k + 1) * batch, len(order)) - done)
            done = min((k + 1) * batch, len(order))
    return steps


def outputs(
    model: RefModel | clib.CModel, x: np.ndarray, x_exp: int, batch: int,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Forward passes over x[rows] (all of x by default), batch samples at a time: the int8
    outputs [n, classes] (as int64) and every sample's output exponent (its pass's).
    """
    if isinstance(model, clib.CModel) and batch == model.spec.max_batch:
        out, exps = model.forward_order(x, x_exp, rows)
        return out.astype(np.int64), np.repeat(exps, batch)[: len(out)]
    rows = np.arange(len(x)) if rows is None else rows
    outs, exps = [], []
    for k in range(0, len(rows), batch):
        o, oe = model.forward(x[rows[k : k + batch]], x_exp)
        outs.append(np.asarray(o, np.int64))
        exps.append(np.full(len(o), oe, np.int64))
    return np.concatenate(outs), np.concatenate(exps)
