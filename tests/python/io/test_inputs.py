# SPDX-License-Identifier: Apache-2.0
"""Issue 20, deliverables 2 and 3: the per-feature input quantiser, the low-levels warning,
the shuffled and stratified `gen data`, and class names as labels.

The generated `<name>_quantize()` is compiled on the host (tintin.native.hostcc) and fed the raw
integers of every training sample of real tables (Seattle weather, scikit-learn's digits) and
of synthetic columns built to break it (constant, negative, huge and tiny ranges, values on
rounding halves, int32's ends): its codes must be the header's training table, which is the
Python transform's, bit for bit.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tintin.apps import train as train_tool
from tintin.core import data
from tintin.io import dataset, gen, inputquant, inputs, labels
from tintin.native import hostcc

REPO = Path(__file__).resolve().parents[3]
INCLUDE = REPO / "lib" / "tintin" / "include"

# Reads raw int32 readings from stdin, writes their int8 codes to stdout, a reading at a
# time, through the header's quantiser; with class names in the header, prints them first.
DRIVER = r"""
#include <stdio.h>
#include "q_data.h"
#ifdef EXTRA_HEADER
#include EXTRA_HEADER
#endif

int main(int argc, char **argv)
{
	int32_t raw[Q_FEATURES];
	int8_t x[Q_FEATURES];

#ifdef Q_CLASS_NAMES_ID
	if (argc > 1) {
		for (unsigned int k = 0; k < sizeof(q_class_names) / sizeof(q_class_names[0]); k++) {
			printf("%s\n", q_class_names[k]);
		}
		return 0;
	}
#endif
	(void)argc;
	(void)argv;
	while (fread(raw, sizeof(raw), 1, stdin) == 1) {
		q_quantize(raw, x);
		fwrite(x, sizeof(x), 1, stdout);
	}
	return 0;
}
"""


def c_array(text: str, name: str) -> np.ndarray:
    body = re.search(rf"\b{name}\[\d+\] = \{{([^}}]*)\}}", text)[1]
    return np.array([int(v) for v in body.replace(",", " ").split()], np.int64)


def macro(text: str, name: str) -> str:
    return re.search(rf"#define {name} +(\S+)", text)[1]


def build_driver(tmp: Path, header_text: str, extra: Path | None = None) -> Path:
    """The driver compiled with the header (and another one included after it)."""
    d = tmp / "driver"
    d.mkdir(exist_ok=True)
    (d / "q_data.h").write_text(header_text)
    src = DRIVER
    if extra is not None:
        shutil.copy(extra, d / "extra.h")
        src = '#define EXTRA_HEADER "extra.h"\n' + src
    (d / "q_driver.c").write_text(src)
    return hostcc.build("q_driver", [d / "q_driver.c"], [d], shared=False)


def run_c(exe: Path, raw: np.ndarray) -> np.ndarray:
    raw = np.ascontiguousarray(raw, "<i4")
    out = subprocess.run([str(exe)], input=raw.tobytes(), capture_output=True, check=True)
    return np.frombuffer(out.stdout, np.int8).reshape(raw.shape)


def gen_data(src: Path, out: Path, *extra: str, capsys=None) -> tuple[str, str]:
    """(header text, stderr) of `tintin gen data src --name q`."""
    code = gen.main(["data", str(src), "--name", "q", "-o", str(out), *extra])
    err = capsys.readouterr().err if capsys is not None else ""
    assert code == 0, err
    return out.read_text(), err


def training_order(ds: dataset.Labelled, path: Path, seed: int = 0) -> np.ndarray:
    """The rows of gen data's training table, in its order (the default shuffle)."""
    train, _ = dataset.stratified_split(ds.y, 0.2, seed)
    return train[data.epoch_order(len(train), 0, seed)]


# --- real tables --------------------------------------------------------------------------


