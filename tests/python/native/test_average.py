# SPDX-License-Identifier: Apache-2.0
"""Weight averaging: tintin_model_average and tintin_average_share are bit-exact with
tintin.core.average on trained models of every preset (the int8 weights, their 16-bit averages,
biases and exponents); the averaging layout (TINTIN_MODE_AVERAGE) is the inference layout plus
the trained parameters at 16 bits; a far-apart exponent restarts the average from the model;
bad arguments are refused with the average unchanged."""

from __future__ import annotations

import errno
import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pairs import run_pair
from test_fleet import model, params, same

from tintin.core import average, spec
from tintin.core.refmodel import RefModel
from tintin.io import fleetmsg
from tintin.native import clib

pytestmark = pytest.mark.clib


def of_c(c: clib.CModel, sp: spec.ModelSpec) -> dict[int, fleetmsg.LayerParams]:
    """params() with the weights flat, as the reference's params_of gives them."""
    return {i: fleetmsg.LayerParams(p.w_exp, None if p.w is None else p.w.ravel(), p.bias)
            for i, p in params(c, sp).items()}  # fmt: skip


def sixteen_c(c: clib.CModel, sp: spec.ModelSpec) -> dict[int, np.ndarray]:
    return {i: np.asarray(c.layer_params(i)["w16"]).ravel()
            for i, (what, _, _) in spec.trained_params(sp).items()
            if what & spec.PARAM_WEIGHTS}  # fmt: skip


def sixteen_ref(r: RefModel, sp: spec.ModelSpec) -> dict[int, np.ndarray]:
    return {i: np.asarray(r.dense[i].w16).ravel()
            for i, (what, _, _) in spec.trained_params(sp).items()
            if what & spec.PARAM_WEIGHTS}  # fmt: skip


def alike(ca: clib.CModel, ra: RefModel, sp: spec.ModelSpec) -> bool:
    a, b = sixteen_c(ca, sp), sixteen_ref(ra, sp)
    return same(of_c(ca, sp), fleetmsg.params_of(ra)) and a.keys() == b.keys() and all(
        np.array_equal(a[i], b[i]) for i in a)  # fmt: skip


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**16), st.integers(0, 20))
@settings(max_examples=300, deadline=None)
def test_share_is_the_reference(t, span, floor_shift):
    got = clib.lib().tintin_average_share(t, span, floor_shift)
    assert got == average.share(t, span, floor_shift)
    assert 1 <= got <= average.ALL


def test_default_schedule():
    shares = [average.share(t) for t in range(1, 200)]
    assert shares[0] == (3 << 16) // 4
    assert all(a >= b for a, b in itertools.pairwise(shares))
    assert shares[-1] == average.ALL >> average.FLOOR_SHIFT  # the floor: 1/32


