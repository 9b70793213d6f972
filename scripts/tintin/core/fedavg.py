# SPDX-License-Identifier: Apache-2.0
"""Integer federated averaging of int8 layers: the bit-exact reference of tintin_fedavg_layer
and tintin_fedavg_combine (lib/tintin/src/fedavg.c); docs/numerics.md explains the choices.

Each part is one node's copy of a layer: int8 weights at exponent e_k (value w * 2^e_k),
int32 biases at e_k - 8 (TINTIN_BIAS_EXTRA_BITS), and the samples n_k it trained on. The
average weighs part k by q_k, its share of 2^16 (n_k * 2^16 / sum n, floored, the remainder's
units given to the largest remainders, lowest index first on ties, so that the q_k sum to
exactly 2^16). At the finest exponent e_min of the parts, the weighted sums

    S = sum_k q_k * w_k * 2^(e_k - e_min)    (weights, value S * 2^(e_min - 16))

and the same for the biases are exact in int64 as long as the parts lie at most
MAX_SPREAD exponent steps apart (|S| < 2^62 for int32 biases). The result's exponent is the
one the runtime's requantisation would pick for S (range_shift), but never finer than e_min
(a mean that fits a finer grid keeps the finest part's) and never coarser than the coarsest
part's, e_max: a mean of values within +-127 needs no more range (only a part holding -128
would ask for it; its mean saturates to -127 instead). Weights and biases are rounded
stochastically onto it (floor((x + U) / 2^s), U the top s bits of a draw, shifted up when
s > 32), element j of the weights drawing number j of the stream and bias r number n_w + r.

`combine` is the same sum with signed shares given by the caller (a gateway's server momentum
adds beta * last - beta * before to the nodes' shares): when their magnitudes sum past 2^16,
the result may take up to MAX_EXTRA_BITS more exponent steps than e_max (never more than the
caller's e_top), and the parts may lie that many steps less far apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tintin.core import numerics as nx

SHARE_BITS = 16  # the parts' weights are shares of 2^16
MAX_SPREAD = 15  # parts further apart than this many exponent steps are refused
MAX_EXTRA_BITS = 2  # a combination's shares sum to at most 2^18 in magnitude
BIAS_EXTRA_BITS = 8


class FedAvgError(ValueError):
    """Parts that cannot be averaged (the C function returns -EINVAL or -ERANGE)."""


@dataclass
class Part:
    samples: int
    w: np.ndarray  # int8, any shape
    w_exp: int
    bias: np.ndarray | None = None  # int32 at w_exp - 8


def shares(samples: list[int]) -> list[int]:
    """q_k: each part's share of 2^16, summing to exactly 2^16 (largest remainders)."""
    total = sum(samples)
    if not samples or total <= 0 or min(samples) < 0 or total >= 1 << 32:
        raise FedAvgError("fedavg: need parts with 0..2^32-1 samples in all, some nonzero")
    q = [(n << SHARE_BITS) // total for n in samples]
    rem = [(n << SHARE_BITS) % total for n in samples]
    left = (1 << SHARE_BITS) - sum(q)
    for k in sorted(range(len(samples)), key=lambda i: (-rem[i], i))[:left]:
        q[k] += 1
    return q


def _round(x: np.ndarray, s: int, r: np.ndarray) -> np.ndarray:
    """floor((x + U) / 2^s), U the top s bits of r (r << (s - 32) when s > 32); 0 < s < 63."""
    u = (r >> (32 - s)) if s <= 32 else (r << (s - 32))
    return nx.floor_shift(nx.i64(x) + u, s)


def _extra_bits(total: int) -> int:
    """Bits of range the combination may need beyond its coarsest part: 0 while the shares'
    magnitudes sum to at most 2^16 (an average), up to MAX_EXTRA_BITS."""
    extra = 0
    while total > 1 << (SHARE_BITS + extra):
        extra += 1
    return extra


def combine(parts: list[Part], q: list[int], key: int, counter: int, e_top: int = 127
            ) -> tuple[np.ndarray, np.ndarray | None, int]:  # fmt: skip
    """(int8 weights, int32 biases or None, exponent) of sum_k q_k / 2^16 * part_k, with signed
    shares q_k whose magnitudes sum to at most 2^(16 + MAX_EXTRA_BITS), and an exponent of at
    most max(e_top, the coarsest part's) (tintin_fedavg_combine)."""
    if not parts or len(q) != len(parts):
        raise FedAvgError("fedavg: no parts, or not one share per part")
    shape = parts[0].w.shape
    has_bias = parts[0].bias is not None
    for p in parts:
        if p.w.shape != shape or (p.bias is not None) != has_bias:
            raise FedAvgError("fedavg: parts of different shapes")
    total = sum(abs(v) for v in q)
    if total == 0 or total > 1 << (SHARE_BITS + MAX_EXTRA_BITS):
        raise FedAvgError(f"fedavg: shares summing to {total} in magnitude")
    extra = _extra_bits(total)
    e_min = min(p.w_exp for p in parts)
    e_max = max(p.w_exp for p in parts)
    if e_max - e_min > MAX_SPREAD - extra:
        raise FedAvgError(f"fedavg: parts more than {MAX_SPREAD - extra} exponent steps apart")
    s_w = np.zeros(shape, np.int64)
    s_b = np.zeros(parts[0].bias.shape, np.int64) if has_bias else None  # type: ignore[union-attr]
    for qk, p in zip(q, parts, strict=True):
        d = p.w_exp - e_min
        s_w += (np.int64(qk) * p.w.astype(np.int64)) << d
        if s_b is not None:
            s_b += (np.int64(qk) * p.bias.astype(np.int64)) << d  # type: ignore[union-attr]
    peak = int(np.max(np.abs(s_w))) if s_w.size else 0
    # Never finer than e_min; never coarser than e_max plus the range the shares can add
    # (an average of values within +-127 needs none: only a part holding -128 would ask).
    top = max(min(e_max + extra, e_top), e_max)
    shift = min(max(nx.range_shift(peak), SHARE_BITS), top - e_min + SHARE_BITS)
    exp = e_min - SHARE_BITS + shift
    n_w = s_w.size
    draws = nx.prng_at(key, counter, np.arange(n_w + (s_b.size if s_b is not None else 0)))
    w = nx.sat8(_round(s_w.ravel(), shift, draws[:n_w])).astype(np.int8).reshape(shape)
    b = None
    if s_b is not None:
        b = nx.sat32(_round(s_b, shift, draws[n_w:])).astype(np.int32)
    return w, b, exp


def average(parts: list[Part], key: int, counter: int) -> tuple[np.ndarray, np.ndarray | None, int]:
    """(int8 weights, int32 biases or None, exponent) of the parts' weighted average."""
    if not parts:
        raise FedAvgError("fedavg: no parts")
    return combine(parts, shares([p.samples for p in parts]), key, counter)
