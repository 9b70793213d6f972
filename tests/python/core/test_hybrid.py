# SPDX-License-Identifier: Apache-2.0
"""The default (hybrid) optimizer: int16 masters in convolutions, int8 weights in dense layers
(upscale_scope), in the C runtime, the reference, the planner and model files.
"""

import errno

import numpy as np
import pytest

from tintin.core import spec
from tintin.core.refmodel import RefModel
from tintin.core.spec import Optim
from tintin.io import modelfile
from tintin.native import clib

pytestmark = pytest.mark.clib

CNN = [
    {"type": "conv2d", "units": 4, "kernel": [3, 3]},
    {"type": "relu"},
    {"type": "maxpool", "kernel": [2, 2]},
    {"type": "conv2d", "units": 5, "kernel": [2, 2]},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 7},
    {"type": "relu"},
    {"type": "dense", "units": 3},
]


def _cnn(optim: Optim, batch: int = 2) -> spec.ModelSpec:
    return spec.build((9, 9, 2), CNN, seed=5, optim=optim, max_batch=batch)


def _steps(sp: spec.ModelSpec, n: int, models: list) -> None:
    rng = np.random.default_rng(11)
    for _ in range(n):
        x = rng.integers(-128, 128, (sp.max_batch, sp.input_size)).astype(np.int8)
        y = rng.integers(0, 3, sp.max_batch)
        for m in models:
            m.train_step(x, -7, labels=y.astype(np.uint8) if isinstance(m, clib.CModel) else y)


def test_default_is_hybrid():
    o = Optim()
    assert (o.upscale_bits, o.upscale_scope) == (spec.BIAS_EXTRA_BITS, spec.UPSCALE_CONV)
    assert Optim.hybrid() == o and spec.PRESETS["default"]() == o


@pytest.mark.parametrize("batch", [1, 2])
def test_masters_only_in_convolutions_and_bit_exact(batch):
    sp = _cnn(Optim(), batch)
    c, r = clib.CModel(sp), RefModel(sp)
    _steps(sp, 30, [c, r])
    for i, layer in enumerate(sp.layers):
        if layer.kind not in spec.WEIGHT_LAYERS:
            continue
        pc, pr = c.layer_params(i), r.layer_params(i)
        has_masters = layer.kind != spec.LAYER_DENSE
        assert (pc["w16"] is not None) == has_masters == (pr["w16"] is not None), i
        for k in ("w", "w16", "bias"):
            assert (pc[k] is None and pr[k] is None) or np.array_equal(pc[k], pr[k]), (i, k)
    assert c.stats() == vars(r.stats)


def test_masters_cost_one_byte_per_conv_weight():
    conv_w = sum(
        sh.rows * sh.row
        for sh, layer in zip(spec.layer_geometry(_cnn(Optim())), CNN, strict=True)
        if layer["type"] == "conv2d"
    )
    lean, hybrid, compact = (clib.plan(_cnn(o)) for o in (Optim.lean(), Optim(), Optim.compact()))
    # Each plane is allocated on its own: at most 3 bytes of alignment per layer.
    assert conv_w <= hybrid - lean <= conv_w + 3 * 2
    assert hybrid < compact


def test_hybrid_trains_a_dense_model_exactly_as_lean():
    # No convolution, no masters: the same integers step by step, only the table differs.
    hy, le = (spec.mlp([12, 8, 3], seed=4, optim=o, max_batch=3) for o in (Optim(), Optim.lean()))
    assert spec.table_hash(hy) != spec.table_hash(le)
    ch, cl = clib.CModel(hy), clib.CModel(le)
    assert clib.plan(hy) == clib.plan(le)
    rng = np.random.default_rng(2)
    for _ in range(40):
        x = rng.integers(-128, 128, (3, 12)).astype(np.int8)
        y = rng.integers(0, 3, 3).astype(np.uint8)
        ch.train_step(x, -7, labels=y)
        cl.train_step(x, -7, labels=y)
    for i in (0, 2):
        a, b = ch.layer_params(i), cl.layer_params(i)
        assert a["w16"] is None and np.array_equal(a["w"], b["w"])
        assert np.array_equal(a["bias"], b["bias"])


@pytest.mark.parametrize(("bits", "scope"), [(8, 2), (0, spec.UPSCALE_CONV), (8, 255)])
def test_c_refuses_a_scope_that_means_nothing(bits, scope):
    o = Optim()
    o.upscale_bits, o.upscale_scope = bits, scope  # past __post_init__, as a raw table could
    with pytest.raises(clib.TintinError) as exc:
        clib.plan(_cnn(o))
    assert exc.value.errno == errno.EINVAL


def _optim_from_yaml(tmp_path, text: str) -> Optim:
    path = tmp_path / "m.yaml"
    path.write_text(
        "name: m\ninput: [1, 1, 4]\nlayers:\n  - {type: dense, units: 2}\n" + text, "utf-8"
    )
    return modelfile.load_spec(path)[1].optim


def test_model_file_scope(tmp_path):
    assert _optim_from_yaml(tmp_path, "optimizer: default\n") == Optim()
    assert _optim_from_yaml(tmp_path, "optimizer: {upscale_scope: all}\n") == Optim.compact()
    lean = _optim_from_yaml(tmp_path, "optimizer: {upscale_bits: 0}\n")
    assert lean == Optim.lean() and lean.upscale_scope == spec.UPSCALE_ALL
    with pytest.raises(modelfile.ModelFileError, match="upscale_scope: conv needs upscale_bits"):
        _optim_from_yaml(tmp_path, "optimizer: {upscale_bits: 0, upscale_scope: conv}\n")
    with pytest.raises(modelfile.ModelFileError, match="upscale_scope"):
        _optim_from_yaml(tmp_path, "optimizer: {upscale_scope: dense}\n")
