# SPDX-License-Identifier: Apache-2.0
"""Model blobs: a model spec as the byte image tintin_model_blob_parse reads.

The layout is documented in lib/tintin/include/tintin/blob.h; the table hash in it is
spec.table_hash, the one generated headers carry and init verifies.
"""

from __future__ import annotations

import struct

import numpy as np

from tintin.core import spec

MAGIC = 0x424D5454  # "TTMB", TINTIN_BLOB_MAGIC
VERSION = 2  # TINTIN_BLOB_VERSION
HEADER_BYTES = 36
LAYER_BYTES = 16
_HEADER = struct.Struct("<IHBBHHHH8BIII")
_LAYER = struct.Struct("<BBHBBBBbxHI")


def _params(layer: spec.Layer) -> tuple[bytes, bytes]:
    """(int8 weight bytes, int32 bias bytes) of one layer, empty where it has none."""
    if layer.kind not in spec.WEIGHT_LAYERS:
        return b"", b""
    assert layer.weights is not None
    w = np.ascontiguousarray(layer.weights, np.int8).tobytes()
    b = b"" if layer.bias is None else np.ascontiguousarray(layer.bias, "<i4").tobytes()
    return w, b


def pack(sp: spec.ModelSpec) -> bytes:
    """The blob of a model spec (its table must be one the C planner accepts)."""
    spec.layer_geometry(sp)  # raises ValueError on a bad table before any byte is written
    records = b""
    data = b""
    for layer in sp.layers:
        kind, train, units, kh, kw, stride, pad, w_exp = spec.table_fields(layer)
        w, b = _params(layer)
        records += _LAYER.pack(kind, train, units, kh, kw, stride, pad, w_exp, len(b) // 4, len(w))
        data += w + bytes(-len(w) % 4) + b
    total = HEADER_BYTES + len(records) + len(data)
    o = sp.optim
    h, w_, c = sp.input_shape
    head = _HEADER.pack(
        MAGIC, VERSION, len(sp.layers), sp.loss, sp.max_batch, h, w_, c,
        o.rule, o.lr_shift, o.lr_mult, o.mu, o.momentum_shift, o.upscale_bits, o.rounding,
        o.upscale_scope,
        sp.seed & 0xFFFFFFFF, spec.table_hash(sp), total,
    )  # fmt: skip
    assert len(head) == HEADER_BYTES
    return head + records + data
