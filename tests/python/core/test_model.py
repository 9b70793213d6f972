# SPDX-License-Identifier: Apache-2.0
"""Whole models: C runtime against the NumPy reference, planner exactness, error paths."""

import ctypes as ct
import errno

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pairs import assert_same_params, measured_high_water

from tintin.core import spec
from tintin.core.refmodel import RefModel
from tintin.core.spec import Layer, Optim
from tintin.native import clib
from tintin.tasks import digits

pytestmark = pytest.mark.clib


def random_model(draw_ints: list[int], optim: Optim, loss: int, batch: int) -> spec.ModelSpec:
    sizes = draw_ints
    sp = spec.mlp(sizes, seed=sum(sizes), optim=optim, max_batch=batch, loss=loss)
    rng = np.random.default_rng(len(sizes))
    for layer in sp.layers:
        if layer.kind == spec.LAYER_DENSE:
            layer.bias = rng.integers(-3000, 3000, layer.units).astype(np.int32)
    return sp


def run_both(sp: spec.ModelSpec, steps: int, seed: int, x_exp: int = -7, t_exp: int = -6):
    c, r = clib.CModel(sp, paint=0xA5), RefModel(sp)
    rng = np.random.default_rng(seed)
    n_in, n_out = sp.input_size, spec.layer_shapes(sp)[-1][1]
    for step in range(steps):
        # The first batch is full so that the planned buffers are used to the last byte.
        n = sp.max_batch if step == 0 else int(rng.integers(1, sp.max_batch + 1))
        x = rng.integers(-128, 128, (n, n_in)).astype(np.int8)  # the full range, -128 too
        if sp.loss == spec.LOSS_XENT:
            kw = {"labels": rng.integers(0, n_out, n).astype(np.uint8)}
        else:
            kw = {"targets": rng.integers(-127, 128, (n, n_out)).astype(np.int8), "t_exp": t_exp}
        c.train_step(x, x_exp, **kw)
        r.train_step(x, x_exp, **kw)
        if step % 17 == 0:
            assert_same_params(c, r, f"step {step}")
    return c, r


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # 1-wide layers and primes beside the small sizes (test_differential.py covers CNNs).
    sizes=st.lists(
        st.one_of(st.integers(2, 12), st.sampled_from([1, 13, 17])), min_size=2, max_size=4
    ),
    preset=st.sampled_from([None, Optim(), Optim.lean(), Optim.compact(), Optim.momentum()]),
    rule=st.sampled_from([spec.RULE_ALIGNED, spec.RULE_NITI]),
    rounding=st.sampled_from([spec.ROUND_STOCHASTIC, spec.ROUND_PSEUDO]),
    momentum=st.sampled_from([0, 2, 4]),
    upscale=st.sampled_from([0, 8]),
    scope=st.sampled_from([spec.UPSCALE_ALL, spec.UPSCALE_CONV]),
    lr_shift=st.integers(0, 8),
    lr_mult=st.sampled_from([1, 3, 5, 7]),
    mu=st.integers(0, 4),
    loss=st.sampled_from([spec.LOSS_XENT, spec.LOSS_MSE]),
    batch=st.integers(1, 9),
    modes=st.lists(st.sampled_from([0, 1, 2]), min_size=4, max_size=4),
    seed=st.integers(0, 1000),
)
# A dead network: the 2-unit layer's weights and biases are all negative after a ReLU, so no
# error ever reaches the first layer and its gradient row is never formed.
@example(
    sizes=[17, 1, 2, 2], preset=None, rule=spec.RULE_ALIGNED, rounding=spec.ROUND_STOCHASTIC,
    momentum=0, upscale=0, scope=spec.UPSCALE_ALL, lr_shift=0, lr_mult=1, mu=0,
    loss=spec.LOSS_XENT, batch=2, modes=[0, 0, 0, 0], seed=0,
)  # fmt: skip
def test_random_models_bit_exact(
    sizes, preset, rule, rounding, momentum, upscale, scope, lr_shift, lr_mult, mu, loss, batch,
    modes, seed,
):  # fmt: skip
    if loss == spec.LOSS_XENT:
        sizes[-1] = max(sizes[-1], 2)
    # Either a preset as applications use it or any combination of the optimizer's fields.
    optim = preset or Optim(rule, lr_shift, lr_mult, mu, momentum, upscale, rounding, scope)
    sp = random_model(sizes, optim, loss, batch)
    dense = [layer for layer in sp.layers if layer.kind == spec.LAYER_DENSE]
    for layer, mode in zip(dense, modes, strict=False):
        layer.train = mode
    if all(layer.train == spec.TRAIN_FROZEN for layer in dense):
        dense[-1].train = spec.TRAIN_FULL
    start = [(layer.weights.copy(), layer.bias.copy()) for layer in dense]
    c, r = run_both(sp, 40, seed)
    assert_same_params(c, r, "end")
    assert c.stats() == vars(r.stats)
    # The planned arena is used to its last byte, unless a trained layer never got an error:
    # the runtime skips the gradient row of a unit without error (model_train.c), and such a
    # layer ends exactly where it started.
    idle = any(
        layer.train != spec.TRAIN_FROZEN
        and np.array_equal(c.layer_params(i)["w"], w0)
        and np.array_equal(c.layer_params(i)["bias"], b0)
        for i, layer, (w0, b0) in zip(r.dense, dense, start, strict=True)
    )
    assert c.high_water() == c.planned or (idle and c.high_water() < c.planned)


