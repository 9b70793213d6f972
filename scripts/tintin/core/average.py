# SPDX-License-Identifier: Apache-2.0
"""Weight averaging: the bit-exact reference of tintin_average_share and tintin_model_average
(lib/tintin/src/average.c).

A second model of the same table (TINTIN_MODE_AVERAGE in C, `model(sp)` here) holds a running
average of the training model's trained layers: avg = (1 - q / 2^16) avg + q / 2^16 m. Each
averaged weight is 16 bits, R at exponent w_exp - 8, kept as int16 masters are (`w16` here,
in C the planes 256 w + lo): the int8 weight the forward pass reads is round(R / 256). The
training model's weights enter as 16 bits too (its int16 master, or 256 w). At the finer
exponent e_min of the two,

    S = (2^16 - q) R_avg 2^(e_avg - e_min) + q R_m 2^(e_m - e_min)   (value S 2^(e_min - 24))

is exact in int64, and so are the biases'. The new exponent is the finest at which every S
fits 15 bits and a sign, one coarser where a peak lies past S16P_MAX, never finer than e_min
nor coarser than the coarser part (or the layer's window). S is rounded stochastically onto
it with the average's own stream (weight j draws number j, bias o number n_w + o; the stream
then advances by n_w + rows), R saturates to +-S16P_MAX (127 * 256 + 127), biases to int32.
A layer whose exponent lies more than fedavg.MAX_SPREAD from the model's restarts from the
model (q = 2^16).

The default schedule gives the newest weights the share SPAN / (t + SPAN) at the t-th call,
never below 2^-FLOOR_SHIFT: the average covers about the last third of training, and at most
about 32 calls. docs/numerics.md, "Weight averaging", has the measurements behind it.
"""

from __future__ import annotations

import numpy as np

from tintin.core import fedavg, spec
from tintin.core import numerics as nx
from tintin.core.refmodel import RefModel

ALL = 1 << fedavg.SHARE_BITS  # a share that is all of the training model
SPAN = 3
FLOOR_SHIFT = 5
BITS = 15  # the magnitude bits of R


class AverageError(ValueError):
    """Arguments tintin_model_average refuses with -EINVAL."""


def share(t: int, span: int = SPAN, floor_shift: int = FLOOR_SHIFT) -> int:
    """The training model's share of 2^16 at the t-th average (tintin_average_share)."""
    if t == 0 or span == 0:
        return ALL
    low = 1 if floor_shift >= fedavg.SHARE_BITS else ALL >> floor_shift
    return max((span << fedavg.SHARE_BITS) // (t + span), low)


def model(sp: spec.ModelSpec) -> RefModel:
    """A model laid out to average (tintin_model_init with TINTIN_MODE_AVERAGE): the table's
    parameters, every trained weight as the 16 bits 256 w."""
    avg = RefModel(sp)
    avg.averaging = True  # type: ignore[attr-defined]
    for i, (what, _, _) in spec.trained_params(sp).items():
        st = avg.dense[i]
        st.w16 = nx.i64(st.w) * 256 if what & spec.PARAM_WEIGHTS else None
        st.w_mom = st.b_mom = None
    return avg


def _sixteen(st: object) -> np.ndarray:
    """A training model's weights as 16 bits at w_exp - 8: its master, or 256 w."""
    w16 = getattr(st, "w16", None)
    return nx.i64(w16) if w16 is not None else nx.i64(st.w) * 256  # type: ignore[attr-defined]


def average(avg: RefModel, m: RefModel, q: int) -> None:
    """tintin_model_average: blend m's trained layers into avg, m weighing q of 2^16."""
    if avg is m or not getattr(avg, "averaging", False) or getattr(m, "averaging", False):
        raise AverageError("average: needs a training model and an average of its table")
    if avg.spec is not m.spec and spec.table_hash(avg.spec) != spec.table_hash(m.spec):
        raise AverageError("average: the models' tables differ")
    if not 1 <= q <= ALL:
        raise AverageError(f"average: share {q} of 2^16 outside 1..2^16")
    for i, (what, rows, row) in spec.trained_params(m.spec).items():
        a, s = avg.dense[i], m.dense[i]
        n_w = rows * row if what & spec.PARAM_WEIGHTS else 0
        qi = q
        if qi != ALL and abs(int(s.w_exp) - int(a.w_exp)) > fedavg.MAX_SPREAD:
            qi = ALL  # the average restarts from m
        ea = int(s.w_exp) if qi == ALL else int(a.w_exp)
        em = int(s.w_exp)
        e_min, e_max = min(ea, em), max(ea, em)
        da, dm = ea - e_min, em - e_min
        top = min(spec.w_exp_window(m.spec, i)[1], e_max)
        draws = nx.prng_at(avg.key, avg.counter, np.arange(n_w + rows))
        shift = fedavg.SHARE_BITS
        if n_w:
            r_a = nx.i64(a.w16).ravel()
            r_m = _sixteen(s).ravel()
            sw = ((np.int64(ALL - qi) * r_a) << da) + ((np.int64(qi) * r_m) << dm)
            peak = int(np.max(np.abs(sw)))
            shift = max(peak.bit_length() - BITS, fedavg.SHARE_BITS)
        shift = min(shift, top - e_min + fedavg.SHARE_BITS)
        if n_w and peak > nx.S16P_MAX << shift and e_min - fedavg.SHARE_BITS + shift < top:
            shift += 1  # R saturates short of 15 bits: past S16P_MAX, the coarser exponent
        if n_w:
            r = np.clip(fedavg._round(sw, shift, draws[:n_w]), -nx.S16P_MAX, nx.S16P_MAX)
            a.w16 = r.reshape(a.w.shape)
            a.w = nx.planes_high(a.w16)
        sb = ((np.int64(ALL - qi) * nx.i64(a.bias)) << da) + ((np.int64(qi) * nx.i64(s.bias)) << dm)
        a.bias = nx.sat32(fedavg._round(sb, shift, draws[n_w:]))
        a.w_exp = e_min - fedavg.SHARE_BITS + shift
        avg.counter = (avg.counter + n_w + rows) & nx.M32
