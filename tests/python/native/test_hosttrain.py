# SPDX-License-Identifier: Apache-2.0
"""The batch loop in C (tintin_train_order, tintin_forward_order and tintin.native.hosttrain, which
`tintin train --backend c` runs): the same parameters, exponents and counters as stepping batch
by batch through CModel.train_step and as the NumPy reference, on MLPs and a CNN at batch 1 and
8, with a short last batch. Rows of 100 and more inputs also take the vectorised update loops
of a library built for the host CPU (TINTIN_VECTOR_LOOPS) through their whole vector body.
"""

from __future__ import annotations

import ctypes as ct
import dataclasses
import errno
import json

import numpy as np
import pytest
from pairs import assert_same_params

from tintin.core import data, spec
from tintin.core.refmodel import RefModel
from tintin.core.spec import Optim
from tintin.native import cabi, clib, hosttrain

pytestmark = pytest.mark.clib

SAMPLES = 45  # not a multiple of 8: every epoch ends with a short batch
EPOCHS = 2
SEED = 3
CONV_ROWS = [
    {"type": "conv2d", "units": 4, "kernel": [3, 3], "pad": "same"},
    {"type": "relu"},
    {"type": "maxpool", "kernel": [2, 2]},
    {"type": "conv2d", "units": 6, "kernel": [3, 3]},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 10},
]
OPTIMS = {
    "default": Optim(),
    "lean": Optim.lean(),
    "momentum": Optim.momentum(),
    "niti": Optim(spec.RULE_NITI, 0, 1, 2, 0, 0, spec.ROUND_PSEUDO),
}


def make_spec(kind: str, batch: int, optim: Optim) -> spec.ModelSpec:
    if kind == "mlp":
        return spec.mlp([130, 40, 10], seed=7, optim=optim, max_batch=batch)
    return spec.build((12, 12, 1), CONV_ROWS, 7, optim=optim, max_batch=batch)


