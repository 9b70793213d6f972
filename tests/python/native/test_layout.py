# SPDX-License-Identifier: Apache-2.0
"""Layouts computed ahead of time: tintin_model_init_layout with the layout that
tintin_model_layout_of reads from an initialised model gives the model tintin_model_init gives
(the same buffers at the same offsets, the same integers through training), and refuses a
layout that is not its table's, does not fit its arena or needs what the build leaves out."""

from __future__ import annotations

import ctypes as ct

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from randmodels import models

from tintin.core import spec
from tintin.native import cabi, clib
from tintin.tasks import digits

pytestmark = pytest.mark.clib


def same_layout(a: clib.CLayout, b: clib.CLayout) -> bool:
    """Field by field: the layouts' own layers pointers differ."""
    fields = [name for name, _ in cabi.ModelLayout._fields_ if name != "layers"]
    head = all(
        np.array_equal(np.asarray(getattr(a.lay, f)), np.asarray(getattr(b.lay, f))) for f in fields
    )
    n = a.lay.n_layers
    return head and all(bytes(a.layers[i]) == bytes(b.layers[i]) for i in range(n))


def batch_for(sp: spec.ModelSpec, rng: np.random.Generator, n: int) -> dict[str, object]:
    x = rng.integers(-128, 128, (n, sp.input_size)).astype(np.int8)
    outputs = spec.layer_shapes(sp)[-1][1]
    if sp.loss == spec.LOSS_MSE:
        return {"x": x, "targets": rng.integers(-100, 100, (n, outputs)).astype(np.int8)}
    return {"x": x, "labels": rng.integers(0, outputs, n).astype(np.uint8)}


def assert_same_model(a: clib.CModel, b: clib.CModel, sp: spec.ModelSpec, where: str) -> None:
    for i, layer in enumerate(sp.layers):
        if layer.kind in spec.WEIGHT_LAYERS:
            pa, pb = a.layer_params(i), b.layer_params(i)
            for k, v in pa.items():
                assert np.array_equal(np.asarray(v), np.asarray(pb[k])), f"{where}: {i} {k}"
    assert a.stats() == b.stats(), where
    assert a.act_exps() == b.act_exps(), where


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    sp=models(),
    mode=st.sampled_from([spec.MODE_TRAIN, spec.MODE_INFER]),
    dsp=st.booleans(),
    seed=st.integers(0, 999),
)
def test_a_layout_gives_the_model_init_gives(sp, mode, dsp, seed):
    assume(sp is not None)
    check_same_model(sp, mode, dsp, seed)


@pytest.mark.parametrize("mode", [spec.MODE_TRAIN, spec.MODE_INFER])
def test_lenet_layout_gives_the_model_init_gives(mode):
    # LeNet-5's ReLUs below max-pools keep no mask (gated): the random models rarely are.
    sp = digits.lenet_spec(spec.Optim(), 2, 1)
    lay = check_same_model(sp, mode, False, 0)
    assert mode == spec.MODE_INFER or any(lay.layers[i].gated for i in range(len(sp.layers)))


def check_same_model(sp: spec.ModelSpec, mode: int, dsp: bool, seed: int) -> clib.CLayout:
    # Different paints: a buffer that init_layout left unset or misplaced shows as a difference.
    a = clib.CModel(sp, mode=mode, dsp=dsp, paint=0xA5)
    lay = a.layout()
    assert lay.lay.magic == cabi.LAYOUT_MAGIC and lay.lay.bytes == a.planned
    b = clib.CModel(sp, mode=mode, layout=lay, paint=0x5A)
    assert same_layout(lay, b.layout()), "init_layout's model has another layout"
    assert b.arena_used() == a.arena_used() == a.planned
    rng = np.random.default_rng(seed)
    for step in range(4):
        n = sp.max_batch if step == 0 else int(rng.integers(1, sp.max_batch + 1))
        data = batch_for(sp, rng, n)
        x = data.pop("x")
        if mode == spec.MODE_TRAIN:
            assert a.train_step(x, -7, **data) == b.train_step(x, -7, **data)
        ya, ea = a.forward(x, -7)
        yb, eb = b.forward(x, -7)
        assert ea == eb and np.array_equal(ya, yb), f"outputs differ at step {step}"
    assert_same_model(a, b, sp, "after 4 steps")
    for m in (a, b):
        assert np.all(m.arena_bytes[m.arena_size :] == m.paint), "write past the arena"
    return lay


def digits_model() -> tuple[spec.ModelSpec, clib.CLayout]:
    sp = digits.digits_spec(spec.Optim(), 2, 1)
    return sp, clib.CModel(sp).layout()


def refused(sp: spec.ModelSpec, lay: clib.CLayout, arena: int | None = None) -> int:
    with pytest.raises(clib.TintinError) as exc:
        clib.CModel(sp, layout=lay, arena=arena)
    return exc.value.ret


def test_a_layout_of_another_table_is_refused():
    lay = digits_model()[1]
    other = digits.digits_spec(spec.Optim(), 2, 2)  # another seed: other weights, other hash
    assert refused(other, lay) == -22


@pytest.mark.parametrize(
    "field, value",
    [("magic", 0x12345678), ("n_layers", 2), ("mode", 2), ("desc_hash", 1)],
)
def test_a_corrupt_layout_is_refused(field, value):
    sp, lay = digits_model()
    setattr(lay.lay, field, value)
    assert refused(sp, lay) == -22


@pytest.mark.parametrize("where", ["ACC", "ERR1", "W_RAM", "ACT"])
def test_an_offset_past_the_layout_is_refused(where):
    sp, lay = digits_model()
    past = lay.lay.bytes + 1
    if where in cabi.LAYOUT_MODEL_BUFS:
        lay.lay.buf[cabi.LAYOUT_MODEL_BUFS.index(where)] = past
    else:
        lay.layers[2].buf[cabi.LAYOUT_LAYER_BUFS.index(where)] = past
    assert refused(sp, lay) == -22


def test_a_small_arena_is_refused():
    sp, lay = digits_model()
    assert refused(sp, lay, arena=lay.lay.bytes - 1) == -12


def test_a_layout_needing_what_the_build_leaves_out_is_refused():
    # The host build has every switch on: a need bit past the known ones stands for a
    # feature this build lacks.
    sp, lay = digits_model()
    lay.lay.needs |= 1 << 20
    assert refused(sp, lay) == -95


def test_layout_of_needs_a_model_and_a_hash():
    sp = digits.digits_spec(spec.Optim(), 2, 1)
    m = clib.CModel(sp)
    out = clib.CLayout(len(sp.layers))
    with clib.c_log():
        assert clib.lib().tintin_model_layout_of(m._m, None, out.layers) == -22
        empty = ct.create_string_buffer(clib.lib().tintin_model_struct_size())
        assert clib.lib().tintin_model_layout_of(empty, ct.byref(out.lay), out.layers) == -22


def test_needs_name_the_tables_features():
    lenet = clib.CModel(digits.lenet_spec(spec.Optim(), 1, 1)).layout()
    mlp = digits_model()[1]
    dense, conv, pool, relu, xent = (1 << k for k in range(5))
    assert lenet.lay.needs & 0xFF == dense | conv | pool | relu | xent
    assert mlp.lay.needs == dense | relu | xent  # default optimizer: no masters in dense
