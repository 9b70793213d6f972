# SPDX-License-Identifier: Apache-2.0
"""Per-feature input quantisation (`--scale feature`): an offset and a power-of-two shift per
column, fitted on the training split, and the integer arithmetic that the generated
`<name>_quantize()` repeats on the device bit for bit.

Raw integers. The device has no float, so a reading reaches the quantiser as an int32 count
of 10^-D_j units of feature j (`decimals[j]`: D = 2 for hundredths, 0 for whole numbers such
as pixel values or ADC counts, a negative D for counts of 10^|D|). D_j is the fewest decimals
that hold every training value of the column exactly (D <= 9, within int32); a column that no
such D holds (a float computed by a formula) gets the fewest decimals that give its training
range at least 2^16 raw units, as many as int32 allows. On the PC,
raw = round_half_even(x * 10^D_j), saturated to int32: the one step done in float, and the
one the device's own unit conversion does instead (reading a sensor in hundredths, say).

Codes, integers only; offset O_j (raw units) and shift s_j:

    d   = raw - O_j                                  exact in 33 bits: |d| < 2^32
    m   = |d|
    s_j > 0:   m = (m >> s_j) + ((m >> (s_j - 1)) & 1)   |d| / 2^s_j rounded half away from 0
    s_j <= 0:  m = min(m, 127) << -s_j                   exact, or beyond 127 either way
    x_q = sign(d) * min(m, 127)

The model reads x_q * 2^INPUT_EXP, INPUT_EXP = -7 for every feature (the tensor has one
exponent): one code step of feature j is 2^s_j raw units, 2^s_j * 10^-D_j of the data's own.

Fitting, per column: lo and hi are its training raw range, R = hi - lo. Codes of |d| up to
bound(s) stay within +-127, bound(s) = 127 * 2^s + 2^(s-1) - 1 for s > 0 and 127 >> -s for
s <= 0; s_j is the smallest shift with R <= 2 * bound(s_j) (the finest step that keeps the
range, so the most int8 levels), O_j = lo + floor(R / 2) (the midpoint, so both ends fit).
A constant column gets s_j = 0 and O_j = its value: its code is 0, and a reading that moves
moves the code one step per raw unit.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

INPUT_EXP = -7
MAX_DECIMALS = 9
RAW_MIN, RAW_MAX = -(2**31), 2**31 - 1
# A column no decimal count holds exactly spans at least this many raw units, 256 times
# the 255 codes, so the raw rounding is small against a code step.
RAW_SPAN = 1 << 16
SHIFT_MIN, SHIFT_MAX = -6, 31
CODE_MAX = 127
# Samples are converted this many bytes of float64 at a time (dataset.CHUNK_BYTES' reason).
CHUNK_BYTES = 1 << 20


def bound(s: int) -> int:
    """The largest |raw - offset| whose code is within +-127 at shift s."""
    if s > 0:
        return CODE_MAX * 2**s + 2 ** (s - 1) - 1
    return CODE_MAX >> -s


def shift_for(span: int) -> int:
    """The smallest shift whose codes hold a training range of span raw units."""
    if span == 0:
        return 0
    for s in range(SHIFT_MIN, SHIFT_MAX + 1):
        if span <= 2 * bound(s):
            return s
    raise ValueError(f"a range of {span} raw units is wider than int32")  # never: |span| < 2^32


def codes(raw: np.ndarray, offset: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """int8 codes of raw [n, features] (int64 in int32 range): the arithmetic of the C
    function, step by step, on int64 arrays."""
    d = np.asarray(raw, np.int64) - np.asarray(offset, np.int64)
    m = np.abs(d)
    shift = np.asarray(shift, np.int64)
    right = shift > 0
    sr = np.where(right, shift, 1)
    m_right = (m >> sr) + ((m >> (sr - 1)) & 1)
    m_left = np.minimum(m, CODE_MAX) << np.where(right, 0, -shift)
    m = np.minimum(np.where(right, m_right, m_left), CODE_MAX)
    return np.where(d < 0, -m, m).astype(np.int8)


def _chunks(x: np.ndarray, rows: np.ndarray | None) -> Iterator[tuple[int, np.ndarray]]:
    """(position, float64 rows) of x[rows] (all of x when rows is None), a chunk at a time:
    a float64 copy of a whole image set would be 8 times its uint8 size."""
    n = len(x) if rows is None else len(rows)
    step = max(1, CHUNK_BYTES // (8 * max(1, x.shape[1])))
    for k in range(0, n, step):
        part = x[k : k + step] if rows is None else x[rows[k : k + step]]
        yield k, np.asarray(part, np.float64)


def _raw_of(v: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """round_half_even(v * 10^D) per column, saturated to int32. A negative D divides by
    10^-D rather than multiply by an inexact 10^D."""
    up = np.power(10.0, np.maximum(decimals, 0))
    down = np.power(10.0, np.maximum(-decimals, 0))
    with np.errstate(over="ignore"):  # a huge value saturates, as on the device
        r = np.rint(v * up / down)
    return np.clip(r, RAW_MIN, RAW_MAX).astype(np.int64)


def _exact_decimals(x: np.ndarray, rows: np.ndarray, eps: float) -> np.ndarray:
    """Per column, the fewest decimals (0..MAX_DECIMALS) that hold every value exactly, or
    MAX_DECIMALS + 1: a value is exact at D when v * 10^D is a whole number up to a few
    roundings of the source type, relative to it (a float32 0.1 is 0.1000000015, and 27.97 *
    100 is 2796.9999999999995 in float64; 3e-7 is not 0), and those roundings are small
    enough to tell."""
    need = np.zeros(x.shape[1], np.int64)
    for _, c in _chunks(x, rows):
        col_need = np.full(x.shape[1], MAX_DECIMALS + 1, np.int64)
        for d in range(MAX_DECIMALS, -1, -1):
            with np.errstate(over="ignore", invalid="ignore"):  # inf - inf: not exact
                t = c * 10.0**d
                tol = 4 * eps * np.abs(t)
                # Where the type's rounding reaches a hundredth of a unit, it cannot tell
                # (a float32 k / 255 looks whole at 8 decimals): no claim of exactness.
                ok = (np.abs(t - np.rint(t)) <= tol) & (tol < 0.01)
            col_need = np.where(np.all(ok, axis=0), d, col_need)
        need = np.maximum(need, col_need)
    return need


def _fitting_decimals(max_abs: float) -> int:
    """The most decimals (<= MAX_DECIMALS) at which max_abs still fits int32."""
    if max_abs == 0.0:
        return MAX_DECIMALS
    d = min(MAX_DECIMALS, math.floor(math.log10(RAW_MAX / max_abs)))
    while d > -400 and _scaled(max_abs, d) > RAW_MAX:  # guard the float log
        d -= 1
    while d < MAX_DECIMALS and _scaled(max_abs, d + 1) <= RAW_MAX:
        d += 1
    return d


def _spanning_decimals(span: float, most: int) -> int:
    """The fewest decimals (at most `most`) at which a range of span spans RAW_SPAN raw units."""
    if not 0.0 < span < math.inf or _scaled(span, most) <= RAW_SPAN:
        return most
    d = min(most, math.ceil(math.log10(RAW_SPAN / span)))
    while _scaled(span, d) < RAW_SPAN:
        d += 1
    while _scaled(span, d - 1) >= RAW_SPAN:
        d -= 1
    return d


def _scaled(v: float, d: int) -> float:
    return v * 10.0**d if d >= 0 else v / 10.0**-d


@dataclass(frozen=True)
class FeatureScale:
    """The fitted transform: per column its decimals, offset and shift (and, for the record,
    its training raw range and the int8 levels the training split keeps)."""

    decimals: np.ndarray  # int64 [features]
    offset: np.ndarray  # int64 [features], raw units, in int32
    shift: np.ndarray  # int64 [features], SHIFT_MIN..SHIFT_MAX
    lo: np.ndarray  # int64 [features], training raw minimum
    hi: np.ndarray  # int64 [features], training raw maximum

    @property
    def features(self) -> int:
        return len(self.offset)

    def raw(self, x: np.ndarray) -> np.ndarray:
        """int64 raw integers of samples x [n, features], as the device reads them."""
        return _raw_of(np.asarray(x, np.float64), self.decimals)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """int8 codes of every sample of x, a chunk at a time."""
        out = np.empty(x.shape, np.int8)
        for k, c in _chunks(x, None):
            out[k : k + len(c)] = codes(_raw_of(c, self.decimals), self.offset, self.shift)
        return out

    def ident(self) -> int:
        """A CRC-32 of the tables: two headers that define the same quantiser compare it."""
        tables = np.stack([self.decimals, self.offset, self.shift]).astype("<i8")
        return zlib.crc32(tables.tobytes() + INPUT_EXP.to_bytes(1, "little", signed=True))

    def metadata(self) -> dict:
        """The transform as JSON values (metrics.json, documentation)."""
        return {
            "input_exp": INPUT_EXP,
            "rule": "x_q = sign(d) * min(127, round_half_away(|d| / 2^shift)), d = raw - "
            "offset, raw = round(x * 10^decimals) as int32",
            "decimals": self.decimals.tolist(),
            "offset": self.offset.tolist(),
            "shift": self.shift.tolist(),
            "train_raw_min": self.lo.tolist(),
            "train_raw_max": self.hi.tolist(),
            "id": f"0x{self.ident():08x}",
        }


def fit(x: np.ndarray, rows: np.ndarray) -> FeatureScale:
    """The transform of samples x [n, features] fitted on x[rows] (the training split)."""
    if len(rows) == 0:
        raise ValueError("no training rows to fit the input scale on")
    f = x.shape[1]
    max_abs = np.zeros(f)
    vmin, vmax = np.full(f, np.inf), np.full(f, -np.inf)
    for _, c in _chunks(x, rows):
        max_abs = np.maximum(max_abs, np.max(np.abs(c), axis=0))
        vmin, vmax = np.minimum(vmin, c.min(axis=0)), np.maximum(vmax, c.max(axis=0))
    if np.issubdtype(x.dtype, np.integer):
        exact = np.zeros(f, np.int64)
    else:
        exact = _exact_decimals(x, rows, float(np.finfo(x.dtype).eps))
    decimals = np.empty(f, np.int64)
    for j in range(f):
        fits = _fitting_decimals(float(max_abs[j]))
        if exact[j] <= fits:
            decimals[j] = exact[j]
        else:
            with np.errstate(over="ignore"):
                span = float(vmax[j]) - float(vmin[j])
            decimals[j] = _spanning_decimals(span, fits)
    lo = np.full(f, RAW_MAX, np.int64)
    hi = np.full(f, RAW_MIN, np.int64)
    for _, c in _chunks(x, rows):
        r = _raw_of(c, decimals)
        lo, hi = np.minimum(lo, r.min(axis=0)), np.maximum(hi, r.max(axis=0))
    span = hi - lo
    shift = np.array([shift_for(int(s)) for s in span], np.int64)
    return FeatureScale(decimals, lo + span // 2, shift, lo, hi)