def weather_csv(path: Path) -> Path | None:
    """Seattle's daily weather (vega_datasets, fetched by `python -m tintin.tasks.accdata --fetch`)
    with the issue's sin/cos of the day of the year: 6 features, class names as labels."""
    from tintin.tasks import accdata

    pkg = accdata.PACKAGES["vega_datasets"]
    if not accdata.available(pkg):
        return None
    text = accdata.member(pkg, "vega_datasets/_data/seattle-weather.csv").decode()
    rows = ["precipitation,temp_max,temp_min,wind,doy_sin,doy_cos,weather"]
    for r in csv.DictReader(io.StringIO(text)):
        y, m, d = map(int, r["date"].split("/"))
        a = 2 * math.pi * (np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D")
                           - np.datetime64(f"{y:04d}-01-01", "D")).astype(int) / 365.25  # fmt: skip
        rows.append(f"{r['precipitation']},{r['temp_max']},{r['temp_min']},{r['wind']},"
                    f"{math.sin(a)!r},{math.cos(a)!r},{r['weather']}")  # fmt: skip
    path.write_text("\n".join(rows) + "\n")
    return path


def digits_npz(path: Path) -> Path:
    from sklearn.datasets import load_digits

    d = load_digits()
    np.savez(path, x=d.data.astype(np.uint8), y=d.target)
    return path


@pytest.mark.parametrize("table", ["weather", "digits"])
def test_the_c_quantizer_reproduces_every_training_sample(tmp_path, capsys, table):
    """The acceptance of issue 20: compiled on the host, the header's quantiser turns the raw
    integers of every training sample into the header's own training codes."""
    if table == "weather":
        src = weather_csv(tmp_path / "weather.csv")
        if src is None:
            pytest.skip("vega_datasets not fetched (python -m tintin.tasks.accdata --fetch)")
    else:
        src = digits_npz(tmp_path / "digits.npz")
    text, _ = gen_data(src, tmp_path / "q_data.h", capsys=capsys)
    ds = dataset.load(src)
    p = inputs.prepare(ds, src, 0.2, 0, "feature")
    fs = p.scaling.feature
    rows = training_order(ds, src)
    table_x = c_array(text, "q_train_x").reshape(len(rows), -1)
    assert np.array_equal(table_x, p.x[rows])  # the header holds the Python transform
    raw = fs.raw(ds.x[rows])
    assert raw.min() >= inputquant.RAW_MIN and raw.max() <= inputquant.RAW_MAX
    exe = build_driver(tmp_path, text)
    assert np.array_equal(run_c(exe, raw), table_x)
    # And on the held-out rows, which the fit never saw.
    test_x = c_array(text, "q_test_x").reshape(len(p.test), -1)
    assert np.array_equal(run_c(exe, fs.raw(ds.x[p.test])), test_x)
    # The tables in the header are the fitted ones.
    assert c_array(text, "q_quantize_offset").tolist() == fs.offset.tolist()
    assert c_array(text, "q_quantize_shift").tolist() == fs.shift.tolist()
    assert c_array(text, "q_raw_decimals").tolist() == fs.decimals.tolist()
    if table == "weather":
        # Tenths for the measured columns, as the CSV writes them; the formula's columns get
        # enough decimals for 2^16 raw units over their range.
        assert fs.decimals.tolist() == [1, 1, 1, 1, 5, 5]
        assert fs.raw(np.array([[12.8, 5.0, -3.2, 4.7, 0.0, 1.0]])).tolist() == [
            [128, 50, -32, 47, 0, 100000]]  # fmt: skip
        # sin and cos keep most of int8, not the 3 codes of one exponent for all columns.
        assert min(p.scaling.levels) >= 50 and min(p.scaling.levels[4:]) >= 180
    else:
        assert fs.decimals.tolist() == [0] * 64  # pixel values are whole numbers


