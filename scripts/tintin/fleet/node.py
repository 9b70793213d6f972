# SPDX-License-Identifier: Apache-2.0
"""One node of a fleet on the C runtime: apply the global model, train on the node's own
samples, export the update; and the gateway's round that averages the updates.

Both are what a node and a gateway run on the MCU (tintin_fleet_apply, tintin_train_step,
tintin_fleet_export, tintin_fleet_aggregate), through the ctypes binding. Every node draws its
stochastic rounding from its own stream (seeded from the run's seed, its index and the round),
as a deployed node would from its identity: nodes built from one table would otherwise round
alike, and their rounding errors would add up instead of averaging out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tintin.core import data, numerics, spec
from tintin.core.spec import ModelSpec
from tintin.io import fleetmsg, fleetsparse
from tintin.native import clib, hosttrain

GATEWAY = 0xFFFFFFFF  # the gateway's index in stream_seed


@dataclass(frozen=True)
class Shard:
    """A node's training samples: int8 inputs at the fleet's input exponent, labels."""

    x: np.ndarray
    y: np.ndarray


def stream_seed(seed: int, node: int, round_: int) -> int:
    """The seed of a node's stochastic rounding stream in a round (murmur3's finaliser over
    the three, so that neighbouring nodes and rounds get unrelated streams)."""
    h = (seed * 0x9E3779B1 ^ node * 0x85EBCA77 ^ round_ * 0xC2B2AE3D) & numerics.M32
    return int(numerics.prng_at(h, 0, 0))


def epoch_seed(seed: int, node: int) -> int:
    """The seed of a node's sample order (data.epoch_order), the same in every engine."""
    return (seed << 20) ^ node


def orders(n: int, seed: int, node: int, first_epoch: int, epochs: int) -> Iterator[np.ndarray]:
    """A node's sample orders for epochs first_epoch, first_epoch + 1, ... (every trainer's)."""
    for e in range(first_epoch, first_epoch + epochs):
        yield data.epoch_order(n, e, epoch_seed(seed, node))


def train_local(model: clib.CModel, shard: Shard, x_exp: int, epochs: int, batch: int,
                seed: int, node: int, first_epoch: int) -> None:  # fmt: skip
    """epochs passes over the shard, in the orders of epochs first_epoch, first_epoch + 1..."""
    for order in orders(len(shard.y), seed, node, first_epoch, epochs):
        hosttrain.train_epoch(model, shard.x, x_exp, shard.y, order, batch)


def node_round(sp: ModelSpec, global_msg: bytes, shard: Shard, x_exp: int, round_: int,
               epochs: int, batch: int, seed: int, node: int, top_k: int = 0) -> bytes:  # fmt: skip
    """A node's round: the global model of round_ - 1 in, its update of round_ out (a sparse
    one of its top_k changed weights when top_k > 0)."""
    model = clib.CModel(sp)
    model.fleet_apply(global_msg)
    model.reseed(stream_seed(seed, node, round_))
    train_local(model, shard, x_exp, epochs, batch, seed, node, (round_ - 1) * epochs)
    if top_k:
        return model.fleet_export_sparse(global_msg, round_, len(shard.y), top_k)
    return model.fleet_export(fleetmsg.UPDATE, round_, len(shard.y))


def initial_global(sp: ModelSpec) -> bytes:
    """Round 0's global model: the spec's initial weights, as every node holds them."""
    return clib.CModel(sp).fleet_export(fleetmsg.GLOBAL, 0, 0)


def usable(sp: ModelSpec, round_: int, replies: list[tuple[int, bytes]]
           ) -> tuple[list[bytes], list[str]]:  # fmt: skip
    """The updates a gateway averages in round_, in node order, and why it refused the others:
    a message tintin_fleet_apply would refuse, a global model, another round's update, a
    node heard twice. One bad node costs its own update, not the round."""
    ok: dict[int, bytes] = {}
    refused = []
    table = spec.table_hash(sp)  # once: it reads every initial weight
    for k, msg in sorted(replies, key=lambda kv: kv[0]):
        try:
            m = fleetmsg.unpack(sp, msg, table)
        except fleetmsg.FleetError as exc:
            refused.append(f"node {k}: {exc}")
            continue
        if m.kind != fleetmsg.UPDATE or m.round != round_:
            refused.append(f"node {k}: kind {m.kind}, round {m.round}: not an update of "
                           f"round {round_}")  # fmt: skip
        elif k in ok:
            refused.append(f"node {k}: a second update in round {round_}")
        else:
            ok[k] = msg
    return list(ok.values()), refused


def aggregate(sp: ModelSpec, updates: list[bytes], round_: int, seed: int,
              momentum: tuple[bytes, bytes, int] | None = None) -> bytes:  # fmt: skip
    """A gateway's round (tintin_fleet_aggregate) over the updates, in the order given: the
    global model message of round_, weighted by the updates' sample counts, with server
    momentum (last global, the one before, beta of 2^16) when given."""
    gateway = clib.CModel(sp)
    key = numerics.prng_key(stream_seed(seed, GATEWAY, round_))
    gateway.fleet_aggregate(updates, key, 0, momentum)
    total = sum(fleetmsg.samples_of(u) for u in updates)  # checked by C above
    return gateway.fleet_export(fleetmsg.GLOBAL, round_, total)


def beta_share(beta: float) -> int:
    """Server momentum beta in [0, 1) as tintin_fleet_momentum takes it: a share of 2^16."""
    if not 0.0 <= beta < 1.0:  # NaN too
        raise ValueError(f"fleet: server momentum {beta}: must be in [0, 1)")
    return min(round(beta * (1 << 16)), (1 << 16) - 1)


class Gateway:
    """A gateway across rounds: the global model it sent (the base of sparse updates), the
    one before (both for the server momentum), and the update bytes it received."""

    def __init__(self, sp: ModelSpec, seed: int, beta: float) -> None:
        self.sp, self.seed, self.beta = sp, seed, beta_share(beta)
        self.last = self.before = initial_global(sp)
        self.bytes_in = self.messages_in = 0
        self._rebuild: clib.CModel | None = None  # the gateway's copy sparse updates rebuild in

    def receive(self, round_: int, replies: list[tuple[int, bytes]]
                ) -> tuple[list[bytes], list[str]]:  # fmt: skip
        """usable() over the replies, sparse updates first rebuilt against the global model
        of the last round (tintin_fleet_apply_sparse): the dense updates to average, and why
        the others were refused."""
        dense, refused = [], []
        for k, msg in replies:
            self.bytes_in += len(msg)
            self.messages_in += 1
            if fleetsparse.is_sparse(msg):
                if self._rebuild is None:  # a dense fleet never needs it
                    self._rebuild = clib.CModel(self.sp)
                model = self._rebuild
                try:
                    info = model.fleet_apply_sparse(self.last, msg)
                except clib.TintinError as exc:
                    refused.append(f"node {k}: sparse update: {exc}")
                    continue
                msg = model.fleet_export(fleetmsg.UPDATE, info.round, info.samples)
            dense.append((k, msg))
        updates, why = usable(self.sp, round_, dense)
        return updates, refused + why

    def round(self, updates: list[bytes], round_: int) -> bytes:
        """The global model of round_; tintin.native.clib.TintinError when the updates
        cannot be averaged (the gateway then keeps its models, as a skipped round does)."""
        mom = (self.last, self.before, self.beta) if self.beta else None
        g = aggregate(self.sp, updates, round_, self.seed, mom)
        self.before, self.last = self.last, g
        return g
