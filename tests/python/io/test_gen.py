# SPDX-License-Identifier: Apache-2.0
"""`tintin gen`, `tintin train`: golden headers, clang-format, C builds that train, bad input."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from specfiles import DIGITS_SPEC

from tintin.apps import train as train_tool
from tintin.core import spec
from tintin.core.floatref import FloatModel
from tintin.core.refmodel import RefModel
from tintin.io import gen, modelfile

REPO = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).with_name("golden")
# The plain host build (the sanitizer build's archive needs -fsanitize at link time).
LIB = REPO / "build" / "host" / "lib" / "tintin"

SMALL_SPEC = """\
name: small
input: [1, 12, 2]
loss: xent
max_batch: 4
seed: 5
optimizer: lean
layers:
  - {type: conv1d, units: 3, kernel: [3], pad: same}
  - {type: relu}
  - {type: maxpool, kernel: [2]}
  - {type: flatten}
  - {type: dense, units: 4, train: full}
"""


def small_weights(path: Path) -> Path:
    rng = np.random.default_rng(3)
    np.savez(
        path,
        w0=rng.normal(0, 0.5, (3, 1, 3, 2)),
        b0=rng.normal(0, 0.1, 3),
        w4=rng.normal(0, 0.3, (4, 18)),
        b4=rng.normal(0, 0.1, 4),
    )
    return path


def small_csv(path: Path) -> Path:
    rng = np.random.default_rng(4)
    x = rng.integers(-50, 50, (30, 24)) / 10.0
    y = np.arange(30) % 4
    rows = ["f" + ",f".join(str(i) for i in range(24)) + ",label"]
    rows += [",".join(f"{v:g}" for v in r) + f",{c}" for r, c in zip(x, y, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path


def run_gen(argv: list[str], capsys) -> tuple[int, str]:
    code = gen.main(argv)
    return code, capsys.readouterr().err


def check_golden(text: str, name: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TINTIN_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; TINTIN_UPDATE_GOLDEN=1 rewrites it"


def test_model_header_golden(tmp_path, capsys):
    (tmp_path / "small.yaml").write_text(SMALL_SPEC)
    w = small_weights(tmp_path / "small.npz")
    out = tmp_path / "small_model.h"
    code, err = run_gen(["model", str(tmp_path / "small.yaml"), "--weights", str(w),
                         "-o", str(out)], capsys)  # fmt: skip
    assert code == 0, err
    check_golden(out.read_text(), "small_model.h")


def test_data_header_golden(tmp_path, capsys):
    out = tmp_path / "small_data.h"
    code, err = run_gen(["data", str(small_csv(tmp_path / "small.csv")), "--name", "small",
                         "--test-fraction", "0.25", "-o", str(out)], capsys)  # fmt: skip
    assert code == 0, err
    check_golden(out.read_text(), "small_data.h")


def test_generation_is_deterministic(tmp_path, capsys):
    (tmp_path / "small.yaml").write_text(SMALL_SPEC)
    w = small_weights(tmp_path / "small.npz")
    texts = []
    for k in range(2):
        out = tmp_path / f"m{k}.h"
        assert gen.main(["model", str(tmp_path / "small.yaml"), "--weights", str(w),
                         "-o", str(out)]) == 0  # fmt: skip
        texts.append(out.read_text())
    assert texts[0] == texts[1]


@pytest.mark.skipif(shutil.which("clang-format") is None, reason="clang-format not installed")
@pytest.mark.parametrize("name", ["small_model.h", "small_data.h"])
def test_golden_headers_are_clang_format_clean(name):
    path = GOLDEN / name
    out = subprocess.run(
        ["clang-format", f"--style=file:{REPO / '.clang-format'}", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout == path.read_text()


def test_npz_weights_are_quantised_into_the_table(tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL_SPEC)
    w = small_weights(tmp_path / "small.npz")
    _, sp = modelfile.load_spec(tmp_path / "small.yaml", w)
    raw = np.load(w)
    for i in (0, 4):
        layer = sp.layers[i]
        back = layer.weights.astype(np.float64) * 2.0**layer.w_exp
        assert np.max(np.abs(back - raw[f"w{i}"])) <= 2.0 ** (layer.w_exp - 1) + 1e-12
        assert np.max(np.abs(layer.weights)) >= 64  # the range is used
        b = layer.bias.astype(np.float64) * 2.0 ** (layer.w_exp - spec.BIAS_EXTRA_BITS)
        assert np.allclose(b, raw[f"b{i}"], atol=2.0 ** (layer.w_exp - spec.BIAS_EXTRA_BITS))


def onnx_model(path: Path, w0: np.ndarray, b0: np.ndarray, w4: np.ndarray, b4: np.ndarray) -> None:
    """Conv1d -> Relu -> MaxPool -> Flatten -> Gemm, channels first as PyTorch exports it."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(a.astype(np.float32), n)
             for n, a in (("w0", w0), ("b0", b0), ("w4", w4), ("b4", b4))]  # fmt: skip
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c"], pads=[1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2], strides=[2]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "w4", "b4"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits,
    )  # fmt: skip
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def test_onnx_weights_give_the_same_function(tmp_path):
    """An ONNX graph (channels first) and the imported Tin-Tin model agree on outputs."""
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(8)
    w0, b0 = rng.normal(0, 0.5, (3, 2, 3)), rng.normal(0, 0.1, 3)  # [out, in_c, k]
    w4, b4 = rng.normal(0, 0.3, (4, 18)), rng.normal(0, 0.1, 4)  # over a (c, w) flatten
    onnx_model(tmp_path / "small.onnx", w0, b0, w4, b4)
    (tmp_path / "small.yaml").write_text(SMALL_SPEC)
    _, sp = modelfile.load_spec(tmp_path / "small.yaml", tmp_path / "small.onnx")
    x = rng.normal(0, 1, (5, 12, 2)).astype(np.float32)  # NWC
    ours = FloatModel(sp, np.float64).forward(x.reshape(5, -1))
    ev = ReferenceEvaluator(str(tmp_path / "small.onnx"))
    want = np.concatenate([ev.run(None, {"x": xi.T[None]})[0] for xi in x])
    # Only int8 quantisation of the weights separates the two.
    assert np.max(np.abs(ours - want)) < 0.05 * np.max(np.abs(want))