def extreme_columns(n: int, rng: np.random.Generator) -> np.ndarray:
    """Columns that stress the fit and the arithmetic, as float64 [n, 16]."""
    col = {
        "constant": np.full(n, 7.0),
        "constant-negative": np.full(n, -123.25),
        "zero": np.zeros(n),
        "binary": rng.integers(0, 2, n).astype(float),
        "two-values-apart": rng.choice([-1e6, 1e6], n),
        "negative-only": -rng.integers(1000, 200_000, n) / 100,
        "int32-range": rng.integers(-(2**31), 2**31 - 1, n).astype(float),
        "huge": rng.normal(0, 1e15, n),  # int32 holds it only in units of 10^7 and more
        "tiny": rng.normal(0, 1e-7, n),
        "tiny-offset": 1e9 + rng.integers(0, 3, n),  # 3 values on a large offset
        "outlier": np.r_[rng.uniform(0, 1, n - 1), 1e6],
        "halves": rng.integers(-(2**20), 2**20, n) * 2 + 1.0,  # odd: halves at every shift
        "three-decimals": rng.integers(-99_999, 99_999, n) / 1000,
        "small-ints": rng.integers(-3, 4, n).astype(float),
        "wide-ints": rng.integers(-5_000_000, 5_000_000, n).astype(float),
        "sine": np.sin(np.arange(n) * 0.1),
    }
    return np.stack(list(col.values()), 1)


def test_the_c_quantizer_is_bit_exact_on_extreme_columns(tmp_path, capsys):
    rng = np.random.default_rng(20)
    x = extreme_columns(600, rng)
    y = np.arange(600) % 3
    src = tmp_path / "extreme.npz"
    np.savez(src, x=x, y=y)
    text, _ = gen_data(src, tmp_path / "q_data.h", capsys=capsys)
    ds = dataset.load(src)
    p = inputs.prepare(ds, src, 0.2, 0, "feature")
    fs = p.scaling.feature
    rows = training_order(ds, src)
    exe = build_driver(tmp_path, text)
    assert np.array_equal(run_c(exe, fs.raw(x[rows])),
                          c_array(text, "q_train_x").reshape(len(rows), -1))  # fmt: skip
    # Readings the training split never had: int32's ends, around each offset, each side of
    # every rounding boundary of every shift, and random ones.
    f = x.shape[1]
    probes = [np.full(f, inputquant.RAW_MIN), np.full(f, inputquant.RAW_MAX),
              np.zeros(f, np.int64), fs.offset, fs.lo, fs.hi]  # fmt: skip
    for k in range(0, 34):
        for sign in (-1, 1):
            for delta in (-1, 0, 1):
                probes.append(np.clip(fs.offset + sign * (2**k + delta), inputquant.RAW_MIN,
                                      inputquant.RAW_MAX))  # fmt: skip
    for s in range(1, 32):  # |d| = (2c + 1) * 2^(s-1): exactly half a step
        half = np.clip(fs.offset + 2 ** (s - 1) * 255, inputquant.RAW_MIN, inputquant.RAW_MAX)
        probes += [half, 2 * fs.offset - half]
    raw = np.stack(probes)
    raw = np.concatenate([raw, rng.integers(inputquant.RAW_MIN, inputquant.RAW_MAX, (4000, f),
                                            endpoint=True)])  # fmt: skip
    raw = np.clip(raw, inputquant.RAW_MIN, inputquant.RAW_MAX)
    assert np.array_equal(run_c(exe, raw), inputquant.codes(raw, fs.offset, fs.shift))
    # The fit: every column's training range within +-127, at the finest such shift.
    codes = p.x[p.train]
    for j in range(f):
        span = int(fs.hi[j] - fs.lo[j])
        assert np.abs(codes[:, j].astype(int)).max() <= 127
        if span == 0:
            assert fs.shift[j] == 0 and fs.offset[j] == fs.lo[j]
        elif fs.shift[j] > inputquant.SHIFT_MIN:
            assert span > 2 * inputquant.bound(int(fs.shift[j]) - 1)  # one finer would not fit
    # int32 holds the huge column only in units of 10^7 and more; the tiny one in 10^-9.
    assert fs.decimals[7] < -6 and fs.decimals[8] == inputquant.MAX_DECIMALS
    assert fs.decimals[12] == 3  # "three-decimals": exact at 3 decimals


