# SPDX-License-Identifier: Apache-2.0
"""tintin_fedavg_layer through the shared library: the C side of tintin.core.fedavg."""

from __future__ import annotations

import ctypes as ct

import numpy as np

from tintin.core.fedavg import Part
from tintin.native import clib
from tintin.native.cabi import P8, P32, PU8, FedAvgPart, Prng


def _parts(parts: list[Part]) -> tuple[ct.Array, list[np.ndarray | None]]:
    keep: list[np.ndarray | None] = []
    arr = (FedAvgPart * max(len(parts), 1))()
    for i, p in enumerate(parts):
        w = np.ascontiguousarray(p.w, np.int8)
        b = None if p.bias is None else np.ascontiguousarray(p.bias, "<i4").view(np.uint8)
        keep += [w, b]
        arr[i] = FedAvgPart(clib.ptr(w, P8), clib.ptr(b, PU8), p.samples, p.w_exp)
    return arr, keep


def _call(name: str, parts: list[Part], key: int, counter: int, *args: object
          ) -> tuple[np.ndarray, np.ndarray | None, int]:  # fmt: skip
    arr, _keep = _parts(parts)
    shape = parts[0].w.shape if parts else (0,)
    n_w = int(np.prod(shape))
    rows = 0 if not parts or parts[0].bias is None else len(parts[0].bias)
    w_out = np.zeros(n_w, np.int8)
    b_out = np.zeros(max(rows, 1), np.int32)
    exp = ct.c_int8()
    stream = ct.byref(Prng(key, counter))
    out = (clib.ptr(w_out, P8), clib.ptr(b_out, P32) if rows else None, ct.byref(exp))
    if name == "tintin_fedavg_layer":
        ret = clib.lib().tintin_fedavg_layer(arr, len(parts), n_w, rows, stream, *args, *out)
    else:
        ret = clib.lib().tintin_fedavg_combine(arr, len(parts), args[0], n_w, rows, args[1],
                                               stream, *out)  # fmt: skip
    clib.check(name, ret)
    bias = b_out[:rows].copy() if parts and parts[0].bias is not None else None
    return w_out.reshape(shape), bias, exp.value


def average(
    parts: list[Part], key: int, counter: int
) -> tuple[np.ndarray, np.ndarray | None, int, list[int]]:
    """(weights, biases or None, exponent, shares), as fedavg.average and fedavg.shares give
    them; a refusal raises clib.TintinError with the errno."""
    shares = (ct.c_int32 * max(len(parts), 1))()
    w, b, e = _call("tintin_fedavg_layer", parts, key, counter, shares)
    return w, b, e, [int(v) for v in shares[: len(parts)]]


def combine(parts: list[Part], q: list[int], key: int, counter: int, e_top: int = 127
            ) -> tuple[np.ndarray, np.ndarray | None, int]:  # fmt: skip
    """tintin_fedavg_combine, as fedavg.combine gives it."""
    shares = (ct.c_int32 * max(len(q), 1))(*q)
    return _call("tintin_fedavg_combine", parts, key, counter, shares, e_top)
