# SPDX-License-Identifier: Apache-2.0
"""Convolution and pooling layers: C against the NumPy reference in whole models."""

import ctypes as ct
import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pairs import cnn, cnn_spec, measured_high_water, run_pair

from tintin.core import numerics as nx
from tintin.core import spec
from tintin.core.spec import Optim
from tintin.native import cabi, clib
from tintin.tasks import digits

pytestmark = pytest.mark.clib

LENET = digits.LENET_ROWS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=cnn(),
    optim=st.sampled_from(
        [Optim(), Optim.momentum(), Optim(spec.RULE_NITI, 0, 1, 2, 0, 0, spec.ROUND_PSEUDO)]
    ),
    batch=st.integers(1, 4),
    seed=st.integers(0, 99),
)
def test_random_cnns_bit_exact(model, optim, batch, seed):
    dims, rows = model
    try:
        sp = spec.build(dims, rows, seed, optim=optim, max_batch=batch)
    except ValueError:
        return  # a kernel that does not fit its input: the planner test below covers refusals
    if all(
        layer.train == spec.TRAIN_FROZEN for layer in sp.layers if layer.kind in spec.WEIGHT_LAYERS
    ):
        sp.layers[-1].train = spec.TRAIN_FULL
    run_pair(sp, 12, seed)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=cnn(wide=True),
    optim=st.sampled_from([Optim(), Optim.momentum()]),
    batch=st.integers(1, 3),
    seed=st.integers(0, 99),
)
def test_rows_cut_into_column_tiles_bit_exact(model, optim, batch, seed):
    """Map rows wider than a tile (a 1-D convolution's row is its whole output) go through
    the scratch a run of columns at a time, forward and backward, and requantise to the
    integers of the whole tensor; run_pair also checks the arena against the plan."""
    sp = cnn_spec(model, optim, batch, seed)
    if sp is not None:
        run_pair(sp, 4, seed)


def test_a_1d_convolution_needs_no_whole_output_in_int32():
    """The motion network at batch 1: its first convolution writes 48 x 16 values, but the
    int32 scratch holds only the largest gradient row (5 taps x 16 channels)."""
    from tintin.tasks import motion

    sp = motion.motion_spec(Optim(), 1, 1)
    assert clib.plan_parts(sp)["scratch"] == 4 * 80


def test_geometry_refusals_match():
    """A table the reference refuses is refused by the C planner too, with -EINVAL."""
    sp = spec.build((6, 6, 1), [{"type": "dense", "units": 2}], 1)
    sp.layers.insert(
        0,
        spec.Layer(
            spec.LAYER_CONV2D,
            units=2,
            kernel_h=7,
            kernel_w=7,
            stride=1,
            weights=np.zeros((2, 7, 7, 1), np.int8),
        ),
    )
    with pytest.raises(ValueError):
        spec.layer_geometry(sp)
    with pytest.raises(clib.TintinError) as exc:
        clib.plan(sp)
    assert exc.value.errno == 22


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["full", "last2", "bias_only", "infer"])
def test_lenet_planner_equals_high_water(mode):
    rows = [dict(r) for r in LENET]
    sp = spec.build((28, 28, 1), rows, 1, max_batch=4)
    if mode == "last2":
        spec.train_last(sp, 2)
    if mode == "bias_only":
        for layer in sp.layers:
            if layer.kind in spec.WEIGHT_LAYERS:
                layer.train = spec.TRAIN_BIAS_ONLY
    m = spec.MODE_INFER if mode == "infer" else spec.MODE_TRAIN
    high, planned = measured_high_water(sp, m)
    assert high == planned


@pytest.mark.slow
def test_lenet_training_run_bit_exact():
    """100 steps of LeNet-5 (batch 4) on random 28x28 inputs: C and reference agree."""
    sp = spec.build((28, 28, 1), [dict(r) for r in LENET], 1, max_batch=4)
    run_pair(sp, 100, 5)


@given(
    st.integers(1, 3),
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 3),
    st.sampled_from([spec.PAD_VALID, spec.PAD_SAME]),
    st.integers(0, 2**32 - 1),
)
def test_maxpool_packed_indices(nb, h, w, c, kh, kw, stride, pad, seed):
    """Max-pool backward from the packed window indices equals the reference's, which scans x."""
    layer = spec.Layer(spec.LAYER_MAXPOOL, kernel_h=kh, kernel_w=kw, stride=stride, pad=pad)
    try:
        g = spec.shapes_of((h, w, c), [layer])[0].geom
    except ValueError:
        return
    cg = cabi.CGeom(*dataclasses.astuple(g))
    rng = np.random.default_rng(seed)
    # A narrow value range makes ties common: the first maximum must win in both.
    x = rng.integers(-128, -125, (nb, h * w * c)).astype(np.int8)
    n_out = nb * g.out_h * g.out_w * c
    n_idx = clib.lib().tintin_maxpool_idx_bytes(ct.byref(cg), n_out)
    dx = ct.c_uint8(0)
    bits = clib.lib().tintin_maxpool_idx_bits(ct.byref(cg), ct.byref(dx))
    assert bits in (0, 1, 2, 4, 8) and n_idx == (n_out * bits + 7) // 8
    y = np.zeros(n_out, np.int8)
    idx = np.full(n_idx + 1, 0x5A, np.uint8)  # one guard byte past the indices
    clib.lib().tintin_maxpool_forward_s8(
        clib.ptr(x, clib.P8), nb, ct.byref(cg), clib.ptr(y, clib.P8), clib.ptr(idx, clib.PU8)
    )
    assert np.array_equal(y, nx.maxpool_forward(x, g).ravel())
    assert idx[-1] == 0x5A
    err = rng.integers(-127, 128, n_out).astype(np.int8)
    acc = np.zeros(nb * h * w * c, np.int32)
    clib.lib().tintin_maxpool_backward_s8(
        clib.ptr(idx, clib.PU8), clib.ptr(err, clib.P8), nb, ct.byref(cg), clib.ptr(acc, clib.P32)
    )
    assert np.array_equal(acc, nx.maxpool_backward(x, err.reshape(nb, -1), g).ravel())


def test_maxpool_window_too_wide_to_index():
    """16x16 windows index in 8 bits; 17x17 would need 10 and both sides refuse them."""
    rows = [
        {"type": "maxpool", "kernel": [16, 16]},
        {"type": "flatten"},
        {"type": "dense", "units": 2},
    ]
    sp = spec.build((16, 16, 1), rows, 1)
    assert clib.plan(sp) > 0
    sp.input_shape = (17, 17, 1)
    sp.layers[0].kernel_h = sp.layers[0].kernel_w = sp.layers[0].stride = 17
    with pytest.raises(ValueError, match="8 bits"):
        spec.layer_geometry(sp)
    with pytest.raises(clib.TintinError) as exc:
        clib.plan(sp)
    assert exc.value.errno == 22
