# SPDX-License-Identifier: Apache-2.0
"""Console frames of fleet messages (samples/fleet_node): ["tintin-fleet", 1, bstr] as zcbor
writes it canonically, a hex line each way, and one-line refusals of anything else."""

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tintin.io import fleetcbor
from tintin.io.fleetmsg import FleetError


@given(st.binary(max_size=600))
def test_frames_round_trip(msg):
    line = fleetcbor.to_line(fleetcbor.UPDATE_LINE, msg)
    assert fleetcbor.from_line(fleetcbor.UPDATE_LINE, line + "\r\n") == msg


def test_the_bytes_zcbor_writes():
    # Definite-length array of 3, text of 12, uint 1, bstr with a one-byte length (200).
    head = bytes([0x83, 0x6C]) + b"tintin-fleet" + bytes([0x01, 0x58, 200])
    assert fleetcbor.frame(bytes(200)) == head + bytes(200)
    # The frame around a message under 64 KiB is at most 18 bytes (FLEET_CBOR_OVERHEAD).
    assert len(fleetcbor.frame(bytes(65535))) - 65535 == 18


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (fleetcbor.frame(b"abc") + b"\x00", "1 bytes after the frame"),
        (cbor2.dumps(["tintin-fleet", 2, b"abc"]), "not ['tintin-fleet', 1, bytes]"),
        (cbor2.dumps(["tintin-fleet", True, b"abc"]), "not ['tintin-fleet', 1, bytes]"),
        (cbor2.dumps(["tintin-fleat", 1, b"abc"]), "not ['tintin-fleet', 1, bytes]"),
        (cbor2.dumps(["tintin-fleet", 1, "abc"]), "not ['tintin-fleet', 1, bytes]"),
        (cbor2.dumps(["tintin-fleet", 1]), "not ['tintin-fleet', 1, bytes]"),
        (fleetcbor.frame(b"abc")[:-1], "not CBOR"),
        (b"", "not CBOR"),
    ],
)
def test_refusals(data, why):
    with pytest.raises(FleetError, match="fleet frame: ") as e:
        fleetcbor.unframe(data)
    assert why in str(e.value)


def test_line_refusals():
    with pytest.raises(FleetError, match="does not start with 'fleet: global'"):
        fleetcbor.from_line(fleetcbor.GLOBAL_LINE, "fleet: update 00")
    with pytest.raises(FleetError, match="not hex"):
        fleetcbor.from_line(fleetcbor.GLOBAL_LINE, "fleet: global 0g")