def test_codes_round_half_away_from_zero_and_saturate():
    offset, shift = np.array([0, 0, 10, 0]), np.array([2, 1, -3, 31])
    raw = np.array([[2, 1, 11, 2**31 - 1], [-2, -1, 9, -(2**31)], [6, 3, 26, 2**30],
                    [-6, -3, -6, -(2**30)], [10**9, 255, 10**9, 0]])  # fmt: skip
    assert inputquant.codes(raw, offset, shift).tolist() == [
        [1, 1, 8, 1],
        [-1, -1, -8, -1],
        [2, 2, 127, 1],
        [-2, -2, -127, -1],
        [127, 127, 127, 0],
    ]


def test_raw_units_are_the_datas_own_digits():
    def decimals(x: np.ndarray) -> list[int]:
        return inputquant.fit(x, np.arange(len(x))).decimals.tolist()

    assert decimals(np.array([[27.97, 25.4, 3.0], [-0.01, 1.5, 7.0]])) == [2, 1, 0]
    assert decimals(np.array([[25.4, 0.25], [13.2, 0.7]], np.float32)) == [1, 2]  # float32
    # float32 k / 255 is whole at no decimal count it can tell: 2^16 raw units over [0, 1].
    assert decimals((np.arange(256)[:, None] / 255).astype(np.float32)) == [5]
    assert decimals(np.array([[3e-7], [1e-7]])) == [7]  # 3 and 1 in 10^-7 units, not 0s
    assert decimals(np.array([[2**40], [0]], np.int64)) == [-7]  # 10^7s: 2^16 over its range
    fs = inputquant.fit(np.array([[27.97], [-3.25]]), np.arange(2))
    assert fs.raw(np.array([[27.97], [-3.25], [1e30], [-1e30]])).ravel().tolist() == [
        2797, -325, inputquant.RAW_MAX, inputquant.RAW_MIN]  # fmt: skip


def test_one_fit_per_split_for_gen_data_and_train(tmp_path, capsys):
    """The same file, split and seed give both tools the same transform: the same tables and
    the same identity, so the two headers compile together; another seed's do not."""
    src = digits_npz(tmp_path / "digits.npz")
    (tmp_path / "q.yaml").write_text(
        "name: q\ninput: [64]\nmax_batch: 8\nseed: 1\nlayers:\n  - {type: dense, units: 10}\n"
    )
    out = tmp_path / "run"
    assert train_tool.main([str(tmp_path / "q.yaml"), str(src), "--epochs", "1", "--out",
                            str(out)]) == 0  # fmt: skip
    model = (out / "q_model.h").read_text()
    text, _ = gen_data(src, tmp_path / "q_data.h", capsys=capsys)
    m = json.loads((out / "metrics.json").read_text())
    for t in (model, text):
        assert c_array(t, "q_quantize_offset").tolist() == m["scale"]["offset"]
        assert c_array(t, "q_quantize_shift").tolist() == m["scale"]["shift"]
        assert macro(t, "Q_QUANTIZE_ID") == m["scale"]["id"] + "u"
    assert m["scale"]["scale"] == "feature" and m["input_exp"] == -7
    assert m["classes"] is None and m["features"] is None  # integer labels, an .npz
    assert m["scale"]["fitted_on"] == f"the {m['train_samples']} training samples"
    exe = build_driver(tmp_path, text, extra=out / "q_model.h")  # both in one program
    assert run_c(exe, np.zeros((1, 64), np.int64)).shape == (1, 64)
    other, _ = gen_data(src, tmp_path / "q7_data.h", "--seed", "7", capsys=capsys)
    assert macro(other, "Q_QUANTIZE_ID") != macro(text, "Q_QUANTIZE_ID")
    (tmp_path / "both.c").write_text('#include "q7_data.h"\n#include "run/q_model.h"\n')
    cc = subprocess.run(["gcc", "-std=c11", "-fsyntax-only", "-I", str(INCLUDE), "-I",
                         str(tmp_path), str(tmp_path / "both.c")], capture_output=True,
                        text=True, check=False)  # fmt: skip
    assert cc.returncode != 0
    assert "q_quantize: the included headers were fitted on different training data" in cc.stderr


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="no arm-none-eabi-gcc")
def test_the_quantizer_is_integer_only_on_cortex_m0plus(tmp_path, capsys):
    from tintin.target import floatcheck

    src = digits_npz(tmp_path / "digits.npz")
    gen_data(src, tmp_path / "q_data.h", capsys=capsys)
    (tmp_path / "use.c").write_text(
        '#include "q_data.h"\nvoid use(const int32_t *raw, int8_t *x);\n'
        "void use(const int32_t *raw, int8_t *x)\n{\n\tq_quantize(raw, x);\n}\n"
    )
    assert floatcheck.check_objects([tmp_path / "use.c"], [INCLUDE, tmp_path]) == []
    assert floatcheck.find_float_tokens([tmp_path / "q_data.h"]) == []


