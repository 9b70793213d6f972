# SPDX-License-Identifier: Apache-2.0
"""Headers of one benchmark image: the workload's model (integer or float32) and real samples.

The float32 model gets the integer model's initial weights (q * 2^e, exact in float), so the
variants start from the same point; its arena size comes from the C trainer's own planner.
"""

from __future__ import annotations

import ctypes as ct
import hashlib
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tintin.core import data, spec
from tintin.core.floatref import FloatModel, float_lr
from tintin.io import cgen
from tintin.native.tree import REPO
from tintin.tasks import digits, envcl, motion

FTRAIN = REPO / "bench" / "float" / "ftrain.c"
FT_TYPES = {spec.LAYER_DENSE: "FT_DENSE", spec.LAYER_RELU: "FT_RELU",
            spec.LAYER_FLATTEN: "FT_FLATTEN", spec.LAYER_CONV2D: "FT_CONV",
            spec.LAYER_CONV1D: "FT_CONV", spec.LAYER_MAXPOOL: "FT_MAXPOOL",
            spec.LAYER_AVGPOOL: "FT_AVGPOOL", spec.LAYER_GAP: "FT_AVGPOOL"}  # fmt: skip


@dataclass
class Workload:
    name: str
    make_spec: Callable[[spec.Optim, int, int], spec.ModelSpec]
    samples: Callable[[], tuple[np.ndarray, np.ndarray]]  # float x [n, size], labels


def _digits() -> tuple[np.ndarray, np.ndarray]:
    s = digits.load_digits_split()
    return s.x_train[:8], s.y_train[:8]


def _mnist() -> tuple[np.ndarray, np.ndarray]:
    s = digits.load_mnist5k_split()
    return s.x_train[:8], s.y_train[:8]


def _motion() -> tuple[np.ndarray, np.ndarray]:
    pre, _ = motion.load_motion(held_out=10)
    return pre.x_train[:8], pre.y_train[:8]


def _env() -> tuple[np.ndarray, np.ndarray]:
    x, y, _ = envcl.indoor()
    return envcl.as_float(x[:8]), y[:8]


WORKLOADS = {
    "digits": Workload("digits", digits.digits_spec, _digits),
    "lenet": Workload("lenet", digits.lenet_spec, _mnist),
    "motion": Workload("motion", motion.motion_spec, _motion),
    # The env sample's 4-16-2 network: how fixed costs weigh on a tiny model.
    "env": Workload("env", envcl.env_spec, _env),
}
VARIANTS = {
    "int": spec.Optim(),
    "compact": spec.Optim.compact(),
    "momentum": spec.Optim.momentum(),
    "niti": digits.NITI,
    # float32 plain SGD at the default's rate: the like-for-like baseline of int and compact.
    "float32": spec.Optim(),
    # float32 with the momentum preset's rate and momentum.
    "float32-mom": spec.Optim.momentum(),
}


def _float_literal(v: float) -> str:
    text = f"{float(np.float32(v)):.9g}"
    return (text if ("." in text or "e" in text) else text + ".0") + "f"


def _float_array(name: str, values: np.ndarray) -> str:
    vals = [_float_literal(v) for v in np.asarray(values, np.float32).ravel()]
    rows = ["\t" + ", ".join(vals[k : k + 6]) + "," for k in range(0, len(vals), 6)]
    return f"static const float {name}[{len(vals)}] = {{\n" + "\n".join(rows) + "\n};\n"


def ftrain_lib(cache: Path) -> ct.CDLL:
    """The float trainer built for the host (cached by source hash), with its signatures set."""
    digest = hashlib.sha256(FTRAIN.read_bytes() + FTRAIN.with_suffix(".h").read_bytes())
    so = cache / f"libftrain-{digest.hexdigest()[:16]}.so"
    if not so.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = so.with_suffix(f".{os.getpid()}.tmp")
        subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-O2", "-Wall", "-Wextra",
                        "-Werror", "-shared", "-fPIC", str(FTRAIN), "-lm", "-o", str(tmp)],
                       check=True)  # fmt: skip
        tmp.replace(so)
    lib = ct.CDLL(str(so))
    lib.ft_plan.restype = ct.c_size_t
    lib.ft_model_size.restype = ct.c_size_t
    lib.ft_forward.restype = ct.POINTER(ct.c_float)
    return lib


class FtLayer(ct.Structure):
    """struct ft_layer (bench/float/ftrain.h)."""

    _fields_ = [("type", ct.c_uint8), ("units", ct.c_uint16), ("k_h", ct.c_uint8),
                ("k_w", ct.c_uint8), ("stride", ct.c_uint8), ("pad_same", ct.c_uint8),
                ("w", ct.c_void_p), ("b", ct.c_void_p)]  # fmt: skip


class FtDesc(ct.Structure):
    """struct ft_desc (bench/float/ftrain.h)."""

    _fields_ = [("layers", ct.POINTER(FtLayer)), ("n_layers", ct.c_uint8),
                ("max_batch", ct.c_uint16), ("in_h", ct.c_uint16), ("in_w", ct.c_uint16),
                ("in_c", ct.c_uint16), ("lr", ct.c_float), ("beta", ct.c_float)]  # fmt: skip


FT_CODES = {"FT_DENSE": 1, "FT_RELU": 2, "FT_FLATTEN": 3, "FT_CONV": 4, "FT_MAXPOOL": 6,
            "FT_AVGPOOL": 7}  # fmt: skip


