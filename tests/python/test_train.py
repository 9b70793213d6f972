# SPDX-License-Identifier: Apache-2.0
"""`tintin train --compare-float`: both curves, losses, saturation counters, backends agree."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from test_gen import DIGITS_SPEC

from tintin import data, spec
from tintin import train as train_tool
from tintin.floatref import float_lr

EPOCHS = 2
# What a backend must reproduce exactly: integers all the way, held-out loss from int8 outputs.
INTEGER_KEYS = ("accuracy", "loss", "best_epoch", "saturation", "w_exp", "weight_layers")


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("digits")
    s = data.load_digits_split()
    np.savez(d / "digits.npz", x=np.concatenate([s.x_train, s.x_test]),
             y=np.concatenate([s.y_train, s.y_test]))  # fmt: skip
    (d / "digits.yaml").write_text(DIGITS_SPEC)
    return d / "digits.yaml", d / "digits.npz"


def run(digits: tuple[Path, Path], out: Path, *extra: str) -> dict:
    argv = [*map(str, digits), "--epochs", str(EPOCHS), "--out", str(out), *extra]
    assert train_tool.main(argv) == 0
    return json.loads((out / "metrics.json").read_text())


def test_compare_float_writes_both_curves(digits, tmp_path, capsys):
    m = run(digits, tmp_path / "cmp", "--compare-float")
    out, err = capsys.readouterr()
    assert "\r" not in err  # no progress bar when stderr is not a terminal
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(lines) == EPOCHS and all("| float32" in line for line in lines)
    assert "integer - float32" in out
    f = m["float32"]
    for curve in (m, f):
        assert len(curve["accuracy"]) == len(curve["loss"]) == EPOCHS
        assert all(math.isfinite(v) and v > 0 for v in curve["loss"])
        assert curve["final_accuracy"] == curve["accuracy"][-1]
        assert curve["best_accuracy"] == max(curve["accuracy"])
        assert curve["accuracy"][curve["best_epoch"] - 1] == curve["best_accuracy"]
    assert f["lr"] == float_lr(spec.Optim())  # the default preset's rate
    assert len(m["saturation"]) == len(m["w_exp"]) == EPOCHS
    steps = [s["steps"] for s in m["saturation"]]
    assert steps == [k * -(-m["train_samples"] // 8) for k in range(1, EPOCHS + 1)]
    assert all(len(w) == len(m["weight_layers"]) == 2 for w in m["w_exp"])
    assert (tmp_path / "cmp" / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    # Without the flag: the same integer run (float32 takes nothing from it), no float32 key.
    plain = run(digits, tmp_path / "plain")
    assert "float32" not in plain
    assert {k: plain[k] for k in INTEGER_KEYS} == {k: m[k] for k in INTEGER_KEYS}


@pytest.mark.clib
def test_integer_curves_identical_on_both_backends(digits, tmp_path):
    ref = run(digits, tmp_path / "ref", "--compare-float", "--backend", "ref")
    c = run(digits, tmp_path / "c", "--compare-float", "--backend", "c")
    assert {k: ref[k] for k in INTEGER_KEYS} == {k: c[k] for k in INTEGER_KEYS}
    assert len(c["float32"]["accuracy"]) == EPOCHS


def test_xent_is_stable_at_any_scale():
    z = np.array([[2.0, 1.0, 0.0], [1e4, 0.0, -1e4]])
    y = np.array([0, 1])
    naive = np.log(np.exp([2.0, 1.0, 0.0]).sum()) - 2.0
    assert np.allclose(train_tool.xent(z, y), [naive, 1e4])


def test_held_out_loss_survives_a_huge_output_exponent():
    class Runaway:  # an integer model whose output exponent would overflow 2^e in float64
        def forward(self, x: np.ndarray, e: int) -> tuple[np.ndarray, int]:
            return np.tile([[5, 4, -3]], (len(x), 1)), 2000

    acc, loss = train_tool.held_out_int(Runaway(), np.zeros((3, 1)), 0, np.array([0, 0, 1]), 2)
    assert acc == pytest.approx(2 / 3) and loss == math.inf
