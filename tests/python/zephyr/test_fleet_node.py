# SPDX-License-Identifier: Apache-2.0
"""samples/fleet_node under twister on native_sim: its pytest harness plays the gateway for two
rounds over the console (CBOR frames, zcbor on the node) and checks every update against the
reference node (issue 23). Needs a Zephyr tree with the zcbor module; skipped, visibly,
otherwise."""

import json
import os

import pytest
import zephyr_tree

from tintin.io import fleetcbor

SCENARIO = "sample.tintin.fleet_node"


@pytest.mark.slow
@pytest.mark.skipif(not zephyr_tree.ZEPHYR_BASE, reason=zephyr_tree.SKIP_REASON)
def test_fleet_node_round_trip_on_native_sim(tmp_path):
    modules = os.environ.get("ZEPHYR_MODULES", "")
    if "zcbor" not in modules:
        pytest.skip("the zcbor module is not in ZEPHYR_MODULES")
    out = tmp_path / "twister-out"
    run = zephyr_tree.twister(zephyr_tree.REPO / "samples" / "fleet_node", out, "native_sim")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    report = json.loads((out / "twister.json").read_text())
    got = {(s["name"].split("/")[-1], s["status"]) for s in report["testsuites"]}
    assert (SCENARIO, "passed") in got, got
    log = (out / "native_sim" / SCENARIO / "handler.log").read_text()
    assert log.count(fleetcbor.UPDATE_LINE) == 2
    assert "fleet: PASS 2 rounds with the gateway" in log
