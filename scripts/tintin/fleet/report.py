# SPDX-License-Identifier: Apache-2.0
"""What `tintin fleet` writes: per-round records, fleet.json, fleet_curves.png and the table
on the terminal."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tintin.fleet.scenario import Config, Score


@dataclass
class Round:
    """One round's measurements (accuracies as fractions; None where a baseline did not run)."""

    round: int
    fed_held_out: float
    fed_node_median: float
    local_held_out: float | None = None
    local_node_median: float | None = None
    fed_beats_local_nodes: float | None = None  # share of nodes better off federated
    float_held_out: float | None = None
    float_node_median: float | None = None
    fedfloat_held_out: float | None = None  # float32 FedAvg, same rounds
    seconds: float = 0.0  # since the engine started


@dataclass
class Run:
    config: Config
    engine: str
    update_bytes: int  # per node per round, up (the mean of what the gateway received)
    global_bytes: int  # per node per round, down
    rounds: list[Round] = field(default_factory=list)
    node_rounds_per_s: float = 0.0
    peak_rss_bytes: int = 0
    failures: int = 0
    wall_s: float = 0.0


def round_record(r: int, fed: Score, local: Score | None, flt: Score | None,
                 fedflt: Score | None, seconds: float) -> Round:  # fmt: skip
    out = Round(r, fed.held_out, fed.median, seconds=seconds)
    if fedflt is not None:
        out.fedfloat_held_out = fedflt.held_out
    if local is not None:
        out.local_held_out, out.local_node_median = local.held_out, local.median
        out.fed_beats_local_nodes = float(np.mean(fed.nodes > local.nodes))
    if flt is not None:
        out.float_held_out, out.float_node_median = flt.held_out, flt.median
    return out


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


HEADER = ("round", "federated", "fed median node", "local-only median node", "float32 pooled",
          "float32 fed", "s")  # fmt: skip


def row(r: Round) -> str:
    return (
        f"{r.round:5d}  {_pct(r.fed_held_out):>9}  {_pct(r.fed_node_median):>15}  "
        f"{_pct(r.local_node_median):>22}  {_pct(r.float_held_out):>14}  "
        f"{_pct(r.fedfloat_held_out):>11}  {r.seconds:6.1f}"
    )


def header() -> str:
    return "  ".join(HEADER)


def summary(run: Run) -> str:
    last = run.rounds[-1]
    c = run.config
    lines = [
        f"fleet: {c.nodes} nodes x {c.rounds} rounds on {run.engine}, task {c.task}, "
        f"alpha {c.alpha}, {c.epochs} local epoch(s) of batch {c.batch} at rate 2^-{c.lr_shift}, "
        f"server momentum {c.momentum}"
        + (f", sparse updates of {c.sparse:g} of the weights" if c.sparse else ""),
        f"  federated integer: {_pct(last.fed_held_out)} % held-out, median node "
        f"{_pct(last.fed_node_median)} %",
    ]
    if last.local_node_median is not None:
        lines.append(f"  local-only: median node {_pct(last.local_node_median)} %; federated "
                     f"better on {_pct(last.fed_beats_local_nodes)} % of nodes")  # fmt: skip
    if last.fedfloat_held_out is not None:
        lines.append(f"  federated float32 (same rounds and momentum, exact mean): "
                     f"{_pct(last.fedfloat_held_out)} % held-out")  # fmt: skip
    if last.float_held_out is not None:
        lines.append(f"  centralised float32 on the pooled samples (rate "
                     f"2^-{c.central_lr_shift}): {_pct(last.float_held_out)} "
                     f"% held-out (federated {100 * (last.fed_held_out - last.float_held_out):+.2f}"
                     " points)")  # fmt: skip
    mib = run.peak_rss_bytes / 2**20
    lines.append(f"  {run.update_bytes:,} B up and {run.global_bytes:,} B down per node per "
                 f"round; {run.node_rounds_per_s:.1f} node-rounds/s; peak memory {mib:,.0f} "
                 f"MiB; {run.failures} failed replies")  # fmt: skip
    return "\n".join(lines)


def write_json(run: Run, path: Path) -> None:
    path.write_text(json.dumps(asdict(run), indent=1) + "\n")


def plot(run: Run, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    rs = [r.round for r in run.rounds]
    fig, (held, nodes) = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    curves = [
        (held, "fed_held_out", "federated integer (Tin-Tin)", "o"),
        (held, "float_held_out", "centralised float32, pooled samples", "s"),
        (held, "local_held_out", "local-only integer (mean over nodes)", "^"),
        (held, "fedfloat_held_out", "federated float32, same rounds", "x"),
        (nodes, "fed_node_median", "federated integer (Tin-Tin)", "o"),
        (nodes, "float_node_median", "centralised float32, pooled samples", "s"),
        (nodes, "local_node_median", "local-only integer", "^"),
    ]
    for ax, key, label, mark in curves:
        ys = [getattr(r, key) for r in run.rounds]
        if all(y is not None for y in ys):
            ax.plot(rs, [100 * y for y in ys], marker=mark, markersize=3, label=label)
    held.set_title("held-out set (all classes)")
    nodes.set_title("median node, on its own label mix")
    held.set_ylabel("accuracy (%)")
    for ax in (held, nodes):
        ax.set_xlabel("round")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    c = run.config
    fig.suptitle(f"{c.nodes} nodes, {c.task}, Dirichlet alpha {c.alpha}, {c.epochs} local "
                 f"epoch(s) per round, server momentum {c.momentum} ({run.engine})")  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
