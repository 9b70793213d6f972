# SPDX-License-Identifier: Apache-2.0
"""A fleet scenario: a real dataset split into nodes, rounds of integer federated averaging,
and the two baselines every round is measured against.

- federated: every node applies the global model, trains `epochs` passes over its own samples
  on the C runtime and sends its update; the gateway averages them (tintin_fleet_aggregate).
- local-only: every node trains on its own samples alone, from the same initial weights, for
  the same passes.
- centralised float32: the project's float32 trainer (tintin.core.floatref) on the pooled
  samples, `epochs` passes per round, at its own learning rate (by default the task's, the
  rate `tintin accuracy` trains float32 at).
- federated float32: the same rounds with the float32 trainer on every node and the exact
  sample-weighted mean at the gateway (with the same server momentum), which separates what
  federation costs from what the integer arithmetic costs.

A node is scored on its own kind of data: the held-out accuracy of each class, weighted by the
node's label mix (the held-out set is shared, its classes balanced). This module runs the
rounds in this process (engine "local"); tintin.fleet.flower runs the same rounds, with the same
integers, on Flower's Simulation Engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from tintin.core import data
from tintin.core.floatref import FloatModel
from tintin.core.spec import ModelSpec, Optim
from tintin.fleet import node, partition
from tintin.io import fleetsparse, modelfile
from tintin.native import clib, hosttrain
from tintin.tasks import accdata


@dataclass(frozen=True)
class Config:
    """What a scenario runs: hashable, so a worker process prepares the same fleet once."""

    task: str = "mnist10k-mlp"
    nodes: int = 100
    rounds: int = 30
    epochs: int = 5  # local passes over a node's samples per round
    batch: int = 8
    alpha: float = 0.5  # Dirichlet label skew: smaller is more skewed
    seed: int = 1
    momentum: float = 0.75  # the gateway's server momentum beta (0: plain FedAvg)
    sparse: float = 0.0  # share of the trained weights a node sends (0: the dense message)
    # The nodes' learning rate 2^-lr_shift. A node trains a few passes from the global model
    # each round, not a long run from scratch, so it takes a larger step than the optimizer's
    # default 2^-5 (docs/fleet.md, "Node learning rate", has the measurements).
    lr_shift: int = 2
    central_lr_shift: int = Optim().lr_shift  # the centralised float32 baseline's rate


@dataclass
class Fleet:
    """A prepared scenario: the model, the nodes' samples and the held-out set."""

    cfg: Config
    sp: ModelSpec  # the nodes' model and optimizer
    central: ModelSpec  # the same model and initial weights at the central baseline's rate
    split: data.Split
    x_exp: int
    parts: list[np.ndarray]  # each node's indices into split's training samples
    shards: list[node.Shard]  # those samples, quantised
    mix: np.ndarray  # [nodes, classes] label proportions
    x_test: np.ndarray  # int8 at x_exp
    y_test: np.ndarray


@cache
def prepare(cfg: Config) -> Fleet:
    """The task's split, quantised as every node quantises it, split into cfg.nodes nodes."""
    if cfg.task not in accdata.TASKS:
        raise ValueError(f"fleet: unknown task {cfg.task!r} (one of {', '.join(accdata.TASKS)})")
    if cfg.rounds < 1 or cfg.epochs < 1:
        raise ValueError("fleet: rounds and epochs must be at least 1")
    lo, hi = modelfile.OPTIM_RANGES["lr_shift"]
    for what, shift in (("lr_shift", cfg.lr_shift), ("central_lr_shift", cfg.central_lr_shift)):
        if not lo <= shift <= hi:
            raise ValueError(f"fleet: {what} {shift}: must be in [{lo}, {hi}]")
    node.beta_share(cfg.momentum)  # ValueError outside [0, 1)
    if not 0.0 <= cfg.sparse <= 1.0:  # NaN too
        raise ValueError(f"fleet: sparse share {cfg.sparse}: must be in [0, 1]")
    split = accdata.load(cfg.task)
    task = accdata.TASKS[cfg.task]
    sp = task.model(replace(Optim(), lr_shift=cfg.lr_shift), cfg.batch, cfg.seed)
    central = task.model(replace(Optim(), lr_shift=cfg.central_lr_shift), cfg.batch, cfg.seed)
    x, x_exp = data.quantize_inputs(split.x_train)
    x = x.reshape(len(x), -1)
    parts = partition.dirichlet(split.y_train, cfg.nodes, cfg.alpha, cfg.seed)
    shards = [node.Shard(np.ascontiguousarray(x[p]), np.ascontiguousarray(split.y_train[p]))
              for p in parts]  # fmt: skip
    x_test = data.quantize_like(split.x_test, x_exp).reshape(len(split.x_test), -1)
    mix = partition.proportions(split.y_train, parts, split.classes)
    y_test = np.asarray(split.y_test)
    return Fleet(cfg, sp, central, split, x_exp, parts, shards, mix, x_test, y_test)


def class_accuracy(pred: np.ndarray, y: np.ndarray, classes: int) -> np.ndarray:
    """Held-out accuracy of every class (0 for a class the held-out set lacks)."""
    hit = np.bincount(y[pred == y], minlength=classes)
    return hit / np.maximum(np.bincount(y, minlength=classes), 1)