def train_both(c: clib.CModel, r: RefModel, sp: spec.ModelSpec, steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = spec.layer_shapes(sp)[-1][1]
    for _ in range(steps):
        n = int(rng.integers(1, sp.max_batch + 1))
        x = rng.integers(-128, 128, (n, sp.input_size)).astype(np.int8)
        y = rng.integers(0, classes, n).astype(np.uint8)
        c.train_step(x, -3, labels=y)
        r.train_step(x, -3, labels=y)


@pytest.mark.parametrize("optim", ["default", "compact", "momentum", "hybrid"])
@given(seed=st.integers(0, 2**16), shares=st.lists(st.integers(1, average.ALL), min_size=1,
                                                   max_size=5))  # fmt: skip
@settings(max_examples=15, deadline=None)
def test_average_is_the_reference(optim, seed, shares):
    sp = model(seed=seed % 97, optim=optim)
    c, r = run_pair(sp, 4, seed=seed, x_exp=-3)
    ca, ra = clib.CModel(sp, spec.MODE_AVERAGE), average.model(sp)
    assert alike(ca, ra, sp)  # the table's parameters, at 16 bits
    for k, q in enumerate(shares):
        ca.average_from(c, q)
        average.average(ra, r, q)
        assert alike(ca, ra, sp), f"average {k} (share {q})"
        train_both(c, r, sp, 3, seed + k)
    assert same(of_c(c, sp), fleetmsg.params_of(r))


def test_all_copies_the_model_and_predicts_as_it():
    sp = model(optim="default")
    c, _ = run_pair(sp, 6, seed=5, x_exp=-3)
    a = clib.CModel(sp, spec.MODE_AVERAGE, paint=0xA5)
    a.average_from(c, average.ALL)
    assert same(params(a, sp), params(c, sp))
    x = np.random.default_rng(1).integers(-128, 128, (sp.max_batch, sp.input_size)).astype(np.int8)
    ya, ea = a.forward(x, -3)
    yc, ec = c.forward(x, -3)
    assert ea == ec and np.array_equal(ya, yc)
    assert a.high_water() == a.planned


def test_the_average_keeps_sixteen_bits():
    """A blend at a share of 2^-5 moves the average by less than an int8 step per weight: the
    16-bit average keeps it in its low bytes, where an int8 average would round it away or
    onto a random step."""
    sp = model(optim="default")
    c, _ = run_pair(sp, 6, seed=9, x_exp=-3)
    a = clib.CModel(sp, spec.MODE_AVERAGE)
    a.average_from(c, average.ALL)
    assert all(np.array_equal(v % 256, np.zeros_like(v)) for v in sixteen_c(a, sp).values())
    rng = np.random.default_rng(2)
    for _ in range(5):
        x = rng.integers(-128, 128, (sp.max_batch, sp.input_size)).astype(np.int8)
        c.train_step(x, -3, labels=rng.integers(0, 3, sp.max_batch).astype(np.uint8))
    a.average_from(c, 2048)
    assert any(np.count_nonzero(v % 256) for v in sixteen_c(a, sp).values())


@pytest.mark.parametrize("optim", ["default", "compact", "momentum"])
def test_the_averaging_layout_is_inference_plus_the_trained_parameters(optim):
    sp = model(optim=optim)
    infer = clib.plan_parts(sp, spec.MODE_INFER)
    avg = clib.plan_parts(sp, spec.MODE_AVERAGE)
    trained = spec.trained_params(sp)
    n_w = sum(r * w for what, r, w in trained.values() if what & spec.PARAM_WEIGHTS)
    n_b = sum(r for _, r, _ in trained.values())
    assert avg["params"] == 2 * n_w + 4 * n_b and infer["params"] == 0
    assert avg["optim"] == 0  # no momentum: the low bytes are the average itself
    assert {k: v for k, v in avg.items() if k not in ("params", "align")} == {
        k: v for k, v in infer.items() if k not in ("params", "align")}  # fmt: skip


def global_model(sp: spec.ModelSpec, weight: int, w_exp: Callable[[int], int]) -> bytes:
    """A global model whose trained weights all equal weight (biases 5), layer i at w_exp(i)."""
    layers = {}
    for i, (what, rows, row) in spec.trained_params(sp).items():
        w = np.full(rows * row, weight, np.int8) if what & spec.PARAM_WEIGHTS else None
        layers[i] = fleetmsg.LayerParams(w_exp(i), w, np.full(rows, 5, np.int32))
    return fleetmsg.pack(sp, fleetmsg.Message(fleetmsg.GLOBAL, 1, 1, layers))


def at_exponent(sp: spec.ModelSpec, side: int) -> bytes:
    """A global model whose trained layers sit at the bottom (0) or top (1) of their windows."""
    return global_model(sp, 3, lambda i: spec.w_exp_window(sp, i)[side])


def test_far_apart_exponents_restart_the_average(capfd):
    sp = model()
    lo, hi = clib.CModel(sp), clib.CModel(sp)
    rlo, rhi = RefModel(sp), RefModel(sp)
    for c, r, side in ((lo, rlo, 0), (hi, rhi, 1)):
        c.fleet_apply(at_exponent(sp, side))
        fleetmsg.apply_ref(r, at_exponent(sp, side))
    a, ra = clib.CModel(sp, spec.MODE_AVERAGE), average.model(sp)
    a.average_from(lo, average.ALL)
    average.average(ra, rlo, average.ALL)
    assert spec.W_EXP_SPAN * 2 > 15  # the window allows a spread the average cannot blend
    capfd.readouterr()
    a.average_from(hi, 1000)
    assert "restarts" in capfd.readouterr().err
    average.average(ra, rhi, 1000)
    assert same(params(a, sp), params(hi, sp))
    assert alike(a, ra, sp)


def filled(sp: spec.ModelSpec, up: int) -> bytes:
    """A global model whose weights are all 127, two steps (plus up) above the bottom of
    their windows."""
    return global_model(sp, 127, lambda i: spec.w_exp_window(sp, i)[0] + 2 + up)


def test_a_small_share_follows_weights_past_the_sixteen_bit_range():
    """Weights at the top of int8 that double (the model one exponent coarser): the average
    must move to the coarser exponent too. With 15 bits as its only limit, a share of 2^-9
    steps R by about 63 a call from its clamp at S16P_MAX (32639), never past 32767, and the
    average stayed clamped at half the model's weights for good."""
    sp = model(optim="default")
    c, r = clib.CModel(sp), RefModel(sp)
    ca, ra = clib.CModel(sp, spec.MODE_AVERAGE), average.model(sp)
    for up, q in ((0, average.ALL), (1, 128)):
        c.fleet_apply(filled(sp, up))
        fleetmsg.apply_ref(r, filled(sp, up))
        calls = 1 if q == average.ALL else 500
        for k in range(calls):
            ca.average_from(c, q)
            average.average(ra, r, q)
            if k % 50 == 0 or k == calls - 1:
                assert alike(ca, ra, sp), f"call {k}"
    # The exact running average of 127 then 254 (at the first exponent), after 500 calls.
    want = 127 * (2 - (1 - 128 / average.ALL) ** 500)
    for i, w16 in sixteen_c(ca, sp).items():
        e0 = spec.w_exp_window(sp, i)[0] + 2
        got = w16.astype(np.float64) * 2.0 ** (ca.layer_params(i)["w_exp"] - 8 - e0)
        assert np.allclose(got, want, rtol=0.01), (i, got.min(), got.max(), want)


def refused(a: clib.CModel, m: clib.CModel, share: int, sp: spec.ModelSpec) -> None:
    before = params(a, sp)
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        a.average_from(m, share)
    assert exc.value.errno == errno.EINVAL and exc.value.log
    assert same(params(a, sp), before)


def test_bad_arguments_are_refused():
    sp = model()
    c, _ = run_pair(sp, 3, seed=1, x_exp=-3)
    a = clib.CModel(sp, spec.MODE_AVERAGE)
    for q in (0, average.ALL + 1, 2**32 - 1):
        refused(a, c, q, sp)
    refused(a, a, 1000, sp)
    refused(a, clib.CModel(model(seed=4)), 1000, sp)  # another table
    refused(a, clib.CModel(sp, spec.MODE_AVERAGE), 1000, sp)  # a source that does not train
    refused(clib.CModel(sp), c, 1000, sp)  # a training model as the average
    infer = clib.CModel(sp, mode=spec.MODE_INFER)  # no RAM copies to hold an average
    with pytest.raises(clib.TintinError), clib.c_log():
        infer.average_from(c, 1000)
    ra, r = average.model(sp), RefModel(sp)
    for q in (0, average.ALL + 1):
        with pytest.raises(average.AverageError):
            average.average(ra, r, q)
    with pytest.raises(average.AverageError):
        average.average(ra, ra, 1000)
    with pytest.raises(average.AverageError):
        average.average(RefModel(sp), r, 1000)
    with pytest.raises(average.AverageError):
        average.average(ra, RefModel(model(seed=4)), 1000)


@pytest.mark.parametrize("optim", ["default", "compact", "hybrid"])
def test_averaged_training_runs_are_bit_exact(optim):
    """Whole runs (tasks.runs.held_out_epochs with an average): the same held-out accuracy
    every epoch and the same average at the end, on C and on the reference."""
    from tintin.core import data
    from tintin.tasks.runs import held_out_epochs

    rng = np.random.default_rng(7)
    centers = rng.normal(0, 1, (3, 6))
    y = rng.integers(0, 3, 120).astype(np.uint8)
    x = (centers[y] + rng.normal(0, 0.7, (120, 6))).astype(np.float32)
    split = data.Split(x[:90], y[:90], x[90:], y[90:], "blobs", 3)
    sp = model(seed=11, optim=optim)
    c, ca = clib.CModel(sp), clib.CModel(sp, spec.MODE_AVERAGE)
    r, ra = RefModel(sp), average.model(sp)
    got_c = list(held_out_epochs(c, split, 6, sp.max_batch, 3, ca))
    got_r = list(held_out_epochs(r, split, 6, sp.max_batch, 3, ra))
    assert got_c == got_r
    assert alike(ca, ra, sp)
    assert not same(of_c(ca, sp), of_c(c, sp))  # the average is not the last iterate