# --- the warning --------------------------------------------------------------------------


def test_a_feature_left_with_few_levels_is_named_once(tmp_path, capsys):
    rng = np.random.default_rng(1)
    n = 200
    outlier = np.where(np.arange(n) % 20 == 0, 5e3, rng.uniform(0, 1, n))
    x = np.stack([rng.uniform(0, 1, n), outlier, rng.integers(0, 2, n),
                  np.full(n, 3.0)], 1)  # binary and constant: no warning  # fmt: skip
    src = tmp_path / "w.npz"
    np.savez(src, x=x, y=np.arange(n) % 2)
    _, err = gen_data(src, tmp_path / "q_data.h", capsys=capsys)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tintin gen: warning: 1 feature keeps fewer than 16 int8 levels "
                               "on the 160 training samples: feature 1: ")  # fmt: skip
    assert "an outlier stretches its range" in lines[0]
    # One exponent for all columns squeezes the small ones: the hint names --scale feature.
    np.savez(src, x=np.stack([rng.uniform(-1, 1, n), rng.uniform(-100, 100, n)], 1),
             y=np.arange(n) % 2)  # fmt: skip
    _, err = gen_data(src, tmp_path / "q_data.h", "--scale", "unit", capsys=capsys)
    assert err.count("\n") == 1 and "feature 0: 3 of 160 values" in err, err
    assert "--scale feature, the default, scales each column" in err
    _, err = gen_data(src, tmp_path / "q_data.h", capsys=capsys)
    assert err == ""  # per-feature scaling keeps both


def test_train_warns_alike(tmp_path, capsys):
    rng = np.random.default_rng(1)
    n = 200
    np.savez(tmp_path / "w.npz", x=np.stack([rng.uniform(-1, 1, n), rng.uniform(-100, 100, n)], 1),
             y=np.arange(n) % 2)  # fmt: skip
    (tmp_path / "m.yaml").write_text(
        "name: m\ninput: [2]\nmax_batch: 8\nlayers:\n  - {type: dense, units: 2}\n"
    )
    argv = [str(tmp_path / "m.yaml"), str(tmp_path / "w.npz"), "--epochs", "1", "--out",
            str(tmp_path / "o")]  # fmt: skip
    assert train_tool.main([*argv, "--scale", "unit"]) == 0
    err = capsys.readouterr().err
    warn = [line for line in err.splitlines() if "warning" in line]
    assert len(warn) == 1 and warn[0].startswith("tintin train: warning: 1 feature keeps")
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    # What --scale unit did is on record: x * 2^-data_exp, at 2^-7.
    assert m["scale"]["scale"] == "unit" and m["scale"]["data_exp"] == 0
    assert m["scale"]["levels"][0] == 3 and m["input_exp"] == -7
    assert "x_q = round_half_even(x * 2^0)" in (tmp_path / "o" / "m_model.h").read_text()
    assert train_tool.main(argv) == 0
    assert "warning" not in capsys.readouterr().err