@dataclass
class Score:
    """A model's held-out accuracy, and every node's accuracy on its own label mix."""

    held_out: float
    nodes: np.ndarray

    @property
    def median(self) -> float:
        return float(np.median(self.nodes))


def score(f: Fleet, pred: np.ndarray) -> Score:
    acc = class_accuracy(pred, f.y_test, f.split.classes)
    return Score(float(np.mean(pred == f.y_test)), f.mix @ acc)


def top_k(f: Fleet) -> int:
    """The weights a node's sparse update carries (0: it sends the dense message)."""
    return fleetsparse.size_for(f.sp, f.cfg.sparse) if f.cfg.sparse else 0


def int_predictions(model: clib.CModel, f: Fleet) -> np.ndarray:
    out, _ = hosttrain.outputs(model, f.x_test, f.x_exp, model.spec.max_batch)
    return out.argmax(axis=1)


class Evaluator:
    """Scores global model messages on the held-out set (a C model that applies them)."""

    def __init__(self, f: Fleet) -> None:
        self.f = f
        self.model = clib.CModel(f.sp)

    def __call__(self, global_msg: bytes) -> Score:
        self.model.fleet_apply(global_msg)
        return score(self.f, int_predictions(self.model, self.f))


def run_rounds(f: Fleet, on_round: Callable[[int, bytes], None] | None = None,
               gateway: node.Gateway | None = None) -> bytes:  # fmt: skip
    """The federated rounds in this process, node after node; on_round(round, global) after
    each. Returns the last global model."""
    cfg = f.cfg
    gw = gateway or node.Gateway(f.sp, cfg.seed, cfg.momentum)
    g = gw.last
    k = top_k(f)
    for r in range(1, cfg.rounds + 1):
        replies = [(n, node.node_round(f.sp, g, s, f.x_exp, r, cfg.epochs, cfg.batch, cfg.seed,
                                       n, k)) for n, s in enumerate(f.shards)]  # fmt: skip
        updates, refused = gw.receive(r, replies)
        if refused:  # this process's own nodes: a refusal is a bug, not a bad radio
            raise RuntimeError(f"fleet: round {r}: refused {refused[0]}")
        g = gw.round(updates, r)
        if on_round is not None:
            on_round(r, g)
    return g


def local_only(f: Fleet) -> list[Score]:
    """Per round: every node's own model, trained on its own samples only. The held-out
    figure is the mean over nodes of their models' held-out accuracy."""
    cfg = f.cfg
    per_node = np.zeros((cfg.rounds, cfg.nodes))
    held = np.zeros((cfg.rounds, cfg.nodes))
    for k, s in enumerate(f.shards):
        model = clib.CModel(f.sp)
        model.reseed(node.stream_seed(cfg.seed, k, 0))
        for r in range(cfg.rounds):
            node.train_local(model, s, f.x_exp, cfg.epochs, cfg.batch, cfg.seed, k, r * cfg.epochs)
            sc = score(f, int_predictions(model, f))
            per_node[r, k], held[r, k] = sc.nodes[k], sc.held_out
    return [Score(float(held[r].mean()), per_node[r]) for r in range(cfg.rounds)]


def fedavg_float(f: Fleet) -> list[Score]:
    """Per round: float32 FedAvg, the same nodes, orders and passes as run_rounds, and the
    same server momentum: mean + beta (last - before)."""
    cfg = f.cfg
    g = FloatModel(f.sp)
    before = {i: [q.copy() for q in ps] for i, ps in g.params.items()}
    beta = node.beta_share(cfg.momentum) / (1 << 16)
    n = sum(len(p) for p in f.parts)
    out = []
    for r in range(cfg.rounds):
        mean = {i: [np.zeros_like(p, np.float64) for p in ps] for i, ps in g.params.items()}
        for k, p in enumerate(f.parts):
            m = FloatModel(f.sp)
            m.params = {i: [q.copy() for q in ps] for i, ps in g.params.items()}
            x, y = f.split.x_train[p], f.split.y_train[p]
            for order in node.orders(len(y), cfg.seed, k, r * cfg.epochs, cfg.epochs):
                for s in range(0, len(y), cfg.batch):
                    m.train_step(x[order[s : s + cfg.batch]], y[order[s : s + cfg.batch]])
            for i, ps in m.params.items():
                for j, q in enumerate(ps):
                    mean[i][j] += q * (len(p) / n)
        last = g.params
        g.params = {i: [(q + beta * (g1 - g2)).astype(np.float32) for q, g1, g2
                        in zip(ps, last[i], before[i], strict=True)]
                    for i, ps in mean.items()}  # fmt: skip
        before = last
        out.append(score(f, g.predict(f.split.x_test)))
    return out


def central_float(f: Fleet) -> list[Score]:
    """Per round: float32 on the pooled samples after `epochs` more passes."""
    cfg = f.cfg
    fm = FloatModel(f.central)
    x, y = f.split.x_train, f.split.y_train
    out = []
    for r in range(cfg.rounds):
        for e in range(r * cfg.epochs, (r + 1) * cfg.epochs):
            fm.train_epoch(x, y, cfg.batch, e, cfg.seed)
        out.append(score(f, fm.predict(f.split.x_test)))
    return out
