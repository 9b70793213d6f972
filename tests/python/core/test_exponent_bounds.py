# SPDX-License-Identifier: Apache-2.0
"""Exponents that cannot run away (docs/numerics.md, "Weight range").

Inputs at exponent 0 and -3 (raw int8 codes, what `tintin gen data --scale int8` writes) and a
pure-noise label stream drive every preset for 10^5 steps: train_step never fails, every weight
exponent stays within TINTIN_W_EXP_SPAN of its table's, and the C runtime equals the reference
throughout. Afterwards the same model learns a learnable stream again, and a checkpoint that
carries an exponent training cannot produce is refused.
"""

import errno
import zlib

import numpy as np
import pytest

from tintin.core import spec
from tintin.core.refmodel import ExponentRangeError, RefModel
from tintin.native import clib

pytestmark = pytest.mark.clib

PRESETS = {"default": spec.Optim(), "lean": spec.Optim.lean(), "compact": spec.Optim.compact(),
           "momentum": spec.Optim.momentum()}  # fmt: skip
SIZES = [16, 16, 4]
# The default keeps int16 masters in convolutions only: a conv1d model over the same 16 inputs
# puts both kinds of layer under the same streams.
CONV = [{"type": "conv1d", "units": 4, "kernel": [3], "pad": "same"}, {"type": "relu"},
        {"type": "flatten"}, {"type": "dense", "units": SIZES[-1]}]  # fmt: skip
MODELS = [*PRESETS, "default-conv1d"]
PARAM_KEYS = ("w", "w16", "bias", "w_mom", "b_mom", "w_exp")
CKPT_PAYLOAD = 64  # TINTIN_CKPT_PAYLOAD_OFFSET


def _model(name: str, seed: int, batch: int) -> spec.ModelSpec:
    if name == "default-conv1d":
        return spec.build((1, SIZES[0], 1), CONV, seed, optim=spec.Optim(), max_batch=batch)
    return spec.mlp(SIZES, seed=seed, optim=PRESETS[name], max_batch=batch)


def _weight_layers(sp: spec.ModelSpec) -> list[int]:
    return [i for i, layer in enumerate(sp.layers) if layer.kind in spec.WEIGHT_LAYERS]


def _same(c: clib.CModel, r: RefModel, step: int) -> None:
    assert c.stats() == vars(r.stats), f"step {step}: counters differ"
    for i in _weight_layers(c.spec):
        pc, pr = c.layer_params(i), r.layer_params(i)
        for k in PARAM_KEYS:
            assert (pc[k] is None) == (pr[k] is None), f"step {step}: layer {i} {k}"
            if pc[k] is not None:
                assert np.array_equal(pc[k], pr[k]), f"step {step}: layer {i} {k} differs"


def _in_window(c: clib.CModel, step: int) -> None:
    for i in _weight_layers(c.spec):
        table = c.spec.layers[i].w_exp
        assert abs(int(c.layer_params(i)["w_exp"]) - table) <= spec.W_EXP_SPAN, f"step {step}"
    assert all(abs(e) <= spec.EXP_LIMIT for e in c.act_exps()), f"step {step}"


