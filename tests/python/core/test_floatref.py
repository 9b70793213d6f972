# SPDX-License-Identifier: Apache-2.0
"""The float32 baseline trainer: analytic gradients, training modes, data plumbing."""

import numpy as np
import pytest

from tintin.core import data, floatref, spec
from tintin.core.spec import Optim
from tintin.tasks import digits


def check_gradients(model, x, y, limit=None):
    """Analytic gradients against central differences, parameter by parameter (float64)."""
    _, grads = model.gradients(x, y)
    for i, (gw, gb) in grads.items():
        for k, g in enumerate((gw, gb)):
            p = model.params[i][k]
            for idx in list(np.ndindex(p.shape))[:limit]:
                old = p[idx]
                p[idx] = old + 1e-6
                lp, _ = model.gradients(x, y)
                p[idx] = old - 1e-6
                lm, _ = model.gradients(x, y)
                p[idx] = old
                assert abs((lp - lm) / 2e-6 - g[idx]) < 1e-6, (i, k, idx)


@pytest.mark.parametrize("loss", [spec.LOSS_XENT, spec.LOSS_MSE])
def test_gradients_match_finite_differences(loss):
    sp = spec.mlp([5, 4, 3], seed=4, loss=loss, max_batch=3)
    model = floatref.FloatModel(sp, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5))
    y = rng.integers(0, 3, 3) if loss == spec.LOSS_XENT else rng.normal(size=(3, 3))
    check_gradients(model, x, y)


def test_frozen_and_bias_only_layers():
    sp = spec.mlp([5, 4, 3], seed=4, max_batch=2, optim=Optim(momentum_shift=2))
    sp.layers[0].train = spec.TRAIN_FROZEN
    sp.layers[2].train = spec.TRAIN_BIAS_ONLY
    model = floatref.FloatModel(sp)
    before = [[a.copy() for a in model.params[i]] for i in (0, 2)]
    model.train_step(np.ones((2, 5), np.float32), np.array([0, 2]))
    assert np.array_equal(model.params[0][0], before[0][0])
    assert np.array_equal(model.params[0][1], before[0][1])
    assert np.array_equal(model.params[2][0], before[1][0])
    assert not np.array_equal(model.params[2][1], before[1][1])


def test_float_lr():
    assert floatref.float_lr(Optim(lr_shift=4)) == 2.0**-4
    assert floatref.float_lr(Optim(lr_shift=4, lr_mult=3)) == 1.5 * 2.0**-4


def test_digits_split_and_order():
    pytest.importorskip("sklearn")
    s = digits.load_digits_split()
    assert (len(s.y_train), len(s.y_test)) == (1347, 450)
    assert np.all(np.bincount(s.y_test, minlength=10) >= 43)  # stratified: 450 / 10 each, +-2
    q, e = data.quantize_inputs(s.x_train)
    assert e == -7
    assert np.array_equal(q * 2.0**-7, s.x_train)
    order = data.epoch_order(100, 3, 1)
    assert sorted(order) == list(range(100))
    assert np.array_equal(order, data.epoch_order(100, 3, 1))
    assert not np.array_equal(order, data.epoch_order(100, 4, 1))
    assert sum(len(b) for b in data.batches(100, 8, 0, 1)) == 100


def test_cnn_gradients_match_finite_differences():
    rows = [
        {"type": "conv2d", "units": 3, "kernel": [3, 3], "pad": "same", "stride": 2},
        {"type": "relu"},
        {"type": "maxpool", "kernel": [2, 2]},
        {"type": "conv2d", "units": 2, "kernel": [2, 2]},
        {"type": "avgpool", "kernel": [2, 2], "stride": 1, "pad": "same"},
        {"type": "gap"},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
    ]
    sp = spec.build((12, 10, 2), rows, 3, max_batch=3)
    model = floatref.FloatModel(sp, dtype=np.float64)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 240)), np.array([0, 2, 1])
    check_gradients(model, x, y, limit=30)
