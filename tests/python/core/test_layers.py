# SPDX-License-Identifier: Apache-2.0
"""Layer kernels, losses and update rules: C against the NumPy reference on random shapes."""

import ctypes as ct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tintin.core import numerics as nx
from tintin.core.spec import BIAS_EXTRA_BITS, UPDATE_LIMIT
from tintin.native import cabi, clib

pytestmark = pytest.mark.clib

P8, P32, PU8, PU32 = clib.P8, clib.P32, clib.PU8, clib.PU32
DIM = st.integers(1, 40)
SEED = st.integers(0, 2**32 - 1)


def s8(rng, *shape, lo=-127):
    return rng.integers(lo, 128, shape).astype(np.int8)


def p(a, kind):
    return clib.ptr(a, kind)


@given(DIM, DIM, DIM, st.integers(-20, 20), st.booleans(), SEED)
def test_fc_forward(nb, n_in, n_out, bias_shift, with_bias, seed):
    rng = np.random.default_rng(seed)
    x, w = s8(rng, nb, n_in), s8(rng, n_out, n_in)
    bias = rng.integers(-(2**31) + 1, 2**31, n_out).astype(np.int32) if with_bias else None
    acc = np.zeros((nb, n_out), np.int32)
    ws = np.zeros(2 * n_in, np.int32)  # TINTIN_FC_WS_WORDS
    clib.lib().tintin_fc_forward_s8(
        p(x, P8), p(w, P8), p(bias, P32), bias_shift, nb, n_in, n_out, p(acc, P32), p(ws, P32)
    )
    b = np.zeros(n_out, np.int64) if bias is None else nx.i64(bias)
    b0 = nx.round_shift(b, bias_shift) if bias_shift >= 0 else nx.shl_sat32(b, -bias_shift)
    assert np.array_equal(acc, nx.sat32(nx.i64(x) @ nx.i64(w).T + b0))


