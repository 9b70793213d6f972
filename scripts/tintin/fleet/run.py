# SPDX-License-Identifier: Apache-2.0
"""tintin fleet: many nodes learn one model with integer federated averaging, on real data
split into nodes the way deployments split it (a Dirichlet label skew: every node sees its own
mix of classes).

Every round, each node applies the global model, trains on its own samples on the C runtime
and sends its update message; the gateway averages the updates with integer arithmetic
(tintin_fleet_aggregate) into the next global model. The rounds run on Flower's Simulation
Engine (Ray) by default, or in this process (--engine local; same integers, no Flower needed).

Per round it reports the global model's held-out accuracy, the same for local-only training
(each node alone) and for centralised float32 on the pooled samples, and every node's accuracy
on its own label mix; then bytes per node per round, node-rounds per second and peak memory
(of this process and every process it started). Writes fleet.json and fleet_curves.png into
--out.

  tintin fleet                                   # 100 nodes, the accuracy scenario
  tintin fleet --nodes 1000 --rounds 10 --epochs 1 --baselines none  # scale
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tintin.fleet import memory, node, partition, report, scenario
from tintin.io import cliutil, fleetmsg, modelfile
from tintin.tasks import accdata

PROG = "tintin fleet"
BASELINES = ("local", "float", "fedfloat")


def baselines(text: str) -> frozenset[str]:
    """An argparse type: a comma-separated subset of BASELINES, or none."""
    if text.strip() == "none":
        return frozenset()
    got = frozenset(t.strip() for t in text.split(","))
    bad = sorted(got - set(BASELINES))
    if bad:
        raise argparse.ArgumentTypeError(f"{', '.join(bad)}: not one of {', '.join(BASELINES)}")
    return got


def parser() -> cliutil.Parser:
    d = scenario.Config()
    ap = cliutil.parser(PROG, __doc__)
    ap.add_argument("--task", default=d.task, choices=sorted(accdata.TASKS),
                    help=f"dataset and network (default {d.task})")  # fmt: skip
    ap.add_argument("--nodes", type=cliutil.int_in(2, 100_000), default=d.nodes)
    ap.add_argument("--rounds", type=cliutil.int_in(1, 10_000), default=d.rounds)
    ap.add_argument("--epochs", type=cliutil.int_in(1, 1000), default=d.epochs,
                    help="local passes over a node's samples per round")  # fmt: skip
    ap.add_argument("--batch", type=cliutil.int_in(1, 64), default=d.batch)
    ap.add_argument("--alpha", type=float, default=d.alpha,
                    help="Dirichlet label skew, > 0 (smaller: fewer classes per node)")  # fmt: skip
    ap.add_argument("--seed", type=cliutil.int_in(0, 2**31 - 1), default=d.seed)
    ap.add_argument("--sparse", type=float, default=d.sparse, metavar="SHARE",
                    help="nodes send sparse updates: this share of their trained weights, "
                    "the ones that changed most (0 < SHARE <= 1; default 0: dense)")  # fmt: skip
    ap.add_argument("--momentum", type=float, default=d.momentum,
                    help=f"the gateway's server momentum beta in [0, 1), 0 for plain FedAvg "
                    f"(default {d.momentum})")  # fmt: skip
    shift = cliutil.int_in(*modelfile.OPTIM_RANGES["lr_shift"])
    ap.add_argument("--lr-shift", type=shift, default=d.lr_shift, metavar="N",
                    help=f"the nodes' learning rate 2^-N (default {d.lr_shift})")  # fmt: skip
    ap.add_argument("--central-lr-shift", type=shift, default=d.central_lr_shift,
                    metavar="N", help="the centralised float32 baseline's learning rate 2^-N "
                    f"(default {d.central_lr_shift}, the task's)")  # fmt: skip
    ap.add_argument("--engine", choices=("flower", "local"), default="flower",
                    help="Flower's Simulation Engine on Ray (needs the fleet extra), or this "
                    "process")  # fmt: skip
    ap.add_argument("--cpus", type=cliutil.int_in(1, 1024), default=os.cpu_count() or 1,
                    help="Ray workers (one virtual node each at a time)")  # fmt: skip
    ap.add_argument("--baselines", type=baselines, default=",".join(BASELINES),
                    help="comma-separated, or none: local (each node alone), float "
                    "(centralised float32 on the pooled samples), fedfloat (float32 FedAvg, "
                    "same rounds); default all")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("fleet-out"),
                    help="folder for fleet.json and fleet_curves.png (files replaced)")  # fmt: skip
    ap.add_argument("--verbose", action="store_true", help="Flower's and Ray's own logs")
    return ap


def engine_runner(name: str) -> object:
    """The engine's module; a one-line error when Flower is not installed."""
    if name == "local":
        return None
    try:
        from tintin.fleet import flower
    except ImportError as exc:
        missing = (exc.name or "flwr").split(".")[0]
        raise cliutil.UsageError(
            f"--engine flower needs Flower and Ray ({missing} is missing): "
            "pip install '.[fleet]', or use --engine local"
        ) from None
    return flower


