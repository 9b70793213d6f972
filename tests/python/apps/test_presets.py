# SPDX-License-Identifier: Apache-2.0
"""`tintin presets`: every preset adapts the motion network, paired against the default."""

import json

import pytest

from tintin import cli
from tintin.apps import presets

pytestmark = [pytest.mark.clib, pytest.mark.slow]


def test_presets_are_paired_runs_that_adapt(tmp_path, capsys):
    pytest.importorskip("seglearn")
    out = tmp_path / "presets.json"
    assert cli.main(["presets", "--people", "10", "--seeds", "2", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert set(res) == {"default", "compact", "momentum", "float32"}
    for trainer, r in res.items():
        assert len(r["after"]) == 2, trainer
        assert sum(r["after"]) > sum(r["before"]), trainer
    # The paired column is each preset's run minus the default's run with the same seed.
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("| compact |"))
    diff = 100 * (sum(res["compact"]["after"]) - sum(res["default"]["after"])) / 2
    assert f"{diff:+.2f} ±" in row


@pytest.mark.parametrize("argv", [["--people", "11"], ["--people", "x"], ["--seeds", "0"]])
def test_bad_arguments_are_refused(argv, capsys):
    assert presets.main(argv) == 2
    assert capsys.readouterr().err.startswith("tintin presets: ")
