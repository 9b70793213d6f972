# SPDX-License-Identifier: Apache-2.0
"""`tintin sweep`: measure update-rule settings on the digits MLP.

This is the evidence behind the default optimizer settings (docs/numerics.md): every
combination of rule, learning rate, momentum, int16 master weights and rounding trains the same
network from the same initial weights over several seeds, on the C runtime, and the table ranks
them by mean held-out accuracy. A float32 run per seed is the baseline of the same table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from tintin.core import spec
from tintin.core.spec import Optim
from tintin.tasks import digits
from tintin.tasks.digits import digits_spec
from tintin.tasks.runs import train_int


def configs(quick: bool) -> list[tuple[str, Optim]]:
    """Named optimizer settings: aligned-rule grid, non-power-of-two rates, NITI baselines."""
    out: list[tuple[str, Optim]] = []
    shifts = [3, 4] if quick else [2, 3, 4, 5]
    for lr, mom, up, rnd in itertools.product(shifts, [0, 3], [0, 8], [0, 1]):
        name = (
            f"aligned lr=2^-{lr} mom={'1-2^-3' if mom else 'off'} "
            f"master={'int16' if up else 'int8'} {'sto' if rnd == 0 else 'psto'}"
        )
        opt = Optim(lr_shift=lr, momentum_shift=mom, upscale_bits=up, rounding=rnd)
        opt.upscale_scope = spec.UPSCALE_ALL
        out.append((name, opt))
    # Non-power-of-two learning rates (sum of shifts) between the best powers of two.
    for lr, mult, label in [(3, 5, "1.25"), (4, 3, "1.5"), (4, 5, "1.25")]:
        rate = f"{label}*2^-{lr}"
        out.append(
            (
                f"aligned lr={rate} mom=1-2^-3 master=int16 sto",
                Optim(lr_shift=lr, lr_mult=mult, momentum_shift=3, upscale_scope=spec.UPSCALE_ALL),
            )
        )
    for mu, up in itertools.product([0, 1, 2, 3], [0, 8]):
        out.append(
            (
                f"niti mu={mu} master={'int16' if up else 'int8'} psto",
                Optim(spec.RULE_NITI, 0, 1, mu, 0, up, spec.ROUND_PSEUDO, spec.UPSCALE_ALL),
            )
        )
    return out


def epochs_to(accs: list[float], target: float) -> int | None:
    return next((e + 1 for e, a in enumerate(accs) if a >= target), None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tintin sweep", description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a smaller grid")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    from tintin.core import floatref

    split = digits.load_digits_split()
    seeds = list(range(1, args.seeds + 1))
    rows = []
    for lr, mom in [(2, 0), (3, 0), (4, 0), (5, 0), (5, 3)]:
        opt = Optim(lr_shift=lr, momentum_shift=mom)
        fl = [
            floatref.train(digits_spec(opt, args.batch, s), split, args.epochs, args.batch, s)
            for s in seeds
        ]
        rows.append(
            {
                "name": f"float32 lr=2^-{lr} mom={'1-2^-3' if mom else 'off'}",
                "final": [f[-1] for f in fl],
                "to95": [epochs_to(f, 0.95) for f in fl],
            }
        )
    for name, optim in configs(args.quick):
        runs = [
            train_int(digits_spec(optim, args.batch, s), split, args.epochs, args.batch, s)
            for s in seeds
        ]
        rows.append(
            {
                "name": name,
                "final": [r.accuracy[-1] for r in runs],
                "to95": [epochs_to(r.accuracy, 0.95) for r in runs],
            }
        )
        print(f"{np.mean(rows[-1]['final']):.4f}  {name}", file=sys.stderr)
    rows.sort(key=lambda r: -float(np.mean(r["final"])))
    print(f"digits 64-32-10, {args.epochs} epochs, batch {args.batch}, seeds {seeds}")
    print("| setting | mean final accuracy | min | epochs to 95% (per seed) |")
    print("|---|---|---|---|")
    for r in rows:
        to95 = ", ".join("-" if t is None else str(t) for t in r["to95"])
        print(f"| {r['name']} | {np.mean(r['final']):.4f} | {min(r['final']):.4f} | {to95} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
