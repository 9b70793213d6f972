# SPDX-License-Identifier: Apache-2.0
"""A gateway's round over fleet messages, as tintin_fleet_aggregate does it: every trained
layer becomes the integer federated average (tintin.core.fedavg) of the messages' copies,
weighted by their sample counts, layer after layer in table order, each taking n_w + rows
numbers of the stream (the weights and biases it carries)."""

from __future__ import annotations

import numpy as np

from tintin.core import fedavg, spec
from tintin.io import fleetmsg


def aggregate(sp: spec.ModelSpec, msgs: list[bytes], key: int, counter: int,
              round_: int) -> bytes:  # fmt: skip
    """The global model's message (kind GLOBAL, samples the messages' total); FleetError or
    FedAvgError for what tintin_fleet_aggregate refuses."""
    if not msgs:
        raise fleetmsg.FleetError("fleet: no messages to aggregate")
    updates = [fleetmsg.unpack(sp, m) for m in msgs]
    layers: dict[int, fleetmsg.LayerParams] = {}
    # fedavg.average refuses no samples and copies too far apart; the C function checks them
    # for every layer first only because it writes into the model as it goes.
    for i, (what, rows, row) in fleetmsg.carried(sp).items():
        parts = []
        for u in updates:
            p = u.layers[i]
            w = p.w if p.w is not None else np.zeros(0, np.int8)
            parts.append(fedavg.Part(u.samples, w, p.w_exp, p.bias))
        w, b, e = fedavg.average(parts, key, counter)
        layers[i] = fleetmsg.LayerParams(e, w if what & fleetmsg.WEIGHTS else None, b)
        n_w = rows * row if what & fleetmsg.WEIGHTS else 0
        counter = (counter + n_w + (rows if what & fleetmsg.BIASES else 0)) & 0xFFFFFFFF
    total = sum(u.samples for u in updates)
    return fleetmsg.pack(sp, fleetmsg.Message(fleetmsg.GLOBAL, round_, total, layers))
