# SPDX-License-Identifier: Apache-2.0
"""The fleet's rounds on Flower's Simulation Engine (Ray backend): a ClientApp per virtual
node, whose training is the C runtime through the ctypes binding, and a ServerApp whose
strategy averages the nodes' update messages with the integer gateway (tintin_fleet_aggregate).

Requires the optional `fleet` extra (`pip install .[fleet]`: flwr[simulation], which brings
Ray). What travels between the apps is exactly the bytes a node and a gateway exchange over the
radio: one uint8 Array holding a fleet message (tintin/fleet.h). Updates are averaged in node
order, so a Flower run gives the same global models as tintin.fleet.scenario.run_rounds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg
from flwr.simulation import run_simulation

from tintin.fleet import node, scenario
from tintin.io import fleetmsg
from tintin.native import clib

log = logging.getLogger("tintin.fleet")

MSG = "fleet-message"  # the one Array of every ArrayRecord: a fleet message's bytes
WEIGHT = "num-examples"  # Flower's weighting key; the C gateway weights by the messages' own


def to_record(msg: bytes) -> ArrayRecord:
    return ArrayRecord({MSG: Array(np.frombuffer(msg, np.uint8).copy())})


def from_record(rec: ArrayRecord) -> bytes:
    return rec[MSG].numpy().astype(np.uint8).tobytes()


def client_app(cfg: scenario.Config) -> ClientApp:
    """One virtual node per Flower SuperNode: partition-id is its index in the fleet."""
    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        f = scenario.prepare(cfg)  # once per worker process
        k = int(context.node_config["partition-id"])
        r = int(msg.content["config"]["server-round"])
        g = from_record(msg.content["arrays"])
        upd = node.node_round(f.sp, g, f.shards[k], f.x_exp, r, cfg.epochs, cfg.batch,
                              cfg.seed, k, scenario.top_k(f))  # fmt: skip
        metrics = MetricRecord({WEIGHT: len(f.shards[k].y), "node": k})
        return Message(RecordDict({"arrays": to_record(upd), "metrics": metrics}), reply_to=msg)

    return app


class IntegerFedAvg(FedAvg):
    """FedAvg's sampling and messaging; the average is the integer gateway's."""

    def __init__(self, f: scenario.Fleet, on_failure: Callable[[int, int], None],
                 gateway: node.Gateway) -> None:  # fmt: skip
        n = f.cfg.nodes
        super().__init__(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=n,
                         min_available_nodes=n)  # fmt: skip
        self.f = f
        self.on_failure = on_failure
        self.gateway = gateway

    def aggregate_train(self, server_round: int, replies: Iterable[Message]
                        ) -> tuple[ArrayRecord | None, MetricRecord | None]:  # fmt: skip
        valid, failed = self._check_and_log_replies(list(replies), is_train=True)
        pairs = [(int(m.content["metrics"]["node"]), from_record(m.content["arrays"]))
                 for m in valid]  # fmt: skip
        # Node order, not arrival order: the stochastic rounding draws follow the updates'
        # order, and a run must not depend on which worker finished first.
        updates, refused = self.gateway.receive(server_round, pairs)
        for why in refused:
            log.warning("tintin fleet: round %d: refused %s", server_round, why)
        if failed or refused:
            self.on_failure(server_round, len(failed) + len(refused))
        if not updates:
            return None, None  # Flower keeps the previous global model
        try:
            g = self.gateway.round(updates, server_round)
        except clib.TintinError as exc:  # copies too far apart: the round is skipped
            log.warning("tintin fleet: round %d not averaged: %s", server_round, exc)
            self.on_failure(server_round, len(updates))
            return None, None
        total = fleetmsg.samples_of(g)  # the global model carries the updates' total
        return to_record(g), MetricRecord({WEIGHT: total, "nodes": len(updates)})


def server_app(f: scenario.Fleet, on_round: Callable[[int, bytes], None],
               on_failure: Callable[[int, int], None],
               gateway: node.Gateway) -> ServerApp:  # fmt: skip
    """Runs f.cfg.rounds rounds; on_round(round, global message) after each (in this
    process: the ServerApp runs in a thread of the process that calls run_simulation)."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        strategy = IntegerFedAvg(f, on_failure, gateway)

        def seen(r: int, arrays: ArrayRecord) -> None:
            if r > 0:
                on_round(r, from_record(arrays))

        strategy.start(grid, to_record(node.initial_global(f.sp)), num_rounds=f.cfg.rounds,
                       train_config=ConfigRecord(), evaluate_fn=seen)  # fmt: skip

    return app


def simulate(f: scenario.Fleet, on_round: Callable[[int, bytes], None], cpus: int,
             gateway: node.Gateway, verbose: bool = False) -> int:  # fmt: skip
    """The rounds on Flower's Simulation Engine with `cpus` Ray workers; returns the number of
    node replies that failed (a failure drops that node from its round, as Flower does)."""
    failures = 0

    def failed(_r: int, n: int) -> None:
        nonlocal failures
        failures += n

    if not verbose:
        # Flower's per-round log and its notice that run_simulation is deprecated in favour of
        # `flwr run` (docs/fleet.md covers both); failures are counted and reported instead.
        logging.getLogger("flwr").setLevel(logging.ERROR)
    # Ray's notice about a default it will change, which does not concern CPU-only workers.
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    backend = {
        "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
        "init_args": {"num_cpus": cpus, "include_dashboard": False,
                      "logging_level": logging.ERROR, "log_to_driver": verbose},
    }  # fmt: skip
    try:
        run_simulation(server_app(f, on_round, failed, gateway), client_app(f.cfg),
                       num_supernodes=f.cfg.nodes, backend_name="ray", backend_config=backend,
                       verbose_logging=verbose)  # fmt: skip
    finally:
        # A simulation that crashed can leave Ray up, and its threads keep this process alive.
        import ray

        if ray.is_initialized():
            ray.shutdown()
    return failures