BAD = {
    "unknown-layer": ("spec", "{type: dense, units: 4", "{type: dense4, units: 4",
                      "unknown layer type 'dense4'"),
    "yaml-syntax": ("spec", "layers:", "layers: [", "not valid YAML"),
    "unknown-key": ("spec", "seed: 5", "seed: 5\nsead: 6", "unknown keys ['sead']"),
    "shape-mismatch": ("spec", "input: [1, 12, 2]", "input: [1, 12, 3]",
                       "layer 0 weights have shape (3, 1, 3, 2), the spec needs (3, 1, 3, 3)"),
    "missing-weights": ("npz", "w4", None, "missing weights ['w4']"),
    "extra-weights": ("npz", "w9", "extra", "arrays ['w9'] match no weight layer"),
    "corrupt-npz": ("npz", None, "corrupt", "not a readable .npz file"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_model_input_is_one_line_and_exit_2(tmp_path, capsys, case):
    where, old, new, expect = BAD[case]
    text = SMALL_SPEC
    if where == "spec":
        text = text.replace(old, new)
    (tmp_path / "small.yaml").write_text(text)
    w = small_weights(tmp_path / "small.npz")
    if where == "npz" and new == "corrupt":
        w.write_bytes(w.read_bytes()[:100])
    elif where == "npz":
        arrays = dict(np.load(w))
        if new is None:
            del arrays[old]
        else:
            arrays[old] = np.zeros(3)
        np.savez(w, **arrays)
    code, err = run_gen(["model", str(tmp_path / "small.yaml"), "--weights", str(w),
                         "-o", str(tmp_path / "o.h")], capsys)  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1 and expect in err, err
    assert not (tmp_path / "o.h").exists()


@pytest.mark.parametrize(
    ("content", "expect"),
    [("a,b\nx,1\n", "row 1: expected 2 numbers"), ("1,2,300\n", "labels must be integers 0..255"),
     ("a,b\n1,x\n2,3\n", "row 2: label '3' is a number where row 1's is a class name"),
     ("", "no samples")],
)  # fmt: skip
def test_bad_data_input_is_one_line_and_exit_2(tmp_path, capsys, content, expect):
    (tmp_path / "d.csv").write_text(content)
    code, err = run_gen(["data", str(tmp_path / "d.csv"), "-o", str(tmp_path / "d.h")], capsys)
    assert code == 2 and err.count("\n") == 1 and expect in err, err


def test_flash_budget_keeps_class_balance(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), [40, 30, 20, 10])
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(100, 9)), y=y)
    code, err = run_gen(["data", str(tmp_path / "d.npz"), "--name", "d", "--flash-budget",
                         "500", "-o", str(tmp_path / "d.h")], capsys)  # fmt: skip
    assert code == 0, err
    text = (tmp_path / "d.h").read_text()
    n_train = int(text.split("#define D_TRAIN_N")[1].split()[0])
    n_test = int(text.split("#define D_TEST_N")[1].split()[0])
    assert (n_train + n_test) * 10 <= 500 and n_train + n_test == 50
    labels = [int(v) for v in text.split("d_train_y[")[1].split("{")[1].split("}")[0]
              .replace(",", " ").split()]  # fmt: skip
    assert np.bincount(labels, minlength=4).tolist() == [16, 12, 8, 4]


