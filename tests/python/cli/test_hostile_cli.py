# SPDX-License-Identifier: Apache-2.0
"""Hostile input to `tintin gen model|data`, `plan`, `size`, `train`, `bench` and `codesize`.

Every case is one bad input (a field of a model file, a weights or data file, a number or an
output path on the command line) run through `tintin.cli.main`, in-process. Each must give
exit code 2 and exactly one line on stderr naming the file (or option) and the field, layer or
row at fault; no traceback, not the last-resort "internal error" line of cli.main, and no file
created or changed. The positive controls at the end check that valid input still works.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tintin import cli

DELETE = object()  # a mutation that removes the key

MLP = {
    "name": "m",
    "input": [8],
    "max_batch": 2,
    "seed": 1,
    "layers": [{"type": "dense", "units": 4}, {"type": "relu"}, {"type": "dense", "units": 3}],
}
CNN = {
    "name": "m",
    "input": [6, 6, 2],
    "layers": [
        {"type": "conv2d", "units": 2, "kernel": [3, 3], "pad": "same"},
        {"type": "relu"},
        {"type": "maxpool", "kernel": [2, 2]},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
    ],
}
SIG = {
    "name": "m",
    "input": [1, 12, 2],
    "layers": [
        {"type": "conv1d", "units": 3, "kernel": [3]},
        {"type": "relu"},
        {"type": "avgpool", "kernel": [2]},
        {"type": "gap"},
        {"type": "dense", "units": 2},
    ],
}
BASES = {"mlp": MLP, "cnn": CNN, "sig": SIG}


def mutate(base: dict, path: tuple, value: object) -> dict:
    doc = json.loads(json.dumps(base))
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def L(i: int, key: str) -> tuple:
    return ("layers", i, key)


# (base, path, bad value, what the message must name besides the file)
FIELD_CASES: dict[str, tuple[str, tuple, object, str]] = {
    # dense units: uint16, at least 1; bool, float and string are not integers
    "units-zero": ("mlp", L(0, "units"), 0, "layers[0] (dense): units"),
    "units-negative": ("mlp", L(0, "units"), -1, "layers[0] (dense): units"),
    "units-65536": ("mlp", L(0, "units"), 65536, "layers[0] (dense): units"),
    "units-2^70": ("mlp", L(0, "units"), 2**70, "layers[0] (dense): units"),
    "units-3.7": ("mlp", L(0, "units"), 3.7, "layers[0] (dense): units"),
    "units-3.0": ("mlp", L(0, "units"), 3.0, "layers[0] (dense): units"),
    "units-true": ("mlp", L(0, "units"), True, "layers[0] (dense): units"),
    "units-false": ("mlp", L(0, "units"), False, "layers[0] (dense): units"),
    "units-string-number": ("mlp", L(0, "units"), "4", "layers[0] (dense): units"),
    "units-string": ("mlp", L(0, "units"), "four", "layers[0] (dense): units"),
    "units-list": ("mlp", L(0, "units"), [1, 2], "layers[0] (dense): units"),
    "units-mapping": ("mlp", L(0, "units"), {"n": 4}, "layers[0] (dense): units"),
    "units-null": ("mlp", L(0, "units"), None, "layers[0] (dense): units"),
    "units-last-true": ("mlp", L(2, "units"), True, "layers[2] (dense): units"),
    "units-conv-zero": ("cnn", L(0, "units"), 0, "layers[0] (conv2d): units"),
    "units-conv-65536": ("cnn", L(0, "units"), 65536, "layers[0] (conv2d): units"),
    "units-conv-2.5": ("cnn", L(0, "units"), 2.5, "layers[0] (conv2d): units"),
    "units-conv-true": ("cnn", L(0, "units"), True, "layers[0] (conv2d): units"),
    "units-conv1d-string": ("sig", L(0, "units"), "3", "layers[0] (conv1d): units"),
    # kernel: a list of one or two uint8 values (conv1d: [k] or [1, k])
    "kernel-scalar": ("cnn", L(0, "kernel"), 3, "layers[0] (conv2d): kernel"),
    "kernel-string-35": ("cnn", L(0, "kernel"), "35", "layers[0] (conv2d): kernel"),
    "kernel-string-3x3": ("cnn", L(0, "kernel"), "3x3", "layers[0] (conv2d): kernel"),
    "kernel-three": ("cnn", L(0, "kernel"), [3, 3, 3], "layers[0] (conv2d): kernel"),
    "kernel-empty": ("cnn", L(0, "kernel"), [], "layers[0] (conv2d): kernel"),
    "kernel-zero": ("cnn", L(0, "kernel"), [0, 3], "layers[0] (conv2d): kernel"),
    "kernel-negative": ("cnn", L(0, "kernel"), [-1, 3], "layers[0] (conv2d): kernel"),
    "kernel-256": ("cnn", L(0, "kernel"), [3, 256], "layers[0] (conv2d): kernel"),
    "kernel-float": ("cnn", L(0, "kernel"), [3.0, 3], "layers[0] (conv2d): kernel"),
    "kernel-bool": ("cnn", L(0, "kernel"), [True, 3], "layers[0] (conv2d): kernel"),
    "kernel-nested": ("cnn", L(0, "kernel"), [[3], [3]], "layers[0] (conv2d): kernel"),
    "kernel-null": ("cnn", L(0, "kernel"), None, "layers[0] (conv2d): kernel"),
    "kernel-missing": ("cnn", L(0, "kernel"), DELETE, "layers[0] (conv2d): missing 'kernel'"),
    "kernel-too-big": ("cnn", L(2, "kernel"), [7, 7], "layers[2] (maxpool)"),
    "kernel-conv1d-2d": ("sig", L(0, "kernel"), [2, 3], "layers[0] (conv1d): kernel"),
    "kernel-conv1d-scalar": ("sig", L(0, "kernel"), 3, "layers[0] (conv1d): kernel"),
    "kernel-conv1d-too-big": ("sig", L(0, "kernel"), [13], "layers[0] (conv1d)"),
    "kernel-pool-missing": ("cnn", L(2, "kernel"), DELETE, "layers[2] (maxpool): missing"),
    "kernel-maxpool-17x17": ("cnn", L(2, "kernel"), [17, 17], "layers[2] (maxpool): max-pool"),
    # stride: uint8; convolutions at least 1, pools 0 (= kernel width) and up
    "stride-conv-zero": ("cnn", L(0, "stride"), 0, "layers[0] (conv2d): stride"),
    "stride-conv-negative": ("cnn", L(0, "stride"), -1, "layers[0] (conv2d): stride"),
    "stride-conv-256": ("cnn", L(0, "stride"), 256, "layers[0] (conv2d): stride"),
    "stride-conv-1.5": ("cnn", L(0, "stride"), 1.5, "layers[0] (conv2d): stride"),
    "stride-conv-true": ("cnn", L(0, "stride"), True, "layers[0] (conv2d): stride"),
    "stride-conv-string": ("cnn", L(0, "stride"), "2", "layers[0] (conv2d): stride"),
    "stride-pool-negative": ("cnn", L(2, "stride"), -1, "layers[2] (maxpool): stride"),
    "stride-pool-256": ("cnn", L(2, "stride"), 256, "layers[2] (maxpool): stride"),
    "stride-pool-float": ("cnn", L(2, "stride"), 2.0, "layers[2] (maxpool): stride"),
    "stride-avgpool-string": ("sig", L(2, "stride"), "two", "layers[2] (avgpool): stride"),
    # pad and train: names
    "pad-upper": ("cnn", L(0, "pad"), "SAME", "layers[0] (conv2d): pad"),
    "pad-full": ("cnn", L(0, "pad"), "full", "layers[0] (conv2d): pad"),
    "pad-int": ("cnn", L(0, "pad"), 1, "layers[0] (conv2d): pad"),
    "pad-bool": ("cnn", L(0, "pad"), True, "layers[0] (conv2d): pad"),
    "pad-list": ("cnn", L(0, "pad"), ["same"], "layers[0] (conv2d): pad"),
    "train-partial": ("mlp", L(0, "train"), "partial", "layers[0] (dense): train"),
    "train-int": ("mlp", L(0, "train"), 0, "layers[0] (dense): train"),
    "train-bool": ("mlp", L(0, "train"), True, "layers[0] (dense): train"),
    "train-capital": ("mlp", L(2, "train"), "Frozen", "layers[2] (dense): train"),
    # layer type and the keys each type takes
    "type-capital": ("mlp", L(0, "type"), "Dense", "layers[0]: unknown layer type 'Dense'"),
    "type-conv3d": ("mlp", L(0, "type"), "conv3d", "layers[0]: unknown layer type"),
    "type-int": ("mlp", L(0, "type"), 1, "layers[0]: unknown layer type"),
    "type-null": ("mlp", L(0, "type"), None, "layers[0]: unknown layer type"),
    "type-missing": ("mlp", L(1, "type"), DELETE, "layers[1]: unknown layer type"),
    "units-on-relu": ("mlp", L(1, "units"), 4, "layers[1] (relu): unknown keys ['units']"),
    "kernel-on-dense": ("mlp", L(0, "kernel"), [3, 3], "layers[0] (dense): unknown keys"),
    "pad-on-dense": ("mlp", L(0, "pad"), "same", "layers[0] (dense): unknown keys ['pad']"),
    "train-on-pool": ("cnn", L(2, "train"), "full", "layers[2] (maxpool): unknown keys"),
    "stride-on-gap": ("sig", L(3, "stride"), 1, "layers[3] (gap): unknown keys ['stride']"),
    "units-on-flatten": ("cnn", L(3, "units"), 4, "layers[3] (flatten): unknown keys"),
    "unknown-layer-key": ("mlp", L(0, "activation"), "relu", "layers[0] (dense): unknown keys"),
    "units-missing": ("mlp", L(0, "units"), DELETE, "layers[0] (dense): missing 'units'"),
    "conv-units-missing": ("cnn", L(0, "units"), DELETE, "layers[0] (conv2d): missing 'units'"),
    "layer-string": ("mlp", ("layers", 1), "relu", "layers[1]: a mapping"),
    "layer-list": ("mlp", ("layers", 1), ["relu"], "layers[1]: a mapping"),
    "layer-number": ("mlp", ("layers", 0), 5, "layers[0]: a mapping"),
    "layer-null": ("mlp", ("layers", 0), None, "layers[0]: a mapping"),
    # the layer list
    "layers-empty": ("mlp", ("layers",), [], "layers: a non-empty list"),
    "layers-string": ("mlp", ("layers",), "dense", "layers: a non-empty list"),
    "layers-mapping": ("mlp", ("layers",), {"type": "dense"}, "layers: a non-empty list"),
    "layers-null": ("mlp", ("layers",), None, "layers: a non-empty list"),
    "layers-17": ("mlp", ("layers",), [{"type": "dense", "units": 3}] * 17, "17 layers"),
    # input: [h, w, c] or [n], uint16 each, at most 65535 values
    "input-two": ("mlp", ("input",), [28, 28], "input: a list [h, w, c] or [n]"),
    "input-empty": ("mlp", ("input",), [], "input: a list"),
    "input-four": ("mlp", ("input",), [1, 1, 1, 8], "input: a list"),
    "input-zero": ("mlp", ("input",), [0], "input: must be an integer in 1..65535"),
    "input-negative": ("mlp", ("input",), [-8], "input: must be an integer"),
    "input-65536": ("mlp", ("input",), [65536], "input: must be an integer"),
    "input-product": ("cnn", ("input",), [256, 256, 2], "input: 131072 values per sample"),
    "input-float": ("mlp", ("input",), [8.0], "input: must be an integer"),
    "input-string-item": ("mlp", ("input",), ["8"], "input: must be an integer"),
    "input-bool": ("mlp", ("input",), [True], "input: must be an integer"),
    "input-scalar": ("mlp", ("input",), 8, "input: a list"),
    "input-string": ("mlp", ("input",), "8", "input: a list"),
    "input-null": ("mlp", ("input",), None, "input: a list"),
    "input-missing": ("mlp", ("input",), DELETE, "missing 'input'"),
    # name: a lower-case C identifier
    "name-capital": ("mlp", ("name",), "Digits", "name: 'Digits'"),
    "name-digit-first": ("mlp", ("name",), "1abc", "name: '1abc'"),
    "name-dash": ("mlp", ("name",), "my-model", "name: 'my-model'"),
    "name-empty": ("mlp", ("name",), "", "name: ''"),
    "name-int": ("mlp", ("name",), 5, "name: 5"),
    "name-null": ("mlp", ("name",), None, "name: None"),
    "name-unicode": ("mlp", ("name",), "modèle", "name: 'modèle'"),
    "name-space": ("mlp", ("name",), "a b", "name: 'a b'"),
    "name-underscore-first": ("mlp", ("name",), "_m", "name: '_m'"),
    "name-missing": ("mlp", ("name",), DELETE, "missing 'name'"),
    # loss, max_batch, seed
    "loss-ce": ("mlp", ("loss",), "ce", "loss: 'ce'"),
    "loss-int": ("mlp", ("loss",), 1, "loss: 1"),
    "loss-bool": ("mlp", ("loss",), True, "loss: True"),
    "loss-null": ("mlp", ("loss",), None, "loss: None"),
    "loss-list": ("mlp", ("loss",), ["xent"], "loss: ['xent']"),
    "max-batch-zero": ("mlp", ("max_batch",), 0, "max_batch: must be an integer in 1..256"),
    "max-batch-257": ("mlp", ("max_batch",), 257, "max_batch: must be an integer in 1..256"),
    "max-batch-float": ("mlp", ("max_batch",), 8.0, "max_batch"),
    "max-batch-bool": ("mlp", ("max_batch",), True, "max_batch"),
    "max-batch-string": ("mlp", ("max_batch",), "8", "max_batch"),
    "max-batch-negative": ("mlp", ("max_batch",), -1, "max_batch"),
    "seed-negative": ("mlp", ("seed",), -1, "seed: must be an integer in 0..4294967295"),
    "seed-2^32": ("mlp", ("seed",), 2**32, "seed"),
    "seed-float": ("mlp", ("seed",), 1.5, "seed"),
    "seed-string": ("mlp", ("seed",), "1", "seed"),
    "seed-bool": ("mlp", ("seed",), True, "seed"),
    # optimizer: a preset name or fields within tintin_check_optim's ranges
    "optim-adam": ("mlp", ("optimizer",), "adam", "optimizer"),
    "optim-int": ("mlp", ("optimizer",), 5, "optimizer"),
    "optim-list": ("mlp", ("optimizer",), ["lean"], "optimizer"),
    "optim-unknown-key": ("mlp", ("optimizer",), {"lr": 3}, "optimizer: unknown keys ['lr']"),
    "optim-lr-shift-31": ("mlp", ("optimizer",), {"lr_shift": 31}, "optimizer.lr_shift"),
    "optim-lr-shift-neg": ("mlp", ("optimizer",), {"lr_shift": -1}, "optimizer.lr_shift"),
    "optim-lr-shift-float": ("mlp", ("optimizer",), {"lr_shift": 2.0}, "optimizer.lr_shift"),
    "optim-lr-shift-bool": ("mlp", ("optimizer",), {"lr_shift": True}, "optimizer.lr_shift"),
    "optim-lr-mult-zero": ("mlp", ("optimizer",), {"lr_mult": 0}, "optimizer.lr_mult"),
    "optim-lr-mult-256": ("mlp", ("optimizer",), {"lr_mult": 256}, "optimizer.lr_mult"),
    "optim-mu-8": ("mlp", ("optimizer",), {"mu": 8}, "optimizer.mu"),
    "optim-momentum-8": ("mlp", ("optimizer",), {"momentum_shift": 8}, "optimizer.momentum"),
    "optim-upscale-4": ("mlp", ("optimizer",), {"upscale_bits": 4}, "optimizer.upscale_bits"),
    "optim-upscale-bool": ("mlp", ("optimizer",), {"upscale_bits": True}, "upscale_bits"),
    "optim-upscale-float": ("mlp", ("optimizer",), {"upscale_bits": 8.0}, "upscale_bits"),
    "optim-rule-sgd": ("mlp", ("optimizer",), {"rule": "sgd"}, "optimizer.rule"),
    "optim-rounding": ("mlp", ("optimizer",), {"rounding": "nearest"}, "optimizer.rounding"),
    # train_last: 1..number of weight layers
    "train-last-zero": ("mlp", ("train_last",), 0, "train_last: must be an integer in 1..2"),
    "train-last-3": ("mlp", ("train_last",), 3, "train_last: must be an integer in 1..2"),
    "train-last-float": ("mlp", ("train_last",), 1.0, "train_last"),
    "train-last-bool": ("mlp", ("train_last",), True, "train_last"),
    "train-last-string": ("mlp", ("train_last",), "1", "train_last"),
    # the top level
    "unknown-top-key": ("mlp", ("sead",), 6, "unknown keys ['sead']"),
    "layers-missing": ("mlp", ("layers",), DELETE, "missing 'layers'"),
    # tables the C planner refuses, said here first (tintin_check_desc)
    "relu-first": ("mlp", ("layers",), [{"type": "relu"}, {"type": "dense", "units": 3}],
                   "layers[0] (relu): a ReLU must come after"),
    "relu-after-flatten": ("cnn", ("layers",), [{"type": "flatten"}, {"type": "relu"},
                           {"type": "dense", "units": 3}], "layers[1] (relu)"),
    "no-owner": ("mlp", ("layers",), [{"type": "flatten"}], "no dense, conv or pool layer"),
    "xent-one-output": ("mlp", L(2, "units"), 1, "loss xent needs 2..256 outputs"),
    "xent-300-outputs": ("mlp", L(2, "units"), 300, "loss xent needs 2..256 outputs, the last"),
    "all-frozen": ("mlp", ("layers",), [{"type": "dense", "units": 4, "train": "frozen"},
                   {"type": "dense", "units": 3, "train": "frozen"}], "every weight layer is"),
    "gap-over-1200": ("sig", ("input",), [1, 1200, 2], "layers[3] (gap): global pool over 1x599"),
    "conv-output-80000": ("cnn", ("input",), [200, 200, 1], "layers[0] (conv2d): output 200x200x2"),
    "conv-window-100000": ("cnn", ("layers",), [{"type": "conv2d", "units": 2, "kernel": [5, 5],
                           "pad": "same"}], "window 5x5x4000"),
    "conv1d-on-2d": ("cnn", L(0, "type"), "conv1d", "layers[0] (conv1d): kernel"),
    "conv1d-height-6": ("cnn", ("layers",), [{"type": "conv1d", "units": 2, "kernel": [3]},
                        {"type": "flatten"}, {"type": "dense", "units": 3}],
                        "layers[0] (conv1d): conv1d needs input height 1"),
    "dense-terabytes": ("mlp", ("layers",), [{"type": "dense", "units": 65535},
                        {"type": "dense", "units": 65535}, {"type": "dense", "units": 3}],
                        "layers[1] (dense): the model reaches"),
    "conv-terabytes": ("cnn", ("layers",), [{"type": "conv2d", "units": 65535, "kernel": [16, 16]},
                       {"type": "flatten"}, {"type": "dense", "units": 3}],
                       "layers[0] (conv2d): the model reaches"),
}  # fmt: skip
FIELD_INPUTS = {
    "conv-window-100000": [4, 4, 4000],
    "conv-terabytes": [16, 16, 200],
    "kernel-maxpool-17x17": [40, 40, 2],
}

# Raw spec texts: what a mapping cannot express (duplicates, syntax, encodings).
RAW_CASES: dict[str, tuple[str, bytes, str]] = {
    "dup-top-name": ("m.yaml", b"name: m\nname: n\ninput: [8]\nlayers: [{type: dense, units: 3}]\n",
                     "line 2: key 'name' appears twice"),
    "dup-layer-units": ("m.yaml", b"name: m\ninput: [8]\nlayers:\n  - {type: dense, units: 3, "
                        b"units: 4}\n", "key 'units' appears twice"),
    "dup-optimizer-key": ("m.yaml", b"name: m\ninput: [8]\noptimizer:\n  lr_shift: 3\n  "
                          b"lr_shift: 4\nlayers: [{type: dense, units: 3}]\n", "'lr_shift'"),
    "dup-json": ("m.json", b'{"name": "m", "input": [8], "input": [4], "layers": '
                 b'[{"type": "dense", "units": 3}]}', "key 'input' appears twice"),
    "json-float-units": ("m.json", b'{"name": "m", "input": [8], "layers": [{"type": "dense", '
                         b'"units": 3.0}]}', "layers[0] (dense): units"),
    "json-nan-units": ("m.json", b'{"name": "m", "input": [8], "layers": [{"type": "dense", '
                       b'"units": NaN}]}', "layers[0] (dense): units"),
    "json-syntax": ("m.json", b'{"name": "m",', "not valid JSON"),
    "yaml-syntax": ("m.yaml", b"name: m\nlayers: [\n", "not valid YAML"),
    "yaml-tab-indent": ("m.yaml", b"name: m\n\tinput: [8]\n", "not valid YAML"),
    "yaml-two-documents": ("m.yaml", b"name: m\n---\nname: n\n", "not valid YAML"),
    "yaml-python-tag": ("m.yaml", b"name: !!python/object/apply:os.system ['true']\n",
                        "not valid YAML"),
    "yaml-top-list": ("m.yaml", b"- name: m\n", "the top level must be a mapping"),
    "yaml-top-scalar": ("m.yaml", b"digits\n", "the top level must be a mapping"),
    "yaml-empty": ("m.yaml", b"", "the top level must be a mapping"),
    "not-utf8": ("m.yaml", b"name: m\xff\xfe\ninput: [8]\n", "not UTF-8"),
    "binary": ("m.yaml", bytes(range(256)), "m.yaml"),
    "deep-nesting": ("m.json", b"[" * 100000 + b"]" * 100000, "m.json"),
    "yaml-unhashable-key": ("m.yaml", b"? [1, 2]\n: x\nname: m\n", "m.yaml"),
    "yaml-int-key": ("m.yaml", b"1: x\nname: m\ninput: [8]\nlayers: [{type: relu}]\n",
                     "unknown keys [1]"),
}  # fmt: skip


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every path under root with its modification time and content hash (for "nothing
    written": a refusal must leave this unchanged)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(root))] = (
                p.stat().st_mtime_ns,
                hashlib.sha1(p.read_bytes()).hexdigest(),
            )
        else:
            out[str(p.relative_to(root))] = (0, "dir")
    return out


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code) if exc.code is not None else 0
    out, err = capsys.readouterr()
    return code, out, err


def refused(argv: list[str], root: Path, capsys, *names: str) -> str:
    """Runs argv, asserts the one-line refusal naming every one of names; returns the line."""
    before = snapshot(root)
    code, out, err = run_cli(argv, capsys)
    lines = err.splitlines()
    assert code == 2, (code, err, out)
    assert len(lines) == 1 and lines[0].strip() and err.endswith("\n"), err
    assert "Traceback" not in err + out and "internal error" not in err, err
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert snapshot(root) == before, "the refusal wrote or changed a file"
    return lines[0]


def write_spec(root: Path, doc: dict, name: str = "m.yaml") -> Path:
    path = root / name
    path.write_text(
        yaml.safe_dump(doc, sort_keys=False) if name.endswith(".yaml") else json.dumps(doc)
    )
    return path


@pytest.fixture
def work(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # a default output name would land here, and be seen
    return tmp_path


# --- model files ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(FIELD_CASES))
def test_gen_model_refuses_bad_field(work, capsys, case):
    base, path, value, field = FIELD_CASES[case]
    doc = mutate(BASES[base], path, value)
    if case in FIELD_INPUTS:
        doc["input"] = FIELD_INPUTS[case]
    spec = write_spec(work, doc)
    refused(["gen", "model", str(spec), "-o", str(work / "m.h")], work, capsys, "m.yaml", field)


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_gen_model_refuses_bad_file(work, capsys, case):
    name, text, expect = RAW_CASES[case]
    (work / name).write_bytes(text)
    refused(["gen", "model", str(work / name), "-o", str(work / "m.h")], work, capsys, name,
            expect)  # fmt: skip


# The model-file layer is the same for every command; a sample of fields through each other
# command that reads model files, and the blob writer.
SHARED = ["units-3.7", "units-true", "kernel-scalar", "kernel-string-35", "kernel-three",
          "input-two", "dense-terabytes", "xent-one-output", "optim-upscale-4",
          "relu-first"]  # fmt: skip


@pytest.mark.parametrize("case", SHARED)
@pytest.mark.parametrize("command", ["plan", "blob", "train"])
def test_every_command_refuses_bad_model_files(work, capsys, case, command):
    base, path, value, field = FIELD_CASES[case]
    spec = write_spec(work, mutate(BASES[base], path, value))
    if command == "plan":
        argv = ["plan", str(spec), "--json", str(work / "p.json")]
    elif command == "blob":
        argv = ["gen", "model", str(spec), "--blob", "-o", str(work / "m.bin")]
    else:
        np.savez(work / "d.npz", x=np.zeros((20, 8)), y=np.arange(20) % 3)
        argv = ["train", str(spec), str(work / "d.npz"), "--out", str(work / "out")]
    refused(argv, work, capsys, "m.yaml", field)


def test_spec_paths(work, capsys):
    """A spec that is missing, a directory, or not a regular file."""
    refused(["gen", "model", str(work / "none.yaml")], work, capsys, "none.yaml", "cannot read")
    (work / "d.yaml").mkdir()
    refused(["gen", "model", str(work / "d.yaml")], work, capsys, "d.yaml", "is a directory")
    refused(["plan", "/dev/null"], work, capsys, "/dev/null", "not a regular file")


# --- weights -------------------------------------------------------------------------------


def weights(**over: object) -> dict[str, object]:
    rng = np.random.default_rng(1)
    arrays = {"w0": rng.normal(0, 0.3, (4, 8)), "b0": rng.normal(0, 0.1, 4),
              "w2": rng.normal(0, 0.3, (3, 4)), "b2": rng.normal(0, 0.1, 3)}  # fmt: skip
    for k, v in over.items():
        if v is DELETE:
            del arrays[k]
        else:
            arrays[k] = v
    return arrays


WEIGHT_CASES: dict[str, tuple[dict, str]] = {
    "w-1e-40": ({"w0": np.full((4, 8), 1e-40)}, "layer 0 weights: largest magnitude 1e-40"),
    "w-subnormal": ({"w0": np.full((4, 8), 5e-324)}, "layer 0 weights: largest magnitude"),
    "w-exp-121": ({"w2": np.full((3, 4), 127 * 2.0**-121)}, "layer 2 weights"),
    "w-1e39": ({"w0": np.full((4, 8), 1e39)}, "layer 0 weights: largest magnitude 1e+39"),
    "w-float32-max": ({"w2": np.full((3, 4), np.finfo(np.float32).max)}, "layer 2 weights"),
    "w-nan": ({"w0": np.full((4, 8), np.nan)}, "layer 0 weights must be finite floats"),
    "w-inf": ({"w2": np.full((3, 4), -np.inf)}, "layer 2 weights must be finite floats"),
    "w-int": ({"w0": np.ones((4, 8), np.int64)}, "layer 0 weights must be finite floats"),
    "w-bool": ({"w0": np.ones((4, 8), bool)}, "layer 0 weights must be finite floats"),
    "w-string": ({"w0": np.full((4, 8), "a")}, "layer 0 weights must be finite floats"),
    "w-complex": ({"w0": np.ones((4, 8), complex)}, "layer 0 weights must be finite floats"),
    "w-shape": ({"w0": np.ones((8, 4))}, "layer 0 weights have shape (8, 4), the spec needs"),
    "w-scalar": ({"w0": np.float64(1.0)}, "layer 0 weights have shape ()"),
    "w-missing": ({"w2": DELETE}, "missing weights ['w2']"),
    "w-extra": ({"w1": np.ones(3)}, "arrays ['w1'] match no weight layer"),
    "b-string": ({"b0": np.array(["a", "b", "c", "d"])}, "layer 0 bias: must be numbers"),
    "b-bool": ({"b2": np.ones(3, bool)}, "layer 2 bias: must be numbers"),
    "b-shape": ({"b0": np.ones(5)}, "layer 0 bias: has shape (5,), needs (4,)"),
    "b-2d": ({"b0": np.ones((4, 1))}, "layer 0 bias: has shape (4, 1)"),
    "b-nan": ({"b2": np.array([0.0, np.nan, 0.0])}, "layer 2 bias: must be finite"),
    "b-int32-overflow": ({"b0": np.full(4, 1e30)}, "layer 0 bias: too large for int32"),
    "b-complex": ({"b0": np.ones(4, complex)}, "layer 0 bias: must be numbers"),
}


@pytest.mark.parametrize("blob", [False, True], ids=["header", "blob"])
@pytest.mark.parametrize("case", sorted(WEIGHT_CASES))
def test_gen_model_refuses_bad_weights(work, capsys, case, blob):
    over, expect = WEIGHT_CASES[case]
    spec = write_spec(work, MLP)
    np.savez(work / "w.npz", **weights(**over))
    argv = ["gen", "model", str(spec), "--weights", str(work / "w.npz"), "-o", str(work / "o")]
    refused([*argv, "--blob"] if blob else argv, work, capsys, "w.npz", expect)


@pytest.mark.parametrize("kind", ["text", "truncated", "directory", "missing"])
def test_unreadable_weights_files(work, capsys, kind):
    spec = write_spec(work, MLP)
    w = work / "w.npz"
    if kind == "text":
        w.write_text("w0,w2\n")
    elif kind == "truncated":
        np.savez(w, **weights())
        w.write_bytes(w.read_bytes()[:200])
    elif kind == "directory":
        w.mkdir()
    refused(["gen", "model", str(spec), "--weights", str(w), "-o", str(work / "m.h")], work,
            capsys, "w.npz", "not a readable .npz file")  # fmt: skip


# --- data files ----------------------------------------------------------------------------


def rows(n: int = 30, features: int = 8, classes: int = 3) -> str:
    rng = np.random.default_rng(2)
    x = rng.integers(-50, 50, (n, features)) / 10
    return "".join(",".join(f"{v:g}" for v in r) + f",{i % classes}\n" for i, r in enumerate(x))


CSV_CASES: dict[str, tuple[bytes, str]] = {
    "labels-only": (b"1\n2\n0\n1\n", "one column; need the label and at least one feature"),
    "empty": (b"", "no samples"),
    "header-only": (b"a,b,label\n", "no samples"),
    "blank-lines": (b"\n\n\n", "no samples"),
    "ragged": (rows(5).encode() + b"1,2\n", "row 6: expected 9 numbers"),
    "text-cell": (rows(5).encode() + b"1,2,3,x,5,6,7,8,0\n", "row 6: expected 9 numbers"),
    "nan-cell": (rows(5).encode() + b"1,2,3,nan,5,6,7,8,0\n", "row 6, column 3: 'nan'"),
    "inf-cell": (rows(5).encode() + b"inf,2,3,4,5,6,7,8,0\n", "row 6, column 0: 'inf'"),
    "label-float": (rows(5).encode() + b"1,2,3,4,5,6,7,8,1.5\n", "row 6: label '1.5'"),
    "label-negative": (rows(5).encode() + b"1,2,3,4,5,6,7,8,-1\n", "row 6: label '-1'"),
    "label-256": (b"1,2,300\n", "row 1: label '300' is not an integer 0..255"),
    "label-text": (
        rows(5).encode() + b"1,2,3,4,5,6,7,8,cat\n",
        "row 6: label 'cat' is not a number (line 6), where row 1's is; labels are all numbers",
    ),
    "label-text-and-cell": (
        rows(5).encode() + b"1,x,3,4,5,6,7,8,cat\n",
        "row 6: expected 9 numbers",
    ),
    "label-nan": (rows(5).encode() + b"1,2,3,4,5,6,7,8,nan\n", "row 6, column 8: 'nan'"),
    "not-utf8": (b"1,2,0\n\xff\xfe,3,1\n", "cannot read CSV"),
    "bom-three-rows": ("\ufeff1,2,0\n3,4,1\n5,6,2\n".encode(), "leaves no held-out samples"),
    "nul-byte": (b"1,2,0\n3,\x00,1\n", "d.csv"),
    "empty-cell": (rows(5).encode() + b"1,2,3,,5,6,7,8,0\n", "row 6: expected 9 numbers"),
    "empty-column": (
        b"".join(b"1,,3,%d\n" % (i % 2) for i in range(10)),
        "row 1: expected 4 numbers",
    ),
    "space-cell": (rows(5).encode() + b"1,2,3, ,5,6,7,8,0\n", "row 6: expected 9 numbers"),
    "hex-cell": (rows(5).encode() + b"1,2,3,0x5,5,6,7,8,0\n", "row 6: expected 9 numbers"),
    # Class names as labels: every row one, and numbers in the other columns.
    "names-then-number": (
        b"t,h,weather\n1,2,rain\n3,4,sun\n5,6,2\n",
        "row 3: label '2' is a number where row 1's is a class name",
    ),
    "names-empty-label": (b"1,2,rain\n3,4,sun\n5,6,\n", "row 3: empty label (line 3)"),
    "names-blank-label": (b"1,2,rain\n3,4,sun\n5,6,  \n", "row 3: empty label (line 3)"),
    "names-text-cell": (
        b"1,2,rain\n3,x,sun\n",
        "row 2: expected 2 numbers and a class name, got ['3', 'x', 'sun']",
    ),
    "names-nan-cell": (b"1,2,rain\n3,nan,sun\n", "row 2, column 1: 'nan' is not a finite"),
    "names-inf-cell": (b"1,2,rain\n-inf,4,sun\n", "row 2, column 0: '-inf' is not a finite"),
    "names-empty-cell": (b"1,2,rain\n3,,sun\n", "row 2: expected 2 numbers and a class name"),
    "names-ragged": (b"1,2,rain\n3,4,5,sun\n", "row 2: expected 2 numbers and a class name"),
    "names-257-classes": (
        b"".join(b"%d,1,c%d\n" % (i, i) for i in range(257)),
        "labels: 257 distinct class names, at most 256 (labels are uint8)",
    ),
    "names-one-each": (b"1,2,rain\n3,4,sun\n5,6,fog\n", "leaves no held-out samples"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_gen_data_refuses_bad_csv(work, capsys, case):
    text, expect = CSV_CASES[case]
    (work / "d.csv").write_bytes(text)
    refused(["gen", "data", str(work / "d.csv"), "-o", str(work / "d.h")], work, capsys, "d.csv",
            expect)  # fmt: skip


NPZ_CASES: dict[str, tuple[dict, str]] = {
    "no-y": ({"x": np.zeros((10, 4))}, "needs arrays 'x' and 'y'"),
    "no-x": ({"y": np.zeros(10)}, "needs arrays 'x' and 'y'"),
    "x-strings": ({"x": np.full((10, 4), "a"), "y": np.zeros(10)}, "x: samples must be numbers"),
    "x-bool": ({"x": np.ones((10, 4), bool), "y": np.zeros(10)}, "x: samples must be numbers"),
    "x-complex": ({"x": np.ones((10, 4), complex), "y": np.zeros(10)}, "x: samples must be"),
    "x-nan": ({"x": np.r_[np.zeros((3, 4)), np.full((1, 4), np.nan)], "y": np.zeros(4)},
              "x: sample 3 is not all finite"),
    "x-no-features": ({"x": np.zeros((10, 0)), "y": np.zeros(10)}, "x: samples have no values"),
    "x-scalar": ({"x": np.float64(1), "y": np.zeros(1)}, "no samples"),
    "x-empty": ({"x": np.zeros((0, 4)), "y": np.zeros(0)}, "no samples"),
    "lengths": ({"x": np.zeros((10, 4)), "y": np.zeros(9)}, "10 samples but 9 labels"),
    "y-empty-name": ({"x": np.zeros((10, 4)), "y": np.array(["a"] * 9 + [""])},
                     "y: sample 9 has an empty label"),
    "y-257-names": ({"x": np.zeros((257, 4)), "y": np.array([f"c{i}" for i in range(257)])},
                    "y: 257 distinct class names, at most 256"),
    "y-bytes-not-utf8": ({"x": np.zeros((10, 4)), "y": np.array([b"\xff"] * 10)},
                         "y: a class name is not UTF-8 text"),
    "x-inf": ({"x": np.r_[np.zeros((3, 4)), np.full((1, 4), -np.inf)], "y": np.zeros(4)},
              "x: sample 3 is not all finite"),
    "x-strings-names": ({"x": np.full((10, 4), "1.5"), "y": np.array(["a", "b"] * 5)},
                        "x: samples must be numbers"),
    "x-nan-names": ({"x": np.r_[np.zeros((9, 4)), np.full((1, 4), np.nan)],
                     "y": np.array(["a", "b"] * 5)}, "x: sample 9 is not all finite"),
    "y-bool": ({"x": np.zeros((10, 4)), "y": np.ones(10, bool)}, "y: labels must be"),
    "y-float": ({"x": np.zeros((3, 4)), "y": np.array([0, 1.5, 1])}, "label of sample 1 is 1.5"),
    "y-negative": ({"x": np.zeros((3, 4)), "y": np.array([0, 1, -2])}, "label of sample 2"),
    "y-256": ({"x": np.zeros((3, 4)), "y": np.array([256, 1, 0])}, "label of sample 0"),
    "y-nan": ({"x": np.zeros((3, 4)), "y": np.array([0, np.nan, 0])}, "label of sample 1"),
    "keep-exp-huge": ({"x": np.full((30, 4), 1e300), "y": np.arange(30) % 3},
                      "--scale keep: the data's scale needs the exponent 2^990"),
    "keep-exp-tiny": ({"x": np.full((30, 4), 1e-60), "y": np.arange(30) % 3},
                      "--scale keep: the data's scale needs the exponent"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(NPZ_CASES))
def test_gen_data_refuses_bad_npz(work, capsys, case):
    arrays, expect = NPZ_CASES[case]
    np.savez(work / "d.npz", **arrays)
    scale = ["--scale", "keep"] if case.startswith("keep") else []
    refused(["gen", "data", str(work / "d.npz"), *scale, "-o", str(work / "d.h")], work, capsys,
            "d.npz", expect)  # fmt: skip


def good_data(root: Path) -> Path:
    (root / "d.csv").write_text(rows())
    return root / "d.csv"


# (extra arguments, what the message names)
GEN_DATA_ARGS: dict[str, tuple[list[str], str]] = {
    "fraction-0.99": (["--test-fraction", "0.99"], "--test-fraction 0.99 of 30 samples"),
    "fraction-0": (["--test-fraction", "0"], "--test-fraction"),
    "fraction-1": (["--test-fraction", "1"], "--test-fraction"),
    "fraction-nan": (["--test-fraction", "nan"], "--test-fraction"),
    "fraction-text": (["--test-fraction", "a fifth"], "--test-fraction"),
    "fraction-negative": (["--test-fraction", "-0.2"], "--test-fraction"),
    "seed-negative": (["--seed", "-1"], "--seed"),
    "seed-float": (["--seed", "1.5"], "--seed"),
    "seed-huge": (["--seed", str(2**64)], "--seed"),
    "label-column-out": (["--label-column", "9"], "label column 9 outside 9 columns"),
    "label-column-text": (["--label-column", "last"], "--label-column"),
    "name-upper": (["--name", "Data"], "--name: name 'Data'"),
    "name-dash": (["--name", "my-data"], "--name: name 'my-data'"),
    "output-is-input": (["-o", "d.csv"], "-o d.csv: is an input of this command"),
    "scale-int8-non-codes": (["--scale", "int8"], "--scale int8"),
    "scale-unknown": (["--scale", "float"], "--scale"),
    "flash-budget-zero": (["--flash-budget", "0"], "--flash-budget"),
    "flash-budget-negative": (["--flash-budget", "-5"], "--flash-budget"),
    "flash-budget-text": (["--flash-budget", "lots"], "--flash-budget"),
    "flash-budget-one-sample": (["--flash-budget", "12"], "--flash-budget 12 B holds 1 samples"),
    "flash-budget-stream": (["--stream", "--flash-budget", "5"], "--flash-budget 5"),
    "output-directory": (["-o", "."], "-o .: is a directory"),
    "output-no-folder": (["-o", "nowhere/d.h"], "-o nowhere/d.h: folder nowhere does not exist"),
    "unknown-option": (["--label", "3"], "unrecognized arguments"),
}


@pytest.mark.parametrize("case", sorted(GEN_DATA_ARGS))
def test_gen_data_refuses_bad_arguments(work, capsys, case):
    extra, expect = GEN_DATA_ARGS[case]
    data = good_data(work)
    out = [] if "-o" in extra else ["-o", str(work / "d.h")]
    refused(["gen", "data", str(data), *extra, *out], work, capsys, expect)


@pytest.mark.parametrize("kind", ["missing", "directory", "suffix", "fifo"])
def test_gen_data_refuses_bad_paths(work, capsys, kind):
    path = work / ("d.txt" if kind == "suffix" else "d.csv")
    if kind == "directory":
        path.mkdir()
    elif kind == "suffix":
        path.write_text(rows())
    elif kind == "fifo":
        import os

        os.mkfifo(path)
    refused(["gen", "data", str(path), "-o", str(work / "d.h")], work, capsys, path.name)


# --- plan ----------------------------------------------------------------------------------

PLAN_ARGS: dict[str, tuple[list[str], str]] = {
    "ram-zero": (["--ram", "0"], "--ram"),
    "ram-negative": (["--ram", "-1"], "--ram"),
    "ram-float": (["--ram", "1.5K"], "--ram"),
    "ram-empty": (["--ram", ""], "--ram"),
    "ram-unit": (["--ram", "32KB"], "--ram"),
    "ram-unicode-digit": (["--ram", "\u0663"], "--ram"),
    "flash-zero": (["--flash", "0K"], "--flash"),
    "flash-giga": (["--flash", "1G"], "--flash"),
    "stack-negative": (["--stack", "-100000"], "--stack"),
    "stack-zero": (["--stack", "0"], "--stack"),
    "stack-float": (["--stack", "2048.5"], "--stack"),
    "max-layers-zero": (["--max-layers", "0"], "--max-layers"),
    "max-layers-65": (["--max-layers", "65"], "--max-layers"),
    "max-layers-fewer": (["--max-layers", "2"], "--max-layers 2: need 1..64 and at least"),
    "core-unknown": (["--core", "cortex-m7"], "--core"),
    "json-directory": (["--json", "."], "--json .: is a directory"),
    "json-no-folder": (["--json", "no/p.json"], "--json no/p.json: folder no does not exist"),
    "json-is-spec": (["--json", "m.yaml"], "--json m.yaml: is an input of this command"),
    "weights-missing": (["--weights", "none.npz"], "none.npz"),
}


@pytest.mark.parametrize("case", sorted(PLAN_ARGS))
def test_plan_refuses_bad_arguments(work, capsys, case):
    extra, expect = PLAN_ARGS[case]
    spec = write_spec(work, MLP)
    refused(["plan", str(spec), *extra], work, capsys, expect)


# --- size ----------------------------------------------------------------------------------

ELF = Path(sys.executable).resolve()  # an ELF that is always there


def corrupt_elf(path: Path, field: str, value: int) -> None:
    """A copy of the interpreter's ELF with one ELF64 header field overwritten."""
    offsets = {"e_phoff": (0x20, "<Q"), "e_shoff": (0x28, "<Q"), "e_phnum": (0x38, "<H"),
               "e_shnum": (0x3C, "<H"), "e_shstrndx": (0x3E, "<H"), "e_shentsize": (0x3A, "<H"),
               "ei_class": (4, "<B"), "ei_data": (5, "<B")}  # fmt: skip
    data = bytearray(ELF.read_bytes())
    off, fmt = offsets[field]
    struct.pack_into(fmt, data, off, value)
    path.write_bytes(bytes(data))


