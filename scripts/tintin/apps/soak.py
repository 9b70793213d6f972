# SPDX-License-Identifier: Apache-2.0
"""`tintin soak`: a long training run on a drifting stream, watching for numeric drift.

    tintin soak [--steps 1000000] [--window 50000] [--optim default|hybrid|lean|compact|momentum]
                [--json FILE] [--markdown FILE]

A sensor node trains for months, one sample at a time, on data that drifts. This runs the C
runtime (whichever libtintin the binding loads: point TINTIN_LIB at the sanitizer build to
run it under ASan and UBSan) for that many batch-1 steps of the digits MLP on the real
scikit-learn digits, streamed in shuffled passes with a slow drift: the sensor's gain falls to
half and recovers (a sine over the run) and, for the middle half of the run, the image is
shifted one pixel right (a moved sensor). Test-then-train: each sample is predicted before it
is trained on, so the prequential accuracy is what the node would have scored.

Per window: prequential accuracy, held-out accuracy (450 images under the drift of that
moment), the runtime's saturation counters (tintin_model_get_stats: activations, errors,
parameters) and layer rescales, every layer's activation exponent range, the largest weight
magnitude and the share of weights at the int8 limit, and the largest momentum. Exit 1 when a
saturation counter grows in every one of the last three windows or the last held-out accuracy
is more than --margin below the best; 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from tintin.core import data, spec
from tintin.native import clib
from tintin.tasks import digits

PROG = "tintin soak"
OPTIMS = spec.PRESETS


@dataclass
class Window:
    end_step: int
    gain: float
    shifted: bool
    prequential: float
    held_out: float
    act_sat: int
    err_sat: int
    param_sat: int
    rescales: int
    act_exp_min: list[int]
    act_exp_max: list[int]
    max_abs_w: list[int]
    w_at_limit: list[float]
    max_abs_mom: list[int]


@dataclass
class Report:
    steps: int
    window: int
    optim: str
    batch: int
    windows: list[Window] = field(default_factory=list)
    best_held_out: float = 0.0
    final_held_out: float = 0.0
    margin: float = 0.0
    bounded: bool = True
    ok: bool = True


def drift(step: int, steps: int) -> tuple[float, bool]:
    """Sensor gain (1 -> 0.5 -> 1 over the run) and whether the image is shifted."""
    t = step / steps
    return 1.0 - 0.5 * math.sin(math.pi * t) ** 2, 0.25 <= t < 0.75


def apply_drift(x: np.ndarray, gain: float, shifted: bool) -> np.ndarray:
    """int8 images [n, 64] seen through the drifted sensor (8x8, one pixel right if shifted)."""
    img = x.reshape(-1, 8, 8).astype(np.float64) * gain
    if shifted:
        img = np.concatenate([np.zeros_like(img[:, :, :1]), img[:, :, :-1]], axis=2)
    return np.clip(np.rint(img), -127, 127).astype(np.int8).reshape(len(x), 64)


def run(
    steps: int, window: int, optim: str, batch: int = 1, seed: int = 1, log: TextIO | None = None
) -> Report:
    split = digits.load_digits_split()
    (xtr, x_exp), ytr = data.quantize_inputs(split.x_train), split.y_train
    xte, yte = data.quantize_inputs(split.x_test)[0], split.y_test
    sp = digits.digits_spec(OPTIMS[optim](), batch, seed)
    m = clib.CModel(sp)
    weight_layers = [i for i, lay in enumerate(sp.layers) if lay.kind in spec.WEIGHT_LAYERS]
    rng = np.random.default_rng(seed)
    rep = Report(steps, window, optim, batch)
    order = rng.permutation(len(xtr))
    pos = 0
    hits = 0
    last = m.stats()
    exp_lo = [127] * len(sp.layers)
    exp_hi = [-128] * len(sp.layers)
    for step in range(steps):
        if pos + batch > len(order):
            order, pos = rng.permutation(len(xtr)), 0
        k = order[pos : pos + batch]
        pos += batch
        gain, shifted = drift(step, steps)
        x = apply_drift(xtr[k], gain, shifted)
        hits += int(np.sum(m.predict(x, x_exp) == ytr[k]))
        m.train_step(x, x_exp, labels=ytr[k])
        if step % 1000 == 0:
            for i, e in enumerate(m.act_exps()):
                exp_lo[i], exp_hi[i] = min(exp_lo[i], e), max(exp_hi[i], e)
        if (step + 1) % window == 0 or step + 1 == steps:
            n = window if (step + 1) % window == 0 else (step + 1) % window
            now = m.stats()
            held = m.evaluate(apply_drift(xte, gain, shifted), x_exp, yte) / len(xte)
            params = [m.layer_params(i) for i in weight_layers]
            w = rep.windows
            w.append(
                Window(
                    step + 1, round(gain, 4), shifted, round(hits / (n * batch), 4),
                    round(held, 4),
                    now["act_sat"] - last["act_sat"], now["err_sat"] - last["err_sat"],
                    now["param_sat"] - last["param_sat"], now["rescales"] - last["rescales"],
                    exp_lo, exp_hi,
                    [int(np.max(np.abs(p["w"]))) for p in params],
                    [round(float(np.mean(np.abs(p["w"]) >= 127)), 5) for p in params],
                    [int(np.max(np.abs(p["w_mom"]))) if p["w_mom"] is not None else 0
                     for p in params],
                )
            )  # fmt: skip
            if log is not None:
                print(f"{PROG}: step {step + 1:>9,}: prequential {w[-1].prequential:.4f}, held-out "
                      f"{held:.4f}, saturations act/err/param {w[-1].act_sat}/{w[-1].err_sat}/"
                      f"{w[-1].param_sat}", file=log, flush=True)  # fmt: skip
            last, hits = now, 0
            exp_lo, exp_hi = [127] * len(sp.layers), [-128] * len(sp.layers)
    return rep


def judge(rep: Report, margin: float) -> Report:
    held = [w.held_out for w in rep.windows]
    rep.best_held_out, rep.final_held_out = max(held), held[-1]
    rep.margin = round(rep.best_held_out - rep.final_held_out, 4)
    last3 = rep.windows[-3:]
    # Growing: rising over the last three windows to at least one event per 10 steps (a
    # handful of clipped errors in a short run is not a trend).
    floor = rep.window // 10
    rep.bounded = len(last3) < 3 or not any(
        all(a < b for a, b in itertools.pairwise(vals)) and vals[-1] >= floor
        for vals in ([w.act_sat for w in last3], [w.err_sat for w in last3],
                     [w.param_sat for w in last3])
    )  # fmt: skip
    rep.ok = rep.bounded and rep.margin <= margin
    return rep


def markdown(rep: Report) -> str:
    out = [
        "| steps | gain | shifted | prequential | held-out | act sat | err sat | param sat "
        "| rescales | act exponents | max \\|w\\| | w at ±127 | max \\|momentum\\| |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for w in rep.windows:
        exps = ", ".join(f"{a}..{b}" for a, b in zip(w.act_exp_min, w.act_exp_max, strict=True)
                         if a <= b)  # fmt: skip
        out.append(
            f"| {w.end_step:,} | {w.gain:.3f} | {'yes' if w.shifted else 'no'} | "
            f"{w.prequential:.4f} | {w.held_out:.4f} | {w.act_sat:,} | {w.err_sat:,} | "
            f"{w.param_sat:,} | {w.rescales} | {exps} | {w.max_abs_w} | {w.w_at_limit} | "
            f"{w.max_abs_mom} |"
        )
    verdict = "yes" if rep.bounded else "NO"
    out += ["", f"Best held-out {rep.best_held_out:.4f}, final {rep.final_held_out:.4f} "
            f"(margin {rep.margin:.4f}); saturation bounded: {verdict}."]  # fmt: skip
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--window", type=int, default=50_000)
    ap.add_argument("--optim", choices=sorted(OPTIMS), default="default")
    ap.add_argument("--batch", type=int, default=1, help="stream samples per training step")
    ap.add_argument("--margin", type=float, default=0.05, help="allowed drop from the best")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    if args.steps < 1 or not 1 <= args.window <= args.steps or not 1 <= args.batch <= 64:
        print(f"{PROG}: need --steps >= 1, 1 <= --window <= --steps, 1 <= --batch <= 64",
              file=sys.stderr)  # fmt: skip
        return 2
    rep = run(args.steps, args.window, args.optim, args.batch, args.seed, sys.stderr)
    rep = judge(rep, args.margin)
    if args.json:
        args.json.write_text(json.dumps(asdict(rep), indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(rep))
    print(f"{PROG}: {rep.steps:,} steps, best held-out {rep.best_held_out:.4f}, final "
          f"{rep.final_held_out:.4f}, saturation {'bounded' if rep.bounded else 'GROWING'}: "
          f"{'OK' if rep.ok else 'FAIL'}")  # fmt: skip
    return 0 if rep.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