TRAIN_C = r"""
#include <stdio.h>
#include <tintin/tintin.h>
#include "digits_model.h"
#include "digits_data.h"

static uint32_t arena[(DIGITS_ARENA_TRAIN + 3) / 4];

int main(void)
{
    static struct tintin_model m;
    uint32_t before = 0, after = 0;

    if (tintin_model_init(&m, &digits_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena)) != 0 ||
        tintin_model_evaluate(&m, digits_test_x, DIGITS_TEST_EXP, digits_test_y, DIGITS_TEST_N,
                  &before) != 0) {
        return 2;
    }
    for (int epoch = 0; epoch < 3; epoch++) {
        for (unsigned int k = 0; k + 8 <= DIGITS_TRAIN_N; k += 8) {
            struct tintin_batch b = {.x = digits_train_x + k * DIGITS_TRAIN_SIZE,
                         .labels = digits_train_y + k, .n = 8,
                         .x_exp = DIGITS_TRAIN_EXP};
            if (tintin_model_train_step(&m, &b) != 0) {
                return 3;
            }
        }
    }
    if (tintin_model_evaluate(&m, digits_test_x, DIGITS_TEST_EXP, digits_test_y, DIGITS_TEST_N,
                  &after) != 0) {
        return 4;
    }
    printf("%u %u\n", (unsigned int)before, (unsigned int)after);
    return 0;
}
"""


