# SPDX-License-Identifier: Apache-2.0
"""Model spec files (YAML or JSON) and pretrained float weights (.npz or ONNX) to a ModelSpec.

A spec names the model, its input and its layer table::

    name: digits                # prefix of every C symbol the generator writes
    input: [1, 1, 64]           # h, w, c per sample ([n] means [1, 1, n])
    loss: xent                  # xent (class labels) or mse (int8 targets)
    max_batch: 8
    seed: 1                     # weight init (when no weights are given) and rounding PRNG
    optimizer: default          # default (= lean), compact, momentum, or a mapping of fields
                                # (fields left out take the default's values)
    train_last: 1               # optional: freeze every weight layer but the last k
    layers:
      - {type: dense, units: 32}
      - {type: relu}
      - {type: dense, units: 10, train: full}   # full, frozen or bias_only

Layer keys: type (dense, conv2d, conv1d, maxpool, avgpool, gap, relu, flatten), units,
kernel ([k_h, k_w] or [k]), stride, pad (valid or same), train.

Weights, optional: an .npz with float arrays `w<i>` and `b<i>` for table row i (dense
[units, fan_in]; convolutions [units, k_h, k_w, in_c], channels last), or an ONNX model whose
Gemm/MatMul(+Add)/Conv initialisers are taken in graph order (needs the `onnx` package). Float
weights are quantised per layer to int8 with one power-of-two exponent; biases to int32 at the
weight exponent - 8. Every mismatch raises ModelFileError with one precise message.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tintin import spec
from tintin.spec import ModelSpec

SPEC_KEYS = {"name", "input", "loss", "max_batch", "seed", "optimizer", "train_last", "layers"}
LAYER_KEYS = {"type", "units", "kernel", "stride", "pad", "train"}
OPTIM_KEYS = {"rule", "lr_shift", "lr_mult", "mu", "momentum_shift", "upscale_bits", "rounding"}
NAMED = {
    "loss": {"xent": spec.LOSS_XENT, "mse": spec.LOSS_MSE},
    "rule": {"aligned": spec.RULE_ALIGNED, "niti": spec.RULE_NITI},
    "rounding": {"stochastic": spec.ROUND_STOCHASTIC, "pseudo": spec.ROUND_PSEUDO},
    "train": {
        "full": spec.TRAIN_FULL,
        "frozen": spec.TRAIN_FROZEN,
        "bias_only": spec.TRAIN_BIAS_ONLY,
    },
    "pad": {"valid": spec.PAD_VALID, "same": spec.PAD_SAME},
}


class ModelFileError(ValueError):
    """A spec or weights file that cannot become a model; the message says where and why."""


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror}") from None
    if path.suffix == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelFileError(f"{path}: not valid JSON: {exc}") from None
    else:
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            first = str(exc).replace("\n", " ")
            raise ModelFileError(f"{path}: not valid YAML: {first}") from None
    if not isinstance(doc, dict):
        raise ModelFileError(f"{path}: the top level must be a mapping")
    return doc


def _int(where: str, v: object, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ModelFileError(f"{where}: must be an integer in {lo}..{hi}, got {v!r}")
    return v


def _named(where: str, kind: str, v: object) -> int:
    if v not in NAMED[kind]:
        raise ModelFileError(f"{where}: {v!r} is not one of {', '.join(NAMED[kind])}")
    return NAMED[kind][v]


def _optim(where: str, v: object) -> spec.Optim:
    if v is None:
        return spec.Optim()
    if isinstance(v, str) and v in spec.PRESETS:
        return spec.PRESETS[v]()
    if not isinstance(v, dict):
        names = ", ".join(spec.PRESETS)
        raise ModelFileError(f"{where}: {names} or a mapping of {sorted(OPTIM_KEYS)}")
    extra = set(v) - OPTIM_KEYS
    if extra:
        raise ModelFileError(f"{where}: unknown keys {sorted(extra)}")
    o = spec.Optim()
    for key, val in v.items():
        if key in ("rule", "rounding"):
            setattr(o, key, _named(f"{where}.{key}", key, val))
        else:
            setattr(o, key, _int(f"{where}.{key}", val, 0, 255))
    return o


def _input(where: str, v: object) -> tuple[int, int, int]:
    if not isinstance(v, list) or not 1 <= len(v) <= 3:
        raise ModelFileError(f"{where}: a list [h, w, c], [w, c] or [n], got {v!r}")
    dims = [_int(where, d, 1, 65535) for d in v]
    return tuple([1] * (3 - len(dims)) + dims)  # type: ignore[return-value]


def _rows(where: str, layers: object) -> list[dict]:
    if not isinstance(layers, list) or not layers:
        raise ModelFileError(f"{where}: a non-empty list of layers")
    rows = []
    for i, row in enumerate(layers):
        w = f"{where}[{i}]"
        if not isinstance(row, dict):
            raise ModelFileError(f"{w}: a mapping such as {{type: dense, units: 10}}")
        extra = set(row) - LAYER_KEYS
        if extra:
            raise ModelFileError(f"{w}: unknown keys {sorted(extra)}")
        if row.get("type") not in spec.LAYER_NAMES:
            raise ModelFileError(
                f"{w}: unknown layer type {row.get('type')!r} "
                f"(one of {', '.join(spec.LAYER_NAMES)})"
            )
        for key in ("train", "pad"):
            if key in row:
                _named(f"{w}.{key}", key, row[key])
        rows.append(dict(row))
    return rows


def load_spec(path: Path, weights: Path | None = None) -> tuple[str, ModelSpec]:
    """(model name, spec) from a spec file and optional weights; ModelFileError on bad input."""
    doc = _read(path)
    where = str(path)
    extra = set(doc) - SPEC_KEYS
    if extra:
        raise ModelFileError(
            f"{where}: unknown keys {sorted(extra)} (allowed: {sorted(SPEC_KEYS)})"
        )
    for key in ("name", "input", "layers"):
        if key not in doc:
            raise ModelFileError(f"{where}: missing {key!r}")
    name = doc["name"]
    if not isinstance(name, str) or not name.isidentifier() or not name.islower():
        raise ModelFileError(f"{where}: name {name!r} must be a lower-case C identifier")
    try:
        sp = spec.build(
            _input(f"{where}: input", doc["input"]),
            _rows(f"{where}: layers", doc["layers"]),
            _int(f"{where}: seed", doc.get("seed", 1), 0, 2**32 - 1),
            optim=_optim(f"{where}: optimizer", doc.get("optimizer")),
            max_batch=_int(f"{where}: max_batch", doc.get("max_batch", 1), 1, 256),
            loss=_named(f"{where}: loss", "loss", doc.get("loss", "xent")),
        )
    except ModelFileError:
        raise
    except ValueError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    if "train_last" in doc:
        n_w = sum(1 for layer in sp.layers if layer.kind in spec.WEIGHT_LAYERS)
        spec.train_last(sp, _int(f"{where}: train_last", doc["train_last"], 1, max(n_w, 1)))
    if weights is not None:
        load_weights(sp, weights)
    return name, sp


# --- weights ------------------------------------------------------------------------------


def _weight_layers(sp: ModelSpec) -> list[int]:
    return [i for i, layer in enumerate(sp.layers) if layer.kind in spec.WEIGHT_LAYERS]


def set_float_weights(sp: ModelSpec, i: int, w: np.ndarray, b: np.ndarray | None, src: str) -> None:
    """Quantises float weights of row i into the spec, checking their shape first."""
    shapes = spec.shapes_of(sp.input_shape, sp.layers, check_weights=False)
    sh = shapes[i]
    layer = sp.layers[i]
    want = (sh.rows, sh.row) if layer.kind == spec.LAYER_DENSE else (
        sh.rows, sh.geom.k_h, sh.geom.k_w, sh.geom.in_c)  # fmt: skip
    w = np.asarray(w)
    if w.shape != want:
        raise ModelFileError(
            f"{src}: layer {i} weights have shape {w.shape}, the spec needs {want}"
        )
    if not np.issubdtype(w.dtype, np.floating) or not np.all(np.isfinite(w)):
        raise ModelFileError(f"{src}: layer {i} weights must be finite floats")
    q, e = spec.quantize_weights(w.astype(np.float64))
    bias = np.zeros(sh.rows, np.int32)
    if b is not None:
        b = np.asarray(b)
        if b.shape != (sh.rows,) or not np.all(np.isfinite(b)):
            raise ModelFileError(f"{src}: layer {i} bias has shape {b.shape}, needs ({sh.rows},)")
        qb = np.rint(b.astype(np.float64) * 2.0 ** -(e - spec.BIAS_EXTRA_BITS))
        if np.any(np.abs(qb) > 2**31 - 1):
            raise ModelFileError(f"{src}: layer {i} bias is too large for int32 at 2^{e - 8}")
        bias = qb.astype(np.int32)
    layer.weights, layer.w_exp, layer.bias = q, e, bias


def load_weights(sp: ModelSpec, path: Path) -> None:
    if path.suffix == ".onnx":
        _load_onnx(sp, path)
    else:
        _load_npz(sp, path)


def _load_npz(sp: ModelSpec, path: Path) -> None:
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a readable .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{path}: not a readable .npz file: {exc}") from None
    want = _weight_layers(sp)
    expected = {f"w{i}" for i in want} | {f"b{i}" for i in want}
    unknown = sorted(set(arrays) - expected)
    if unknown:
        raise ModelFileError(
            f"{path}: arrays {unknown} match no weight layer (expected w<i>/b<i> for i in {want})"
        )
    missing = [f"w{i}" for i in want if f"w{i}" not in arrays]
    if missing:
        raise ModelFileError(f"{path}: missing weights {missing}")
    for i in want:
        set_float_weights(sp, i, arrays[f"w{i}"], arrays.get(f"b{i}"), str(path))


def _flattened_dims(sp: ModelSpec, i: int) -> tuple[int, int, int]:
    """Dims of the tensor that was flattened into dense layer i's input (ReLUs in between)."""
    shapes = spec.shapes_of(sp.input_shape, sp.layers, check_weights=False)
    dims = shapes[i].in_dims
    k = i - 1
    while k >= 0 and sp.layers[k].kind in (spec.LAYER_FLATTEN, spec.LAYER_RELU):
        if sp.layers[k].kind == spec.LAYER_FLATTEN:
            dims = shapes[k].in_dims
        k -= 1
    return dims


