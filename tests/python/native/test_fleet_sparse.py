# SPDX-License-Identifier: Apache-2.0
"""Sparse fleet updates: tintin_fleet_export_sparse writes the bytes tintin.io.fleetsparse
writes, tintin_fleet_apply_sparse rebuilds what the reference rebuilds, a message with every
changed weight rebuilds the node exactly, and every truncation, flipped bit or other base is
refused by both, leaving the gateway's model as it was."""

from __future__ import annotations

import errno

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fleet import model, params, same, trained_messages

from tintin.core import spec
from tintin.io import fleetmsg, fleetsparse
from tintin.native import clib

pytestmark = pytest.mark.clib


def base_of(sp: spec.ModelSpec, seed: int, shift: int) -> bytes:
    """A global model: another node's parameters, every layer's exponent moved by shift
    (within its window), so that the node's weights are re-expressed both ways."""
    g = fleetmsg.unpack(sp, trained_messages(sp, 1, seed)[0])
    for i, p in g.layers.items():
        lo, hi = fleetmsg.window(sp, i)
        p.w_exp = min(max(p.w_exp + shift, lo), hi)
    return fleetmsg.pack(sp, fleetmsg.Message(fleetmsg.GLOBAL, 3, 40, g.layers))


def node(sp: spec.ModelSpec, seed: int) -> clib.CModel:
    c = clib.CModel(sp)
    c.fleet_apply(trained_messages(sp, 1, seed + 1)[0])
    return c


def n_weights(sp: spec.ModelSpec) -> int:
    return sum(r * w for what, r, w in fleetmsg.carried(sp).values() if what & fleetmsg.WEIGHTS)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["default", "compact", "momentum"]), st.integers(-3, 3),
       st.integers(0, 60), st.integers(0, 2**32 - 1))  # fmt: skip
def test_c_and_reference_write_and_rebuild_alike(optim, shift, k, seed):
    sp = model(optim=optim)
    base = base_of(sp, seed, shift)
    c = node(sp, seed)
    msg = c.fleet_export_sparse(base, 4, 17, k)
    mine = params(c, sp)
    assert msg == fleetsparse.export(sp, base, mine, 4, 17, k)
    gw = clib.CModel(sp)
    info = gw.fleet_apply_sparse(base, msg)
    assert (info.round, info.samples, info.kind) == (4, 17, fleetsparse.SPARSE)
    ref = fleetsparse.apply(sp, base, msg)
    dense = gw.fleet_export(fleetmsg.UPDATE, 4, 17)
    assert dense == fleetmsg.pack(sp, ref)
    if k >= n_weights(sp):  # every changed weight sent: the node itself
        assert dense == c.fleet_export(fleetmsg.UPDATE, 4, 17)


def test_the_largest_changes_go_first_lower_indices_on_ties():
    change = np.array([0, 3, 1, 3, 2, 3, 0, 1])
    assert fleetsparse.choose(change, 2).tolist() == [1, 3]
    assert fleetsparse.choose(change, 4).tolist() == [1, 3, 4, 5]
    assert fleetsparse.choose(change, 8).tolist() == [1, 2, 3, 4, 5, 7]  # never a 0
    w = np.array([-128 + 1, -5, 0, 5, 127], np.int8)
    assert fleetsparse.rebase(w, -4, -6).tolist() == [-127, -20, 0, 20, 127]
    assert fleetsparse.rebase(w, -6, -4).tolist() == [-32, -1, 0, 1, 32]  # half up


def test_a_sparse_update_is_smaller_and_the_budget_is_kept():
    sp = model()
    base = base_of(sp, 7, 0)
    c = node(sp, 7)
    full = c.fleet_export_sparse(base, 1, 1, n_weights(sp))
    few = c.fleet_export_sparse(base, 1, 1, 4)
    assert len(few) < len(full)
    got = fleetsparse.apply(sp, base, few)
    ref = fleetmsg.unpack(sp, base)
    sent = sum(int(np.count_nonzero(got.layers[i].w != fleetsparse.rebase(
        ref.layers[i].w, ref.layers[i].w_exp, got.layers[i].w_exp)))  # type: ignore[arg-type]
        for i in fleetsparse.budgets(sp, 4))  # fmt: skip
    assert sent <= sum(fleetsparse.budgets(sp, 4).values())


def test_every_truncation_and_flipped_bit_is_refused():
    sp = model()
    base = base_of(sp, 11, 1)
    msg = node(sp, 11).fleet_export_sparse(base, 2, 9, 10)
    gw = clib.CModel(sp)
    before = params(gw, sp)
    bad = [msg[:n] for n in range(len(msg))]
    bad += [bytes(msg[:j]) + bytes([msg[j] ^ (1 << b)]) + msg[j + 1 :]
            for j in range(len(msg)) for b in range(8)]  # fmt: skip
    for m in bad:
        with pytest.raises(clib.TintinError) as exc, clib.c_log():
            gw.fleet_apply_sparse(base, m)
        assert exc.value.errno in (errno.EINVAL, errno.ERANGE)
        with pytest.raises(fleetmsg.FleetError):
            fleetsparse.apply(sp, base, m)
    assert same(before, params(gw, sp)), "a refused sparse update changed the model"


def test_another_base_or_a_dense_message_is_refused():
    sp = model()
    base = base_of(sp, 13, 0)
    other = base_of(sp, 14, 0)
    c = node(sp, 13)
    msg = c.fleet_export_sparse(base, 2, 9, 10)
    update = c.fleet_export(fleetmsg.UPDATE, 2, 9)
    gw = clib.CModel(sp)
    for b, m in ((other, msg), (base, update), (update, msg)):
        with pytest.raises(clib.TintinError) as exc, clib.c_log():
            gw.fleet_apply_sparse(b, m)
        assert exc.value.errno == errno.EINVAL and exc.value.log
        with pytest.raises(fleetmsg.FleetError):
            fleetsparse.apply(sp, b, m)
    with pytest.raises(clib.TintinError), clib.c_log():
        c.fleet_export_sparse(update, 2, 9, 10)  # against an update, not a global model
    with pytest.raises(clib.TintinError), clib.c_log():
        gw.fleet_apply(msg)  # the dense apply refuses kind 2