def test_flatten_first_and_frozen_middle():
    sp = spec.mlp([12, 6, 5, 3], seed=5, max_batch=4)
    sp.input_shape = (2, 2, 3)
    sp.layers.insert(0, Layer(spec.LAYER_FLATTEN))
    sp.layers[3].train = spec.TRAIN_FROZEN  # middle dense propagates error but stays put
    c, r = run_both(sp, 60, 3)
    assert_same_params(c, r, "end")
    assert np.array_equal(c.layer_params(3)["w"], sp.layers[3].weights)


@pytest.mark.parametrize("mode", [spec.MODE_TRAIN, spec.MODE_INFER])
def test_planner_equals_high_water(mode):
    sp = spec.mlp(
        [20, 16, 9, 4], seed=2, max_batch=6, optim=Optim(momentum_shift=3, upscale_bits=8)
    )
    high, planned = measured_high_water(sp, mode, steps=3)
    assert high == planned


def test_arena_too_small_is_enomem():
    sp = spec.mlp([8, 4, 2], seed=1, max_batch=2)
    need = clib.plan(sp)
    with pytest.raises(clib.TintinError) as exc:
        clib.CModel(sp, arena=need - 1)
    assert exc.value.errno == errno.ENOMEM
    clib.CModel(sp, arena=need)  # exactly enough is enough


def _desc_error(sp: spec.ModelSpec, mode: int = spec.MODE_TRAIN) -> int:
    with pytest.raises(clib.TintinError) as exc:
        clib.plan(sp, mode)
    return exc.value.errno


def test_bad_tables_are_rejected():
    sp = spec.mlp([8, 4, 2], seed=1)
    sp.layers.insert(0, Layer(spec.LAYER_RELU))
    assert _desc_error(sp) == errno.EINVAL  # ReLU on the caller's input
    sp = spec.mlp([8, 4, 2], seed=1)
    sp.layers.append(Layer(99))
    assert _desc_error(sp) == errno.EINVAL  # unknown layer type
    sp = spec.mlp([8, 4, 2], seed=1, optim=Optim(lr_shift=31))
    assert _desc_error(sp) == errno.ERANGE
    sp = spec.mlp([8, 4, 2], seed=1, optim=Optim(upscale_bits=4))
    assert _desc_error(sp) == errno.ERANGE
    sp = spec.mlp([8, 4, 1], seed=1)
    assert _desc_error(sp) == errno.EINVAL  # cross-entropy on one output
    sp = spec.mlp([8, 4, 2], seed=1, max_batch=0)
    assert _desc_error(sp) == errno.EINVAL
    sp = spec.mlp([8, 4, 2], seed=1)
    for layer in sp.layers:
        layer.train = spec.TRAIN_FROZEN
    assert _desc_error(sp, spec.MODE_TRAIN) == errno.EINVAL
    assert clib.plan(sp, spec.MODE_INFER) > 0


