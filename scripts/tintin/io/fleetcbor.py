# SPDX-License-Identifier: Apache-2.0
"""Fleet messages framed as CBOR for a text console, as samples/fleet_node frames them with
zcbor: the frame is ["tintin-fleet", 1, message] (CDDL in docs/fleet.md), and a console line is
a prefix and the frame's hex. Framing checks only the frame; tintin.io.fleetmsg checks the
message inside."""

from __future__ import annotations

import io

import cbor2

from tintin.io.fleetmsg import FleetError

TAG = "tintin-fleet"
VERSION = 1
UPDATE_LINE = "fleet: update "  # node to gateway
GLOBAL_LINE = "fleet: global "  # gateway to node


def frame(msg: bytes) -> bytes:
    """The CBOR frame of a message: a definite-length array, as zcbor writes it canonically."""
    return cbor2.dumps([TAG, VERSION, bytes(msg)])


def unframe(data: bytes) -> bytes:
    """The message inside one frame, or FleetError (anything else, or bytes after it)."""
    buf = io.BytesIO(data)
    try:
        obj = cbor2.CBORDecoder(buf).decode()
    except (cbor2.CBORDecodeError, EOFError, ValueError) as exc:
        raise FleetError(f"fleet frame: not CBOR ({exc})") from None
    if buf.tell() != len(data):
        raise FleetError(f"fleet frame: {len(data) - buf.tell()} bytes after the frame")
    if not (isinstance(obj, list) and len(obj) == 3 and obj[0] == TAG and type(obj[1]) is int
            and obj[1] == VERSION and isinstance(obj[2], bytes)):  # fmt: skip
        raise FleetError(f"fleet frame: not [{TAG!r}, {VERSION}, bytes]")
    return obj[2]


def to_line(prefix: str, msg: bytes) -> str:
    return prefix + frame(msg).hex()


def from_line(prefix: str, line: str) -> bytes:
    """The message of a console line that starts with prefix, or FleetError."""
    text = line.strip()
    if not text.startswith(prefix):
        raise FleetError(f"fleet line: does not start with {prefix.strip()!r}")
    try:
        data = bytes.fromhex(text[len(prefix) :])
    except ValueError:
        raise FleetError("fleet line: not hex") from None
    return unframe(data)
