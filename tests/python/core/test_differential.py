# SPDX-License-Identifier: Apache-2.0
"""Differential test: random models, C runtime against the NumPy reference, bit-exact.

Random MLPs and CNNs with odd shapes (primes, 1-wide maps and layers), SAME padding with
stride 2, frozen and bias-only layers, every preset, batches of 1 and more, trained on int8
inputs over the full range (-128 included, with whole samples at -128 and at 127). Each step
compares both sides' activation exponents, saturation counters and outputs; parameters every
few steps and at the end. The models come from one generator driven either by hypothesis
(shrinks a failure) or by a seeded NumPy generator (the 300 x 300 run, reproducible by
its seed: a failure names the model index to rerun with TINTIN_DIFF_MODELS).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pairs import assert_same_params
from randmodels import model_from_rng, models

from tintin.core import spec
from tintin.core.refmodel import DenseState, RefModel
from tintin.native import clib

pytestmark = pytest.mark.clib


def full_range(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """int8 samples over -128..127, some of them all -128 or all 127 (the saturating ends)."""
    x = rng.integers(-128, 128, (n, size)).astype(np.int8)
    ends = rng.integers(0, 8, n)
    x[ends == 0] = -128
    x[ends == 1] = 127
    return x


def run_differential(sp: spec.ModelSpec, steps: int, seed: int, check_every: int = 25) -> None:
    """steps training steps of the C model and the reference on the same random batches."""
    c, r = clib.CModel(sp, paint=0xA5), RefModel(sp)
    # A trained dense layer forms its gradient row in the scratch only at batch > 1 and when
    # one of its units has an error (the C runtime skips units without one, unless momentum or
    # NITI visits them all): the planner's worst case is reached only where every such layer
    # did so once. A dead ReLU can keep a layer from it for a whole run.
    every_row = sp.optim.momentum_shift != 0 or sp.optim.rule == spec.RULE_NITI
    formed: set[int] = set()
    grads = r._grads

    def spy(st: DenseState, err: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if st.shape.geom is None and len(err) > 1 and (every_row or np.any(err != 0)):
            formed.add(id(st))
        return grads(st, err, x)

    r._grads = spy  # type: ignore[method-assign]
    rng = np.random.default_rng(seed)
    n_out = spec.layer_shapes(sp)[-1][1]
    x_exp = int(rng.integers(-9, -4))
    for step in range(steps):
        # The first batch is full so that the planned buffers are used to the last byte.
        n = sp.max_batch if step == 0 else int(rng.integers(1, sp.max_batch + 1))
        x = full_range(rng, n, sp.input_size)
        if sp.loss == spec.LOSS_XENT:
            kw: dict[str, object] = {"labels": rng.integers(0, n_out, n).astype(np.uint8)}
        else:
            kw = {"targets": full_range(rng, n, n_out), "t_exp": x_exp + 1}
        c.train_step(x, x_exp, **kw)  # type: ignore[arg-type]
        r.train_step(x, x_exp, **kw)  # type: ignore[arg-type]
        where = f"step {step}"
        assert c.act_exps() == r.act_exps, f"{where}: activation exponents differ"
        assert c.stats() == vars(r.stats), f"{where}: counters differ"
        yc, ec = c.forward(x, x_exp)
        yr, er = r.forward(x, x_exp)
        assert ec == er and np.array_equal(yc, yr), f"{where}: outputs differ"
        if step % check_every == 0:
            assert_same_params(c, r, where)
    assert_same_params(c, r, f"after {steps} steps")
    assert c.stats() == vars(r.stats)
    rows = {id(st) for i, st in r.dense.items()
            if st.shape.geom is None and sp.layers[i].train == spec.TRAIN_FULL}  # fmt: skip
    if rows <= formed:
        assert c.high_water() == c.planned, f"{where}: the planner is exact"
    else:
        assert c.high_water() <= c.planned, f"{where}: the planner covers the run"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(sp=models(), seed=st.integers(0, 999))
def test_random_models_full_range(sp, seed):
    assume(sp is not None)
    run_differential(sp, 12, seed, check_every=4)


@pytest.mark.parametrize("mode", [spec.MODE_TRAIN, spec.MODE_INFER])
def test_maxpool_first_planned_exactly(mode):
    """Found by the differential test: the planner reserved int32 scratch for a first max-pool's
    outputs (84 bytes planned, 56 touched in training); max-pooling writes int8 directly."""
    rows = [{"type": "maxpool", "kernel": [3, 3], "stride": 1, "pad": "same"},
            {"type": "flatten"}, {"type": "dense", "units": 2}]  # fmt: skip
    sp = spec.build((3, 3, 1), rows, 1)
    x = np.full((1, 9), -128, np.int8)
    high = 0
    for paint in (0xA5, 0x5A):  # a byte written with the paint value cannot hide
        c = clib.CModel(sp, mode=mode, paint=paint)
        if mode == spec.MODE_TRAIN:
            c.train_step(x, -7, labels=np.zeros(1, np.uint8))
        c.forward(x, -7)
        high = max(high, c.high_water())
    assert high == c.planned


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("loss", [spec.LOSS_XENT, spec.LOSS_MSE])
def test_dense_chunks(batch, loss):
    """Dense outputs and errors wider than the scratch go through it in chunks (300 outputs of
    the frozen layer in forward, its 300 inputs' errors of the last one in backward, against a
    64-value chunk at batch 1), each requantised tile by tile: the integers of the whole
    tensor."""
    rows = [{"type": "dense", "units": 40}, {"type": "relu"},
            {"type": "dense", "units": 300, "train": "frozen"}, {"type": "relu"},
            {"type": "dense", "units": 6}]  # fmt: skip
    sp = spec.build((1, 1, 20), rows, 3, max_batch=batch, loss=loss)
    run_differential(sp, 30, batch, check_every=5)


def differential_run(models_n: int, steps: int, seed: int) -> None:
    only = os.environ.get("TINTIN_DIFF_MODELS")  # "17" or "17,40": rerun those models
    rng = np.random.default_rng(seed)
    for k in range(models_n):
        sp = model_from_rng(rng)
        if only is not None and str(k) not in only.split(","):
            continue
        try:
            run_differential(sp, steps, seed * 1000 + k)
        except AssertionError as exc:
            names = {v: k for k, v in spec.LAYER_NAMES.items()}
            kinds = [names[layer.kind] for layer in sp.layers]
            raise AssertionError(
                f"model {k} of seed {seed} (input {sp.input_shape}, layers {kinds}, "
                f"batch {sp.max_batch}, optim {sp.optim}, loss {sp.loss}): {exc}"
            ) from exc


def test_random_models_quick():
    """20 seeded models x 30 steps, in the normal suite."""
    differential_run(20, 30, 1)


@pytest.mark.slow
def test_random_models_long():
    """300 seeded models x 300 steps over the full int8 range, bit-exact (issue 18)."""
    t0 = time.monotonic()
    differential_run(300, 300, 18)
    print(f"differential: 300 models x 300 steps in {time.monotonic() - t0:.0f} s")