def _ft_rows(sp: spec.ModelSpec) -> list[tuple[str, int, int, int, int, int]]:
    shapes = spec.layer_geometry(sp)
    rows = []
    for i, layer in enumerate(sp.layers):
        g = shapes[i].geom
        k_h, k_w, stride = (g.k_h, g.k_w, g.stride) if g is not None else (0, 0, 0)
        rows.append((FT_TYPES[layer.kind], layer.units, k_h, k_w, stride, layer.pad))
    return rows


def _beta(sp: spec.ModelSpec) -> float:
    """Momentum of the float trainer: the integer optimizer's 1 - 2^-momentum_shift, or none."""
    return 1.0 - 2.0**-sp.optim.momentum_shift if sp.optim.momentum_shift else 0.0


def ft_desc(sp: spec.ModelSpec, fm: FloatModel | None = None) -> tuple[FtDesc, list]:
    """The spec as the float trainer's description, with fm's weights when given; the list
    keeps alive every array the description points to.
    """
    rows = _ft_rows(sp)
    layers = (FtLayer * len(rows))()
    keep: list = [layers]
    for i, (d, (kind, units, k_h, k_w, stride, pad)) in enumerate(zip(layers, rows, strict=True)):
        d.type, d.units, d.k_h, d.k_w, d.stride, d.pad_same = (
            FT_CODES[kind], units, k_h, k_w, stride, pad)  # fmt: skip
        if fm is not None and i in fm.params:
            w, b = (np.ascontiguousarray(a, np.float32) for a in fm.params[i])
            keep += [w, b]
            d.w, d.b = w.ctypes.data, b.ctypes.data
    h, w_, c = sp.input_shape
    desc = FtDesc(layers, len(rows), sp.max_batch, h, w_, c, float_lr(sp.optim), _beta(sp))
    return desc, keep


def float_arena(sp: spec.ModelSpec, cache: Path) -> int:
    desc, _keep = ft_desc(sp)
    return int(ftrain_lib(cache).ft_plan(ct.byref(desc)))


def float_model_body(sp: spec.ModelSpec, cache: Path) -> str:
    fm = FloatModel(sp)
    out = [cgen.macros([("BENCH_F_ARENA", float_arena(sp, cache))]), "\n"]
    tables = []
    for i in sorted(fm.params):
        w, b = fm.params[i]
        tables += [_float_array(f"bench_fw{i}", w), _float_array(f"bench_fb{i}", b)]
    out.append(cgen.no_format("".join(tables)))
    out.append("\nstatic const struct ft_layer bench_flayers[] = {\n")
    for i, (kind, units, k_h, k_w, stride, pad) in enumerate(_ft_rows(sp)):
        wb = f", .w = bench_fw{i}, .b = bench_fb{i}" if i in fm.params else ""
        out.append(f"\t{{.type = {kind}, .units = {units}, .k_h = {k_h}, .k_w = {k_w}, "
                   f".stride = {stride}, .pad_same = {pad}{wb}}},\n")  # fmt: skip
    h, w, c = sp.input_shape
    beta = _beta(sp)
    out.append(
        "};\n\nstatic const struct ft_desc bench_fdesc = {\n"
        f"\t.layers = bench_flayers,\n\t.n_layers = {len(sp.layers)},\n"
        f"\t.max_batch = {sp.max_batch},\n\t.in_h = {h},\n\t.in_w = {w},\n\t.in_c = {c},\n"
        f"\t.lr = {_float_literal(float_lr(sp.optim))},\n\t.beta = {_float_literal(beta)},\n}};\n"
    )
    return "".join(out)


def data_body(x: np.ndarray, y: np.ndarray, batch: int) -> str:
    q, e = data.quantize_inputs(np.asarray(x, np.float64))
    q, y = q[:batch], np.asarray(y[:batch], np.uint8)
    head = cgen.macros(
        [
            ("BENCH_BATCH", batch),
            ("BENCH_SIZE", q.shape[1]),
            ("BENCH_X_EXP", f"({e})"),
            ("BENCH_X_SCALE", _float_literal(2.0**e)),
        ]
    )
    tables = cgen.c_array("bench_x", "int8_t", q) + cgen.c_array("bench_y", "uint8_t", y)
    return head + "\n" + cgen.no_format(tables)


def param_bytes(work: Workload, variant: str, batch: int) -> int:
    """Bytes of the trainable parameters themselves in the image's training arena: int8
    weights and int32 biases as the planner counts them (the header's ARENA_PARAMS), or the
    float32 trainer's weights and biases, 4 bytes each."""
    sp = work.make_spec(VARIANTS[variant], batch, 1)
    if not variant.startswith("float32"):
        return cgen.arena_breakdown(sp)[0]
    return 4 * sum(w.size + b.size for w, b in FloatModel(sp).params.values())


def write_headers(work: Workload, variant: str, batch: int, out: Path, cache: Path) -> None:
    """bench_data.h and bench_model.h (integer) or bench_fmodel.h (float32) into out."""
    out.mkdir(parents=True, exist_ok=True)
    sp = work.make_spec(VARIANTS[variant], batch, 1)
    x, y = work.samples()
    src = f"tintin bench {work.name} {variant} batch {batch}"
    title = f"Benchmark {work.name}, {variant}, batch {batch}."
    (out / "bench_data.h").write_text(
        cgen.header("bench_data_h", title, src, data_body(x, y, batch))
    )
    if variant.startswith("float32"):
        body = '#include "ftrain.h"\n\n' + float_model_body(sp, cache)
        (out / "bench_fmodel.h").write_text(cgen.header("bench_fmodel_h", title, src, body))
    else:
        (out / "bench_model.h").write_text(
            cgen.header("bench_model_h", title, src, cgen.model_body(sp, "bench"))
        )