# --- order and split ----------------------------------------------------------------------


def sorted_by_class(path: Path, n: int = 120) -> Path:
    """A file whose rows come in runs of one class, as many exports do."""
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(3), n // 3)
    np.savez(path, x=rng.normal(size=(n, 4)) + y[:, None], y=y)
    return path


def test_training_table_is_shuffled_by_seed_and_keep_order_keeps_the_file(tmp_path, capsys):
    src = sorted_by_class(tmp_path / "runs.npz")
    ds = dataset.load(src)

    def table(*extra: str) -> tuple[np.ndarray, np.ndarray, str]:
        text, _ = gen_data(src, tmp_path / "q_data.h", *extra, capsys=capsys)
        return c_array(text, "q_train_y"), c_array(text, "q_train_x"), text

    y0, x0, t0 = table()
    y0b, x0b, _ = table("--seed", "0")
    y1, _, _ = table("--seed", "1")
    yk, xk, tk = table("--keep-order")
    assert np.array_equal(y0, y0b) and np.array_equal(x0, x0b)  # seeded: the same again
    assert not np.array_equal(y0, y1)
    train, _ = dataset.stratified_split(ds.y, 0.2, 0)
    assert yk.tolist() == ds.y[train].tolist()  # file order: runs of one class
    assert yk.tolist() == sorted(yk.tolist())
    # Shuffled: tintin train's first epoch order of the same rows, the classes mixed.
    assert y0.tolist() == ds.y[train[data.epoch_order(len(train), 0, 0)]].tolist()
    assert len(set(y0[:12].tolist())) == 3
    samples = [sorted(map(bytes, x.astype(np.int8).reshape(len(train), -1))) for x in (x0, xk)]
    assert samples[0] == samples[1]  # the same samples
    assert "shuffled by seed 0" in title(t0) and "in file order" in title(tk)
    # The held-out table is the same either way, and the split is stratified.
    assert c_array(t0, "q_test_y").tolist() == c_array(tk, "q_test_y").tolist()
    assert np.bincount(c_array(t0, "q_test_y")).tolist() == [8, 8, 8]
    # --split is --test-fraction.
    _, _, ts = table("--split", "0.25")
    assert macro(ts, "Q_TEST_N") == "30"


def title(text: str) -> str:
    """A header's comment as one line of words."""
    return " ".join(text.split("*/")[0].replace("\n *", " ").split())


def test_a_stream_keeps_file_order_and_fits_on_every_row(tmp_path, capsys):
    src = sorted_by_class(tmp_path / "runs.npz")
    ds = dataset.load(src)
    text, _ = gen_data(src, tmp_path / "q_data.h", "--stream", capsys=capsys)
    assert c_array(text, "q_stream_y").tolist() == ds.y.tolist()
    fs = inputquant.fit(ds.x, np.arange(len(ds.y)))
    assert c_array(text, "q_quantize_offset").tolist() == fs.offset.tolist()
    assert c_array(text, "q_stream_x").tolist() == fs.apply(ds.x).ravel().tolist()
    assert f"fitted on the {len(ds.y)} samples of the stream" in title(text.split("*/", 1)[1])


# --- class names ---------------------------------------------------------------------------

NAMES = ["sun", "rain", "fog", 'say "hi"', "back\\slash", "caf\u00e9", "wh??=at", "tab\there"]


