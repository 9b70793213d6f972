# SPDX-License-Identifier: Apache-2.0
"""Fleet messages: tintin_fleet_export writes the bytes tintin.io.fleetmsg.pack writes for the
reference model trained alike; tintin_fleet_apply loads a message whole; every truncation,
every flipped byte and every well-formed message of another model is refused, by C and by the
reference, and a refused message leaves the model as it was."""

from __future__ import annotations

import errno
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pairs import run_pair

from tintin.core import spec
from tintin.core.refmodel import RefModel
from tintin.io import fleetavg, fleetmsg
from tintin.native import clib

pytestmark = pytest.mark.clib

ROWS = [
    {"type": "dense", "units": 7, "train": "bias_only"},
    {"type": "relu"},
    {"type": "dense", "units": 5},
    {"type": "relu"},
    {"type": "dense", "units": 3},
]


def model(seed: int = 3, optim: str = "default", batch: int = 2) -> spec.ModelSpec:
    return spec.build((1, 1, 6), ROWS, seed, optim=spec.PRESETS[optim](), max_batch=batch)


def env_like() -> spec.ModelSpec:
    """The env sample's network: 4 inputs, 16 ReLU units, 2 classes, both layers trained."""
    return spec.mlp([4, 16, 2], 1, max_batch=1)


def params(c: clib.CModel, sp: spec.ModelSpec) -> dict[int, fleetmsg.LayerParams]:
    out = {}
    for i, (what, _, _) in fleetmsg.carried(sp).items():
        p = c.layer_params(i)
        w = np.asarray(p["w"], np.int8) if what & fleetmsg.WEIGHTS else None
        out[i] = fleetmsg.LayerParams(int(p["w_exp"]), w, np.asarray(p["bias"], np.int32))  # type: ignore[arg-type]
    return out


def same(a: dict[int, fleetmsg.LayerParams], b: dict[int, fleetmsg.LayerParams]) -> bool:
    return a.keys() == b.keys() and all(
        a[i].w_exp == b[i].w_exp
        and (a[i].w is None) == (b[i].w is None)
        and (a[i].w is None or np.array_equal(a[i].w, b[i].w))
        and np.array_equal(a[i].bias, b[i].bias)
        for i in a
    )


@pytest.mark.parametrize("optim", ["default", "compact", "momentum"])
def test_export_writes_the_reference_message(optim):
    sp = model(optim=optim)
    c, r = run_pair(sp, 10, seed=1, x_exp=-3)
    ref = fleetmsg.params_of(r)
    msg = c.fleet_export(fleetmsg.UPDATE, 7, 1234)
    assert msg == fleetmsg.pack(sp, fleetmsg.Message(fleetmsg.UPDATE, 7, 1234, ref))
    assert len(msg) == fleetmsg.size(sp)
    back = fleetmsg.unpack(sp, msg)
    assert (back.kind, back.round, back.samples) == (fleetmsg.UPDATE, 7, 1234)
    assert same(back.layers, ref)


def test_apply_loads_the_whole_message():
    sp = model()
    a, _ = run_pair(sp, 10, seed=2, x_exp=-3)
    b = clib.CModel(sp)
    info = b.fleet_apply(a.fleet_export(fleetmsg.GLOBAL, 3, 99))
    assert (info.round, info.samples, info.kind) == (3, 99, fleetmsg.GLOBAL)
    assert same(params(a, sp), params(b, sp))
    x = np.random.default_rng(0).integers(-128, 128, (2, 6)).astype(np.int8)
    assert np.array_equal(a.forward(x, -3)[0], b.forward(x, -3)[0])


def test_the_env_sample_model_fits_one_frame():
    assert fleetmsg.size(env_like()) <= fleetmsg.FRAME
    c = clib.CModel(env_like())
    assert len(c.fleet_export(fleetmsg.UPDATE, 0, 1)) == fleetmsg.size(env_like())


def refused(c: clib.CModel, sp: spec.ModelSpec, msg: bytes) -> int:
    """The errno of C's refusal; the reference must refuse too and the model stay as it was."""
    before = params(c, sp)
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        c.fleet_apply(msg)
    assert exc.value.log, "a refusal logs why"
    with pytest.raises(fleetmsg.FleetError):
        fleetmsg.unpack(sp, msg)
    assert same(before, params(c, sp)), "a refused message changed the model"
    return exc.value.errno