def run(args: argparse.Namespace) -> report.Run:
    if not args.alpha > 0.0:  # NaN too
        raise cliutil.UsageError(f"--alpha {args.alpha}: must be a number > 0")
    cliutil.output_dir(args.out, "--out")
    if not 0.0 <= args.momentum < 1.0:  # NaN too
        raise cliutil.UsageError(f"--momentum {args.momentum}: must be in [0, 1)")
    if not 0.0 <= args.sparse <= 1.0:  # NaN too
        raise cliutil.UsageError(f"--sparse {args.sparse}: must be in (0, 1], or 0")
    cfg = scenario.Config(args.task, args.nodes, args.rounds, args.epochs, args.batch,
                          args.alpha, args.seed, args.momentum, args.sparse, args.lr_shift,
                          args.central_lr_shift)  # fmt: skip
    flower = engine_runner(args.engine)
    f = scenario.prepare(cfg)
    evaluate = scenario.Evaluator(f)
    fed: dict[int, tuple[scenario.Score, float]] = {}
    print(f"{PROG}: {cfg.nodes} nodes, {len(f.split.y_train)} training samples "
          f"({min(len(s.y) for s in f.shards)}..{max(len(s.y) for s in f.shards)} per node), "
          f"{cfg.rounds} rounds on {args.engine}", flush=True)  # fmt: skip
    t0 = time.monotonic()

    def on_round(r: int, g: bytes) -> None:
        fed[r] = (evaluate(g), time.monotonic() - t0)
        print(f"  round {r:4d}: federated {100 * fed[r][0].held_out:6.2f} % held-out "
              f"({fed[r][1]:.1f} s)", flush=True)  # fmt: skip

    failures = 0
    gateway = node.Gateway(f.sp, cfg.seed, cfg.momentum)
    with memory.PeakRss() as peak:
        if flower is None:
            scenario.run_rounds(f, on_round, gateway)
        else:
            failures = flower.simulate(f, on_round, args.cpus, gateway,  # type: ignore[attr-defined]
                                       args.verbose)  # fmt: skip
    wall = time.monotonic() - t0
    if len(fed) != cfg.rounds:
        raise RuntimeError(f"fleet: {len(fed)} of {cfg.rounds} rounds completed")
    local = scenario.local_only(f) if "local" in args.baselines else None
    flt = scenario.central_float(f) if "float" in args.baselines else None
    fedflt = scenario.fedavg_float(f) if "fedfloat" in args.baselines else None
    size = fleetmsg.size(f.sp)
    up = round(gateway.bytes_in / gateway.messages_in) if gateway.messages_in else size
    out = report.Run(cfg, args.engine, up, size, failures=failures, wall_s=wall,
                     node_rounds_per_s=cfg.nodes * cfg.rounds / wall,
                     peak_rss_bytes=peak.bytes)  # fmt: skip
    for r in range(1, cfg.rounds + 1):
        out.rounds.append(report.round_record(
            r, fed[r][0], None if local is None else local[r - 1],
            None if flt is None else flt[r - 1], None if fedflt is None else fedflt[r - 1],
            fed[r][1]))  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        out = run(args)
    except (cliutil.UsageError, partition.PartitionError, accdata.AccDataError,
            fleetmsg.FleetError, ValueError) as exc:  # fmt: skip
        return cliutil.fail(PROG, exc)
    args.out.mkdir(parents=True, exist_ok=True)
    report.write_json(out, args.out / "fleet.json")
    report.plot(out, args.out / "fleet_curves.png")
    print(report.header())
    for r in out.rounds:
        print(report.row(r))
    print(report.summary(out))
    print(f"{PROG}: wrote {args.out / 'fleet.json'} and {args.out / 'fleet_curves.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