SIZE_ELF_CASES = {
    "phoff-2^64-1": ("e_phoff", 2**64 - 1),
    "phoff-2^63": ("e_phoff", 2**63),
    "phoff-past-end": ("e_phoff", 2**40),
    "shoff-2^64-1": ("e_shoff", 2**64 - 1),
    "shoff-past-end": ("e_shoff", 2**40),
    "shstrndx-bad": ("e_shstrndx", 0xFFFE),
    "shentsize-zero": ("e_shentsize", 0),
    "class-bad": ("ei_class", 7),
    "data-bad": ("ei_data", 9),
}


@pytest.mark.skipif(ELF.read_bytes()[:4] != b"\x7fELF" or ELF.read_bytes()[4] != 2,
                    reason="needs a 64-bit ELF interpreter")  # fmt: skip
@pytest.mark.parametrize("case", sorted(SIZE_ELF_CASES))
def test_size_refuses_corrupt_elf(work, capsys, case):
    corrupt_elf(work / "z.elf", *SIZE_ELF_CASES[case])
    refused(["size", str(work / "z.elf"), "--json", str(work / "s.json")], work, capsys, "z.elf")


SIZE_ARGS: dict[str, tuple[list[str], str]] = {
    "missing": (["none.elf"], "none.elf: no such file"),
    "empty-dir": (["."], "no zephyr/zephyr.elf"),
    "text": (["t.elf"], "t.elf: not an ELF file"),
    "empty-file": (["e.elf"], "e.elf: not an ELF file"),
    "truncated": (["cut.elf"], "cut.elf"),
    "ram-zero": (["cut.elf", "--ram", "0"], "--ram"),
    "flash-negative": (["cut.elf", "--flash", "-1"], "--flash"),
    "ram-text": (["cut.elf", "--ram", "lots"], "--ram"),
    "json-directory": (["cut.elf", "--json", "."], "--json .: is a directory"),
    "config-missing": (["cut.elf", "--config", "none.config"], "none.config: config not found"),
    "map-missing": (["cut.elf", "--map", "none.map"], "none.map: map file not found"),
    "map-not-a-map": (["cut.elf", "--map", "t.elf"], "t.elf"),
    "header-directory": (["cut.elf", "--header", "."], "."),
    "json-is-elf": (["cut.elf", "--json", "cut.elf"], "--json cut.elf: is an input"),
}


