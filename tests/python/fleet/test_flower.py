# SPDX-License-Identifier: Apache-2.0
"""Flower's Simulation Engine (Ray) runs the fleet's rounds with the same integers as the
in-process engine: 10 virtual nodes, 2 rounds (the CI run of issue 23). Skipped, visibly, when
the fleet extra is not installed."""

import json
from dataclasses import replace

import pytest
from fleetdata import small

from tintin import cli
from tintin.fleet import node, scenario

flower = pytest.importorskip("tintin.fleet.flower", reason="the fleet extra: pip install .[fleet]")


@pytest.mark.parametrize("sparse", [0.0, 0.25])
def test_flower_rounds_equal_the_local_engine(sparse):
    f = scenario.prepare(replace(small(nodes=10, rounds=2), sparse=sparse))
    got: dict[int, bytes] = {}
    gateway = node.Gateway(f.sp, f.cfg.seed, f.cfg.momentum)
    failures = flower.simulate(f, lambda r, g: got.__setitem__(r, g), 2, gateway)
    want: dict[int, bytes] = {}
    scenario.run_rounds(f, lambda r, g: want.__setitem__(r, g))
    assert failures == 0
    assert sorted(got) == [1, 2]
    assert got == want
    assert gateway.messages_in == 20


def test_cli_flower_engine(tmp_path, capsys):
    small()
    out = tmp_path / "o"
    argv = ["fleet", "--task", "weather", "--nodes", "10", "--rounds", "2", "--epochs", "1",
            "--baselines", "none", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    run = json.loads((out / "fleet.json").read_text())
    assert run["engine"] == "flower" and run["failures"] == 0
    assert run["node_rounds_per_s"] > 0 and run["peak_rss_bytes"] > 0
    assert "10 nodes x 2 rounds on flower" in capsys.readouterr().out
