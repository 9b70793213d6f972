# SPDX-License-Identifier: Apache-2.0
"""Issue 18's findings where the C runtime meets the reference (tests/common/test_hardening.c
holds the C-only ones): average pools at the negative rail, input and target exponents out of
range, biases saturated by an input scale, and storage failures that must leave a log line.
"""

import ctypes as ct
import errno

import numpy as np
import pytest

from tintin.core import numerics as nx
from tintin.core import spec
from tintin.core.refmodel import ExponentRangeError, RefModel
from tintin.io import blob
from tintin.native import clib

pytestmark = pytest.mark.clib


def _pool_spec(width: int, rows: list[dict], loss: int = spec.LOSS_XENT) -> spec.ModelSpec:
    layers = [*rows, {"type": "flatten"}, {"type": "dense", "units": 3}]
    return spec.build((1, width, 2), layers, seed=3, max_batch=2, loss=loss)


@pytest.mark.parametrize("window", [6, 10, 18, 24])
@pytest.mark.parametrize("kind", ["avgpool", "gap"])
def test_f2_pools_at_the_negative_rail_are_bit_exact(window, kind):
    row = {"type": kind} if kind == "gap" else {"type": kind, "kernel": [1, window]}
    sp = _pool_spec(window * (1 if kind == "gap" else 2), [row])
    c, r = clib.CModel(sp), RefModel(sp)
    x = np.full((2, sp.input_size), -128, np.int8)
    x[1, ::3] = 127  # a second sample that is not all rail
    yc, ec = c.forward(x, -7)
    yr, er = r.forward(x, -7)
    assert ec == er and np.array_equal(yc, yr)
    # The pooled values of the rail sample are the most negative the grid holds, not positive.
    sh = r.shapes[0]
    pooled = nx.avgpool_forward(nx.i64(x).reshape(2, 1, -1, 2), sh.geom, sh.recip)
    assert (pooled[0] < 0).all()
    c.train_step(x, -7, labels=np.array([0, 2], np.uint8))
    r.train_step(x, -7, labels=np.array([0, 2]))
    assert c.stats() == vars(r.stats)


@pytest.mark.parametrize("x_exp", [-128, -121, 121, 127])
def test_f9_input_exponent_out_of_range_is_refused(x_exp):
    sp = spec.mlp([4, 3], seed=1, max_batch=1)
    c, r = clib.CModel(sp), RefModel(sp)
    x = np.ones((1, 4), np.int8)
    with pytest.raises(clib.TintinError) as exc:
        c.forward(x, x_exp)
    assert exc.value.errno == errno.ERANGE
    with pytest.raises(clib.TintinError):
        c.train_step(x, x_exp, labels=np.array([0], np.uint8))
    with pytest.raises(ExponentRangeError):
        r.forward(x, x_exp)
    assert c.stats()["steps"] == 0


def test_f9_target_exponent_out_of_range_is_refused_and_far_targets_are_exact():
    sp = spec.mlp([4, 3], seed=1, max_batch=1, loss=spec.LOSS_MSE)
    c, r = clib.CModel(sp), RefModel(sp)
    x = np.array([[50, -20, 90, 7]], np.int8)
    t = np.array([[100, -100, 3]], np.int8)
    with pytest.raises(clib.TintinError) as exc:
        c.train_step(x, -7, targets=t, t_exp=-128)
    assert exc.value.errno == errno.ERANGE
    with pytest.raises(ExponentRangeError):
        r.train_step(x, -7, targets=t, t_exp=-128)
    # Targets 93 bits finer than the outputs are ~0: the gradient is the output itself,
    # not a value scaled 2^-70 short.
    y = np.array([[64, -32, 5]])
    err, e, _ = nx.mse_grad(y, -7, t, -100)
    assert np.allclose(err * 2.0**e, y * 2.0**-7, rtol=0.02, atol=2.0**-7)
    err, e, _ = nx.mse_grad(t, -100, y, -7)  # and the other way round
    assert np.allclose(err * 2.0**e, -y * 2.0**-7, rtol=0.02, atol=2.0**-7)
    for t_exp in (-100, -30, 40):
        c.train_step(x, -7, targets=t, t_exp=t_exp)
        r.train_step(x, -7, targets=t, t_exp=t_exp)
        assert c.stats() == vars(r.stats)
        for i in (0,):
            assert np.array_equal(c.layer_params(i)["w"], r.layer_params(i)["w"])