def test_every_truncation_and_flipped_byte_is_refused():
    sp = env_like()
    a, _ = run_pair(sp, 6, seed=5, x_exp=-3)
    msg = a.fleet_export(fleetmsg.UPDATE, 1, 10)
    b = clib.CModel(sp)
    for n in range(len(msg)):
        assert refused(b, sp, msg[:n]) == errno.EINVAL
    assert refused(b, sp, msg + b"\0") == errno.EINVAL
    for k in range(len(msg)):
        for bit in (0x01, 0x80, 0xFF):
            bad = bytearray(msg)
            bad[k] ^= bit
            assert refused(b, sp, bytes(bad)) == errno.EINVAL


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 3), st.integers(-20, 20), st.integers(0, 2**32 - 1))
def test_well_formed_messages_of_another_model_are_refused(what, delta, seed):
    """CRC-valid messages: another table, an exponent outside the window, another layer."""
    sp = model()
    c = clib.CModel(sp)
    msg = fleetmsg.unpack(sp, c.fleet_export(fleetmsg.UPDATE, 0, 1))
    rng = np.random.default_rng(seed)
    if what == 0:  # the same network with other initial weights: another table hash
        other = model(seed=int(rng.integers(4, 10**6)))
        assert refused(c, sp, fleetmsg.pack(other, msg)) == errno.EINVAL
        return
    if what == 1:  # an exponent outside the layer's window
        i = int(rng.choice(list(msg.layers)))
        delta = delta if abs(delta) > spec.W_EXP_SPAN else spec.W_EXP_SPAN + 1
        msg.layers[i].w_exp = sp.layers[i].w_exp + delta
        assert refused(c, sp, fleetmsg.pack(sp, msg)) == errno.ERANGE
        return
    # Parts relabelled: the layer indices in the message no longer match the model's.
    data = bytearray(fleetmsg.pack(sp, msg))
    data[fleetmsg.HEAD.size] ^= 1 << (what - 2)
    data[-4:] = struct.pack("<I", zlib.crc32(bytes(data[:-4])))
    assert refused(c, sp, bytes(data)) == errno.EINVAL


def test_export_refusals():
    sp = model()
    c = clib.CModel(sp)
    with pytest.raises(clib.TintinError) as exc, clib.c_log():
        c.fleet_export(2, 0, 0)  # no such kind
    assert exc.value.errno == errno.EINVAL
    infer = clib.CModel(sp, mode=spec.MODE_INFER)
    assert clib.lib().tintin_fleet_bytes(infer._m) == 0
    with pytest.raises(clib.TintinError), clib.c_log():
        infer.fleet_export(fleetmsg.UPDATE, 0, 0)


def trained_messages(sp: spec.ModelSpec, k: int, seed: int) -> list[bytes]:
    """k nodes' update messages: copies of sp trained on their own batches."""
    rng = np.random.default_rng(seed)
    msgs = []
    for q in range(k):
        c = clib.CModel(sp)
        for _ in range(int(rng.integers(1, 8))):
            x = rng.integers(-128, 128, (2, 6)).astype(np.int8)
            y = rng.integers(0, 3, 2).astype(np.uint8)
            c.train_step(x, int(rng.integers(-7, -2)), labels=y)
        samples = int(rng.integers(0 if q else 1, 5000))
        msgs.append(c.fleet_export(fleetmsg.UPDATE, 4, samples))
    return msgs


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.sampled_from(["default", "compact", "momentum"]),
       st.integers(0, 2**32 - 1))  # fmt: skip
def test_a_gateway_round_is_the_reference_round(k, optim, seed):
    sp = model(optim=optim)
    msgs = trained_messages(sp, k, seed)
    key, counter = seed ^ 0x5A5A5A5A, seed % 1000
    total = sum(fleetmsg.unpack(sp, m).samples for m in msgs)
    gw = clib.CModel(sp)
    shares = gw.fleet_aggregate(msgs, key, counter)
    assert sum(shares) == 1 << 16
    got = gw.fleet_export(fleetmsg.GLOBAL, 5, total)
    assert got == fleetavg.aggregate(sp, msgs, key, counter, 5)
    # The nodes take the global model as it is.
    node = clib.CModel(sp)
    node.fleet_apply(got)
    assert same(params(node, sp), params(gw, sp))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.sampled_from(["default", "compact", "momentum"]),
       st.integers(0, (1 << 16) - 1), st.integers(0, 2**32 - 1))  # fmt: skip
def test_a_round_with_server_momentum_is_the_reference_round(k, optim, beta, seed):
    """Two rounds of a gateway with momentum: each global model is C's and the reference's
    byte for byte, within its layers' windows, and the nodes can take it."""
    sp = model(optim=optim)
    before = last = clib.CModel(sp).fleet_export(fleetmsg.GLOBAL, 0, 0)
    for r in (1, 2):
        msgs = trained_messages(sp, k, seed + r)
        key = seed ^ r
        mom = fleetavg.Momentum(last, before, beta)
        gw = clib.CModel(sp)
        shares = gw.fleet_aggregate(msgs, key, 7, (last, before, beta))
        assert shares[k:] == ([beta, -beta] if beta else [])
        got = gw.fleet_export(fleetmsg.GLOBAL, r, sum(fleetmsg.samples_of(m) for m in msgs))
        assert got == fleetavg.aggregate(sp, msgs, key, 7, r, mom)
        clib.CModel(sp).fleet_apply(got)  # inside every window
        before, last = last, got


