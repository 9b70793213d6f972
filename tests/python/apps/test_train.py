# SPDX-License-Identifier: Apache-2.0
"""`tintin train --compare-float`: both curves, losses, saturation counters, backends agree."""

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from specfiles import DIGITS_SPEC

from tintin.apps import train as train_tool
from tintin.apps import trainfit
from tintin.core import data, spec
from tintin.core.floatref import float_lr
from tintin.tasks import digits as digits_task

EPOCHS = 2
# What a backend must reproduce exactly: integers all the way, held-out loss from int8 outputs.
INTEGER_KEYS = ("accuracy", "loss", "best_epoch", "saturation", "w_exp", "weight_layers")


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("digits")
    s = digits_task.load_digits_split()
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
    assert np.allclose(trainfit.xent(z, y), [naive, 1e4])


def test_held_out_loss_survives_a_huge_output_exponent():
    class Runaway:  # an integer model whose output exponent would overflow 2^e in float64
        def forward(self, x: np.ndarray, e: int) -> tuple[np.ndarray, int]:
            return np.tile([[5, 4, -3]], (len(x), 1)), 2000

    acc, loss = trainfit.held_out_int(Runaway(), np.zeros((3, 1)), 0, np.array([0, 0, 1]), 2)
    assert acc == pytest.approx(2 / 3) and loss == math.inf


# --- issue 20: the C backend by default, overrides, seeded order, patience, best epoch ------


def train_run(digits: tuple[Path, Path], out: Path, *extra: str, epochs: int = EPOCHS) -> dict:
    argv = [*map(str, digits), "--epochs", str(epochs), "--out", str(out), *extra]
    assert train_tool.main(argv) == 0
    return json.loads((out / "metrics.json").read_text())


def weights_of(out: Path) -> str:
    """The generated header from its first macro on: everything but the title comment."""
    return (out / "digits_model.h").read_text().split("#define", 1)[1]


def scripted(monkeypatch: pytest.MonkeyPatch, accuracies: list[float]) -> None:
    """Held-out accuracy per epoch as given: a plateau or a peak exactly where a test wants."""
    it = iter(accuracies)
    monkeypatch.setattr(trainfit, "held_out_int", lambda *a, **k: (next(it), 1.0))


@pytest.mark.clib
def test_the_c_backend_is_the_default_and_help_says_why(digits, tmp_path, capsys):
    assert train_run(digits, tmp_path / "o", epochs=1)["backend"] == "c"
    with pytest.raises(SystemExit):
        train_tool.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "c: the C runtime through the shared library (default)" in text
    assert "ref: the bit-exact NumPy reference, same integers, several times slower" in text


@pytest.mark.clib
def test_same_seed_same_integers_another_seed_another_run(digits, tmp_path):
    a = train_run(digits, tmp_path / "a", "--seed", "5")
    b = train_run(digits, tmp_path / "b", "--seed", "5")
    c = train_run(digits, tmp_path / "c", "--seed", "6")
    assert {k: a[k] for k in INTEGER_KEYS} == {k: b[k] for k in INTEGER_KEYS}
    assert weights_of(tmp_path / "a") == weights_of(tmp_path / "b")
    assert a["saturation"] != c["saturation"] or a["accuracy"] != c["accuracy"]
    assert weights_of(tmp_path / "a") != weights_of(tmp_path / "c")
    assert a["seed"] == 5 and c["seed"] == 6


def test_epoch_order_is_a_seeded_shuffle_of_every_training_row():
    rows = np.arange(100, 197)  # training rows of a larger set
    order = [np.concatenate(list(trainfit.epoch_batches(rows, 8, e, s))) for e, s in
             ((0, 5), (0, 5), (1, 5), (0, 6))]  # fmt: skip
    assert np.array_equal(order[0], order[1])  # same seed and epoch: same order
    assert not np.array_equal(order[0], order[2])  # every epoch is shuffled anew
    assert not np.array_equal(order[0], order[3])  # another seed, another order
    assert all(np.array_equal(np.sort(o), rows) for o in order)  # each row once per epoch
    assert [len(b) for b in trainfit.epoch_batches(rows, 8, 0, 5)] == [8] * 12 + [1]