def _learnable(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """int8 inputs whose class is the largest of four fixed projections."""
    proj = np.random.default_rng(7).standard_normal((SIZES[0], SIZES[-1]))
    x = rng.integers(-100, 101, (n, SIZES[0])).astype(np.int8)
    return x, np.argmax(x.astype(np.float64) @ proj, axis=1).astype(np.uint8)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_noise_stream_at_raw_exponents_stays_bounded_and_bit_exact(name):
    sp = _model(name, 5, 1)
    c, r = clib.CModel(sp), RefModel(sp)
    rng = np.random.default_rng(11)
    steps = 100_000
    x = rng.integers(-127, 128, (steps, 1, SIZES[0])).astype(np.int8)
    y = rng.integers(0, SIZES[-1], (steps, 1)).astype(np.uint8)
    for k in range(steps):
        e = 0 if k < steps // 2 else -3  # raw codes, then codes in eighths
        c.train_step(x[k], e, labels=y[k])  # raises on any negative errno
        r.train_step(x[k], e, labels=y[k])
        if k % 1000 == 999:
            _same(c, r, k)
            _in_window(c, k)
    assert c.stats()["steps"] == steps
    assert c.stats()["update_clips"] > 0  # the raw codes did drive the rate back
    # It learns again once the labels mean something, at the inputs' scale. The momentum
    # preset is held to bounds only: its velocity adds up to 2^m clamped steps. So is the
    # conv1d model: the noise leaves its four ReLU channels dead (weights near 0, biases
    # negative), a state no gradient leaves; float32 on this stream overflows to NaN.
    xs, ys = _learnable(rng, 6000)
    xt, yt = _learnable(np.random.default_rng(99), 1000)
    for k in range(len(xs)):
        c.train_step(xs[k : k + 1], -3, labels=ys[k : k + 1])
    _in_window(c, steps + len(xs))
    if name not in ("momentum", "default-conv1d"):
        assert c.evaluate(xt, -3, yt) / len(yt) > 0.6


def _rewrite_payload_byte(path, slot_size: int, offset: int, value: int) -> None:
    """Set one byte of slot 0's payload and make both of its CRCs valid again."""
    blob = bytearray(path.read_bytes())
    payload_bytes = int.from_bytes(blob[16:20], "little")
    blob[CKPT_PAYLOAD + offset] = value & 0xFF
    payload = bytes(blob[CKPT_PAYLOAD : CKPT_PAYLOAD + payload_bytes])
    blob[20:24] = zlib.crc32(payload).to_bytes(4, "little")
    blob[28:32] = zlib.crc32(bytes(blob[:28])).to_bytes(4, "little")
    blob[slot_size:] = b"\xff" * (len(blob) - slot_size)  # slot 1 erased
    path.write_bytes(bytes(blob))


def test_checkpoint_with_an_exponent_outside_the_window_is_refused(tmp_path):
    sp = spec.mlp(SIZES, seed=5, optim=spec.Optim(), max_batch=1)
    m = clib.CModel(sp)
    slot = -(-m.checkpoint_bytes() // 256) * 256
    path = tmp_path / "m.ckpt"
    m.save_checkpoint(path, slot)
    # Payload: layer 0's int8 weights, int32 bias, then its w_exp byte.
    off = SIZES[0] * SIZES[1] + 4 * SIZES[1]
    table = sp.layers[0].w_exp
    assert int.from_bytes(path.read_bytes()[CKPT_PAYLOAD + off :][:1], "little", signed=True) \
        == table  # fmt: skip
    for bad, ok in ((table + spec.W_EXP_SPAN + 1, False), (table - spec.W_EXP_SPAN, True)):
        _rewrite_payload_byte(path, slot, off, bad)
        fresh = clib.CModel(sp)
        if ok:
            fresh.restore_checkpoint(path, slot)
            assert fresh.layer_params(0)["w_exp"] == bad
            continue
        with pytest.raises(clib.TintinError) as exc:
            fresh.restore_checkpoint(path, slot)
        assert exc.value.errno == errno.ERANGE


def test_reference_refuses_the_exponents_the_runtime_refuses():
    """A table at the edge of the exponent range: both stop with the same verdict."""
    sp = spec.mlp(SIZES, seed=5, optim=spec.Optim(), max_batch=1)
    sp.layers[0].w_exp = spec.EXP_LIMIT  # valid in a table, but x * w then overflows
    x = np.full((1, SIZES[0]), 100, np.int8)
    with pytest.raises(clib.TintinError) as exc:
        clib.CModel(sp).train_step(x, 0, labels=np.zeros(1, np.uint8))
    assert exc.value.errno == errno.ERANGE
    with pytest.raises(ExponentRangeError, match="activation exponent"):
        RefModel(sp).train_step(x, 0, labels=np.zeros(1, np.uint8))


def _noise(rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.integers(-127, 128, (batch, SIZES[0])).astype(np.int8)
    return x, rng.integers(0, SIZES[-1], batch).astype(np.uint8)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("batch", [1, 8])
def test_every_input_exponent_stays_bounded(name, batch):
    """Raw codes at every exponent from 0 down to -15, noise labels: the runtime never fails
    and its exponents stay in range (1,500 steps per exponent), and the reference follows it
    bit for bit through the same sweep at 40 steps per exponent."""
    sp = _model(name, 3, batch)
    rng = np.random.default_rng(batch)
    c = clib.CModel(sp)
    for e in range(0, -16, -1):
        for _ in range(1500):
            x, y = _noise(rng, batch)
            c.train_step(x, e, labels=y)
        _in_window(c, e)
    c, r = clib.CModel(sp), RefModel(sp)
    for e in range(0, -16, -1):
        for _ in range(40):
            x, y = _noise(rng, batch)
            c.train_step(x, e, labels=y)
            r.train_step(x, e, labels=y)
        _same(c, r, e)