def test_class_names_round_trip_through_the_header(tmp_path, capsys):
    rng = np.random.default_rng(2)
    n = 160
    names = [NAMES[i % len(NAMES)] for i in range(n)]
    rows = ["a,b,label"] + [f"{rng.normal():.3f},{rng.normal():.3f},{_csv(c)}" for c in names]
    src = tmp_path / "named.csv"
    src.write_text("\n".join(rows) + "\n")
    text, _ = gen_data(src, tmp_path / "q_data.h", capsys=capsys)
    classes = sorted(set(NAMES))
    assert macro(text, "Q_CLASSES") == str(len(classes))
    # The C strings print back as the names, in label order.
    exe = build_driver(tmp_path, text)
    out = subprocess.run([str(exe), "names"], capture_output=True, check=True).stdout
    assert out.decode().splitlines() == classes
    # Each training sample's label is its name's index.
    ds = dataset.load(src)
    rows_in_order = training_order(ds, src)
    assert [classes[k] for k in c_array(text, "q_train_y")] == [names[i] for i in rows_in_order]
    # The same mapping from an .npz, and in tintin train's metrics.
    np.savez(tmp_path / "named.npz", x=ds.x, y=np.array(names))
    text2, _ = gen_data(tmp_path / "named.npz", tmp_path / "q2_data.h", capsys=capsys)
    assert c_array(text2, "q_train_y").tolist() == c_array(text, "q_train_y").tolist()
    (tmp_path / "q.yaml").write_text(
        f"name: q\ninput: [2]\nmax_batch: 8\nlayers:\n  - {{type: dense, units: {len(classes)}}}\n"
    )
    assert train_tool.main([str(tmp_path / "q.yaml"), str(src), "--epochs", "1", "--out",
                            str(tmp_path / "o")]) == 0  # fmt: skip
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["classes"] == classes and m["features"] == ["a", "b"]
    model = (tmp_path / "o" / "q_model.h").read_text()
    assert macro(model, "Q_CLASS_NAMES_ID") == macro(text, "Q_CLASS_NAMES_ID")


def _csv(name: str) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow([name])
    return buf.getvalue().strip("\r\n")


def test_one_mapping_sorted_names():
    y, classes = labels.encode(["sun", " rain", "fog", "sun", "rain "])
    assert classes == ["fog", "rain", "sun"] and y.tolist() == [2, 1, 0, 2, 1]
    with pytest.raises(labels.LabelError, match="sample 1 has an empty label"):
        labels.encode(["a", " "])


def test_a_header_row_over_numbers_and_over_names(tmp_path):
    # Over numeric labels, "label" is a header even when the feature names are numbers.
    (tmp_path / "a.csv").write_text("0,1,label\n1,2,0\n3,4,1\n")
    ds = dataset.load(tmp_path / "a.csv")
    assert len(ds.y) == 2 and ds.names == ["0", "1"] and ds.classes is None
    # Over class names, a row of numbers and a name is a sample; words above them a header.
    (tmp_path / "b.csv").write_text("1,2,rain\n3,4,sun\n")
    ds = dataset.load(tmp_path / "b.csv")
    assert len(ds.y) == 2 and ds.classes == ["rain", "sun"] and ds.names is None
    (tmp_path / "c.csv").write_text("t,h,weather\n1,2,rain\n3,4,sun\n")
    assert dataset.load(tmp_path / "c.csv").names == ["t", "h"]


# --- the header's form ----------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("clang-format") is None, reason="clang-format not installed")
@pytest.mark.parametrize("name", ["q", "a_41_character_prefix_of_the_weather_node"])
def test_a_header_with_quantiser_and_names_is_clang_format_clean(tmp_path, capsys, name):
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(40, 3)),
             y=np.array(["a", "b"] * 20))  # fmt: skip
    out = tmp_path / "d.h"
    assert gen.main(["data", str(tmp_path / "d.npz"), "--name", name, "-o", str(out)]) == 0
    text = out.read_text()
    assert f"static inline void {name}_quantize(" in text and f"{name}_class_names[2]" in text
    fmt = subprocess.run(["clang-format", f"--style=file:{REPO / '.clang-format'}", str(out)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert fmt.stdout == text
    (tmp_path / "use.c").write_text('#include "d.h"\n')
    cc = subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic",
                         "-fsyntax-only", "-I", str(INCLUDE), str(tmp_path / "use.c")],
                        capture_output=True, text=True, check=False)  # fmt: skip
    assert cc.returncode == 0, cc.stderr
