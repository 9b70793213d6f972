# SPDX-License-Identifier: Apache-2.0
"""`tintin demo motion`: fine-tuning the last layers on a new person helps, integer and float."""

import json

import pytest

from tintin import cli

pytestmark = [pytest.mark.clib, pytest.mark.slow]


def test_fine_tuning_raises_held_out_accuracy(tmp_path):
    pytest.importorskip("seglearn")
    out = tmp_path / "motion.json"
    assert cli.main(["demo", "motion", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    for trainer in ("int", "float32"):
        assert res["accuracy_after"][trainer] > res["accuracy_before"][trainer]