def test_momentum_of_zero_is_plain_averaging():
    """beta 0 is no momentum: the same global model, the same shares."""
    sp = model()
    msgs = trained_messages(sp, 3, 4)
    g0 = clib.CModel(sp).fleet_export(fleetmsg.GLOBAL, 0, 0)
    plain = fleetavg.aggregate(sp, msgs, 9, 0, 1)
    assert fleetavg.aggregate(sp, msgs, 9, 0, 1, fleetavg.Momentum(g0, g0, 0)) == plain
    gw = clib.CModel(sp)
    gw.fleet_aggregate(msgs, 9, 0, (g0, g0, 0))
    assert gw.fleet_export(fleetmsg.GLOBAL, 1, sum(map(fleetmsg.samples_of, msgs))) == plain


def test_momentum_needs_two_global_models():
    sp = model()
    msgs = trained_messages(sp, 2, 6)
    g0 = clib.CModel(sp).fleet_export(fleetmsg.GLOBAL, 0, 0)
    bad = bytearray(g0)
    bad[40] ^= 1
    gw = clib.CModel(sp)
    before = params(gw, sp)
    for last, prev in ((msgs[0], g0), (g0, bytes(bad))):  # an update; a corrupt global
        with pytest.raises(clib.TintinError) as exc, clib.c_log():
            gw.fleet_aggregate(msgs, 1, 0, (last, prev, 1000))
        assert exc.value.errno == errno.EINVAL and exc.value.log
        with pytest.raises(fleetmsg.FleetError):
            fleetavg.aggregate(sp, msgs, 1, 0, 1, fleetavg.Momentum(last, prev, 1000))
        assert same(before, params(gw, sp))


def test_a_round_with_a_bad_message_changes_nothing():
    sp = model()
    msgs = trained_messages(sp, 3, 11)
    gw = clib.CModel(sp)
    before = params(gw, sp)
    bad = bytearray(msgs[1])
    bad[30] ^= 4
    spread = fleetmsg.unpack(sp, msgs[2])
    spread.layers[4].w_exp = sp.layers[4].w_exp + spec.W_EXP_SPAN
    far = fleetmsg.unpack(sp, msgs[0])
    far.layers[4].w_exp = sp.layers[4].w_exp - spec.W_EXP_SPAN
    cases = [
        ([msgs[0], bytes(bad)], errno.EINVAL),  # a corrupt message
        ([fleetmsg.pack(sp, far), fleetmsg.pack(sp, spread)], errno.ERANGE),  # 16 steps apart
        ([], errno.EINVAL),
    ]
    for batch, code in cases:
        with pytest.raises(clib.TintinError) as exc, clib.c_log():
            gw.fleet_aggregate(batch, 1, 0)
        assert exc.value.errno == code and exc.value.log
        with pytest.raises(ValueError):
            fleetavg.aggregate(sp, batch, 1, 0, 0)
        assert same(before, params(gw, sp)), "a refused round changed the gateway's model"


@pytest.mark.parametrize("optim", ["default", "compact", "momentum"])
def test_the_reference_node_applies_and_exports_as_c_does(optim):
    """fleetmsg.apply_ref and export_ref are tintin_fleet_apply and _export: a node that
    trains, takes a global model (masters and momentum restarting) and trains on stays bit-exact
    with C."""
    sp = model(optim=optim)
    other = model(seed=9, optim=optim)
    rng = np.random.default_rng(5)
    x = rng.integers(-127, 128, (24, 6)).astype(np.int8)
    y = rng.integers(0, 3, 24).astype(np.uint8)
    c, r = clib.CModel(sp), RefModel(sp)
    donor = clib.CModel(other)
    for k in range(0, 24, 2):
        donor.train_step(x[k : k + 2], -4, labels=y[k : k + 2])
    # Another model's parameters, this model's table: what a gateway's average looks like.
    donor_params = params(donor, other)
    g = fleetmsg.pack(sp, fleetmsg.Message(fleetmsg.GLOBAL, 3, 99, donor_params))
    for k in range(0, 12, 2):
        for m in (c, r):
            m.train_step(x[k : k + 2], -4, labels=y[k : k + 2])
    assert c.fleet_export(fleetmsg.UPDATE, 2, 12) == fleetmsg.export_ref(r, fleetmsg.UPDATE, 2, 12)
    c.fleet_apply(g)
    info = fleetmsg.apply_ref(r, g)
    assert (info.kind, info.round, info.samples) == (fleetmsg.GLOBAL, 3, 99)
    for k in range(12, 24, 2):
        for m in (c, r):
            m.train_step(x[k : k + 2], -4, labels=y[k : k + 2])
    assert c.fleet_export(fleetmsg.UPDATE, 3, 12) == fleetmsg.export_ref(r, fleetmsg.UPDATE, 3, 12)