@pytest.mark.clib
def test_generated_headers_compile_strictly_and_train_in_c(tmp_path, capsys):
    """gen model + gen data, compiled with -Wall -Wextra -Werror against libtintin; the C
    program's held-out counts before and after 3 epochs equal the reference's.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    np.savez(tmp_path / "digits.npz", x=d.data, y=d.target)
    (tmp_path / "digits.yaml").write_text(DIGITS_SPEC)
    assert gen.main(["model", str(tmp_path / "digits.yaml"), "-o",
                     str(tmp_path / "digits_model.h")]) == 0  # fmt: skip
    assert gen.main(["data", str(tmp_path / "digits.npz"), "--name", "digits", "-o",
                     str(tmp_path / "digits_data.h")]) == 0  # fmt: skip
    (tmp_path / "main.c").write_text(TRAIN_C)
    exe = tmp_path / "train"
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(tmp_path),
                    "-I", str(REPO / "lib/tintin/include"), str(tmp_path / "main.c"),
                    str(LIB / "libtintin.a"), "-o", str(exe)], check=True)  # fmt: skip
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    before, after = map(int, run.stdout.split())
    # The same run in the reference, from the same headers' contents.
    _, sp = modelfile.load_spec(tmp_path / "digits.yaml")
    txt = (tmp_path / "digits_data.h").read_text()

    def arr(name: str, dtype: type) -> np.ndarray:
        body = txt.split(f"{name}[")[1].split("{")[1].split("}")[0]
        return np.array([int(v) for v in body.replace(",", " ").split()], dtype)

    e = int(txt.split("#define DIGITS_TRAIN_EXP")[1].split()[0].strip("()"))
    xs, ys = arr("digits_train_x", np.int8).reshape(-1, 64), arr("digits_train_y", np.uint8)
    xt, yt = arr("digits_test_x", np.int8).reshape(-1, 64), arr("digits_test_y", np.uint8)
    ref = RefModel(sp)
    assert ref.evaluate(xt, e, yt) == before
    for _ in range(3):
        for k in range(0, len(xs) - 7, 8):
            ref.train_step(xs[k : k + 8], e, labels=ys[k : k + 8])
    assert ref.evaluate(xt, e, yt) == after
    assert after > 0.8 * len(yt) > before


@pytest.mark.clib
def test_train_exports_a_header_metrics_and_curve(tmp_path, capsys):
    from sklearn.datasets import load_digits

    d = load_digits()
    np.savez(tmp_path / "digits.npz", x=d.data, y=d.target)
    (tmp_path / "digits.yaml").write_text(DIGITS_SPEC)
    out = tmp_path / "out"
    code = train_tool.main([str(tmp_path / "digits.yaml"), str(tmp_path / "digits.npz"),
                            "--epochs", "3", "--backend", "c", "--out", str(out)])  # fmt: skip
    assert code == 0
    m = json.loads((out / "metrics.json").read_text())
    assert len(m["accuracy"]) == 3 and m["final_accuracy"] > 0.85
    assert (out / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "progress" not in capsys.readouterr().out  # the bar goes to stderr
    header = (out / "digits_model.h").read_text()
    assert re.search(r"#define DIGITS_ARENA_TRAIN +3504\n", header)
    assert re.search(r"#define DIGITS_ARENA_TRAIN_DSP +4272\n", header)
    # The reference backend trains to the same weights.
    code = train_tool.main([str(tmp_path / "digits.yaml"), str(tmp_path / "digits.npz"),
                            "--epochs", "3", "--backend", "ref", "--out",
                            str(tmp_path / "ref")])  # fmt: skip
    assert code == 0
    ref_header = (tmp_path / "ref" / "digits_model.h").read_text()
    assert ref_header.split("#define", 1)[1] == header.split("#define", 1)[1]


def test_train_refuses_mismatched_data(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", x=np.zeros((10, 5)), y=np.zeros(10))
    (tmp_path / "digits.yaml").write_text(DIGITS_SPEC)
    code = train_tool.main([str(tmp_path / "digits.yaml"), str(tmp_path / "d.npz"),
                            "--out", str(tmp_path / "o")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "samples have 5 values, the model's input has 64" in err


def test_json_spec_equals_yaml_spec(tmp_path):
    import yaml

    (tmp_path / "small.yaml").write_text(SMALL_SPEC)
    (tmp_path / "small.json").write_text(json.dumps(yaml.safe_load(SMALL_SPEC)))
    w = small_weights(tmp_path / "small.npz")
    _, a = gen.model_header(tmp_path / "small.yaml", w)
    _, b = gen.model_header(tmp_path / "small.json", w)
    assert a.replace("small.yaml", "small.json") == b


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("default", spec.Optim()),
        ("lean", spec.Optim.lean()),
        ("compact", spec.Optim.compact()),
        ("momentum", spec.Optim.momentum()),
    ],
)
def test_optimizer_presets_by_name(tmp_path, name, want):
    (tmp_path / "m.yaml").write_text(DIGITS_SPEC + f"optimizer: {name}\n")
    _, sp = modelfile.load_spec(tmp_path / "m.yaml")
    assert sp.optim == want