@given(DIM, DIM, DIM, SEED)
def test_fc_backward_and_grads(nb, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    err, w, x = s8(rng, nb, n_out), s8(rng, n_out, n_in), s8(rng, nb, n_in)
    acc = np.zeros((nb, n_in), np.int32)
    clib.lib().tintin_fc_backward_s8(p(err, P8), p(w, P8), nb, n_in, n_out, p(acc, P32))
    assert np.array_equal(acc, nx.i64(err) @ nx.i64(w))
    want = nx.i64(err).T @ nx.i64(x)
    row = np.zeros(n_in, np.int32)
    for o in range(n_out):
        clib.lib().tintin_fc_grad_row_s8(p(err, P8), p(x, P8), nb, n_in, n_out, o, p(row, P32))
        assert np.array_equal(row, want[o])
        assert clib.lib().tintin_fc_grad_bias_s8(p(err, P8), nb, n_out, o) == err[:, o].sum()


@given(st.integers(1, 300), SEED)
def test_relu(n, seed):
    rng = np.random.default_rng(seed)
    x = s8(rng, n)
    y = x.copy()
    mask = np.full((n + 7) // 8, 0xA5, np.uint8)  # painted: every byte must be written
    clib.lib().tintin_relu_forward_s8(p(y, P8), n, p(mask, PU8))
    assert np.array_equal(y, np.maximum(x, 0))
    assert np.array_equal(np.unpackbits(mask, bitorder="little")[:n], y > 0)
    err = s8(rng, n)
    e2, e3 = err.copy(), err.copy()
    clib.lib().tintin_relu_backward_s8(p(y, P8), p(e2, P8), n)
    assert np.array_equal(e2, np.where(y > 0, err, 0))
    clib.lib().tintin_relu_backward_mask_s8(p(mask, PU8), p(e3, P8), n)
    assert np.array_equal(e3, e2)


@given(st.integers(1, 300), st.integers(0, 31), SEED)
def test_requantize(n, mag, seed):
    rng = np.random.default_rng(seed)
    acc = rng.integers(-(2**mag), 2**mag + 1, n).astype(np.int32)
    out = np.zeros(n, np.int8)
    sat = ct.c_uint32(0)
    shift = clib.lib().tintin_requantize_s8(p(acc, P32), n, p(out, P8), ct.byref(sat))
    q, want_shift, nsat = nx.requantize(acc)
    assert (shift, sat.value) == (want_shift, nsat)
    assert np.array_equal(out, q)


# Magnitudes where the rounding bit decides: x.5 steps below and above 2^k, 127.5 * 2^s
# (rounds to 128 and saturates), -0.5 * 2^s (needs the sign with f = 0), the int32 ends.
EDGES = [v * sgn for k in range(1, 31) for v in (2**k - 1, 2**k, 2**k + 1, 3 << (k - 1))
         for sgn in (1, -1) if v < 2**31]  # fmt: skip
EDGES += [255 << 10, -(255 << 10), -(2**31), 2**31 - 1]


@given(st.integers(1, 300), st.integers(1, 70), st.integers(1, 70), SEED, st.booleans(),
       st.booleans(), st.booleans())  # fmt: skip
def test_requantize_tiled(n, row, tile, seed, edges, near, relu):
    """Tile by tile with deferred rounding gives exactly the whole-tensor requantisation: the
    same int8 values (after a ReLU, for a tensor that feeds one), shift and saturation count,
    for any tiling (rows of row values cut into tiles of tile values, a partial last row), each
    value at its own magnitude so that the tiles' shifts differ (near: within a few bits of
    each other, where tiles share the tensor's shift)."""
    tile = min(tile, row)
    rng = np.random.default_rng(seed)
    mags = rng.integers(0, 32, n)
    if near:
        mags = np.clip(rng.integers(0, 30) + rng.integers(-2, 2, n), 0, 31)
    acc = np.minimum(rng.integers(0, 2**62, n) >> (62 - mags), 2**31 - 1)
    acc = np.where(rng.integers(0, 2, n) == 1, -acc, acc)
    if edges:
        k = rng.integers(0, n + 1)
        acc[rng.choice(n, k)] = rng.choice(EDGES, k)
    acc = acc.astype(np.int32)
    want, got = np.zeros(n, np.int8), np.zeros(n, np.int8)
    bits = np.zeros((n + 7) // 8, np.uint8)
    shifts = np.zeros(-(-n // row) * -(-row // tile), np.uint8)
    s_want, s_got = ct.c_uint32(0), ct.c_uint32(0)
    lib = clib.lib()
    shift = lib.tintin_requantize_s8(p(acc, P32), n, p(want, P8), ct.byref(s_want))
    bufs = (p(got, P8), p(bits, PU8), p(shifts, PU8), ct.byref(s_got))
    tiled = lib.tintin_requantize_tiled_s8(p(acc, P32), n, row, tile, relu, *bufs)
    assert (tiled, s_got.value) == (shift, s_want.value)
    if relu:
        got, want = np.maximum(got, 0), np.maximum(want, 0)
    assert np.array_equal(got, want)


@given(
    st.integers(1, 16), st.integers(2, 40), st.integers(-40, 30), SEED, st.integers(0, 2**32 - 1)
)
def test_xent_grad(nb, classes, e, seed, counter):
    # Exponents from -40 to 30 cover the Taylor branch (e <= -7) and the pinned branch.
    rng = np.random.default_rng(seed)
    z, labels = s8(rng, nb, classes), rng.integers(0, classes, nb).astype(np.uint8)
    r = cabi.Prng()
    clib.lib().tintin_prng_seed(ct.byref(r), seed)
    r.counter = counter
    err = np.zeros((nb, classes), np.int8)
    got_e = clib.lib().tintin_xent_grad_s8(
        p(z, P8), e, p(labels, PU8), nb, classes, ct.byref(r), p(err, P8)
    )
    want, want_e = nx.xent_grad(z, e, labels, r.key, counter)
    assert got_e == want_e
    assert np.array_equal(err, want)


def test_xent_grad_points_downhill():
    # Gradient ~ (softmax - onehot): negative at the label, positive elsewhere.
    z = np.array([[40, -10, 3, 0]], np.int8)
    err, e = nx.xent_grad(z, -4, np.array([1]), nx.prng_key(1), 0)
    assert err[0, 1] < 0 and err[0, 0] > 0
    assert e == -7


@given(st.integers(1, 16), st.integers(1, 20), st.integers(-30, 10), st.integers(-30, 10), SEED)
def test_mse_grad(nb, n_out, e_y, e_t, seed):
    rng = np.random.default_rng(seed)
    y, t = s8(rng, nb, n_out), s8(rng, nb, n_out)
    acc = np.zeros(nb * n_out, np.int32)
    err = np.zeros((nb, n_out), np.int8)
    sat = ct.c_uint32(0)
    got_e = clib.lib().tintin_mse_grad_s8(
        p(y, P8), e_y, p(t, P8), e_t, nb * n_out, nb, p(acc, P32), p(err, P8), ct.byref(sat)
    )
    want, want_e, nsat = nx.mse_grad(y, e_y, t, e_t)
    assert (got_e, sat.value) == (want_e, nsat)
    assert np.array_equal(err, want)


DTYPES = {0: (np.int8, 127), 1: (np.int16, 32767), 2: (np.int32, 2**31 - 1)}
S16P = 3  # int16 in two int8 planes (high, low): TINTIN_DTYPE_S16P


class Planes:
    """int16 masters as the C runtime holds them: int8 high and low planes, keeping both
    alive for the ctypes pointers; values() is 256 * high + low."""

    def __init__(self, w: np.ndarray):
        self.high = nx.planes_high(w).astype(np.int8)
        self.low = (nx.i64(w) - 256 * nx.i64(self.high)).astype(np.int8)

    def values(self) -> np.ndarray:
        return 256 * nx.i64(self.high) + nx.i64(self.low)


def _param(rng, dtype, n, with_mom, off=0):
    """Parameter (and momentum) arrays whose first `off` elements the row must not touch.

    Returns (values getter, momentum, Param, parameter limit, momentum limit)."""
    kind, lim = DTYPES[1 if dtype == S16P else dtype]
    mom_lim = lim
    mom = None
    if with_mom:
        mom = np.concatenate(
            [np.zeros(off, kind), rng.integers(-lim // 4, lim // 4 + 1, n).astype(kind)]
        )
    mp = None if mom is None else mom.ctypes.data
    if dtype == S16P:
        lim = nx.S16P_MAX
        planes = Planes(np.concatenate([np.zeros(off, np.int64), rng.integers(-lim, lim + 1, n)]))
        par = cabi.Param(planes.low.ctypes.data, mp, planes.high.ctypes.data, dtype, -7)
        return planes.values, mom, par, lim, mom_lim, planes
    data = np.concatenate([np.zeros(off, kind), rng.integers(-lim, lim + 1, n).astype(kind)])
    par = cabi.Param(data.ctypes.data, mp, None, dtype, -7)
    return (lambda: nx.i64(data)), mom, par, lim, mom_lim, data


@given(
    st.sampled_from([0, 1, 2, S16P]),
    st.integers(1, 50),
    st.integers(0, 20),
    st.integers(-10, 40),
    st.integers(0, 12),
    st.integers(1, 255),
    st.sampled_from([0, 3]),
    st.integers(0, 1),
    SEED,
)
def test_sgd_aligned_row(dtype, n, off, e_g, lr_shift, lr_mult, mom_shift, rounding, seed):
    rng = np.random.default_rng(seed)
    g = rng.integers(-(2**24), 2**24, n).astype(np.int32)

    def update(cfg, par, r, sat):
        clib.lib().tintin_sgd_aligned_row(
            ct.byref(cfg), ct.byref(par), off, p(g, P32), n, e_g, ct.byref(r), ct.byref(sat)
        )

    # Element off + j draws number off + j of the update.
    _check_aligned(rng, update, g, dtype, off, e_g, lr_shift, lr_mult, mom_shift, rounding, seed,
                   lambda key: nx.param_draws(key, 0, (off + n,))[off:])  # fmt: skip


def _check_aligned(rng, update, g, dtype, off, e_g, lr_shift, lr_mult, mom_shift, rounding, seed,
                   draws_of):  # fmt: skip
    """Run update(cfg, par, prng, sat) on a fresh parameter; compare with the reference for g,
    with the draws draws_of(key) gives."""
    n = len(g)
    values, mom, par, lim, mom_lim, _keep = _param(rng, dtype, n, mom_shift != 0, off)
    d0 = values()[off:]
    m0 = None if mom is None else nx.i64(mom[off:])
    cfg = clib.OptimCfg(0, lr_shift, lr_mult, 0, mom_shift, 0, rounding)
    r = cabi.Prng()
    clib.lib().tintin_prng_seed(ct.byref(r), seed)
    sat = ct.c_uint32(0)
    update(cfg, par, r, sat)
    draws = draws_of(r.key)
    # The update limit is 8 int8 LSBs, 8 << 8 on the finer grid of masters and biases.
    dmax = UPDATE_LIMIT if dtype == 0 else UPDATE_LIMIT << BIAS_EXTRA_BITS
    d, _ = nx.aligned_delta(g, -7 + lr_shift - e_g, lr_mult, rounding == 0, draws, dmax)
    w, m, nsat = nx.apply_update(d0, m0, d, lim, mom_shift, mom_lim)
    assert np.array_equal(values()[off:], w)
    assert not np.any(values()[:off])
    if m is not None:
        assert np.array_equal(mom[off:], m)
    assert sat.value == nsat


# Rows long enough for several of the general path's 16-element chunks, shifts s around the
# 2^14 range of e * x.
@given(
    st.sampled_from([0, 1, 2, S16P]),
    st.integers(1, 70),
    st.integers(0, 20),
    st.integers(-128, 127),
    st.integers(-3, 34),
    st.integers(0, 12),
    st.sampled_from([1, 3, 255]),
    st.sampled_from([0, 3]),
    st.integers(0, 1),
    SEED,
)
def test_sgd_outer_row(dtype, n, off, e, s, lr_shift, lr_mult, mom_shift, rounding, seed):
    """tintin_sgd_outer_row(e, x) is tintin_sgd_aligned_row of the row e * x."""
    _check_outer(dtype, n, off, e, s, lr_shift, lr_mult, mom_shift, rounding, seed)


# Only the settings of the preset loops: lr_mult 1, stochastic rounding (or s = 0), int16
# planes with or without momentum, int8 weights without.
@given(
    st.sampled_from([(0, 0), (S16P, 0), (S16P, 3)]),
    st.integers(1, 70),
    st.integers(0, 20),
    st.integers(-128, 127),
    st.integers(0, 18),
    st.integers(0, 12),
    SEED,
)
def test_sgd_outer_row_presets(kind, n, off, e, s, lr_shift, seed):
    _check_outer(kind[0], n, off, e, s, lr_shift, 1, kind[1], 0, seed)


def _check_outer(dtype, n, off, e, s, lr_shift, lr_mult, mom_shift, rounding, seed):
    e_g = -7 + lr_shift - s
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, n).astype(np.int8)
    x[rng.random(n) < 0.2] = 0  # zero inputs, as after a ReLU
    g = (np.int32(e) * x.astype(np.int32)).astype(np.int32)
    preset = []
    # Row o of rows off elements long starts at element off (row 0 when off is 0).
    o = 1 if off else 0

    def update(cfg, par, r, sat):
        u = cabi.SgdRows()
        clib.lib().tintin_sgd_rows_init(ct.byref(u), ct.byref(cfg), ct.byref(par), e_g,
                                        ct.byref(r), off)  # fmt: skip
        preset.append(u.preset)
        clib.lib().tintin_sgd_outer_row(ct.byref(u), o, e, p(x, P8), n, ct.byref(sat))

    _check_aligned(rng, update, g, dtype, off, e_g, lr_shift, lr_mult, mom_shift, rounding, seed,
                   lambda key: nx.grid_draws(key, 0, o + 1, n)[o])  # fmt: skip
    sto = lr_mult == 1 and 0 < s < 32 and rounding == 0
    want = 0  # the general loop
    if dtype == S16P and not mom_shift and (sto or (lr_mult == 1 and s == 0)):
        want = 2
    elif sto and dtype == S16P:
        want = 1
    elif sto and dtype == 0 and not mom_shift:
        want = 3
    assert preset == [want]


# A dense layer's whole update at batch 1, as tintin_update_weights() calls it: the default
# optimizer's column passes (s <= 30, over more than one 32-column pass), errors large enough
# to clamp, weights at the int8 limits, and the other presets' unit-by-unit loops.
@given(
    st.sampled_from([(0, 0), (S16P, 0), (S16P, 3)]),
    st.integers(1, 12),
    st.integers(1, 80),
    st.integers(1, 31),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    SEED,
)
def test_sgd_outer_rows(kind, rows, inputs, s, zero_err, zero_x, seed):
    dtype, mom_shift = kind
    rng = np.random.default_rng(seed)
    err = rng.integers(-128, 128, rows).astype(np.int8)
    err[rng.random(rows) < zero_err] = 0
    x = rng.integers(-128, 128, inputs).astype(np.int8)
    x[rng.random(inputs) < zero_x] = 0
    g = err.astype(np.int64)[:, None] * x.astype(np.int64)[None, :]
    values, mom, par, lim, mom_lim, _keep = _param(rng, dtype, rows * inputs, mom_shift != 0, 0)
    if dtype == 0:
        flat = _keep  # int8 weights: some at the limits, -128 included (a table may hold it)
        flat[rng.random(flat.size) < 0.1] = 127
        flat[rng.random(flat.size) < 0.1] = -127
        flat[rng.random(flat.size) < 0.02] = -128
    w0 = values().reshape(rows, inputs)
    m0 = None if mom is None else nx.i64(mom).reshape(rows, inputs)
    e_g = -7 - s  # lr_shift 0: s = -7 - e_g
    cfg = clib.OptimCfg(0, 0, 1, 0, mom_shift, 0, 0)
    r = cabi.Prng()
    clib.lib().tintin_prng_seed(ct.byref(r), seed)
    r.counter = int(rng.integers(0, 2**32))
    u = cabi.SgdRows()
    clib.lib().tintin_sgd_rows_init(ct.byref(u), ct.byref(cfg), ct.byref(par), e_g, ct.byref(r),
                                    inputs)  # fmt: skip
    clips = ct.c_uint32(0)
    u.clips = ct.cast(ct.pointer(clips), ct.c_void_p)
    sat = ct.c_uint32(0)
    clib.lib().tintin_sgd_outer_rows(ct.byref(u), p(err, P8), p(x, P8), rows, inputs,
                                     ct.byref(sat))  # fmt: skip
    dmax = UPDATE_LIMIT if dtype == 0 else UPDATE_LIMIT << BIAS_EXTRA_BITS
    d, nclip = nx.aligned_delta(g, s, 1, True, nx.grid_draws(r.key, r.counter, rows, inputs),
                                dmax)  # fmt: skip
    w, m, nsat = nx.apply_update(w0, m0, d, lim, mom_shift, mom_lim)
    assert np.array_equal(values().reshape(rows, inputs), w)
    if m is not None:
        assert np.array_equal(nx.i64(mom).reshape(rows, inputs), m)
    assert (sat.value, clips.value) == (nsat, nclip)


def test_sgd_outer_rows_of_65535_inputs_end():
    """The batch-1 passes over the widest layer a table can hold (their column index once
    wrapped at 65,535 and looped for ever; the table fuzzer found it)."""
    test_sgd_outer_rows.hypothesis.inner_test((0, 0), 1, 65535, 12, 0.0, 0.5, 7)


@given(st.sampled_from([0, 1, 2, S16P]), st.integers(1, 50), st.integers(0, 7),
       st.sampled_from([0, 3]), SEED)  # fmt: skip
def test_sgd_niti_row(dtype, n, mu, mom_shift, seed):
    rng = np.random.default_rng(seed)
    values, mom, par, lim, mom_lim, _keep = _param(rng, dtype, n, mom_shift != 0)
    d0, m0 = values(), None if mom is None else nx.i64(mom)
    g = rng.integers(-(2**20), 2**20, n).astype(np.int32)
    maxabs = int(np.max(np.abs(g)))
    shift = clib.lib().tintin_sgd_niti_shift(maxabs, mu)
    assert shift == nx.niti_shift(maxabs, mu)
    cfg = clib.OptimCfg(1, 0, 1, mu, mom_shift, 0, 1)
    sat = ct.c_uint32(0)
    clib.lib().tintin_sgd_niti_row(
        ct.byref(cfg), ct.byref(par), 0, p(g, P32), n, shift, ct.byref(sat)
    )
    d = nx.niti_delta(g, shift)
    assert np.max(np.abs(d)) <= 2**mu
    w, m, nsat = nx.apply_update(d0, m0, d, lim, mom_shift, mom_lim)
    assert np.array_equal(values(), w)
    if m is not None:
        assert np.array_equal(mom, m)
    assert sat.value == nsat
