# SPDX-License-Identifier: Apache-2.0
"""`tintin demo digits`: the first real result.

A 64-32-10 MLP trained on scikit-learn's bundled handwritten digits three ways, with the same
initial weights, the same epochs, batch size and sample order: integer (the default rule) and
integer (the NITI rule) by the C runtime, and float32 by the NumPy trainer.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tintin import spec
from tintin.spec import ModelSpec, Optim

SIZES = [64, 32, 10]
# NITI's rule with its best mu on this task (tintin sweep), int8 weights, no momentum.
NITI = Optim(
    rule=spec.RULE_NITI, mu=2, momentum_shift=0, upscale_bits=0, rounding=spec.ROUND_PSEUDO
)


@dataclass
class IntRun:
    """Per-epoch held-out accuracy of an integer run and its arena measurements."""

    accuracy: list[float]
    arena_bytes: int
    arena_high_water: int


def quantize_like(x: np.ndarray, exp: int) -> np.ndarray:
    """Quantise held-out data with the training data's exponent, saturating."""
    return np.clip(np.rint(x * 2.0**-exp), -127, 127).astype(np.int8)


def make_model(sp: ModelSpec, backend: str, paint: int = 0xA5) -> object:
    """A trainable model on the C runtime ("c") or the NumPy reference ("ref")."""
    if backend == "ref":
        from tintin.refmodel import RefModel

        return RefModel(sp)
    from tintin import clib

    return clib.CModel(sp, paint=paint)


def train_int(
    sp: ModelSpec,
    split: object,
    epochs: int,
    batch: int,
    seed: int,
    backend: str = "c",
    progress: Callable[[int, float], None] | None = None,
) -> IntRun:
    """Train an integer model epoch by epoch and evaluate on the held-out split."""
    from tintin import data

    x_train, x_exp = data.quantize_inputs(split.x_train)
    x_test = quantize_like(split.x_test, x_exp)
    model = make_model(sp, backend)
    accs = []
    for epoch in range(epochs):
        for idx in data.batches(len(x_train), batch, epoch, seed):
            model.train_step(x_train[idx], x_exp, labels=split.y_train[idx])
        accs.append(model.evaluate(x_test, x_exp, split.y_test) / len(x_test))
        if progress is not None:
            progress(epoch, accs[-1])
    planned = getattr(model, "planned", 0)
    high = model.high_water() if hasattr(model, "high_water") else 0
    return IntRun(accs, planned, high)


def digits_spec(optim: Optim, batch: int, seed: int) -> ModelSpec:
    return spec.mlp(SIZES, seed=seed, optim=optim, max_batch=batch)


def run_digits(epochs: int, batch: int, seed: int, backend: str, quiet: bool) -> dict:
    from tintin import data, floatref

    split = data.load_digits_split()
    out = sys.stdout

    def say(name: str) -> Callable[[int, float], None]:
        def cb(epoch: int, acc: float) -> None:
            if not quiet:
                print(f"{name:8s} epoch {epoch + 1:3d}  held-out accuracy {acc:.4f}", file=out)

        return cb

    runs = {}
    runs["int"] = train_int(
        digits_spec(Optim(), batch, seed), split, epochs, batch, seed, backend, say("int")
    )
    runs["niti"] = train_int(
        digits_spec(NITI, batch, seed), split, epochs, batch, seed, backend, say("niti")
    )
    fl = floatref.train(digits_spec(Optim(), batch, seed), split, epochs, batch, seed)
    for e, acc in enumerate(fl):
        say("float32")(e, acc)
    return {
        "dataset": f"sklearn digits, {len(split.y_train)} train / {len(split.y_test)} held out",
        "model": "dense 64-32-10, ReLU",
        "epochs": epochs,
        "batch": batch,
        "seed": seed,
        "backend": backend,
        "accuracy": {
            "int": runs["int"].accuracy[-1],
            "niti": runs["niti"].accuracy[-1],
            "float32": fl[-1],
        },
        "accuracy_per_epoch": {
            "int": runs["int"].accuracy,
            "niti": runs["niti"].accuracy,
            "float32": fl,
        },
        "arena_bytes": runs["int"].arena_bytes,
        "arena_high_water": runs["int"].arena_high_water,
        "arena_bytes_niti": runs["niti"].arena_bytes,
    }


def print_table(res: dict) -> None:
    acc = res["accuracy"]
    print()
    print(f"digits MLP 64-32-10, {res['epochs']} epochs, batch {res['batch']}, {res['dataset']}")
    print(f"{'trainer':34s} {'held-out accuracy':>17s}")
    print(f"{'integer, default (aligned) rule':34s} {acc['int']:17.4f}")
    print(f"{'integer, NITI rule':34s} {acc['niti']:17.4f}")
    print(f"{'float32':34s} {acc['float32']:17.4f}")
    gap = 100 * (acc["int"] - acc["float32"])
    print(f"integer vs float32: {gap:+.2f} points")
    if res["arena_bytes"]:
        print(
            f"training arena: planned {res['arena_bytes']} B, "
            f"measured high-water {res['arena_high_water']} B"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tintin demo", description=__doc__.split("\n")[0])
    ap.add_argument("name", choices=["digits"], help="which demo")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--backend",
        choices=["c", "ref"],
        default="c",
        help="integer trainer: the C runtime (default) or the NumPy reference",
    )
    ap.add_argument("--json", type=Path, help="write the results as JSON to this file")
    ap.add_argument("--quiet", action="store_true", help="only the final table")
    args = ap.parse_args(argv)
    if not 1 <= args.batch <= 256 or args.epochs < 1:
        print("tintin demo: --batch must be 1..256 and --epochs >= 1", file=sys.stderr)
        return 2
    try:
        res = run_digits(args.epochs, args.batch, args.seed, args.backend, args.quiet)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"tintin demo: {exc}", file=sys.stderr)
        return 1
    print_table(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
