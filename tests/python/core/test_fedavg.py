# SPDX-License-Identifier: Apache-2.0
"""Integer federated averaging: tintin_fedavg_layer bit-exact with tintin.core.fedavg on random
parts (hypothesis), the average's properties (identical parts give themselves back, the mean
within one step of the exact one, shares summing to 2^16) and the refusals of both sides."""

from __future__ import annotations

import errno
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tintin.core import fedavg
from tintin.native import cfedavg, clib

pytestmark = pytest.mark.clib


@st.composite
def layers(draw: st.DrawFn) -> tuple[list[fedavg.Part], int, int]:
    k = draw(st.integers(1, 6))
    rows = draw(st.integers(1, 5))
    row = draw(st.integers(0, 9))
    base = draw(st.integers(-24, 4))
    spread = draw(st.integers(0, fedavg.MAX_SPREAD))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    big = draw(st.booleans())  # biases over the whole int32 range, or a layer's usual size
    parts = []
    for i in range(k):
        samples = int(rng.integers(0, 10**6)) if i else int(rng.integers(1, 10**6))
        w = rng.integers(-128, 128, (rows, row)).astype(np.int8)
        b = None
        if bias:
            lim = 2**31 - 1 if big else 50_000
            b = rng.integers(-lim, lim + 1, rows).astype(np.int32)
        exp = base + (spread if i == k - 1 else int(rng.integers(0, spread + 1)))
        parts.append(fedavg.Part(samples, w, exp, b))
    return parts, int(rng.integers(0, 2**32)), int(rng.integers(0, 2**32))


@settings(max_examples=300, deadline=None)
@given(layers())
def test_c_and_reference_average_alike(case):
    parts, key, counter = case
    w, b, e = fedavg.average(parts, key, counter)
    cw, cb, ce, shares = cfedavg.average(parts, key, counter)
    assert shares == fedavg.shares([p.samples for p in parts])
    assert ce == e and np.array_equal(cw, w)
    assert (cb is None) == (b is None) and (b is None or np.array_equal(cb, b))


@settings(max_examples=100, deadline=None)
@given(layers())
def test_the_mean_is_within_one_step_of_the_exact_one(case):
    parts, key, counter = case
    w, _, e = fedavg.average(parts, key, counter)
    q = fedavg.shares([p.samples for p in parts])
    assert sum(q) == 1 << fedavg.SHARE_BITS
    assert e >= min(p.w_exp for p in parts) and e <= max(p.w_exp for p in parts)
    step = Fraction(2) ** e
    for j in range(w.size):
        exact = sum(Fraction(qk * int(p.w.flat[j])) * Fraction(2) ** p.w_exp
                    for qk, p in zip(q, parts, strict=True)) / (1 << fedavg.SHARE_BITS)  # fmt: skip
        got = int(w.flat[j]) * step
        if abs(int(w.flat[j])) < 127:  # not saturated: floor or ceiling of the exact mean
            assert abs(got - exact) < step


@given(st.integers(1, 5), st.integers(-20, 5), st.integers(0, 2**32 - 1))
def test_identical_parts_average_to_themselves(k, exp, seed):
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, (4, 6)).astype(np.int8)
    b = rng.integers(-(2**31) + 1, 2**31, 4).astype(np.int32)
    parts = [fedavg.Part(int(rng.integers(1, 1000)), w, exp, b) for _ in range(k)]
    for avg in (fedavg.average, cfedavg.average):
        out = avg(parts, 7, 0)
        if out[2] == exp:  # a coarser result only when rounding to 128 needs the range
            assert np.array_equal(out[0], w) and np.array_equal(out[1], b)


def test_shares_go_to_the_largest_remainders_lowest_index_first():
    assert fedavg.shares([1, 1, 1]) == [21846, 21845, 21845]
    assert fedavg.shares([0, 5]) == [0, 65536]
    assert sum(fedavg.shares([3, 7, 11, 13])) == 65536


def _part(samples=10, exp=-8, bias=True):
    b = np.arange(3, dtype=np.int32) if bias else None
    return fedavg.Part(samples, np.ones((3, 2), np.int8), exp, b)


