# SPDX-License-Identifier: Apache-2.0
"""bench/float: the C float32 baseline trainer against the NumPy float32 trainer."""

import ctypes as ct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tintin import demo, spec
from tintin.floatref import FloatModel, float_lr
from tintin.motion import ROWS as MOTION_ROWS

REPO = Path(__file__).resolve().parents[2]
PF = ct.POINTER(ct.c_float)
TYPES = {spec.LAYER_DENSE: 1, spec.LAYER_RELU: 2, spec.LAYER_FLATTEN: 3, spec.LAYER_CONV2D: 4,
         spec.LAYER_CONV1D: 4, spec.LAYER_MAXPOOL: 6, spec.LAYER_AVGPOOL: 7,
         spec.LAYER_GAP: 7}  # fmt: skip


class FtLayer(ct.Structure):
    _fields_ = [("type", ct.c_uint8), ("units", ct.c_uint16), ("k_h", ct.c_uint8),
                ("k_w", ct.c_uint8), ("stride", ct.c_uint8), ("pad_same", ct.c_uint8),
                ("w", PF), ("b", PF)]  # fmt: skip


class FtDesc(ct.Structure):
    _fields_ = [("layers", ct.POINTER(FtLayer)), ("n_layers", ct.c_uint8),
                ("max_batch", ct.c_uint16), ("in_h", ct.c_uint16), ("in_w", ct.c_uint16),
                ("in_c", ct.c_uint16), ("lr", ct.c_float), ("beta", ct.c_float)]  # fmt: skip


@pytest.fixture(scope="module")
def ftlib(tmp_path_factory) -> ct.CDLL:
    so = tmp_path_factory.mktemp("ft") / "libftrain.so"
    subprocess.run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    str(REPO / "bench/float/ftrain.c"), "-lm", "-o", str(so)],
                   check=True)  # fmt: skip
    lib = ct.CDLL(str(so))
    lib.ft_plan.restype = ct.c_size_t
    lib.ft_model_size.restype = ct.c_size_t
    lib.ft_forward.restype = PF
    return lib


class CFloat:
    """The C trainer on a spec's initial weights (as FloatModel takes them)."""

    def __init__(self, lib: ct.CDLL, sp: spec.ModelSpec) -> None:
        self.lib, self.keep = lib, []
        fm = FloatModel(sp)
        shapes = spec.layer_geometry(sp)
        self.layers = (FtLayer * len(sp.layers))()
        for i, layer in enumerate(sp.layers):
            d = self.layers[i]
            d.type, d.units = TYPES[layer.kind], layer.units
            g = shapes[i].geom
            if g is not None:
                d.k_h, d.k_w, d.stride, d.pad_same = g.k_h, g.k_w, g.stride, layer.pad
            if i in fm.params:
                w, b = (np.ascontiguousarray(a, np.float32) for a in fm.params[i])
                self.keep += [w, b]
                d.w, d.b = w.ctypes.data_as(PF), b.ctypes.data_as(PF)
        h, w_, c = sp.input_shape
        beta = 1.0 - 2.0**-sp.optim.momentum_shift if sp.optim.momentum_shift else 0.0
        self.desc = FtDesc(self.layers, len(sp.layers), sp.max_batch, h, w_, c,
                           float_lr(sp.optim), beta)  # fmt: skip
        self.need = lib.ft_plan(ct.byref(self.desc))
        self.buf = np.zeros(self.need // 4 + 1, np.float32)
        self.m = ct.create_string_buffer(lib.ft_model_size())
        assert lib.ft_init(self.m, ct.byref(self.desc), self.buf.ctypes.data_as(PF),
                           ct.c_size_t(self.buf.nbytes)) == 0  # fmt: skip
        self.classes = spec.layer_shapes(sp)[-1][1]

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, np.float32)
        p = self.lib.ft_forward(self.m, x.ctypes.data_as(PF), len(x))
        return np.ctypeslib.as_array(p, (len(x), self.classes)).copy()

    def train_step(self, x: np.ndarray, y: np.ndarray) -> None:
        x = np.ascontiguousarray(x, np.float32)
        y = np.ascontiguousarray(y, np.uint8)
        assert (
            self.lib.ft_train_step(
                self.m, x.ctypes.data_as(PF), y.ctypes.data_as(ct.POINTER(ct.c_uint8)), len(x)
            )
            == 0
        )


@pytest.mark.parametrize(
    ("name", "dims", "rows"),
    [("digits", (1, 1, 64), [{"type": "dense", "units": 32}, {"type": "relu"},
                             {"type": "dense", "units": 10}]),
     ("lenet", (28, 28, 1), demo.LENET_ROWS),
     ("motion", (1, 100, 6), MOTION_ROWS)],
)  # fmt: skip
def test_c_float_trainer_matches_numpy(ftlib, name, dims, rows):
    """Same initial weights, same batches: outputs agree to float32 rounding after 5 steps."""
    sp = spec.build(dims, [dict(r) for r in rows], 1, max_batch=4)
    c, ref = CFloat(ftlib, sp), FloatModel(sp)
    rng = np.random.default_rng(2)
    classes = spec.layer_shapes(sp)[-1][1]
    for _ in range(5):
        x = rng.uniform(-1, 1, (4, sp.input_size)).astype(np.float32)
        y = rng.integers(0, classes, 4)
        c.train_step(x, y)
        ref.train_step(x, y)
    x = rng.uniform(-1, 1, (4, sp.input_size)).astype(np.float32)
    got, want = c.forward(x), ref.forward(x)
    assert np.allclose(got, want, rtol=1e-3, atol=1e-4 * np.abs(want).max()), (got, want)
