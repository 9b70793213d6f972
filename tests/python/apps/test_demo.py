# SPDX-License-Identifier: Apache-2.0
"""`tintin demo digits`: the first real result and its acceptance numbers."""

import json

import pytest

from tintin import cli
from tintin.core.spec import Optim
from tintin.tasks import digits, runs

pytestmark = [pytest.mark.clib, pytest.mark.slow]

FLOAT_MARGIN = 0.02


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("demo") / "digits.json"
    assert cli.main(["demo", "digits", "--quiet", "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_integer_accuracy_matches_float(result):
    acc = result["accuracy"]
    assert set(acc) == {"int", "niti", "float32"}
    assert acc["int"] >= 0.95  # the integer run is bit-exact on every machine
    # float32 depends on the machine's BLAS kernels and threads: one-sided, with the margin
    # the seeds of `tintin accuracy` leave (docs/accuracy.md), never a two-sided bound.
    assert acc["int"] >= acc["float32"] - FLOAT_MARGIN


def test_planner_bytes_equal_high_water(result):
    assert result["arena_bytes"] > 0
    assert result["arena_high_water"] == result["arena_bytes"]


def test_reference_backend_gives_the_same_curve():
    """The NumPy reference and the C runtime, trained the same way, score identically."""
    pytest.importorskip("sklearn")
    split = digits.load_digits_split()
    sp = digits.digits_spec(Optim(), 8, 1)
    c = runs.train_int(sp, split, 2, 8, 1, backend="c")
    r = runs.train_int(digits.digits_spec(Optim(), 8, 1), split, 2, 8, 1, backend="ref")
    assert c.accuracy == r.accuracy


def test_bad_arguments_exit_nonzero(capsys):
    assert cli.main(["demo", "digits", "--batch", "0"]) == 2
    assert "--batch" in capsys.readouterr().err
    assert cli.main(["nonsense"]) == 2
