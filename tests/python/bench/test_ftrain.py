# SPDX-License-Identifier: Apache-2.0
"""bench/float: the C float32 baseline trainer against the NumPy float32 trainer."""

import ctypes as ct

import numpy as np
import pytest

from tintin.bench import benchgen
from tintin.core import spec
from tintin.core.floatref import FloatModel
from tintin.tasks import digits
from tintin.tasks.motion import ROWS as MOTION_ROWS

PF = ct.POINTER(ct.c_float)


@pytest.fixture(scope="module")
def ftlib(tmp_path_factory) -> ct.CDLL:
    return benchgen.ftrain_lib(tmp_path_factory.mktemp("ft"))


class CFloat:
    """The C trainer on a spec's initial weights (as FloatModel takes them)."""

    def __init__(self, lib: ct.CDLL, sp: spec.ModelSpec) -> None:
        self.lib = lib
        self.desc, self.keep = benchgen.ft_desc(sp, FloatModel(sp))
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
     ("lenet", (28, 28, 1), digits.LENET_ROWS),
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
