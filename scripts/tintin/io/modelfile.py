# SPDX-License-Identifier: Apache-2.0
"""Model spec files (YAML or JSON) and pretrained float weights (.npz or ONNX) to a ModelSpec.

A spec names the model, its input and its layer table::

    name: digits                # prefix of every C symbol the generator writes
    input: [1, 1, 64]           # h, w, c per sample ([n] means [1, 1, n]; no [a, b])
    loss: xent                  # xent (class labels) or mse (int8 targets)
    max_batch: 8
    seed: 1                     # weight init (when no weights are given) and rounding PRNG
    optimizer: default          # default (= hybrid), lean, compact, momentum, or a mapping
                                # (fields left out take the default's values)
    train_last: 1               # optional: freeze every weight layer but the last k
    layers:
      - {type: dense, units: 32}
      - {type: relu}
      - {type: dense, units: 10, train: full}   # full, frozen or bias_only

Layer keys: type (dense, conv2d, conv1d, maxpool, avgpool, gap, relu, flatten), units,
kernel ([k_h, k_w] or [k]), stride, pad (valid or same), train; each type takes only its own
(TYPE_KEYS). Every value is checked against the C table's field types and the planner's limits
before a weight is made, so the C runtime (built with every feature) never refuses a spec
this module accepted.

Weights, optional: an .npz with float arrays `w<i>` and `b<i>` for table row i (dense
[units, fan_in]; convolutions [units, k_h, k_w, in_c], channels last), or an ONNX model whose
Gemm/MatMul(+Add)/Conv initialisers are taken in graph order (needs the `onnx` package). Float
weights are quantised per layer to int8 with one power-of-two exponent; biases to int32 at the
weight exponent - 8. Every mismatch raises ModelFileError with one precise message.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tintin.core import spec
from tintin.core.spec import ModelSpec
from tintin.native.cabi import MAX_LAYERS

MAX_BATCH = 256  # TINTIN_MAX_BATCH
_IDENT = re.compile(r"[a-z][a-z0-9_]*")  # as cgen.check_ident: every C symbol's prefix

SPEC_KEYS = {"name", "input", "loss", "max_batch", "seed", "optimizer", "train_last", "layers"}
LAYER_KEYS = {"type", "units", "kernel", "stride", "pad", "train"}
OPTIM_KEYS = {
    "rule", "lr_shift", "lr_mult", "mu", "momentum_shift", "upscale_bits", "rounding",
    "upscale_scope",
}  # fmt: skip
NAMED = {
    "loss": {"xent": spec.LOSS_XENT, "mse": spec.LOSS_MSE},
    "rule": {"aligned": spec.RULE_ALIGNED, "niti": spec.RULE_NITI},
    "rounding": {"stochastic": spec.ROUND_STOCHASTIC, "pseudo": spec.ROUND_PSEUDO},
    "upscale_scope": {"all": spec.UPSCALE_ALL, "conv": spec.UPSCALE_CONV},
    "train": {
        "full": spec.TRAIN_FULL,
        "frozen": spec.TRAIN_FROZEN,
        "bias_only": spec.TRAIN_BIAS_ONLY,
    },
    "pad": {"valid": spec.PAD_VALID, "same": spec.PAD_SAME},
}
# The keys each layer type takes (a key another type uses is an error here, never ignored),
# and those it cannot do without.
TYPE_KEYS = {
    "dense": {"units", "train"},
    "conv2d": {"units", "kernel", "stride", "pad", "train"},
    "conv1d": {"units", "kernel", "stride", "pad", "train"},
    "maxpool": {"kernel", "stride", "pad"},
    "avgpool": {"kernel", "stride", "pad"},
    "gap": set(),
    "relu": set(),
    "flatten": set(),
}
REQUIRED = {"dense": ("units",), "conv2d": ("units", "kernel"), "conv1d": ("units", "kernel"),
            "maxpool": ("kernel",), "avgpool": ("kernel",)}  # fmt: skip

# Limits of the C table (lib/tintin/include/tintin/types.h, src/model_check.c): units and element
# counts are uint16, kernel and stride uint8, exponents within +-TINTIN_EXP_LIMIT.
U8_MAX = 255
U16_MAX = 65535
GAP_MAX = 255  # a global pool's window is a uint8 kernel
OPTIM_RANGES = {"lr_shift": (0, 30), "lr_mult": (1, 255), "mu": (0, 7), "momentum_shift": (0, 7)}
UPSCALE_BITS = (0, spec.BIAS_EXTRA_BITS)
# Weights of one model this tool initialises or quantises: 16 Mi int8 values is more flash than
# any Cortex-M part has, and keeps He initialisation's float64 scratch near 128 MiB (the C
# planner's own limit, 65535 x 65535 per layer, would ask for hundreds of GiB here).
MAX_WEIGHTS = 1 << 24
# A spec is a few lines; anything far larger is not one (and is not read into memory).
MAX_SPEC_BYTES = 1 << 20


class ModelFileError(ValueError):
    """A spec or weights file that cannot become a model; the message says where and why."""


def _show(v: object) -> str:
    """A value for a message: its repr, one line, at most 40 characters."""
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _no_duplicates(where: str, pairs: list[tuple[Any, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise ModelFileError(f"{where}: key {_show(k)} appears twice")
        out[k] = v
    return out


def _yaml_loader(where: str) -> type:
    """yaml.SafeLoader that refuses a key given twice in one mapping (YAML keeps the last)."""
    import yaml

    class Strict(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    dup = key in seen
                except TypeError:  # an unhashable key: the base class says so
                    break
                if dup:
                    line = key_node.start_mark.line + 1
                    raise ModelFileError(f"{where}: line {line}: key {_show(key)} appears twice")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return Strict


def _read(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, need a model spec file")
    if path.exists() and not path.is_file():
        raise ModelFileError(f"{path}: not a regular file")
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise ModelFileError(f"{path}: {path.stat().st_size} bytes, too large for a spec")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        doc = _parse(path, text)
    except RecursionError:
        raise ModelFileError(f"{path}: nested too deeply to be a model spec") from None
    if not isinstance(doc, dict):
        raise ModelFileError(f"{path}: the top level must be a mapping")
    return doc


def _parse(path: Path, text: str) -> object:
    if path.suffix == ".json":
        try:
            return json.loads(text, object_pairs_hook=lambda p: _no_duplicates(str(path), p))
        except json.JSONDecodeError as exc:
            raise ModelFileError(f"{path}: not valid JSON: {exc}") from None
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader(str(path)))
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())
        raise ModelFileError(f"{path}: not valid YAML: {first}") from None


def _int(where: str, v: object, lo: int, hi: int) -> int:
    """An integer in lo..hi: a bool is not one, nor a float (3.0 or 3.7), nor a string."""
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ModelFileError(f"{where}: must be an integer in {lo}..{hi}, got {_show(v)}")
    return v


def _named(where: str, kind: str, v: object) -> int:
    if not isinstance(v, str) or v not in NAMED[kind]:
        raise ModelFileError(f"{where}: {_show(v)} is not one of {', '.join(NAMED[kind])}")
    return NAMED[kind][v]


def _keys(where: str, v: dict, allowed: set[str], what: str) -> None:
    extra = sorted(map(_show, set(v) - allowed))
    if extra:
        raise ModelFileError(f"{where}: unknown keys [{', '.join(extra)}] ({what}: "
                             f"{', '.join(sorted(allowed)) or 'none'})")  # fmt: skip


def _optim(where: str, v: object) -> spec.Optim:
    if v is None:
        return spec.Optim()
    if isinstance(v, str) and v in spec.PRESETS:
        return spec.PRESETS[v]()
    if not isinstance(v, dict):
        names = ", ".join(spec.PRESETS)
        raise ModelFileError(
            f"{where}: {names} or a mapping of {sorted(OPTIM_KEYS)}, got {_show(v)}"
        )
    _keys(where, v, OPTIM_KEYS, "allowed")
    o = spec.Optim()
    for key, val in v.items():
        if key in ("rule", "rounding", "upscale_scope"):
            setattr(o, key, _named(f"{where}.{key}", key, val))
        elif key == "upscale_bits":
            if type(val) is not int or val not in UPSCALE_BITS:  # 8.0 == 8 and True == 1
                raise ModelFileError(f"{where}.upscale_bits: must be 0 or 8, got {_show(val)}")
            o.upscale_bits = val
        else:
            setattr(o, key, _int(f"{where}.{key}", val, *OPTIM_RANGES[key]))
    if o.upscale_bits == 0:
        if v.get("upscale_scope", "all") != "all":
            raise ModelFileError(f"{where}.upscale_scope: conv needs upscale_bits 8")
        o.upscale_scope = spec.UPSCALE_ALL  # int8 weights everywhere: the scope means nothing
    return o


def _input(where: str, v: object) -> tuple[int, int, int]:
    # Two numbers are refused: [28, 28] reads as an image to a person and as w=28, c=28 to
    # the table, and nothing in a spec can tell which was meant.
    if not isinstance(v, list) or len(v) not in (1, 3):
        raise ModelFileError(
            f"{where}: a list [h, w, c] or [n] (for [a, b] write [1, a, b] or [a, b, 1]), "
            f"got {_show(v)}"
        )
    dims = [_int(where, d, 1, U16_MAX) for d in v]
    size = int(np.prod(dims))
    if size > U16_MAX:
        raise ModelFileError(f"{where}: {size} values per sample, the C runtime takes 1..65535")
    return tuple([1] * (3 - len(dims)) + dims)  # type: ignore[return-value]


def _kernel(where: str, kind: str, v: object) -> list[int]:
    """[k_h, k_w] from [k_h, k_w] or [k] (1-D: k_h = 1); 1-D convolutions take [k] or [1, k]."""
    if not isinstance(v, list) or len(v) not in (1, 2):
        raise ModelFileError(f"{where}: a list [k_h, k_w] or [k], got {_show(v)}")
    k = [_int(where, d, 1, U8_MAX) for d in v]
    k = [1, *k] if len(k) == 1 else k
    if kind == "conv1d" and k[0] != 1:
        raise ModelFileError(f"{where}: conv1d takes [k] (or [1, k]), got {_show(v)}")
    return k


def _row(w: str, row: object) -> dict:
    """One layer row, every field checked and written out in full (kernel [k_h, k_w], stride)."""
    if not isinstance(row, dict):
        raise ModelFileError(f"{w}: a mapping such as {{type: dense, units: 10}}, got {_show(row)}")
    kind = row.get("type")
    if not isinstance(kind, str) or kind not in spec.LAYER_NAMES:
        raise ModelFileError(
            f"{w}: unknown layer type {_show(kind)} (one of {', '.join(spec.LAYER_NAMES)})"
        )
    w = f"{w} ({kind})"
    _keys(w, row, TYPE_KEYS[kind] | {"type"}, f"a {kind} layer takes")
    for key in REQUIRED.get(kind, ()):
        if key not in row:
            raise ModelFileError(f"{w}: missing {key!r}")
    out: dict = {"type": kind}
    if "units" in row:
        out["units"] = _int(f"{w}: units", row["units"], 1, U16_MAX)
    if "kernel" in row:
        out["kernel"] = _kernel(f"{w}: kernel", kind, row["kernel"])
    if kind in ("conv2d", "conv1d"):
        out["stride"] = _int(f"{w}: stride", row.get("stride", 1), 1, U8_MAX)
    elif "stride" in row:  # pools: 0 means stride = k_w
        out["stride"] = _int(f"{w}: stride", row["stride"], 0, U8_MAX)
    for key in ("train", "pad"):
        if key in row:
            _named(f"{w}: {key}", key, row[key])
            out[key] = row[key]
    return out


def _rows(where: str, layers: object) -> list[dict]:
    if not isinstance(layers, list) or not layers:
        raise ModelFileError(f"{where}: a non-empty list of layers, got {_show(layers)}")
    if len(layers) > MAX_LAYERS:
        raise ModelFileError(
            f"{where}: {len(layers)} layers, the C runtime takes 1..{MAX_LAYERS} "
            "(TINTIN_MAX_LAYERS)"
        )
    return [_row(f"{where}[{i}]", row) for i, row in enumerate(layers)]


def _bare_layer(row: dict) -> spec.Layer:
    """The table row of a checked row, without weights (as spec.build makes it)."""
    kh, kw = row.get("kernel", [0, 0])
    pool = row["type"] in ("maxpool", "avgpool", "gap")
    return spec.Layer(
        spec.LAYER_NAMES[row["type"]], units=row.get("units", 0),
        train=NAMED["train"][row.get("train", "full")], kernel_h=kh, kernel_w=kw,
        stride=row.get("stride", 0 if pool else 1), pad=NAMED["pad"][row.get("pad", "valid")],
    )  # fmt: skip


def _check_table(where: str, input_shape: tuple[int, int, int], rows: list[dict],
                 loss: int) -> None:  # fmt: skip
    """What tintin_model_plan checks of a table, here, so that C never refuses a spec this
    module passed (its refusal is a log line and an errno), and before weights are made."""
    dims = input_shape
    owns = False  # a layer with its own output buffer came before (ReLU works in place)
    n_weights = 0
    for i, row in enumerate(rows):
        w = f"{where}[{i}] ({row['type']})"
        layer = _bare_layer(row)
        if layer.kind == spec.LAYER_GAP and (dims[0] > GAP_MAX or dims[1] > GAP_MAX):
            raise ModelFileError(f"{w}: global pool over {dims[0]}x{dims[1]}, the C runtime "
                                 f"takes at most {GAP_MAX}x{GAP_MAX}")  # fmt: skip
        if layer.kind == spec.LAYER_RELU and not owns:
            raise ModelFileError(f"{w}: a ReLU must come after a dense, conv or pool layer")
        try:
            sh = spec.shapes_of(dims, [layer], check_weights=False)[0]
        except ValueError as exc:
            raise ModelFileError(f"{w}: {re.sub(r'^layer 0: ', '', str(exc))}") from None
        if sh.geom is not None and (sh.n_out > U16_MAX or sh.row > U16_MAX):
            g = sh.geom
            raise ModelFileError(
                f"{w}: output {g.out_h}x{g.out_w}x{g.out_c} = {sh.n_out} values and window "
                f"{g.k_h}x{g.k_w}x{g.in_c} = {sh.row}; the C runtime takes at most 65535 each"
            )
        if layer.kind in spec.WEIGHT_LAYERS:
            n_weights += sh.rows * sh.row
            if n_weights > MAX_WEIGHTS:
                raise ModelFileError(
                    f"{w}: the model reaches {n_weights} weights here; this tool makes at "
                    f"most {MAX_WEIGHTS} (16 MiB of int8)"
                )
        owns = owns or layer.kind in spec.WEIGHT_LAYERS or layer.kind in spec.POOL_LAYERS
        dims = sh.out_dims
    if not owns:
        raise ModelFileError(f"{where}: no dense, conv or pool layer (nothing computes)")
    n_out = int(np.prod(dims))
    if loss == spec.LOSS_XENT and not 2 <= n_out <= 256:
        raise ModelFileError(
            f"{where}: loss xent needs 2..256 outputs, the last layer gives {n_out}"
        )


def check_trainable(where: str, sp: ModelSpec) -> None:
    """A training arena needs a weight layer that is not frozen (tintin_model_plan refuses)."""
    if not any(
        layer.kind in spec.WEIGHT_LAYERS and layer.train != spec.TRAIN_FROZEN for layer in sp.layers
    ):
        raise ModelFileError(f"{where}: every weight layer is frozen, nothing can train")


def load_spec(
    path: Path, weights: Path | None = None, *, infer: bool = False
) -> tuple[str, ModelSpec]:
    """(model name, spec) from a spec file and optional weights; ModelFileError on bad input.

    Every value is checked against the C table's limits first; infer: the model is only
    planned for inference, so it may have no trainable layer.
    """
    doc = _read(path)
    where = str(path)
    _keys(where, doc, SPEC_KEYS, "allowed")
    for key in ("name", "input", "layers"):
        if key not in doc:
            raise ModelFileError(f"{where}: missing {key!r}")
    name = doc["name"]
    if not isinstance(name, str) or not _IDENT.fullmatch(name):
        raise ModelFileError(
            f"{where}: name: {_show(name)} must be a lower-case C identifier ([a-z][a-z0-9_]*)"
        )
    input_shape = _input(f"{where}: input", doc["input"])
    rows = _rows(f"{where}: layers", doc["layers"])
    loss = _named(f"{where}: loss", "loss", doc.get("loss", "xent"))
    seed = _int(f"{where}: seed", doc.get("seed", 1), 0, 2**32 - 1)
    optim = _optim(f"{where}: optimizer", doc.get("optimizer"))
    max_batch = _int(f"{where}: max_batch", doc.get("max_batch", 1), 1, MAX_BATCH)
    _check_table(f"{where}: layers", input_shape, rows, loss)
    try:
        sp = spec.build(input_shape, rows, seed, optim=optim, max_batch=max_batch, loss=loss)
    except ValueError as exc:  # _check_table should have said it first
        raise ModelFileError(f"{where}: {exc}") from None
    if "train_last" in doc:
        n_w = sum(1 for layer in sp.layers if layer.kind in spec.WEIGHT_LAYERS)
        spec.train_last(sp, _int(f"{where}: train_last", doc["train_last"], 1, max(n_w, 1)))
    if not infer:
        check_trainable(f"{where}: layers", sp)
    if weights is not None:
        load_weights(sp, weights)
    return name, sp


# --- weights ------------------------------------------------------------------------------


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
        raise ModelFileError(f"{src}: layer {i} weights must be finite floats, got {w.dtype}")
    e = _weight_exp(f"{src}: layer {i} weights", w.astype(np.float64))
    q, e_q = spec.quantize_weights(w.astype(np.float64))
    assert e_q == e
    bias = np.zeros(sh.rows, np.int32)
    if b is not None:
        bias = _bias(f"{src}: layer {i} bias", np.asarray(b), sh.rows, e)
    layer.weights, layer.w_exp, layer.bias = q, e, bias


def _weight_exp(where: str, w: np.ndarray) -> int:
    """The exponent spec.quantize_weights gives w, refused unless the C table's int8 w_exp
    takes it (+-TINTIN_EXP_LIMIT): weights of 1e-40 would need 2^-139, and an int8 field
    would silently hold 2^117 instead."""
    m = float(np.max(np.abs(w))) if w.size else 0.0
    if m == 0.0:
        return 0
    r = m / 127.0  # 0.0 for the smallest subnormals, whose exponent is far out of range
    e = int(np.ceil(np.log2(r))) if r > 0.0 else -1075
    if not -spec.EXP_LIMIT <= e <= spec.EXP_LIMIT:
        raise ModelFileError(
            f"{where}: largest magnitude {m:.3g} needs the exponent 2^{e}; the C table takes "
            f"2^-{spec.EXP_LIMIT}..2^{spec.EXP_LIMIT} (rescale the layer)"
        )
    return e


def _bias(where: str, b: np.ndarray, rows: int, e: int) -> np.ndarray:
    """int32 biases at exponent e - 8 from float (or integer) values."""
    numeric = np.issubdtype(b.dtype, np.floating) or np.issubdtype(b.dtype, np.integer)
    if not numeric or b.dtype == np.bool_:
        raise ModelFileError(f"{where}: must be numbers, got {b.dtype}")
    if b.shape != (rows,):
        raise ModelFileError(f"{where}: has shape {b.shape}, needs ({rows},)")
    v = b.astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise ModelFileError(f"{where}: must be finite")
    qb = np.rint(v * 2.0 ** -(e - spec.BIAS_EXTRA_BITS))
    if np.any(np.abs(qb) > 2**31 - 1):
        raise ModelFileError(f"{where}: too large for int32 at 2^{e - spec.BIAS_EXTRA_BITS}")
    return qb.astype(np.int32)


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
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError, MemoryError) as exc:
        raise ModelFileError(f"{path}: not a readable .npz file: {exc}") from None
    want = spec.weight_layers(sp)
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


def _onnx_rank(path: Path, op: str, w: np.ndarray) -> None:
    ranks = {"Conv": (3, 4), "Gemm": (2,), "MatMul": (2,)}.get(op)
    if ranks is not None and w.ndim not in ranks:
        raise ModelFileError(f"{path}: a {op} weight of shape {w.shape}, need rank {ranks}")


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
    try:
        init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    except Exception as exc:  # a malformed initialiser: onnx raises several kinds
        raise ModelFileError(f"{path}: unreadable initialiser: {exc}") from None
    found: list[tuple[np.ndarray, np.ndarray | None, str]] = []
    nodes = list(model.graph.node)
    for n, node in enumerate(nodes):
        if len(node.input) < 2 or node.input[1] not in init:
            continue  # not a layer with weights in the file
        _onnx_rank(path, node.op_type, init[node.input[1]])
        if node.op_type == "Conv":
            w = init[node.input[1]]  # [out, in_c, k_h, k_w] (or [out, in_c, k] for 1-D)
            if w.ndim == 3:
                w = w[:, :, None, :]
            b = init.get(node.input[2]) if len(node.input) > 2 else None
            found.append((w.transpose(0, 2, 3, 1), b, "Conv"))
        elif node.op_type == "Gemm":
            attrs = {a.name: a for a in node.attribute}
            w = init[node.input[1]]
            w = w if attrs.get("transB") is not None and attrs["transB"].i == 1 else w.T
            b = init.get(node.input[2]) if len(node.input) > 2 else None
            found.append((w, b, "Gemm"))
        elif node.op_type == "MatMul":
            nxt = nodes[n + 1] if n + 1 < len(nodes) else None
            b = None
            if nxt is not None and nxt.op_type == "Add":
                b = next((init[x] for x in nxt.input if x in init), None)
            found.append((init[node.input[1]].T, b, "MatMul"))
    want = spec.weight_layers(sp)
    if len(found) != len(want):
        raise ModelFileError(
            f"{path}: {len(found)} weight layers (Conv/Gemm/MatMul) in the graph, "
            f"the spec has {len(want)}"
        )
    for i, (w, b, op) in zip(want, found, strict=True):
        try:
            if sp.layers[i].kind == spec.LAYER_DENSE and op != "Conv":
                w = _chw_to_hwc(np.asarray(w), _flattened_dims(sp, i))
            w = np.asarray(w, np.float32)
        except ValueError as exc:  # a shape that cannot be reordered, or not numbers
            raise ModelFileError(f"{path} ({op}): layer {i} weights: {exc}") from None
        set_float_weights(sp, i, w, b, f"{path} ({op})")