def test_f9_biases_saturated_by_the_input_scale_are_counted():
    sp = spec.mlp([4, 3], seed=1, max_batch=1)
    sp.layers[0].bias = np.array([1000, -5, 0], np.int32)
    c, r = clib.CModel(sp), RefModel(sp)
    x = np.array([[1, 2, 3, 4]], np.int8)
    c.forward(x, -7)
    assert c.stats()["act_sat"] == 0
    # Inputs at 2^-40: biases shift left by 32 bits, every nonzero one saturates.
    yc, _ = c.forward(x, -40)
    yr, _ = r.forward(x, -40)
    assert np.array_equal(yc, yr)
    assert c.stats()["act_sat"] == vars(r.stats)["act_sat"] >= 2


READ = ct.CFUNCTYPE(ct.c_int, ct.c_void_p, ct.c_uint32, ct.c_void_p, ct.c_size_t)
ERASE = ct.CFUNCTYPE(ct.c_int, ct.c_void_p, ct.c_uint32, ct.c_size_t)


class RamStorage:
    """Two checkpoint slots in a bytearray; each callback can be made to fail (or return a
    byte count) from its n-th call on."""

    def __init__(self, slot: int) -> None:
        self.mem = bytearray(b"\xff" * 2 * slot)
        self.fail: dict[str, tuple[int, int]] = {}  # callback -> (calls left, return value)
        self.reads = 0
        self._fns = (READ(self._read), READ(self._write), ERASE(self._erase))
        self.st = clib.Storage()
        for name, fn in zip(("read", "write", "erase"), self._fns, strict=True):
            setattr(self.st, name, ct.cast(fn, ct.c_void_p))
        self.st.slot_size, self.st.write_block = slot, 8

    def _ret(self, name: str) -> int | None:
        if name not in self.fail:
            return None
        left, value = self.fail[name]
        self.fail[name] = (left - 1, value)
        return value if left <= 0 else None

    def _read(self, ctx: int, off: int, buf: int, n: int) -> int:
        self.reads += 1
        ct.memmove(buf, bytes(self.mem[off : off + n]), n)
        ret = self._ret("read")
        return 0 if ret is None else ret

    def _write(self, ctx: int, off: int, buf: int, n: int) -> int:
        ret = self._ret("write")
        if ret is not None:
            return ret
        self.mem[off : off + n] = ct.string_at(buf, n)
        return 0

    def _erase(self, ctx: int, off: int, n: int) -> int:
        ret = self._ret("erase")
        if ret is not None:
            return ret
        self.mem[off : off + n] = b"\xff" * n
        return 0

    def call(self, model: clib.CModel, func: str) -> int:
        arg = ct.byref(ct.c_uint32()) if func == "save" else ct.byref(clib.CkptInfo())
        fn = getattr(clib.lib(), f"tintin_checkpoint_{func}")
        return int(fn(model._m, ct.byref(self.st), arg))


@pytest.mark.parametrize(
    ("func", "callback", "after", "value", "line"),
    [
        ("save", "erase", 0, -errno.EIO, "storage erase at"),
        ("save", "write", 0, -errno.EIO, "storage write at"),
        ("save", "write", 3, -errno.ENOSPC, "storage write at"),
        ("save", "read", 0, -errno.EIO, "storage read at"),
        ("save", "write", 0, 8, "returned 8; callbacks must return 0 or a negative errno"),
        ("restore", "read", 0, -errno.EIO, "storage read at"),
        ("restore", "read", 0, 32, "returned 32; callbacks must return 0 or a negative errno"),
        # Both slots check out, then the load faults (-2: two reads before a clean end).
        ("restore", "read", -2, -errno.EIO, "back at its table's initial state"),
    ],
)
def test_f6_f7_every_storage_failure_is_an_errno_with_a_log_line(
    capfd, func, callback, after, value, line
):
    sp = spec.mlp([4, 3], seed=1, max_batch=1)
    c = clib.CModel(sp)
    ram = RamStorage(256)
    assert ram.call(c, "save") == 0
    c.train_step(np.array([[9, -8, 7, 6]], np.int8), -7, labels=np.array([1], np.uint8))
    before = c.layer_params(0)["w"].copy()
    if after < 0:  # counted from the end of a clean restore's reads
        probe = clib.CModel(sp)
        ram.reads = 0
        assert ram.call(probe, "restore") == 0
        after += ram.reads
    capfd.readouterr()
    ram.fail[callback] = (after, value)
    ret = ram.call(c, func)
    err = capfd.readouterr().err
    assert ret == (value if value < 0 else -errno.EIO)
    assert line in err, err
    if func == "restore" and "initial state" not in line:
        assert np.array_equal(c.layer_params(0)["w"], before), "a failed check changed weights"
    if "initial state" in line:
        assert np.array_equal(c.layer_params(0)["w"], sp.layers[0].weights.reshape(3, 4))


