# SPDX-License-Identifier: Apache-2.0
"""Sparse fleet updates, byte for byte as tintin_fleet_export_sparse writes them and
tintin_fleet_apply_sparse reads them (tintin/fleet.h has the format): a node's top-k changed
weights against the global model it applied, with every trained layer's exponent and biases.

`export` writes one from a node's parameters and that global model; `apply` checks one as the
C gateway does and rebuilds the node's dense parameters, which fleetmsg.pack turns into the
dense update a gateway averages."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np

from tintin.core import numerics as nx
from tintin.core import spec
from tintin.io import fleetmsg
from tintin.io.fleetmsg import BIASES, WEIGHTS, FleetError, LayerParams, Message

SPARSE = 2  # TINTIN_FLEET_SPARSE
VARINT_MAX = 5


def is_sparse(data: bytes) -> bool:
    """Whether a message says it is a sparse update (its kind byte; apply checks the rest)."""
    return len(data) > 5 and data[5] == SPARSE


def rebase(wb: np.ndarray, eb: int, e: int) -> np.ndarray:
    """Base weights at exponent eb re-expressed at e: shifted up and saturated, or rounded
    half up when e is coarser (tintin_fleet_rebase)."""
    x = wb.astype(np.int64)
    v = x << (eb - e) if eb >= e else nx.floor_shift(x + (1 << (e - eb - 1)), e - eb)
    return np.clip(v, -127, 127).astype(np.int8)


def budgets(sp: spec.ModelSpec, k: int) -> dict[int, int]:
    """Weights each trained layer may send: ceil(k n_i / N), at most n_i."""
    sizes = {i: rows * row for i, (what, rows, row) in fleetmsg.carried(sp).items()
             if what & WEIGHTS}  # fmt: skip
    total = sum(sizes.values())
    return {i: min(n, -(-k * n // total)) for i, n in sizes.items()}


def choose(change: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest changes (0..254), lower indices first on ties, none
    unchanged; in increasing order."""
    order = np.lexsort((np.arange(change.size), -change.astype(np.int64)))
    pick = order[:k]
    return np.sort(pick[change[pick] > 0])


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        out.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
        v >>= 7
        if not v:
            return bytes(out)


def export(sp: spec.ModelSpec, base: bytes, params: dict[int, LayerParams], round_: int,
           samples: int, k: int) -> bytes:  # fmt: skip
    """tintin_fleet_export_sparse of a node whose trained parameters are params."""
    g = _base(sp, base)
    quota = budgets(sp, k)
    body = bytearray()
    for i, (what, _rows, _row) in fleetmsg.carried(sp).items():
        p = params[i]
        part = bytearray(struct.pack("<BbBB", i, p.w_exp, what, 0))
        if what & BIASES:
            part += np.asarray(p.bias, "<i4").tobytes()
        if what & WEIGHTS:
            w = np.asarray(p.w, np.int8).ravel()
            b = g.layers[i]
            ref = rebase(b.w, b.w_exp, p.w_exp)  # type: ignore[arg-type]
            idx = choose(np.abs(w.astype(np.int64) - ref), quota[i])
            part += struct.pack("<I", len(idx))
            prev = -1
            for j in idx.tolist():
                part += _varint(j - prev - 1) + struct.pack("<b", int(w[j]))
                prev = j
        body += part.ljust(len(part) + (-(len(body) + len(part)) % 4), b"\0")
    head = fleetmsg.HEAD.pack(fleetmsg.MAGIC, fleetmsg.VERSION, SPARSE, len(params), 0,
                              spec.table_hash(sp), round_, samples)  # fmt: skip
    out = head + struct.pack("<I", _crc_field(base)) + bytes(body)
    return out + struct.pack("<I", zlib.crc32(out))


def _crc_field(msg: bytes) -> int:
    return int(struct.unpack_from("<I", msg, len(msg) - 4)[0])


def _base(sp: spec.ModelSpec, base: bytes) -> Message:
    g = fleetmsg.unpack(sp, base)
    if g.kind != fleetmsg.GLOBAL:
        raise FleetError("fleet: a sparse update is against a global model")
    return g


def _get_varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    v = 0
    for b in range(VARINT_MAX):
        if pos >= end:
            break
        c = data[pos]
        pos += 1
        v |= (c & 0x7F) << (7 * b)
        if not c & 0x80:
            if v > 0xFFFFFFFF:
                break
            return v, pos
    raise FleetError("fleet: sparse entries truncated, out of order or out of range")


def apply(sp: spec.ModelSpec, base: bytes, data: bytes) -> Message:
    """The node's dense update (kind UPDATE) that tintin_fleet_apply_sparse rebuilds, or
    FleetError for what it refuses."""
    g = _base(sp, base)
    head = fleetmsg.HEAD.size + 4
    if len(data) < head + 4:
        raise FleetError(f"fleet: {len(data)} bytes are not a sparse update")
    magic, version, kind, n_layers, zero, _table, rnd, samples = fleetmsg.HEAD.unpack_from(data)
    if magic != fleetmsg.MAGIC or version != fleetmsg.VERSION or kind != SPARSE or zero:
        raise FleetError("fleet: not a sparse update (magic, version, kind)")
    fleetmsg.sealed(sp, data)
    if struct.unpack_from("<I", data, fleetmsg.HEAD.size)[0] != _crc_field(base):
        raise FleetError("fleet: sparse update against another global model")
    end, pos, layers = len(data) - 4, head, {}
    for i, (what, rows, row) in fleetmsg.carried(sp).items():
        if end - pos < 4:
            raise FleetError(f"fleet: sparse message truncated at layer {i}")
        e = fleetmsg.layer_head(sp, data, pos, i, what)
        pos += 4
        bias = w = None
        if what & BIASES:
            if end - pos < 4 * rows:
                raise FleetError(f"fleet: sparse message truncated in layer {i}")
            bias = np.frombuffer(data, "<i4", rows, pos).astype(np.int32)
            pos += 4 * rows
        if what & WEIGHTS:
            b = g.layers[i]
            w = rebase(b.w, b.w_exp, e)  # type: ignore[arg-type]
            pos = _entries(data, pos, end, rows * row, w)
        while pos % 4:
            if pos >= end or data[pos]:
                raise FleetError(f"fleet: sparse layer {i}'s padding")
            pos += 1
        layers[i] = LayerParams(e, w, bias)
    if pos != end or n_layers != len(layers):
        raise FleetError(f"fleet: sparse message of {len(data)} bytes for {n_layers} layers")
    return Message(fleetmsg.UPDATE, rnd, samples, layers)


def _entries(data: bytes, pos: int, end: int, n: int, w: np.ndarray) -> int:
    bad = FleetError("fleet: sparse entries truncated, out of order or out of range")
    if end - pos < 4:
        raise bad
    count = struct.unpack_from("<I", data, pos)[0]
    pos += 4
    if count > n:
        raise bad
    nxt = 0
    for _ in range(count):
        gap, pos = _get_varint(data, pos, end)
        if pos >= end or gap >= n - nxt or data[pos] == 0x80:
            raise bad
        nxt += gap
        w[nxt] = struct.unpack_from("<b", data, pos)[0]
        pos += 1
        nxt += 1
    return pos


def size_for(sp: spec.ModelSpec, density: float) -> int:
    """k for a share of the trained weights (at least 1)."""
    sizes = [rows * row for what, rows, row in fleetmsg.carried(sp).values() if what & WEIGHTS]
    return max(1, math.ceil(density * sum(sizes)))