def _chw_to_hwc(w: np.ndarray, dims: tuple[int, int, int]) -> np.ndarray:
    """Dense columns from a channels-first flatten (ONNX, PyTorch) to Tin-Tin's channels-last."""
    h, wd, c = dims
    if h * wd == 1 or c == 1:
        return w
    return w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _load_onnx(sp: ModelSpec, path: Path) -> None:
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ModelFileError(f"{path}: ONNX needs the onnx package: pip install onnx") from None
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises protobuf's DecodeError, OSError and others
        raise ModelFileError(f"{path}: not a readable ONNX model: {exc}") from None
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    found: list[tuple[np.ndarray, np.ndarray | None, str]] = []
    nodes = list(model.graph.node)
    for n, node in enumerate(nodes):
        if node.op_type == "Conv" and node.input[1] in init:
            w = init[node.input[1]]  # [out, in_c, k_h, k_w] (or [out, in_c, k] for 1-D)
            if w.ndim == 3:
                w = w[:, :, None, :]
            b = init.get(node.input[2]) if len(node.input) > 2 else None
            found.append((w.transpose(0, 2, 3, 1), b, "Conv"))
        elif node.op_type == "Gemm" and node.input[1] in init:
            attrs = {a.name: a for a in node.attribute}
            w = init[node.input[1]]
            w = w if attrs.get("transB") is not None and attrs["transB"].i == 1 else w.T
            b = init.get(node.input[2]) if len(node.input) > 2 else None
            found.append((w, b, "Gemm"))
        elif node.op_type == "MatMul" and node.input[1] in init:
            nxt = nodes[n + 1] if n + 1 < len(nodes) else None
            b = None
            if nxt is not None and nxt.op_type == "Add":
                b = next((init[x] for x in nxt.input if x in init), None)
            found.append((init[node.input[1]].T, b, "MatMul"))
    want = _weight_layers(sp)
    if len(found) != len(want):
        raise ModelFileError(
            f"{path}: {len(found)} weight layers (Conv/Gemm/MatMul) in the graph, "
            f"the spec has {len(want)}"
        )
    for i, (w, b, op) in zip(want, found, strict=True):
        if sp.layers[i].kind == spec.LAYER_DENSE and op != "Conv":
            w = _chw_to_hwc(np.asarray(w), _flattened_dims(sp, i))
        set_float_weights(sp, i, np.asarray(w, np.float32), b, f"{path} ({op})")
