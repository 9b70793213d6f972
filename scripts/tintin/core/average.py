# SPDX-License-Identifier: Apache-2.0
"""Weight averaging: the bit-exact reference of tintin_average_share and tintin_model_average
(lib/tintin/src/average.c).

A second model of the same table holds a running average of the training model's trained
layers: avg = (1 - q / 2^16) avg + q / 2^16 m, layer by layer with fedavg.combine (the layer's
training window as the top), stochastically rounded from avg's own stream, which advances by
each layer's weights and biases. The default schedule gives the newest weights the share
SPAN / (t + SPAN) at the t-th call, never below 2^-FLOOR_SHIFT: the average covers about the
last third of training, and at most about 32 calls. docs/numerics.md, "Weight averaging",
has the measurements behind it.
"""

from __future__ import annotations

import numpy as np

from tintin.core import fedavg, spec
from tintin.core.refmodel import RefModel

ALL = 1 << fedavg.SHARE_BITS  # a share that is all of the training model
SPAN = 3
FLOOR_SHIFT = 5


class AverageError(ValueError):
    """Arguments tintin_model_average refuses with -EINVAL."""


def share(t: int, span: int = SPAN, floor_shift: int = FLOOR_SHIFT) -> int:
    """The training model's share of 2^16 at the t-th average (tintin_average_share)."""
    if t == 0 or span == 0:
        return ALL
    low = 1 if floor_shift >= fedavg.SHARE_BITS else ALL >> floor_shift
    return max((span << fedavg.SHARE_BITS) // (t + span), low)


def average(avg: RefModel, m: RefModel, q: int) -> None:
    """tintin_model_average: blend m's trained layers into avg, m weighing q of 2^16."""
    if avg is m or (avg.spec is not m.spec
                    and spec.table_hash(avg.spec) != spec.table_hash(m.spec)):  # fmt: skip
        raise AverageError("average: needs two models of one table")
    if not 1 <= q <= ALL:
        raise AverageError(f"average: share {q} of 2^16 outside 1..2^16")
    for i, (what, rows, row) in spec.trained_params(m.spec).items():
        a, s = avg.dense[i], m.dense[i]
        n_w = rows * row if what & spec.PARAM_WEIGHTS else 0
        parts = [fedavg.Part(0, np.asarray(st.w, np.int8).ravel() if n_w else np.zeros(0, np.int8),
                             int(st.w_exp), np.asarray(st.bias, np.int32))
                 for st in (s, a)]  # fmt: skip
        shares = [q, ALL - q]
        if q == ALL or abs(int(s.w_exp) - int(a.w_exp)) > fedavg.MAX_SPREAD:
            parts, shares = parts[:1], [ALL]  # the average restarts from m
        w, b, e = fedavg.combine(parts, shares, avg.key, avg.counter,
                                 spec.w_exp_window(m.spec, i)[1])  # fmt: skip
        a.w_exp = e
        a.bias = b.astype(np.int64)  # type: ignore[union-attr]
        if n_w:
            a.w = w.astype(np.int64).reshape(a.w.shape)
            if a.w16 is not None:
                a.w16 = a.w * (1 << m.spec.optim.master_bits(m.spec.layers[i].kind))
            if a.w_mom is not None:
                a.w_mom = np.zeros_like(a.w_mom)
        if a.b_mom is not None:
            a.b_mom = np.zeros_like(a.b_mom)
        avg.counter = (avg.counter + n_w + rows) & 0xFFFFFFFF