@pytest.mark.parametrize("case", sorted(SIZE_ARGS))
def test_size_refuses_bad_arguments(work, capsys, case):
    argv, expect = SIZE_ARGS[case]
    (work / "t.elf").write_text("not an elf\n")
    (work / "e.elf").write_bytes(b"")
    (work / "cut.elf").write_bytes(ELF.read_bytes()[:100])
    refused(["size", *argv], work, capsys, expect)


CONFIG_CASES = {
    "sram-negative": "CONFIG_SRAM_BASE_ADDRESS=0x20000000\nCONFIG_SRAM_SIZE=-1\n",
    "flash-text": "CONFIG_FLASH_BASE_ADDRESS=0\nCONFIG_FLASH_SIZE=lots\n",
    "base-bad-hex": "CONFIG_SRAM_SIZE=64\nCONFIG_SRAM_BASE_ADDRESS=0xZZ\n",
    "arena-negative": "CONFIG_TINTIN_ARENA_SIZE=-5\n",
    "arena-quoted": 'CONFIG_TINTIN_ARENA_SIZE="4096"\n',
}


def _readable_elf() -> bool:
    from tintin.target import elfmap

    try:
        elfmap.read_elf(ELF)
    except elfmap.ElfMapError:
        return False
    return True


@pytest.mark.skipif(not _readable_elf(), reason="the interpreter's ELF has no symbol table")
@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_size_refuses_bad_config_values(work, capsys, case):
    """A budget read wrong is a made-up verdict: .config numbers that are not numbers."""
    (work / "c.config").write_text(CONFIG_CASES[case])
    key = CONFIG_CASES[case].splitlines()[-1].split("=")[0]
    refused(["size", str(ELF), "--config", "c.config"], work, capsys, "c.config", key)