@pytest.mark.parametrize(
    "parts, code",
    [
        ([_part(exp=-8), _part(exp=8)], errno.ERANGE),  # 16 steps apart
        ([_part(samples=0), _part(samples=0)], errno.EINVAL),
        ([_part(), _part(bias=False)], errno.EINVAL),
        ([_part(samples=2**31), _part(samples=2**31)], errno.EINVAL),  # 2^32 samples in all
    ],
)
def test_parts_that_cannot_be_averaged_are_refused(parts, code):
    with pytest.raises(fedavg.FedAvgError):
        fedavg.average(parts, 1, 0)
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        cfedavg.average(parts, 1, 0)
    assert exc.value.errno == code and "fedavg" in exc.value.log


def test_fifteen_steps_apart_are_still_averaged():
    parts = [_part(exp=-8), _part(exp=7)]
    assert cfedavg.average(parts, 1, 0)[2] == fedavg.average(parts, 1, 0)[2]


@st.composite
def combinations(draw: st.DrawFn) -> tuple[list[fedavg.Part], list[int], int, int, int]:
    """Parts with signed shares whose magnitudes sum to at most 2^18 (a gateway's momentum
    adds beta * last - beta * before to an average), and a top exponent."""
    parts, key, counter = draw(layers())
    q = fedavg.shares([p.samples for p in parts])
    beta = draw(st.integers(0, (1 << 16) - 1))
    if len(parts) >= 3:
        q = [*fedavg.shares([p.samples for p in parts[:-2]]), beta, -beta]
    e_max = max(p.w_exp for p in parts)
    extra = fedavg._extra_bits(sum(abs(v) for v in q))
    for p in parts:  # within the narrower spread the extra bits leave
        p.w_exp = max(p.w_exp, e_max - (fedavg.MAX_SPREAD - extra))
    e_top = draw(st.integers(e_max - 3, e_max + 3))
    return parts, q, key, counter, e_top


@settings(max_examples=300, deadline=None)
@given(combinations())
def test_c_and_reference_combine_alike(case):
    parts, q, key, counter, e_top = case
    w, b, e = fedavg.combine(parts, q, key, counter, e_top)
    cw, cb, ce = cfedavg.combine(parts, q, key, counter, e_top)
    assert ce == e and np.array_equal(cw, w)
    assert (cb is None) == (b is None) and (b is None or np.array_equal(cb, b))
    e_max = max(p.w_exp for p in parts)
    assert min(p.w_exp for p in parts) <= e <= max(e_max, min(e_top, e_max + 2))


def test_momentum_extrapolates_the_last_step():
    """mean + beta (last - before): a layer that moved by +2 steps last round moves on by
    beta * 2 = 1.5 steps, rounded stochastically to 41 or 42 (41.5 on average)."""
    w = np.full((40, 50), 40, np.int8)
    mean, last, before = (fedavg.Part(1, w + d, -6) for d in (0, 0, -2))
    beta = 3 << 14  # 0.75
    for comb in (fedavg.combine, cfedavg.combine):
        out, _, e = comb([mean, last, before], [1 << 16, beta, -beta], 3, 0)
        assert e == -6 and set(np.unique(out)) == {41, 42}
        assert abs(float(out.mean()) - 41.5) < 0.05


@pytest.mark.parametrize(
    "q, exps, code",
    [
        ([0, 0], (-8, -8), errno.EINVAL),  # shares summing to 0
        ([1 << 17, 1 << 17, 1], (-8, -8), errno.EINVAL),  # over 2^18 in magnitude
        ([1 << 16, 1 << 15], (-8, 7), errno.ERANGE),  # 15 apart, one extra bit: 14 at most
    ],
)
def test_combinations_that_cannot_be_made_are_refused(q, exps, code):
    parts = [_part(exp=exps[i % 2]) for i in range(len(q))]
    with pytest.raises(fedavg.FedAvgError):
        fedavg.combine(parts, q, 1, 0)
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        cfedavg.combine(parts, q, 1, 0)
    assert exc.value.errno == code and "fedavg" in exc.value.log
