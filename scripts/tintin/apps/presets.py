# SPDX-License-Identifier: Apache-2.0
"""`tintin presets`: the optimizer presets compared on on-device adaptation (motion network).

    tintin presets [--people 1,2,...,10] [--seeds 3] [--epochs 8] [--adapt-epochs 10] [--json F]

For every held-out person and seed, the conv1d motion network pre-trains on the nine other
people and then fine-tunes its last two layers on the first half of that person's recordings
(`tintin demo motion`), once per preset and once in float32 (plain SGD at the default's rate);
the same initial weights and sample order for all of them. It prints the mean held-out
accuracy before and after adaptation, and each preset's paired difference from the default
with its standard error. This is the evidence behind the default preset (docs/numerics.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tintin.core import spec
from tintin.core.spec import Optim

# Hybrid is the default under its own name, and on the motion network (all dense) lean trains
# exactly as the default does: each is measured once, as the default.
PRESETS = {name: make() for name, make in spec.PRESETS.items() if name not in ("hybrid", "lean")}


def measure(people: list[int], seeds: list[int], epochs: int, adapt_epochs: int) -> dict:
    """{trainer: {"before": [...], "after": [...]}}, runs in (person, seed) order."""
    from tintin.tasks import motion

    out: dict[str, dict[str, list[float]]] = {
        k: {"before": [], "after": []} for k in [*PRESETS, "float32"]
    }
    for person in people:
        pre, user = motion.load_motion(person)
        for seed in seeds:
            for name, optim in PRESETS.items():
                sp = motion.motion_spec(optim, 8, seed)
                b, a = motion.run_int(pre, user, sp, epochs, adapt_epochs, 2)
                out[name]["before"].append(b)
                out[name]["after"].append(a)
            sp = motion.motion_spec(Optim(), 8, seed)
            b, a = motion.run_float(pre, user, sp, epochs, adapt_epochs, 2)
            out["float32"]["before"].append(b)
            out["float32"]["after"].append(a)
    return out


def table(res: dict) -> list[str]:
    base = np.array(res["default"]["after"])
    lines = ["| trainer | before | after | after - default (points, paired) |",
             "|---|---:|---:|---:|"]  # fmt: skip
    for name, r in res.items():
        after = np.array(r["after"])
        d = 100 * (after - base)
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else 0.0
        diff = "" if name == "default" else f"{d.mean():+.2f} ± {se:.2f}"
        lines.append(f"| {name} | {np.mean(r['before']):.4f} | {after.mean():.4f} | {diff} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tintin presets", description=__doc__.split("\n")[0])
    ap.add_argument("--people", default="1,2,3,4,5,6,7,8,9,10", help="held-out people (1-10)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=8, help="pre-training epochs")
    ap.add_argument("--adapt-epochs", type=int, default=10)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    try:
        people = [int(p) for p in args.people.split(",") if p]
    except ValueError:
        print(
            f"tintin presets: --people must be numbers 1-10, not {args.people!r}", file=sys.stderr
        )
        return 2
    if not people or any(not 1 <= p <= 10 for p in people) or args.seeds < 1 or args.epochs < 1:
        print("tintin presets: --people in 1-10, --seeds and --epochs >= 1", file=sys.stderr)
        return 2
    try:
        res = measure(people, list(range(1, args.seeds + 1)), args.epochs, args.adapt_epochs)
    except RuntimeError as exc:
        print(f"tintin presets: {exc}", file=sys.stderr)
        return 1
    print(f"motion adaptation, held-out people {people} x seeds 1-{args.seeds}:")
    print("\n".join(table(res)))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