# --- train ---------------------------------------------------------------------------------


def train_inputs(root: Path, n: int = 30) -> tuple[Path, Path]:
    rng = np.random.default_rng(3)
    np.savez(root / "d.npz", x=rng.normal(size=(n, 8)), y=np.arange(n) % 3)
    return write_spec(root, MLP), root / "d.npz"


TRAIN_ARGS: dict[str, tuple[list[str], str]] = {
    "epochs-zero": (["--epochs", "0"], "--epochs"),
    "epochs-negative": (["--epochs", "-1"], "--epochs"),
    "epochs-float": (["--epochs", "1.5"], "--epochs"),
    "fraction-0.99": (["--test-fraction", "0.99"], "--test-fraction 0.99 of 30 samples leaves "
                      "no training samples"),
    "fraction-zero": (["--test-fraction", "0"], "--test-fraction"),
    "fraction-one": (["--test-fraction", "1.0"], "--test-fraction"),
    "seed-negative": (["--seed", "-1"], "--seed"),
    "backend-unknown": (["--backend", "gpu"], "--backend"),
    "batch-zero": (["--batch", "0"], "--batch: 0 is outside 1..256"),
    "batch-257": (["--batch", "257"], "--batch: 257 is outside 1..256"),
    "batch-float": (["--batch", "1.5"], "--batch: '1.5' is not an integer"),
    "optimizer-unknown": (["--optimizer", "adam"], "--optimizer: invalid choice: 'adam'"),
    "optimizer-capital": (["--optimizer", "Lean"], "--optimizer: invalid choice: 'Lean'"),
    "lr-shift-31": (["--lr-shift", "31"], "--lr-shift: 31 is outside 0..30"),
    "lr-shift-negative": (["--lr-shift", "-1"], "--lr-shift"),
    "lr-shift-hex": (["--lr-shift", "0x5"], "--lr-shift: '0x5' is not an integer"),
    "train-last-zero": (["--train-last", "0"], "--train-last: 0 is outside"),
    "train-last-3": (["--train-last", "3"], "--train-last 3: the model of m.yaml has 2 weight "
                     "layers (1..2)"),
    "patience-zero": (["--patience", "0"], "--patience: 0 is outside"),
    "patience-text": (["--patience", "many"], "--patience: 'many' is not an integer"),
    "float-option": (["--float"], "unrecognized arguments: --float"),
    "scale-int8": (["--scale", "int8"], "--scale"),
    "out-existing-file": (["--out", "d.npz"], "--out d.npz: exists and is not a directory"),
    "out-under-file": (["--out", "d.npz/run"], "--out d.npz/run"),
    "weights-text": (["--weights", "m.yaml"], "m.yaml: not a readable .npz file"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(TRAIN_ARGS))
def test_train_refuses_bad_arguments(work, capsys, case):
    extra, expect = TRAIN_ARGS[case]
    spec, data = train_inputs(work)
    out = [] if "--out" in extra else ["--out", str(work / "out")]
    refused(["train", str(spec), str(data), *extra, *out], work, capsys, expect)


TRAIN_DATA: dict[str, tuple[dict, str]] = {
    "three-rows": ({"x": np.zeros((3, 8)), "y": np.array([0, 1, 2])}, "leaves no held-out"),
    "features": ({"x": np.zeros((30, 5)), "y": np.arange(30) % 3}, "samples have 5 values"),
    "labels-reach-3": ({"x": np.zeros((30, 8)), "y": np.arange(30) % 4}, "labels reach 3"),
    "names-more-than-outputs": (
        {"x": np.zeros((30, 8)), "y": np.array(["a", "b", "c", "d", "e"] * 6)},
        "d.npz: 5 class names ('a', 'b', 'c', 'd', ...); the model has 3 outputs, one per class",
    ),
    "names-empty": (
        {"x": np.zeros((30, 8)), "y": np.array(["a", "b", ""] * 10)},
        "y: sample 2 has an empty label",
    ),
    "x-inf": (
        {"x": np.r_[np.zeros((29, 8)), np.full((1, 8), np.inf)], "y": np.arange(30) % 3},
        "x: sample 29",
    ),
    "x-nan": ({"x": np.full((30, 8), np.nan), "y": np.arange(30) % 3}, "x: sample 0"),
    "keep-exp-huge": ({"x": np.full((30, 8), 1e300), "y": np.arange(30) % 3}, "--scale keep"),
}


@pytest.mark.parametrize("case", sorted(TRAIN_DATA))
def test_train_refuses_bad_data(work, capsys, case):
    arrays, expect = TRAIN_DATA[case]
    spec = write_spec(work, MLP)
    np.savez(work / "d.npz", **arrays)
    scale = ["--scale", "keep"] if case.startswith("keep") else []
    refused(["train", str(spec), str(work / "d.npz"), *scale, "--out", str(work / "out")], work,
            capsys, "d.npz", expect)  # fmt: skip


@pytest.mark.parametrize("case", ["nan-cell", "inf-cell", "empty-cell", "empty-column",
                                  "text-cell", "label-text", "names-nan-cell", "names-text-cell",
                                  "names-then-number", "names-empty-label"])  # fmt: skip
def test_train_refuses_bad_csv(work, capsys, case):
    """The loader of gen data, with the same one line, before any training."""
    text, expect = CSV_CASES[case]
    spec = write_spec(work, MLP)
    (work / "d.csv").write_bytes(text)
    refused(["train", str(spec), str(work / "d.csv"), "--out", str(work / "o")], work, capsys,
            "d.csv", expect)  # fmt: skip


def test_train_refuses_mse_models(work, capsys):
    """mse given class labels: the labels look like classes, use xent (not a word on the
    number of outputs); given anything else, train says it trains classifiers."""
    spec, data = train_inputs(work)
    write_spec(work, {**MLP, "loss": "mse"})
    line = refused(["train", str(spec), str(data), "--out", str(work / "o")], work, capsys,
                   "m.yaml", "loss: mse, but the labels of", "look like classes",
                   "use loss: xent")  # fmt: skip
    assert "outputs" not in line.replace("one output per class", "")
    np.savez(work / "t.npz", x=np.zeros((30, 8)), y=np.zeros((30, 3)))  # target vectors
    refused(["train", str(spec), str(work / "t.npz"), "--out", str(work / "o")], work, capsys,
            "m.yaml", "loss: mse: tintin train trains classifiers, loss: xent")  # fmt: skip


def test_train_refuses_mixed_labels_in_a_csv(work, capsys):
    spec = write_spec(work, MLP)
    text = "".join(",".join(["1"] * 8) + f",{'sunny' if i % 2 else 'rain'}\n" for i in range(30))
    (work / "d.csv").write_text(text + ",".join(["1"] * 8) + ",2\n")
    refused(["train", str(spec), str(work / "d.csv"), "--out", str(work / "o")], work, capsys,
            "d.csv", "row 31: label '2' is a number where row 1's is a class name",
            "labels are all numbers 0..255 or all class names")  # fmt: skip


# --- bench: arguments are checked before any build -----------------------------------------

BENCH_ARGS: dict[str, tuple[list[str], str]] = {
    "batches-zero": (["--batches", "0"], "--batches"),
    "batches-257": (["--batches", "257"], "--batches"),
    "batches-negative": (["--batches", "-1"], "--batches"),
    "batches-text": (["--batches", "a"], "--batches"),
    "batches-empty": (["--batches", ""], "--batches"),
    "batches-twice": (["--batches", "1,1"], "--batches"),
    "batches-float": (["--batches", "1.5"], "--batches"),
    "cores-unknown": (["--cores", "cortex-m7"], "--cores"),
    "cores-empty": (["--cores", ""], "--cores"),
    "cores-twice": (["--cores", "cortex-m3,cortex-m3"], "--cores"),
    "workloads-unknown": (["--workloads", "mnist"], "--workloads"),
    "workloads-twice": (["--workloads", "digits,digits"], "--workloads"),
    "json-directory": (["--json", "."], "--json .: is a directory"),
    "markdown-directory": (["--markdown", "."], "--markdown .: is a directory"),
    "markdown-no-folder": (["--markdown", "no/b.md"], "--markdown no/b.md: folder no"),
    "out-file": (["--out", "f.txt"], "--out f.txt: exists and is not a directory"),
    "compare-missing": (["--compare", "none.json"], "--compare none.json: cannot read"),
    "compare-not-json": (["--compare", "f.txt"], "--compare f.txt: not JSON"),
    "compare-list": (["--compare", "l.json"], "--compare l.json: not the JSON object"),
    "json-is-compare": (["--compare", "l.json", "--json", "l.json"], "--json l.json: is an input"),
    "unknown-option": (["--core", "cortex-m3"], "unrecognized arguments"),
}


@pytest.mark.parametrize("case", sorted(BENCH_ARGS))
def test_bench_refuses_bad_arguments(work, capsys, case):
    extra, expect = BENCH_ARGS[case]
    (work / "f.txt").write_text("x\n")
    (work / "l.json").write_text("[1, 2]\n")
    refused(["bench", *extra, "--out", str(work / "b")] if "--out" not in extra else
            ["bench", *extra], work, capsys, expect)  # fmt: skip


# --- codesize: arguments are checked before any build --------------------------------------

CODESIZE_ARGS: dict[str, tuple[list[str], str]] = {
    "configs-unknown": (["--configs", "dense"], "--configs"),
    "configs-empty": (["--configs", ""], "--configs"),
    "configs-twice": (["--configs", "dense-train,dense-train"], "--configs"),
    "cores-unknown": (["--cores", "cortex-m7"], "--cores"),
    "opts-unknown": (["--opts=-O3"], "--opts"),
    "opts-twice": (["--opts=-Os,-Os"], "--opts"),
    "json-directory": (["--json", "."], "--json .: is a directory"),
    "markdown-directory": (["--markdown", "."], "--markdown .: is a directory"),
    "markdown-no-folder": (["--markdown", "no/b.md"], "--markdown no/b.md: folder no"),
    "markdown-not-text": (["--markdown", "bin.md"], "--markdown bin.md: cannot read"),
    "out-file": (["--out", "f.txt"], "--out f.txt: exists and is not a directory"),
}


@pytest.mark.parametrize("case", sorted(CODESIZE_ARGS))
def test_codesize_refuses_bad_arguments(work, capsys, case):
    extra, expect = CODESIZE_ARGS[case]
    (work / "f.txt").write_text("x\n")
    (work / "bin.md").write_bytes(b"\xff\xfe\x00")
    refused(["codesize", *extra, "--out", str(work / "b")] if "--out" not in extra else
            ["codesize", *extra], work, capsys, expect)  # fmt: skip


def test_unknown_command_is_one_line(work, capsys):
    refused(["trian", "m.yaml"], work, capsys, "unknown command 'trian'")


# --- positive controls: valid input still works --------------------------------------------


@pytest.mark.clib
@pytest.mark.parametrize("base", sorted(BASES))
def test_valid_specs_still_generate(work, capsys, base):
    spec = write_spec(work, BASES[base])
    code, _, err = run_cli(["gen", "model", str(spec), "-o", str(work / "m.h")], capsys)
    assert code == 0 and err == "", err
    assert "m_desc" in (work / "m.h").read_text()
    # The documented overwrite: running again replaces the header, leaves no temporary file.
    code, _, err = run_cli(["gen", "model", str(spec), "-o", str(work / "m.h"), "--blob"], capsys)
    assert code == 0 and sorted(p.name for p in work.iterdir()) == ["m.h", "m.yaml"]


@pytest.mark.clib
def test_valid_weights_and_plan(work, capsys):
    optim = {"lr_shift": 30, "lr_mult": 255, "mu": 7, "momentum_shift": 7, "upscale_bits": 8}
    spec = write_spec(work, {**MLP, "input": [1, 1, 8], "optimizer": optim})
    np.savez(work / "w.npz", **weights(w2=np.full((3, 4), 127 * 2.0**-120), b2=np.zeros(3)))
    code, _, err = run_cli(["gen", "model", str(spec), "--weights", str(work / "w.npz"), "-o",
                            str(work / "m.h")], capsys)  # fmt: skip
    assert code == 0 and ".w_exp = -120," in (work / "m.h").read_text(), err
    for _ in range(2):  # --json replaces an earlier plan
        code, out, err = run_cli(["plan", str(spec), "--json", str(work / "p.json")], capsys)
        assert code == 0 and err == "" and "fits" in out
    assert json.loads((work / "p.json").read_text())["fits"] is True


@pytest.mark.clib
def test_frozen_models_plan_for_inference(work, capsys):
    doc = mutate(MLP, ("layers",), [{"type": "dense", "units": 4, "train": "frozen"},
                                    {"type": "dense", "units": 3, "train": "frozen"}])  # fmt: skip
    spec = write_spec(work, doc)
    code, out, err = run_cli(["plan", str(spec), "--infer"], capsys)
    assert code == 0 and err == "" and "infer" in out


def test_bom_csv_keeps_its_first_sample(work, capsys):
    text = rows(10, features=2, classes=2)
    (work / "d.csv").write_bytes("\ufeff".encode() + text.encode())
    code, _, err = run_cli(["gen", "data", str(work / "d.csv"), "--stream", "-o",
                            str(work / "d.h")], capsys)  # fmt: skip
    assert code == 0, err
    header = (work / "d.h").read_text()
    assert "#define DATA_STREAM_N 10" in " ".join(header.split())


def test_csv_header_is_still_skipped(work, capsys):
    (work / "d.csv").write_text("a,b,label\n" + rows(10, features=2, classes=2))
    code, _, err = run_cli(["gen", "data", str(work / "d.csv"), "-o", str(work / "d.h")], capsys)
    assert code == 0, err
    text = (work / "d.h").read_text()
    assert "8 training samples (shuffled by seed 0) and 2 held-out" in text  # 10 rows, no header


@pytest.mark.clib
def test_train_still_trains_into_an_existing_directory(work, capsys):
    spec, data = train_inputs(work)
    (work / "out").mkdir()
    code, _, err = run_cli(["train", str(spec), str(data), "--epochs", "1", "--out",
                              str(work / "out")], capsys)  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in (work / "out").iterdir()) == [
        "learning_curve.png", "m_model.h", "metrics.json"]  # fmt: skip


# --- the two backstops ---------------------------------------------------------------------


@pytest.mark.clib
def test_a_c_refusal_is_one_line_with_the_c_reason(capfd):
    """Inside clib.c_log a refusal of the C planner is one exception carrying C's log line,
    and nothing reaches stderr (the tools validate first; this is what is left if they miss)."""
    from tintin.core import spec
    from tintin.native import clib

    sp = spec.mlp([8, 4, 3], 1)
    for layer in sp.layers:
        layer.train = spec.TRAIN_FROZEN
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        clib.plan(sp, spec.MODE_TRAIN)
    message = str(exc.value)
    assert "no layer trains" in message and "tintin_model_plan failed: -22" in message
    assert "\n" not in message and capfd.readouterr().err == ""


def test_an_unexpected_error_is_still_one_line(capsys, monkeypatch):
    from tintin.target import plan

    def broken(argv: list[str]) -> int:
        raise KeyError("boom")

    monkeypatch.setattr(plan, "main", broken)
    code, out, err = run_cli(["plan", "m.yaml"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err + out
    assert "tintin plan: internal error (KeyError: 'boom')" in err
