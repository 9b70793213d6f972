# SPDX-License-Identifier: Apache-2.0
"""Twister's pytest harness as the gateway of samples/fleet_node on native_sim: two rounds over
the console, checked against the bit-exact reference node.

Each round the node trains on 200 readings of the outdoor mote and sends its update; the test
trains tintin.core.refmodel.RefModel on the same readings with the same rounding stream and
requires the same bytes. It then sends a corrupt global model (refused, the node waits on), and
the integer average (tintin.io.fleetavg) of the node's update with a second node's, which the
node applies; the reference applies it too, so the next round's update must match again.

Needs, in the Python that runs twister: numpy and cbor2 (pip install numpy cbor2) and the
environmental data in the tintin cache (python -m tintin.tasks.envdata --fetch).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

from tintin.core import numerics  # noqa: E402
from tintin.core.refmodel import RefModel  # noqa: E402
from tintin.io import fleetavg, fleetcbor, fleetmsg  # noqa: E402
from tintin.tasks import envcl, envdata  # noqa: E402

NODE_ID = 1  # CONFIG_FLEET_NODE_ID
READINGS = 200  # CONFIG_FLEET_NODE_READINGS
ROUNDS = 2  # CONFIG_FLEET_NODE_ROUNDS
TIMEOUT = 60.0


def next_line(dut, pattern: str) -> str:
    lines = dut.readlines_until(regex=pattern, timeout=TIMEOUT)
    return next(line for line in reversed(lines) if re.search(pattern, line))


def test_two_rounds_with_a_gateway(dut):
    sc = envcl.build()
    sp = sc.deploy
    size = fleetmsg.size(sp)
    next_line(dut, f"fleet: node {NODE_ID} ready, {size}-byte messages")
    node = RefModel(sp)
    node.reseed(NODE_ID)
    other = RefModel(sp)  # a second node, reseeded apart, on the mote's later readings
    other.reseed(NODE_ID + 1)
    for r in range(1, ROUNDS + 1):
        first = (r - 1) * READINGS
        for k in range(first, first + READINGS):
            node.train_step(sc.x[k : k + 1], envdata.FEATURE_EXP, labels=sc.y[k : k + 1])
            j = len(sc.x) - 1 - k
            other.train_step(sc.x[j : j + 1], envdata.FEATURE_EXP, labels=sc.y[j : j + 1])
        update = fleetcbor.from_line(fleetcbor.UPDATE_LINE, next_line(dut, "fleet: update "))
        assert update == fleetmsg.export_ref(node, fleetmsg.UPDATE, r, READINGS), (
            f"round {r}: the node's update differs from the reference node's"
        )
        corrupt = bytearray(fleetmsg.export_ref(other, fleetmsg.GLOBAL, r, READINGS))
        corrupt[len(corrupt) // 2] ^= 0x01
        dut.write((fleetcbor.to_line(fleetcbor.GLOBAL_LINE, bytes(corrupt)) + "\n").encode())
        next_line(dut, r"<err> tintin: tintin: fleet: CRC-32 mismatch")
        next_line(dut, r"fleet: refused a global model \(-22\)")
        second = fleetmsg.export_ref(other, fleetmsg.UPDATE, r, READINGS)
        key = numerics.prng_key(0x6A7E + r)
        g = fleetavg.aggregate(sp, [update, second], key, 0, r)
        dut.write((fleetcbor.to_line(fleetcbor.GLOBAL_LINE, g) + "\n").encode())
        next_line(dut, rf"fleet: applied global round {r} \({2 * READINGS} samples\)")
        fleetmsg.apply_ref(node, g)
        fleetmsg.apply_ref(other, g)
    next_line(dut, f"fleet: PASS {ROUNDS} rounds with the gateway")