def test_bad_batches_are_rejected():
    sp = spec.mlp([8, 4, 3], seed=1, max_batch=2)
    c = clib.CModel(sp)
    x = np.zeros((2, 8), np.int8)
    for kw in ({"labels": np.array([0, 3], np.uint8)}, {}):
        with pytest.raises(clib.TintinError) as exc:
            c.train_step(x, -7, **kw)
        assert exc.value.errno == errno.EINVAL
    with pytest.raises(clib.TintinError):
        c.train_step(np.zeros((3, 8), np.int8), -7, labels=np.zeros(3, np.uint8))
    infer = clib.CModel(sp, mode=spec.MODE_INFER)
    with pytest.raises(clib.TintinError):
        infer.train_step(x, -7, labels=np.zeros(2, np.uint8))
    assert c.stats()["steps"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "optim",
    [
        Optim(),
        Optim.compact(),
        Optim.momentum(),
        Optim(spec.RULE_NITI, 0, 1, 2, 0, 0, spec.ROUND_PSEUDO),
    ],
    ids=["default", "compact", "momentum", "niti"],
)
def test_digits_training_run_bit_exact(optim):
    """600 steps of the demo network on real digits: identical weights, exponents, losses."""
    data = pytest.importorskip("tintin.core.data")
    split = digits.load_digits_split()
    xq, x_exp = data.quantize_inputs(split.x_train)
    sp = spec.mlp([64, 32, 10], seed=1, optim=optim, max_batch=8)
    c, r = clib.CModel(sp), RefModel(sp)
    steps = 0
    for epoch in range(10):
        for idx in data.batches(len(xq), 8, epoch, 1):
            c.train_step(xq[idx], x_exp, labels=split.y_train[idx])
            r.train_step(xq[idx], x_exp, labels=split.y_train[idx])
            yc, ec = c.forward(xq[idx], x_exp)
            yr, er = r.forward(xq[idx], x_exp)
            assert ec == er and np.array_equal(yc, yr)
            steps += 1
            if steps >= 600:
                break
        if steps >= 600:
            break
    assert steps == 600
    assert_same_params(c, r, "after 600 steps")
    assert c.stats() == vars(r.stats)
    xt, _ = data.quantize_inputs(split.x_test)
    assert c.evaluate(xt, x_exp, split.y_test) == r.evaluate(xt, x_exp, split.y_test)


def test_corrupt_table_is_refused():
    """A weight byte changed under the table's hash (a flash bit flip): init says so."""
    sp = spec.mlp([6, 4, 3], seed=2)
    good = clib.CModel(sp)
    assert good.stats()["steps"] == 0
    h0 = spec.table_hash(sp)
    cd = clib.CDesc(sp)
    assert cd.desc.hash == h0 == clib.lib().tintin_model_desc_hash(ct.byref(cd.desc))
    cd.keep[0][0, 0] ^= 0x04
    need = ct.c_size_t()
    ret = clib.lib().tintin_model_plan(ct.byref(cd.desc), spec.MODE_TRAIN, ct.byref(need))
    assert ret == -errno.EINVAL
    cd.desc.hash = clib.lib().tintin_model_desc_hash(ct.byref(cd.desc))
    assert clib.lib().tintin_model_plan(ct.byref(cd.desc), spec.MODE_TRAIN, ct.byref(need)) == 0
    assert cd.desc.hash != h0