@pytest.mark.clib
def test_float32_trains_on_the_integer_runs_batches_in_its_order(digits, tmp_path, monkeypatch):
    from tintin.core.floatref import FloatModel
    from tintin.native import clib

    ints: list[tuple[np.ndarray, int, np.ndarray]] = []
    flts: list[tuple[np.ndarray, np.ndarray]] = []
    c_order, f_step = clib.CModel.train_order, FloatModel.train_step

    def c_spy(self, x, e, order, batch=None, labels=None, **kw):
        # The C runtime takes a run of batches per call (tintin.native.hosttrain): its steps.
        b = batch or self.spec.max_batch
        for k in range(0, len(order), b):
            idx = order[k : k + b]
            ints.append((x[idx].copy(), e, labels[idx].copy()))
        return c_order(self, x, e, order, batch, labels=labels, **kw)

    def f_spy(self, x, y):
        flts.append((x.copy(), y.copy()))
        return f_step(self, x, y)

    monkeypatch.setattr(clib.CModel, "train_order", c_spy)
    monkeypatch.setattr(FloatModel, "train_step", f_spy)
    m = train_run(digits, tmp_path / "o", "--compare-float")
    assert len(ints) == len(flts) == EPOCHS * -(-m["train_samples"] // 8)
    for (xi, e, yi), (xf, yf) in zip(ints, flts, strict=True):
        assert np.array_equal(np.ldexp(xi.astype(np.float32), e), xf)
        assert np.array_equal(yi, yf)
    half = len(ints) // EPOCHS
    first, second = (np.concatenate([s[0] for s in part]) for part in (ints[:half], ints[half:]))
    assert not np.array_equal(first, second)  # shuffled again for the second epoch
    assert sorted(map(bytes, first)) == sorted(map(bytes, second))  # the same samples


@pytest.mark.clib
def test_patience_stops_on_a_real_plateau(digits, tmp_path, capsys):
    # At a learning rate of 2^-30 no update survives rounding: every epoch scores the same.
    m = train_run(digits, tmp_path / "o", "--lr-shift", "30", "--patience", "2", epochs=6)
    assert m["accuracy"] == [m["accuracy"][0]] * 3
    assert m["epochs_run"] == 3 and m["stopped_early"] and m["patience"] == 2
    assert m["best_epoch"] == m["header_epoch"] == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert "after 3 of 6 epochs (stopped: no gain for 2 epochs)" in last


@pytest.mark.clib
def test_patience_counts_epochs_without_a_strict_gain(digits, tmp_path, monkeypatch):
    accs = [0.5, 0.7, 0.6, 0.7, 0.65, 0.9, 0.95, 0.97]  # a tie is no gain
    scripted(monkeypatch, accs)
    m = train_run(digits, tmp_path / "p", "--patience", "3", epochs=8)
    assert m["epochs_run"] == 5 and m["accuracy"] == accs[:5] and m["best_epoch"] == 2
    scripted(monkeypatch, accs)
    m = train_run(digits, tmp_path / "all", epochs=8)  # off by default: every epoch runs
    assert m["epochs_run"] == 8 and not m["stopped_early"] and m["patience"] is None


@pytest.mark.clib
def test_the_header_holds_the_best_epochs_model(digits, tmp_path, monkeypatch, capsys):
    scripted(monkeypatch, [0.5, 0.9, 0.6])
    m = train_run(digits, tmp_path / "peak", epochs=3)
    assert m["best_epoch"] == m["header_epoch"] == 2 and m["final_accuracy"] == 0.6
    header = (tmp_path / "peak" / "digits_model.h").read_text()
    assert "epoch 2 of 3, the best held-out accuracy, 0.9000" in " ".join(header.split())
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("tintin train: held-out accuracy best 0.9000 (epoch 2), final 0.6000")
    assert f"wrote {tmp_path / 'peak' / 'digits_model.h'} (the model of epoch 2)" in last
    assert str(tmp_path / "peak" / "metrics.json") in last
    assert str(tmp_path / "peak" / "learning_curve.png") in last
    scripted(monkeypatch, [0.5, 0.9])
    train_run(digits, tmp_path / "two", epochs=2)  # the same weights after 2 epochs
    scripted(monkeypatch, [0.1, 0.2, 0.3])
    train_run(digits, tmp_path / "last", epochs=3)  # the final model
    assert weights_of(tmp_path / "peak") == weights_of(tmp_path / "two")
    assert weights_of(tmp_path / "peak") != weights_of(tmp_path / "last")


OVERRIDES = {
    "lean-batch-4": (["--batch", "4", "--optimizer", "lean", "--lr-shift", "6",
                      "--train-last", "1"],
                     {"batch": 4, "optimizer": "lean", "lr_shift": 6, "train_last": 1}),
    "momentum-batch-16": (["--optimizer", "momentum", "--batch", "16"],
                          {"batch": 16, "optimizer": "momentum"}),
}  # fmt: skip


@pytest.mark.clib
@pytest.mark.parametrize("case", sorted(OVERRIDES))
def test_overrides_are_recorded_and_trained_with(digits, tmp_path, case):
    """The run equals one made directly through clib from the spec with those settings."""
    from tintin.io import cgen, dataset, inputs, modelfile
    from tintin.native import clib
    from tintin.tasks.runs import average_into

    argv, given = OVERRIDES[case]
    m = train_run(digits, tmp_path / "o", *argv, epochs=1)
    assert m["overrides"] == given
    name, sp = modelfile.load_spec(digits[0])
    sp.max_batch = given["batch"]
    sp.optim = spec.PRESETS[given["optimizer"]]()
    sp.optim.lr_shift = given.get("lr_shift", sp.optim.lr_shift)
    if "train_last" in given:
        spec.train_last(sp, given["train_last"])
    assert m["batch"] == sp.max_batch and m["optimizer"] == given["optimizer"]
    assert m["lr_shift"] == sp.optim.lr_shift and m["optim"] == vars(sp.optim)
    assert m["train_last"] == given.get("train_last")
    assert m["layer_train"] == (["frozen", "full"] if "train_last" in given else ["full"] * 2)
    assert m["saturation"][-1]["steps"] == -(-m["train_samples"] // sp.max_batch)
    ds = dataset.load(digits[1])
    train_i, _ = dataset.stratified_split(ds.y, 0.2, 0)
    p = inputs.prepare(ds, digits[1], 0.2, 0, "feature")  # the default scale, as gen data's
    x, e = p.x, p.scaling.input_exp
    model = clib.CModel(sp)
    for idx in data.batches(len(train_i), sp.max_batch, 0, 0):
        model.train_step(x[train_i[idx]], e, labels=ds.y[train_i[idx]])
    avg = clib.CModel(sp, spec.MODE_AVERAGE)  # the header holds the average (--average)
    average_into(avg, model, 0)
    body = cgen.model_body(spec.trained_spec(sp, avg), name)
    assert body in (tmp_path / "o" / "digits_model.h").read_text()
    plain = train_run(digits, tmp_path / "plain", epochs=1)
    assert plain["overrides"] == {} and plain["batch"] == 8 and plain["optimizer"] is None
    assert weights_of(tmp_path / "plain") != weights_of(tmp_path / "o")


def test_progress_to_a_file_is_one_plain_line_per_epoch(digits, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(train_tool.__file__).parents[2])}
    argv = [*map(str, digits), "--epochs", "3", "--out", str(tmp_path / "o")]
    with open(tmp_path / "err.txt", "w") as err:
        done = subprocess.run([sys.executable, "-m", "tintin.apps.train", *argv], stderr=err,
                              stdout=subprocess.PIPE, text=True, env=env, check=False)  # fmt: skip
    text = (tmp_path / "err.txt").read_text()
    assert done.returncode == 0, text
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 3
    for k, line in enumerate(lines, 1):
        assert line.startswith(f"tintin train: epoch {k}/3: ") and line.endswith(" samples/s")
    assert done.stdout.splitlines()[-1].startswith("tintin train: held-out accuracy best")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.clib
def test_progress_on_a_terminal_is_a_bar_with_eta_and_rate(digits, tmp_path, monkeypatch):
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    train_run(digits, tmp_path / "o", "--batch", "1", epochs=2)
    text = term.getvalue()
    assert "\r" in text and "samples/s" in text and "<" in text  # elapsed<remaining
    assert "epoch 1/2" in text and "epoch 2/2" in text
    assert "tintin train: epoch" not in text  # no plain lines beside the bar


@pytest.mark.slow
@pytest.mark.clib
def test_peak_memory_of_70k_images_stays_under_200_mb(tmp_path):
    """Issue 20: 70,000 x 784 uint8 samples (55 MB) trained one epoch on the C backend, a
    784-128-10 MLP; the whole process's peak RSS, measured by a parent that has no other
    child, stays under 200 MB (it was 1.39 GB with float64 copies)."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "big.npz", x=rng.integers(0, 256, (70_000, 784), dtype=np.uint8),
             y=rng.integers(0, 10, 70_000).astype(np.uint8))  # fmt: skip
    (tmp_path / "mlp.yaml").write_text(
        "name: mnist\ninput: [784]\nmax_batch: 8\nlayers:\n  - {type: dense, units: 128}\n"
        "  - {type: relu}\n  - {type: dense, units: 10}\n"
    )
    train = [sys.executable, "-m", "tintin.apps.train", str(tmp_path / "mlp.yaml"),
             str(tmp_path / "big.npz"), "--epochs", "1", "--out", str(tmp_path / "o")]  # fmt: skip
    parent = (
        "import resource, subprocess, sys\n"
        f"done = subprocess.run({train!r}, stdout=subprocess.DEVNULL)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(train_tool.__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", parent], env=env, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    code, kib = map(int, out.split())
    assert code == 0
    assert kib < 200 * 1024, f"peak RSS {kib / 1024:.0f} MB"


@pytest.mark.parametrize("kind", ["float64", "uint8", "int8", "zeros"])
def test_int8_codes_made_in_chunks_are_those_of_the_whole_array(kind, monkeypatch):
    from tintin.io import dataset

    monkeypatch.setattr(dataset, "CHUNK_BYTES", 8 * 7 * 3)  # 3 rows a chunk, a short last one
    rng = np.random.default_rng(1)
    x = {"float64": rng.normal(size=(100, 7)) * 5,
         "uint8": rng.integers(0, 256, (100, 7)).astype(np.uint8),
         "int8": rng.integers(-128, 128, (100, 7)).astype(np.int8),
         "zeros": np.zeros((100, 7))}[kind]  # fmt: skip
    whole, e = data.quantize_inputs(np.asarray(x, np.float64))
    for scale, exp in (("keep", e), ("unit", -7)):
        q, got = dataset.to_int8(x, scale)
        assert q.dtype == np.int8 and np.array_equal(q, whole) and got == exp
