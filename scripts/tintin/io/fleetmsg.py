# SPDX-License-Identifier: Apache-2.0
"""Fleet messages, byte for byte as tintin_fleet_export writes them (tintin/fleet.h has the
format): a model's trained layers (int8 weights, int32 biases, weight exponent), the table's
hash, a round and a sample count, and a CRC-32. `pack` writes one from a spec and per-layer
parameters; `unpack` checks one against a spec as tintin_fleet_apply does and returns its
contents."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from tintin.core import spec
from tintin.core.refmodel import RefModel

MAGIC = 0x55465454  # "TTFU"
VERSION = 1
UPDATE, GLOBAL = 0, 1
FRAME = 222  # one radio frame: the env sample's model must fit it
HEAD = struct.Struct("<IBBBBIII")
WEIGHTS, BIASES = spec.PARAM_WEIGHTS, spec.PARAM_BIASES


class FleetError(ValueError):
    """A message that tintin_fleet_apply would refuse."""


@dataclass
class LayerParams:
    w_exp: int
    w: np.ndarray | None  # int8 [rows * row], when the layer trains its weights
    bias: np.ndarray | None  # int32 [rows], when it trains its biases


@dataclass
class Message:
    kind: int
    round: int
    samples: int
    layers: dict[int, LayerParams]


def carried(sp: spec.ModelSpec) -> dict[int, tuple[int, int, int]]:
    """Per trained layer: (what it carries, rows, row), as tintin_fleet_what sees the model."""
    return spec.trained_params(sp)


def window(sp: spec.ModelSpec, i: int) -> tuple[int, int]:
    """The weight exponents layer i may train at: its table exponent +- W_EXP_SPAN."""
    return spec.w_exp_window(sp, i)


def _part(what: int, rows: int, row: int) -> int:
    n = 4 + (rows * 4 if what & BIASES else 0) + (rows * row if what & WEIGHTS else 0)
    return (n + 3) & ~3


def size(sp: spec.ModelSpec) -> int:
    """Bytes of the spec's messages (tintin_fleet_bytes)."""
    return HEAD.size + 4 + sum(_part(*c) for c in carried(sp).values())


def pack(sp: spec.ModelSpec, msg: Message) -> bytes:
    out = bytearray()
    layers = carried(sp)
    for i, (what, rows, row) in layers.items():
        p = msg.layers[i]
        part = bytearray(struct.pack("<BbBB", i, p.w_exp, what, 0))
        if what & BIASES:
            part += np.asarray(p.bias, "<i4").tobytes()
        if what & WEIGHTS:
            part += np.asarray(p.w, np.int8).reshape(rows * row).tobytes()
        out += part.ljust(_part(what, rows, row), b"\0")
    head = HEAD.pack(MAGIC, VERSION, msg.kind, len(layers), 0, spec.table_hash(sp), msg.round,
                     msg.samples)  # fmt: skip
    body = head + bytes(out)
    return body + struct.pack("<I", zlib.crc32(body))


def samples_of(data: bytes) -> int:
    """The sample count in a message's header (unchecked: unpack checks the message)."""
    return int(HEAD.unpack_from(data)[-1])


def sealed(sp: spec.ModelSpec, data: bytes, table: int | None = None) -> None:
    """FleetError unless the message's CRC-32 (its last 4 bytes) and table hash hold."""
    if struct.unpack_from("<I", data, len(data) - 4)[0] != zlib.crc32(data[:-4]):
        raise FleetError("fleet: CRC-32 mismatch (corrupt message)")
    msg_table = struct.unpack_from("<I", data, 8)[0]
    if msg_table != (spec.table_hash(sp) if table is None else table):
        raise FleetError(f"fleet: message of table 0x{msg_table:08x}, not this model's")


def layer_head(sp: spec.ModelSpec, data: bytes, pos: int, i: int, what: int) -> int:
    """Layer i's 4-byte head at pos checked (index, parts, exponent window): its exponent."""
    idx, w_exp, got, pad = struct.unpack_from("<BbBB", data, pos)
    if idx != i or got != what or pad != 0:
        raise FleetError(f"fleet: part at {pos} is not layer {i}'s")
    lo, hi = window(sp, i)
    if not lo <= w_exp <= hi:
        raise FleetError(f"fleet: layer {i} exponent {w_exp} outside {lo}..{hi}")
    return int(w_exp)


def unpack(sp: spec.ModelSpec, data: bytes, table: int | None = None) -> Message:
    """The message's contents, or FleetError for what tintin_fleet_apply refuses. table:
    spec.table_hash(sp) when the caller has it (a gateway checking many messages of one model:
    the hash reads every initial weight)."""
    if len(data) != size(sp):
        raise FleetError(f"fleet: {len(data)} bytes, the model's messages have {size(sp)}")
    magic, version, kind, n_layers, zero, _table, rnd, samples = HEAD.unpack_from(data)
    if magic != MAGIC or version != VERSION or kind > GLOBAL or zero != 0:
        raise FleetError("fleet: not a fleet message (magic, version, kind)")
    sealed(sp, data, table)
    layers = carried(sp)
    if n_layers != len(layers):
        raise FleetError(f"fleet: message of {n_layers} layers, the model trains {len(layers)}")
    pos, out = HEAD.size, {}
    for i, (what, rows, row) in layers.items():
        w_exp = layer_head(sp, data, pos, i, what)
        p = pos + 4
        bias = w = None
        if what & BIASES:
            bias = np.frombuffer(data, "<i4", rows, p).astype(np.int32)
            p += rows * 4
        if what & WEIGHTS:
            w = np.frombuffer(data, np.int8, rows * row, p).copy()
        out[i] = LayerParams(w_exp, w, bias)
        pos += _part(what, rows, row)
    return Message(kind, rnd, samples, out)


# --- the reference node: tintin_fleet_export and tintin_fleet_apply on a RefModel ------------


def params_of(r: RefModel) -> dict[int, LayerParams]:
    """A reference model's trained parameters, as a message carries them."""
    out = {}
    for i, (what, _, _) in carried(r.spec).items():
        st = r.dense[i]
        w = np.asarray(st.w, np.int8).ravel() if what & WEIGHTS else None
        out[i] = LayerParams(int(st.w_exp), w, np.asarray(st.bias, np.int32))
    return out


def export_ref(r: RefModel, kind: int, round_: int, samples: int) -> bytes:
    """tintin_fleet_export of the reference model."""
    return pack(r.spec, Message(kind, round_, samples, params_of(r)))


def apply_ref(r: RefModel, data: bytes) -> Message:
    """tintin_fleet_apply on the reference model: the whole message checked first (FleetError),
    then every trained layer's parameters loaded; int16 masters restart at 256 w, momentum at
    zero, the layer's rate back-off stays."""
    msg = unpack(r.spec, data)
    for i, p in msg.layers.items():
        st = r.dense[i]
        st.w_exp = p.w_exp
        if p.bias is not None:
            st.bias = p.bias.astype(np.int64)
        if p.w is not None:
            st.w = p.w.astype(np.int64).reshape(st.w.shape)
            if st.w16 is not None:
                st.w16 = st.w * (1 << r.spec.optim.master_bits(r.spec.layers[i].kind))
            if st.w_mom is not None:
                st.w_mom = np.zeros_like(st.w_mom)
        if st.b_mom is not None:
            st.b_mom = np.zeros_like(st.b_mom)
    return msg
