# SPDX-License-Identifier: Apache-2.0
"""Rescaling primitives: C (libtintin.so) against the NumPy reference, bit for bit."""

import ctypes as ct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tintin.core import numerics as nx
from tintin.native import cabi, clib

pytestmark = pytest.mark.clib

I32 = st.integers(-(2**31 - 1), 2**31 - 1)
SMALL = st.integers(-70000, 70000)
VALUES = st.one_of(I32, SMALL)
SHIFTS = st.integers(-3, 40)
U32 = st.integers(0, 2**32 - 1)


def one(a: np.ndarray) -> int:
    return int(np.asarray(a).reshape(-1)[0])


@given(U32)
def test_bits(m):
    assert clib.lib().tintin_bits(m) == one(nx.bits(m)) == m.bit_length()


@given(VALUES, VALUES)
def test_add_sat32(a, b):
    assert clib.lib().tintin_add_sat32(a, b) == one(nx.sat32(a + b))


@given(VALUES, st.integers(0, 40))
def test_shl_sat32(x, s):
    assert clib.lib().tintin_shl_sat32(x, s) == one(nx.shl_sat32(x, s))


@given(VALUES, st.integers(0, 31))
def test_decay_shift(x, s):
    got = clib.lib().tintin_decay_shift(x, s)
    assert got == one(nx.decay_shift(x, s))
    # Magnitude rounded up, from exact rational arithmetic: any nonzero x moves by >= 1.
    assert got == (1 if x >= 0 else -1) * -(-abs(x) // 2**s)


def test_momentum_decays_to_zero():
    """A velocity no gradient feeds reaches 0 and the weight stops (round-to-nearest decay
    would hold |v| <= 3 at m = 3 for ever and move the weight every step)."""
    p, v = nx.i64([1000, -1000, 5]), nx.i64([3, -2, 100])
    for _ in range(60):
        p, v, _ = nx.apply_update(p, v, nx.i64([0, 0, 0]), 32767, 3)
    assert v.tolist() == [0, 0, 0]
    before = p.copy()
    p, v, _ = nx.apply_update(p, v, nx.i64([0, 0, 0]), 32767, 3)
    assert p.tolist() == before.tolist()


@given(VALUES, SHIFTS)
def test_round_shift(x, s):
    got = clib.lib().tintin_round_shift(x, s)
    assert got == one(nx.round_shift(x, s))
    if 0 < s < 32:
        # Half away from zero, from exact rational arithmetic.
        q, r = divmod(abs(x), 2**s)
        assert got == (1 if x >= 0 else -1) * (q + (2 * r >= 2**s))


@given(VALUES, SHIFTS, U32)
def test_sto_shift(x, s, r):
    got = clib.lib().tintin_sto_shift(x, s, r)
    assert got == one(nx.sto_shift(x, s, r))
    if 0 < s < 32:
        assert abs(got) in (abs(x) >> s, (abs(x) >> s) + 1)


@given(VALUES, SHIFTS, U32)
def test_sto_floor(x, s, r):
    got = clib.lib().tintin_sto_floor(x, s, r)
    assert got == one(nx.sto_floor(x, s, r))
    if 0 < s < 32:
        # floor((x + U) / 2^s) from exact rational arithmetic, U the draw's top s bits.
        assert got == (x + (r >> (32 - s))) // 2**s


@given(VALUES, SHIFTS)
def test_psto_shift(x, s):
    got = clib.lib().tintin_psto_shift(x, s)
    assert got == one(nx.psto_shift(x, s))
    if 0 < s < 32:
        assert abs(got) in (abs(x) >> s, (abs(x) >> s) + 1)


@given(VALUES, st.integers(1, 255))
def test_rescale_mult(x, mult):
    assert clib.lib().tintin_rescale_mult(x, mult) == one(nx.rescale_mult(x, mult))


@pytest.mark.parametrize(
    ("x", "s", "rs", "ps"),
    [
        # NUMERICS.md 4.3: negative ties and odd/even shifts, truncating semantics.
        (-5, 1, -3, -3),
        (-6, 2, -2, -2),
        (5, 1, 3, 3),
        (6, 2, 2, 2),
        (-4, 2, -1, -1),
        (-7, 3, -1, -1),
        (0, 5, 0, 0),
    ],
)
def test_golden_rounding(x, s, rs, ps):
    assert clib.lib().tintin_round_shift(x, s) == rs == one(nx.round_shift(x, s))
    assert clib.lib().tintin_psto_shift(x, s) == ps == one(nx.psto_shift(x, s))


@given(U32, st.integers(0, 2**32 - 1), st.lists(st.integers(0, 2**20), min_size=1, max_size=8))
def test_prng_stream(seed, counter, ks):
    r = cabi.Prng()
    clib.lib().tintin_prng_seed(ct.byref(r), seed)
    assert r.key == nx.prng_key(seed)
    r.counter = counter
    want = nx.prng_at(r.key, counter, np.array(ks))
    got = [clib.lib().tintin_prng_at(ct.byref(r), k) for k in ks]
    assert got == [int(v) for v in want]


def test_prng_is_uniform_enough():
    # Stochastic rounding is unbiased only if draws are uniform: check the top byte.
    draws = nx.prng_at(nx.prng_key(7), 0, np.arange(1 << 16))
    counts = np.bincount(draws >> 24, minlength=256)
    expected = (1 << 16) / 256
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert chi2 < 330  # 255 degrees of freedom, p ~ 0.001


def test_stochastic_rounding_is_unbiased():
    # 3/16 of an LSB must survive on average: that is why sub-LSB updates are not lost.
    draws = nx.prng_at(nx.prng_key(1), 0, np.arange(1 << 15))
    up = nx.sto_shift(np.full(draws.shape, 3), 4, draws)
    assert abs(float(up.mean()) - 3 / 16) < 0.01


@given(U32)
def test_grid_draws_are_uniform_for_every_row(rr):
    # A batch-1 dense element draws tintin_grid_draw(row draw, column draw): for any row draw
    # the column's 16 bits must map one to one onto the draw's top 16 (else the rounding is
    # biased), and the top 4 bits must be the row's xor the column's (a pass's buckets).
    col = np.arange(1 << 16, dtype=np.uint64) << 16
    draw = nx.grid_draw(np.uint64(rr), col)
    assert len(np.unique(draw >> 16)) == 1 << 16
    assert np.array_equal(draw >> 28, (col ^ np.uint64(rr)) >> 28)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grid_draws_round_the_units_of_a_layer_apart(seed):
    # Below the 4 bits that sort a pass, two rows' draws must not differ by one constant xor:
    # with row xor column draws (until 2026-12-07) rows agreeing in their top bits rounded up
    # on exactly the same columns (event correlation 1.0 at every rate).
    key = nx.prng_key(seed)
    draws = nx.grid_draws(key, 0, 64, 4096).astype(np.float64)
    for p in (1 / 64, 1 / 256):
        up = (draws >= (1 - p) * 2**32).astype(np.float64)
        corr = np.corrcoef(up)[np.triu_indices(64, 1)]
        assert np.nanmax(corr) < 0.6
