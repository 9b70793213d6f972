# SPDX-License-Identifier: Apache-2.0
"""The dense-only library (libtintin_dense, built beside libtintin.so by lib/tintin/CMakeLists.txt
with the switches `tintin codesize` calls dense-only): a model that uses what it left out is
refused with -ENOTSUP and a log line naming it, whether it comes as a table or as a blob; dense
models train on it bit-exact with the NumPy reference, as on the full library."""

import errno

import numpy as np
import pytest
from pairs import run_pair

from tintin.core import spec
from tintin.io import blob
from tintin.native import clib

pytestmark = pytest.mark.clib

NITI = spec.Optim(spec.RULE_NITI, 0, 1, 2, 0, 0, spec.ROUND_PSEUDO)
CONV = [{"type": "conv1d", "units": 2, "kernel": [3]}, {"type": "relu"}, {"type": "flatten"},
        {"type": "dense", "units": 3}]  # fmt: skip


def _pool(kind: str) -> list[dict]:
    return [{"type": kind, "kernel": [2]}, {"type": "flatten"}, {"type": "dense", "units": 3}]


# What each dense-only switch leaves out, and the words of the line that refuses it.
REFUSED = {
    "conv1d": (lambda: spec.build((1, 8, 1), CONV, 1, optim=spec.Optim.lean()), "convolutions"),
    "maxpool": (lambda: spec.build((1, 8, 2), _pool("maxpool"), 1), "pooling"),
    "avgpool": (lambda: spec.build((1, 8, 2), _pool("avgpool"), 1), "pooling"),
    "mse": (lambda: spec.mlp([6, 5, 3], 1, loss=spec.LOSS_MSE), "loss 1 is disabled"),
    "niti": (lambda: spec.mlp([6, 5, 3], 1, optim=NITI), "NITI rule is disabled"),
    "momentum": (
        lambda: spec.mlp([6, 5, 3], 1, optim=spec.Optim(momentum_shift=3)),
        "momentum is disabled",
    ),
    "compact": (lambda: spec.mlp([6, 5, 3], 1, optim=spec.Optim.compact()), "master weights"),
}


@pytest.fixture
def dense_lib(monkeypatch):
    """The binding on libtintin_dense for the test; the full library again after it."""
    path = clib.library_path().with_name("libtintin_dense.so")
    assert path.exists(), f"{path} missing: rebuild (cmake --build build/host)"
    monkeypatch.setenv("TINTIN_LIB", str(path))
    monkeypatch.setattr(clib, "_lib", None)
    return clib.lib()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_left_out_features_are_refused_with_a_log_line(dense_lib, name):
    make, words = REFUSED[name]
    sp = make()
    for mode in (spec.MODE_TRAIN, spec.MODE_INFER):
        with pytest.raises(clib.TintinError) as exc, clib.c_log():
            clib.CModel(sp, mode=mode)
        assert exc.value.errno == errno.ENOTSUP, exc.value
        assert words in exc.value.log
    # A blob is refused when it is parsed: its parameter counts need the table checked.
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        clib.CModel(sp, blob=blob.pack(sp))
    assert exc.value.errno == errno.ENOTSUP and words in exc.value.log


def test_the_full_library_takes_them():
    for make, _ in REFUSED.values():
        clib.CModel(make())


@pytest.mark.parametrize(
    "optim, batch, train",
    [("default", 4, "full"), ("default", 1, "full"), ("lean", 3, "bias_only"),
     ("lean", 1, "frozen")],
)  # fmt: skip
def test_dense_models_train_as_the_reference(dense_lib, optim, batch, train):
    rows = [
        {"type": "dense", "units": 7, "train": train},
        {"type": "relu"},
        {"type": "dense", "units": 5},
        {"type": "relu"},
        {"type": "dense", "units": 3},
    ]
    sp = spec.build((1, 1, 11), rows, 3, optim=spec.PRESETS[optim](), max_batch=batch)
    c, _ = run_pair(sp, 12, seed=batch)
    assert c.stats()["steps"] == 12
    # As a blob too, with a larger input scale (rescaling and back-off move the grid).
    run_pair(sp, 6, seed=7, x_exp=0, blob=blob.pack(sp))


@pytest.mark.parametrize("batch", [1, 4])
def test_dense_grid_moves_as_the_reference(dense_lib, batch):
    # Weights at a quarter of the grid fit doubled: every 16 steps the layers double.
    sp = spec.mlp([11, 7, 5, 3], 3, max_batch=batch)
    for layer in sp.layers:
        if layer.weights is not None:
            layer.weights = (layer.weights // 4).astype(np.int8)
    c, _ = run_pair(sp, 40, seed=batch, x_exp=-3)
    assert c.stats()["rescales"] > 0
    # At rate 1 the updates clip the weights: the layer halves.
    sp = spec.mlp([11, 7, 5, 3], 3, optim=spec.Optim(lr_shift=0), max_batch=4)
    c, _ = run_pair(sp, 40, seed=4, x_exp=-4)
    assert c.stats()["param_sat"] > 0 and c.stats()["rescales"] > 0


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_layout_needing_what_the_build_left_out_is_refused(monkeypatch, name):
    # Computed by the full library, applied by the dense-only one: init_layout does not
    # validate the table, so the layout's needs are what stops it.
    sp = REFUSED[name][0]()
    lay = clib.CModel(sp).layout()
    path = clib.library_path().with_name("libtintin_dense.so")
    monkeypatch.setenv("TINTIN_LIB", str(path))
    monkeypatch.setattr(clib, "_lib", None)
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        clib.CModel(sp, layout=lay)
    assert exc.value.errno == errno.ENOTSUP and "this build leaves out" in exc.value.log


def test_a_dense_layout_trains_on_the_dense_library(monkeypatch):
    sp = spec.mlp([11, 7, 5, 3], 3, max_batch=4)
    for layer in sp.layers:  # a quarter of the grid: the layers double as they train
        if layer.weights is not None:
            layer.weights = (layer.weights // 4).astype(np.int8)
    lay = clib.CModel(sp).layout()
    path = clib.library_path().with_name("libtintin_dense.so")
    monkeypatch.setenv("TINTIN_LIB", str(path))
    monkeypatch.setattr(clib, "_lib", None)
    a, b = clib.CModel(sp), clib.CModel(sp, layout=lay)
    x = np.random.default_rng(0).integers(-128, 128, (4, 11)).astype(np.int8)
    y = np.array([0, 1, 2, 1], np.uint8)
    for _ in range(40):
        a.train_step(x, -3, labels=y)
        b.train_step(x, -3, labels=y)
    assert a.stats() == b.stats() and a.stats()["rescales"] > 0
    assert all(np.array_equal(a.layer_params(i)["w"], b.layer_params(i)["w"]) for i in (0, 2, 4))
