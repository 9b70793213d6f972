# SPDX-License-Identifier: Apache-2.0
"""C against the NumPy reference in whole models: the comparisons and the random CNNs the
core, io and native tests share."""

import numpy as np
from hypothesis import strategies as st

from tintin.core import spec
from tintin.core.refmodel import RefModel
from tintin.native import clib

PARAM_KEYS = ("w", "w16", "bias", "w_mom", "b_mom", "w_exp")


def assert_same_params(c: clib.CModel, r: RefModel, where: str) -> None:
    for i in r.dense:
        pc, pr = c.layer_params(i), r.layer_params(i)
        for k in PARAM_KEYS:
            a, b = pc[k], pr[k]
            assert (a is None) == (b is None), f"{where}: layer {i} {k} presence"
            if a is not None:
                assert np.array_equal(a, b), f"{where}: layer {i} {k} differs"


def measured_high_water(sp: spec.ModelSpec, mode: int, steps: int = 2) -> tuple[int, int]:
    """(highest arena byte touched over two paints, planned bytes) after full-batch use.

    Two paint values, because a byte that happens to be written with the paint value looks
    untouched; the guard after the arena must keep its paint.
    """
    rng = np.random.default_rng(0)
    x = rng.integers(-127, 128, (sp.max_batch, sp.input_size)).astype(np.int8)
    y = rng.integers(0, spec.layer_shapes(sp)[-1][1], sp.max_batch).astype(np.uint8)
    marks = []
    for paint in (0xA5, 0x5A):
        c = clib.CModel(sp, mode=mode, paint=paint)
        for _ in range(steps):
            if mode == spec.MODE_TRAIN:
                c.train_step(x, -7, labels=y)
            c.predict(x, -7)
        assert np.all(c.arena_bytes[c.arena_size :] == paint), "write past the end of the arena"
        assert c.arena_used() == c.planned
        marks.append(c.high_water())
    return max(marks), c.planned


def run_pair(sp, steps, seed, x_exp=-7, blob=None):
    """blob: the C model's table comes from parsing this model blob of sp."""
    c, r = clib.CModel(sp, paint=0xA5, blob=blob), RefModel(sp)
    rng = np.random.default_rng(seed)
    classes = spec.layer_shapes(sp)[-1][1]
    for step in range(steps):
        # The first batch is full so that the planned buffers are used to the last byte.
        n = sp.max_batch if step == 0 else int(rng.integers(1, sp.max_batch + 1))
        x = rng.integers(-128, 128, (n, sp.input_size)).astype(np.int8)  # -128 too
        y = rng.integers(0, classes, n).astype(np.uint8)
        c.train_step(x, x_exp, labels=y)
        r.train_step(x, x_exp, labels=y)
        yc, ec = c.forward(x, x_exp)
        yr, er = r.forward(x, x_exp)
        assert ec == er and np.array_equal(yc, yr), f"outputs differ at step {step}"
    assert_same_params(c, r, f"after {steps} steps")
    assert c.stats() == vars(r.stats)
    assert c.high_water() == c.planned
    return c, r


def cnn_spec(model, optim, batch: int, seed: int):
    """The ModelSpec of a cnn() draw with its last layer trained, or None when a kernel does
    not fit its input (the planner tests cover those refusals)."""
    dims, rows = model
    try:
        sp = spec.build(dims, rows, seed, optim=optim, max_batch=batch)
    except ValueError:
        return None
    sp.layers[-1].train = spec.TRAIN_FULL
    return sp


@st.composite
def cnn(draw, wide: bool = False):
    """A small CNN; wide: map rows of up to a few hundred values, wider than the least tile
    (64 values), so that rows are cut into tiles of columns and pools' windows overlap."""
    one_d = draw(st.booleans())
    if wide:
        h = 1 if one_d else draw(st.integers(3, 6))
        w = draw(st.integers(16, 80 if one_d else 40))
        dims = (h, w, draw(st.integers(1, 6)))
    else:
        h = 1 if one_d else draw(st.integers(4, 12))
        w = draw(st.integers(4, 14))
        dims = (h, w, draw(st.integers(1, 3)))
    conv = "conv1d" if one_d else "conv2d"
    rows = []
    for _ in range(draw(st.integers(1, 2))):
        k = (
            [draw(st.integers(1, 3))]
            if one_d
            else [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
        )
        rows.append(
            {
                "type": conv,
                "units": draw(st.integers(1, 12 if wide else 4)),
                "kernel": k,
                "stride": draw(st.integers(1, 2)),
                "pad": draw(st.sampled_from(["valid", "same"])),
                "train": draw(st.sampled_from(["full", "frozen", "bias_only"])),
            }
        )
        rows.append({"type": "relu"})
        pool = draw(st.sampled_from(["maxpool", "avgpool", None]))
        if pool:
            kmax = 3 if wide else 2
            pk = [draw(st.integers(1, kmax))] if one_d else [draw(st.integers(1, kmax))] * 2
            rows.append(
                {
                    "type": pool,
                    "kernel": pk,
                    "stride": draw(st.integers(0, 2)),
                    "pad": draw(st.sampled_from(["valid", "same"])),
                }
            )
    if draw(st.booleans()):
        rows.append({"type": "gap"})
    rows += [{"type": "flatten"}, {"type": "dense", "units": draw(st.integers(2, 4))}]
    return dims, rows
