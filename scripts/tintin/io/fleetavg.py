# SPDX-License-Identifier: Apache-2.0
"""A gateway's round over fleet messages, as tintin_fleet_aggregate does it: every trained
layer becomes the integer federated average (tintin.core.fedavg) of the messages' copies,
weighted by their sample counts, layer after layer in table order, each taking n_w + rows
numbers of the stream (the weights and biases it carries)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tintin.core import fedavg, spec
from tintin.io import fleetmsg


@dataclass(frozen=True)
class Momentum:
    """Server momentum (FedAvgM): the gateway's last two global models and beta as a share of
    2^16. The new global model is mean + beta * (last - before), FedAvgM's
    v = beta v + (mean - last), g = last + v with v kept as the last step the globals took."""

    last: bytes
    before: bytes
    beta: int


def aggregate(sp: spec.ModelSpec, msgs: list[bytes], key: int, counter: int, round_: int,
              momentum: Momentum | None = None) -> bytes:  # fmt: skip
    """The global model's message (kind GLOBAL, samples the messages' total); FleetError or
    FedAvgError for what tintin_fleet_aggregate refuses."""
    if not msgs:
        raise fleetmsg.FleetError("fleet: no messages to aggregate")
    table = spec.table_hash(sp)
    updates = [fleetmsg.unpack(sp, m, table) for m in msgs]
    q = fedavg.shares([u.samples for u in updates])
    if momentum is not None and momentum.beta:
        if not 0 < momentum.beta < 1 << fedavg.SHARE_BITS:
            raise fleetmsg.FleetError(f"fleet: momentum {momentum.beta} outside 0..65535")
        past = [fleetmsg.unpack(sp, m, table) for m in (momentum.last, momentum.before)]
        if any(m.kind != fleetmsg.GLOBAL for m in past):
            raise fleetmsg.FleetError("fleet: momentum needs the last two global models")
        updates += past
        q += [momentum.beta, -momentum.beta]
    layers: dict[int, fleetmsg.LayerParams] = {}
    # fedavg.combine refuses copies too far apart; the C function checks every layer first
    # only because it writes into the model as it goes.
    for i, (what, rows, row) in fleetmsg.carried(sp).items():
        parts = []
        for u in updates:
            p = u.layers[i]
            w = p.w if p.w is not None else np.zeros(0, np.int8)
            parts.append(fedavg.Part(u.samples, w, p.w_exp, p.bias))
        w, b, e = fedavg.combine(parts, q, key, counter, fleetmsg.window(sp, i)[1])
        layers[i] = fleetmsg.LayerParams(e, w if what & fleetmsg.WEIGHTS else None, b)
        n_w = rows * row if what & fleetmsg.WEIGHTS else 0
        counter = (counter + n_w + (rows if what & fleetmsg.BIASES else 0)) & 0xFFFFFFFF
    total = sum(u.samples for u in updates[: len(msgs)])
    return fleetmsg.pack(sp, fleetmsg.Message(fleetmsg.GLOBAL, round_, total, layers))