def sparse_set(sp: spec.ModelSpec, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """int8 inputs over the full range with most values 0 (as image borders), and labels."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, sp.input_size)).astype(np.int8)
    x[rng.random(x.shape) < 0.6] = 0
    return x, rng.integers(0, 10, n).astype(np.uint8)


def assert_same_c(a: clib.CModel, b: clib.CModel, sp: spec.ModelSpec) -> None:
    assert a.stats() == b.stats()
    assert a.act_exps() == b.act_exps()
    for i, layer in enumerate(sp.layers):
        if layer.kind in spec.WEIGHT_LAYERS:
            pa, pb = a.layer_params(i), b.layer_params(i)
            for k, v in pa.items():
                w = pb[k]
                assert (v is None) == (w is None), f"layer {i} {k} presence"
                assert v is None or np.array_equal(v, w), f"layer {i} {k} differs"  # type: ignore[arg-type]


@pytest.mark.parametrize("optim", list(OPTIMS))
@pytest.mark.parametrize(("kind", "batch"), [("mlp", 1), ("mlp", 8), ("conv", 1), ("conv", 8)])
def test_train_order_is_train_step_and_reference(kind: str, batch: int, optim: str) -> None:
    sp = make_spec(kind, batch, OPTIMS[optim])
    x, y = sparse_set(sp, SAMPLES, SEED)
    fast, step, ref = clib.CModel(sp), clib.CModel(sp), RefModel(sp)
    for epoch in range(EPOCHS):
        order = data.epoch_order(SAMPLES, epoch, SEED)
        assert fast.train_order(x, -7, order, labels=y) == -(-SAMPLES // batch)
        for idx in data.batches(SAMPLES, batch, epoch, SEED):
            step.train_step(x[idx], -7, labels=y[idx])
            ref.train_step(x[idx], -7, labels=y[idx])
        assert_same_c(fast, step, sp)
        assert_same_params(fast, ref, f"epoch {epoch}")
        stats = dataclasses.asdict(ref.stats)
        assert {k: stats[k] for k in fast.stats()} == fast.stats()
    assert fast.stats()["steps"] == EPOCHS * -(-SAMPLES // batch)


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_hosttrain_epoch_and_outputs(kind: str) -> None:
    """tintin.native.hosttrain as tintin train calls it: the training rows and the held-out
    rows index one set; chunked C calls with progress between them; held-out outputs in one
    call."""
    sp = make_spec(kind, 8, Optim())
    x, y = sparse_set(sp, 700, SEED)
    held = np.arange(3, 700, 7)
    train_rows = np.setdiff1d(np.arange(700), held)  # 600 rows: several chunks of steps
    test_rows = held[:21]  # two full passes of 8 and a short one
    fast, step, ref = clib.CModel(sp), clib.CModel(sp), RefModel(sp)
    order = train_rows[data.epoch_order(len(train_rows), 0, SEED)]
    steps = -(-len(order) // 8)
    seen: list[int] = []
    ref_seen: list[int] = []
    assert hosttrain.train_epoch(fast, x, -7, y, order, 8, seen.append) == steps
    assert hosttrain.train_epoch(ref, x, -7, y, order, 8, ref_seen.append) == steps
    chunk = hosttrain.CHUNK_STEPS * 8
    assert seen == ref_seen == [chunk] * (len(order) // chunk) + [len(order) % chunk]
    out_c, e_c = hosttrain.outputs(fast, x, -7, 8, test_rows)
    out_r, e_r = hosttrain.outputs(ref, x, -7, 8, test_rows)
    for k in range(0, len(order), 8):
        step.train_step(x[order[k : k + 8]], -7, labels=y[order[k : k + 8]])
    for k in range(0, len(test_rows), 8):
        o, oe = step.forward(x[test_rows[k : k + 8]], -7)
        assert np.array_equal(out_c[k : k + 8], o) and set(e_c[k : k + 8]) == {oe}
    assert np.array_equal(out_c, out_r) and np.array_equal(e_c, e_r)
    assert_same_c(fast, step, sp)  # the held-out passes' act_sat included
    assert_same_params(fast, ref, "after the epoch")
    stats = dataclasses.asdict(ref.stats)
    assert {k: stats[k] for k in fast.stats()} == fast.stats()
    whole, _ = hosttrain.outputs(fast, x[test_rows], -7, 8)  # no rows: the first n in turn
    assert np.array_equal(whole, out_c)


def test_train_order_refuses_bad_arguments() -> None:
    sp = make_spec("mlp", 8, Optim())
    x, y = sparse_set(sp, 16, SEED)
    m = clib.CModel(sp)
    with pytest.raises(ValueError, match="order"):
        m.train_order(x, -7, np.array([0, 16]), labels=y)
    with pytest.raises(ValueError, match="batch"):
        m.train_order(x, -7, np.arange(16), batch=9, labels=y)
    with pytest.raises(ValueError, match="labels"):
        m.train_order(x, -7, np.arange(16), labels=y[:15])
    with pytest.raises(ValueError, match="x: samples of"):
        m.train_order(x[:, :-1], -7, np.arange(16), labels=y)
    with pytest.raises(clib.TintinError) as exc:  # a label past the classes: step 2 refuses
        m.train_order(x, -7, np.arange(16), labels=np.where(np.arange(16) == 12, 10, y))
    assert exc.value.errno == errno.EINVAL
    assert m.stats()["steps"] == 1  # the first batch trained, the failing one did not
    # What Python checks, C checks again (other bindings call it directly).
    lib = clib.lib()
    xs = np.ascontiguousarray(x)
    ts = clib.TrainSet(clib.ptr(xs, clib.P8), clib.ptr(y, clib.PU8), None, 16, -7, 0)
    work = np.zeros(lib.tintin_train_order_work(m._m), np.uint8)
    steps = ct.c_uint32(99)

    def call(order: np.ndarray, batch: int, size: int) -> int:
        o = np.ascontiguousarray(order, np.uint32)
        return lib.tintin_train_order(m._m, ct.byref(ts), clib.ptr(o, clib.PU32), len(o),
                                      batch, work.ctypes.data, size, ct.byref(steps))  # fmt: skip

    assert call(np.array([3, 16]), 8, work.size) == -errno.EINVAL
    assert call(np.arange(16), 0, work.size) == -errno.EINVAL
    assert call(np.arange(16), 9, work.size) == -errno.EINVAL
    assert call(np.arange(16), 8, work.size - 1) == -errno.EINVAL
    assert steps.value == 0 and m.stats()["steps"] == 1
    assert call(np.arange(16), 4, work.size) == 0 and steps.value == 4
    with pytest.raises(ValueError, match="order"):
        m.forward_order(x, -7, np.array([[0, 1]]))
    out, exps = np.zeros((17, 10), np.int8), np.zeros(3, np.int8)
    for order, n, size in ((None, 17, 0), (np.array([0, 16], np.uint32), 2, work.size),
                           (np.arange(2, dtype=np.uint32), 2, work.size - 1)):  # fmt: skip
        ret = lib.tintin_forward_order(m._m, ct.byref(ts), clib.ptr(order, clib.PU32), n,
                                       work.ctypes.data, size, clib.ptr(out, clib.P8),
                                       clib.ptr(exps, clib.P8))  # fmt: skip
        assert ret == -errno.EINVAL


def test_update_rows_leave_unmoved_weights_alone() -> None:
    """A zero gradient moves nothing, a table weight of -128 included (no clip counted), in
    the branching loops and in the vectorised ones alike."""
    n = 200
    w = np.full(n, -128, np.int8)
    w[1::2] = 127
    g = np.zeros(n, np.int32)
    g[4] = 1 << 20  # moves -128 by 8 (the update limit) to -136: saturates to -127, counted
    g[5] = 1 << 20  # moves 127 to 119
    cfg = clib.OptimCfg(spec.RULE_ALIGNED, 4, 1, 0, 0, 0, spec.ROUND_STOCHASTIC, 0)
    par = cabi.Param(w.ctypes.data, None, None, 0, -7)  # int8 weights at exponent -7
    r, sat = cabi.Prng(), ct.c_uint32(0)
    clib.lib().tintin_prng_seed(ct.byref(r), 5)
    clib.lib().tintin_sgd_aligned_row(ct.byref(cfg), ct.byref(par), 0, clib.ptr(g, clib.P32), n,
                                      -7, ct.byref(r), ct.byref(sat))  # fmt: skip
    want = np.where(np.arange(n) % 2 == 1, 127, -128)
    want[4], want[5] = -127, 119
    assert np.array_equal(w, want)
    assert sat.value == 1


def test_trainspeed_prints_both_networks(tmp_path, monkeypatch, capsys) -> None:
    """`tintin trainspeed` runs end to end (on a few random images; no speed is asserted)."""
    from tintin import cli
    from tintin.bench import trainspeed

    rng = np.random.default_rng(0)
    split = data.Split(rng.random((40, 784)).astype(np.float32), rng.integers(0, 10, 40).astype(
        np.uint8), np.zeros((0, 784), np.float32), np.zeros(0, np.uint8), "random", 10)  # fmt: skip
    monkeypatch.setattr(trainspeed, "load_mnist", lambda: split)
    monkeypatch.setattr(trainspeed, "SETTLE_S", 0.0)
    out = tmp_path / "speed.json"
    argv = ["trainspeed", "--repeats", "2", "--mlp-samples", "24", "--lenet-samples", "8"]
    assert cli.main([*argv, "--json", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("tintin trainspeed: random, batch 8, median of 2 passes")
    assert [ln.split()[0] for ln in lines[2:]] == ["784-128-10", "LeNet-5"]
    doc = json.loads(out.read_text())
    assert doc["vector_loops"] == bool(clib.lib().tintin_host_vector_loops())
    for r, n in zip(doc["results"], (24, 8), strict=True):
        assert r["samples"] == n and all(len(v) == 2 for v in r["runs"].values())
        assert r["ratio"] == pytest.approx(r["c_loop"] / r["float32"])
