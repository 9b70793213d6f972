# SPDX-License-Identifier: Apache-2.0
"""`tintin demo motion`: fine-tuning the last layers on a new person helps the integer model."""

import json

import pytest

from tintin import cli

pytestmark = [pytest.mark.clib, pytest.mark.slow]


def test_fine_tuning_raises_held_out_accuracy(tmp_path):
    pytest.importorskip("seglearn")
    out = tmp_path / "motion.json"
    assert cli.main(["demo", "motion", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["accuracy_after"]["int"] > res["accuracy_before"]["int"]
    # float32 plain SGD is reported, not held to it: on this person and seed it lost 2 points
    # at the rate of 2^-3 before 2026-12-06 (1 of its 30 runs in `tintin presets`).
    assert 0.0 <= res["accuracy_after"]["float32"] <= 1.0