def test_f1_a_blob_with_a_wrapping_geometry_and_a_valid_hash_is_refused(monkeypatch, capfd):
    """65531 x 60459 x 59673 wraps to one element in 32 bits: the 72-byte blob of the
    finding (max-pool 1x1, dense 2 over "one" input) with its hash recomputed."""
    pool = spec.Layer(spec.LAYER_MAXPOOL, kernel_h=1, kernel_w=1)
    dense = spec.Layer(spec.LAYER_DENSE, units=2, weights=np.ones((2, 1), np.int8), w_exp=-7)
    sp = spec.ModelSpec((65531, 60459, 59673), [pool, dense])
    monkeypatch.setattr(spec, "layer_geometry", lambda _sp: None)  # pack's own check, bypassed
    data = blob.pack(sp)
    assert len(data) == 72
    with pytest.raises(clib.TintinError) as exc:
        clib.plan_desc(clib.CBlob(data))  # the parser refuses, or else the planner
    assert exc.value.errno == errno.EINVAL
    assert "65531x60459x59673" in capfd.readouterr().err


@pytest.mark.parametrize(
    ("row", "what"),
    [
        ({"type": "dense", "units": 3.7}, "units"),
        ({"type": "dense", "units": True}, "units"),
        ({"type": "dense", "units": float("inf")}, "units"),
        ({"type": "dense", "units": "3"}, "units"),
        ({"type": "conv1d", "units": 2, "kernel": [3, 3, 3]}, "kernel"),
        ({"type": "conv1d", "units": 2, "kernel": 3}, "kernel"),
        ({"type": "conv1d", "units": 2, "kernel": [2.5]}, "kernel"),
        ({"type": "maxpool", "kernel": [2], "stride": 1.5}, "stride"),
    ],
)
def test_f10_python_api_never_truncates_a_table_field(row, what):
    with pytest.raises(ValueError, match=what):
        spec.build((1, 8, 2), [row], seed=1)


@pytest.mark.parametrize("w", [1e-40, 1e40, float("nan")])
def test_f10_weights_whose_exponent_an_int8_field_cannot_hold_are_refused(w):
    with pytest.raises(ValueError):
        spec.quantize_weights(np.array([w, 0.0]))


RAIL_PRESETS = {
    "default": spec.Optim(),
    "lean": spec.Optim.lean(),
    "compact": spec.Optim.compact(),
    "momentum": spec.Optim.momentum(),
    "niti": spec.Optim(spec.RULE_NITI, 0, 1, 2, 0, 0, spec.ROUND_PSEUDO),
    "lr_mult": spec.Optim(lr_mult=3, upscale_bits=0),
    "pseudo": spec.Optim(rounding=spec.ROUND_PSEUDO, upscale_bits=0),
}


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", RAIL_PRESETS)
def test_table_values_past_the_symmetric_range_train_bit_exact(name, batch):
    """A table may hold -128 weights and an INT32_MIN bias, outside the ranges training stores
    (+-127, +-(2^31 - 1)). C stores nothing where a step is 0, so such a value stays until a
    step moves it; the reference used to saturate it on every update and then halve the layer
    for a clip that C never counted."""
    sp = spec.mlp([6, 5, 3], seed=2, optim=RAIL_PRESETS[name], max_batch=batch)
    sp.layers[0].weights = sp.layers[0].weights.copy()
    sp.layers[0].weights.flat[:5] = -128  # inputs 0..2 stay 0 below: no gradient for these
    sp.layers[2].weights = sp.layers[2].weights.copy()
    sp.layers[2].weights.flat[0] = -128
    sp.layers[2].bias = np.array([-(2**31), 2**31 - 1, 0], np.int32)
    c, r = clib.CModel(sp), RefModel(sp)
    rng = np.random.default_rng(0)
    for step in range(20):
        x = np.zeros((batch, 6), np.int8)
        x[:, 3:] = rng.integers(-50, 50, (batch, 3))
        y = rng.integers(0, 3, batch).astype(np.uint8)
        c.train_step(x, -7, labels=y)
        r.train_step(x, -7, labels=y)
        assert c.stats() == vars(r.stats), step
        for i in (0, 2):
            pc, pr = c.layer_params(i), r.layer_params(i)
            for key in ("w", "w16", "bias", "w_exp"):
                assert (pc[key] is None) == (pr[key] is None)
                assert pc[key] is None or np.array_equal(pc[key], pr[key]), (step, i, key)
    # Never moved by a step: -128, or -128 halved by the layer's rescales.
    p0 = c.layer_params(0)
    assert p0["w"].ravel()[0] == -128 >> (int(p0["w_exp"]) - sp.layers[0].w_exp)
