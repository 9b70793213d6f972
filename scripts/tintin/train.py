# SPDX-License-Identifier: Apache-2.0
"""`tintin train`: train a model spec on a dataset on the PC, exactly as the device would.

    tintin train model.yaml data.npz|data.csv [--weights w.npz] [--epochs 10]
                 [--backend ref|c] [--test-fraction 0.2] [--seed 0] [--out DIR]
                 [--compare-float]

The bit-exact NumPy reference (or the C runtime through the shared library) trains with the
spec's optimizer and batch; after each epoch the held-out accuracy and mean cross-entropy
(from the int8 outputs times 2^exponent), the saturation counters of training and every
weight layer's exponent go to DIR/metrics.json, the curves to DIR/learning_curve.png, and the
trained int8 model to DIR/<name>_model.h, ready for `#include` on the device (training there
resumes from these int8 weights).

--compare-float also trains the project's float32 trainer (tintin.floatref) from the same
initial weights, with the spec's learning rate, on the same split, in the same sample order and
on the same real inputs (the int8 codes times 2^exponent), and puts its curves beside the
integer ones: metrics.json gains a "float32" object, learning_curve.png both curves.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import io
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tintin import cgen, clib, cliutil, data, dataset, modelfile, spec
from tintin.floatref import FloatModel
from tintin.refmodel import RefModel

PROG = "tintin train"
# struct tintin_stats fields recorded per epoch (steps is the denominator).
COUNTERS = ("act_sat", "err_sat", "param_sat", "rescales", "update_clips", "steps")
# Float32 held-out passes go this many samples at a time: a conv layer's patches of a whole
# test set would not fit in memory.
FLOAT_CHUNK = 512


def progress(epoch: int, epochs: int, done: int, total: int, width: int = 30) -> None:
    """One self-overwriting progress line on stderr, only on a terminal (no '\\r' in logs)."""
    if not sys.stderr.isatty():
        return
    filled = width * done // max(total, 1)
    bar = "#" * filled + "." * (width - filled)
    sys.stderr.write(f"\repoch {epoch + 1}/{epochs} [{bar}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def trained_spec(sp: spec.ModelSpec, model: RefModel | clib.CModel) -> spec.ModelSpec:
    """A copy of the spec carrying the model's current int8 weights, exponents and biases."""
    out = copy.deepcopy(sp)
    for i, layer in enumerate(out.layers):
        if layer.kind not in spec.WEIGHT_LAYERS:
            continue
        p = model.layer_params(i)
        assert layer.weights is not None
        layer.weights = np.asarray(p["w"], np.int8).reshape(layer.weights.shape)
        layer.w_exp = int(p["w_exp"])
        layer.bias = np.asarray(p["bias"], np.int32).copy()
    return out


def xent(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy of logits [n, classes]: a stable log-softmax in float64."""
    z = np.asarray(z, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]


def held_out_int(
    model: RefModel | clib.CModel, x: np.ndarray, e: int, y: np.ndarray, batch: int
) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of the integer model, max_batch samples at a time."""
    hits, losses = 0, []
    for k in range(0, len(x), batch):
        out, oe = model.forward(x[k : k + batch], e)
        yk = y[k : k + batch]
        # Argmax of the int8 outputs, as tintin_model_evaluate; the row maximum comes off in
        # integers before scaling, since 2^oe alone can overflow float64 on a runaway exponent.
        hits += int(np.count_nonzero(np.argmax(out, axis=1) == yk))
        z = np.asarray(out - out.max(axis=1, keepdims=True), np.float64)
        with np.errstate(over="ignore"):  # a -inf logit gives the true loss, inf or 0
            losses.append(xent(np.ldexp(z, oe), yk))
    return hits / len(y), float(np.concatenate(losses).mean())


def held_out_float(fm: FloatModel, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of the float32 model."""
    z = np.concatenate([fm.forward(x[k : k + FLOAT_CHUNK]) for k in range(0, len(x), FLOAT_CHUNK)])
    return float(np.mean(np.argmax(z, axis=1) == y)), float(xent(z, y).mean())


def counters(model: RefModel | clib.CModel) -> dict[str, int]:
    """The cumulative saturation counters (RefModel keeps a Stats, CModel returns a dict)."""
    s = model.stats() if callable(model.stats) else dataclasses.asdict(model.stats)
    return {k: int(s[k]) for k in COUNTERS}


def finite(v: float) -> float | None:
    """JSON has no NaN or infinity: a diverged loss is written as null."""
    return v if math.isfinite(v) else None


@dataclass
class Curve:
    """Held-out accuracy and loss per epoch of one trainer."""

    accuracy: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)

    def add(self, acc: float, loss: float) -> None:
        self.accuracy.append(acc)
        self.loss.append(loss)

    @property
    def best(self) -> int:
        """Index of the first epoch with the highest accuracy."""
        return int(np.argmax(self.accuracy))

    def summary(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "final_accuracy": self.accuracy[-1],
            "best_epoch": self.best + 1,
            "best_accuracy": self.accuracy[self.best],
            "loss": [finite(v) for v in self.loss],
            "final_loss": finite(self.loss[-1]),
        }

    def line(self) -> str:
        return f"{self.accuracy[-1]:.4f}  loss {self.loss[-1]:.4f}"

    def final(self) -> str:
        b = self.best
        return f"{self.accuracy[-1]:.4f} (best {self.accuracy[b]:.4f} at epoch {b + 1})"


def plot(path: Path | BinaryIO, name: str, ints: Curve, flt: Curve | None,
         sat: list[dict[str, int]]) -> None:  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ep = range(1, len(ints.accuracy) + 1)
    fig, (acc_ax, loss_ax, sat_ax) = plt.subplots(
        3, 1, sharex=True, figsize=(7, 8), gridspec_kw={"height_ratios": [3, 3, 2]}
    )
    for ax, key, label in ((acc_ax, "accuracy", "held-out accuracy"),
                           (loss_ax, "loss", "held-out cross-entropy")):  # fmt: skip
        ax.plot(ep, getattr(ints, key), marker="o", label="integer (Tin-Tin)")
        if flt is not None:
            ax.plot(ep, getattr(flt, key), marker="s", label="float32, same start and order")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    acc_ax.legend()
    # New counts per epoch rather than running totals, on a log scale: a counter that keeps
    # rising shows as a level line, and counts of 10 and 10^6 share one panel.
    top = 10
    for key in COUNTERS[:-1]:
        per = np.diff([0] + [s[key] for s in sat])
        sat_ax.plot(ep, per, marker=".", label=key)
        top = max(top, int(per.max()) * 2)
    sat_ax.set_yscale("symlog", linthresh=1)
    sat_ax.set_ylim(0, top)
    sat_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    sat_ax.set_ylabel("new per epoch")
    sat_ax.set_xlabel("epoch")
    sat_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    sat_ax.grid(True, alpha=0.3)
    sat_ax.legend(title="integer run", ncol=4, fontsize="small", title_fontsize="small",
                  loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)  # fmt: skip
    acc_ax.set_title(f"{name}: training on the PC, bit-exact with the device")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("spec", type=Path, help="model spec, .yaml/.yml or .json")
    ap.add_argument("data", type=Path, help=".npz with x and y, or .csv (label last)")
    ap.add_argument("--weights", type=Path, help="initial float weights (.npz or .onnx)")
    ap.add_argument("--epochs", type=cliutil.int_in(1, EPOCHS_MAX), default=10)
    ap.add_argument("--backend", choices=["ref", "c"], default="ref",
                    help="NumPy reference or the C runtime (default: %(default)s)")  # fmt: skip
    ap.add_argument("--label-column", type=cliutil.int_in(-(2**31), 2**31 - 1), default=-1,
                    help="CSV label column (default -1)")  # fmt: skip
    ap.add_argument("--test-fraction", type=cliutil.open_fraction, default=0.2,
                    help="held out, in (0, 1) (default 0.2)")  # fmt: skip
    ap.add_argument("--seed", type=cliutil.int_in(0, 2**32 - 1), default=0,
                    help="split and epoch-order seed")  # fmt: skip
    ap.add_argument("--scale", choices=["unit", "keep"], default="unit",
                    help="unit: inputs scaled by a power of two into [-1, 1] (default); keep: "
                    "the data's own scale")  # fmt: skip
    ap.add_argument("--compare-float", action="store_true",
                    help="also train the float32 trainer from the same start, in the same "
                    "order, and plot both")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("tintin-train"),
                    help="output directory, made if missing; the files it writes there are "
                    "replaced")  # fmt: skip


EPOCHS_MAX = 1_000_000


def _inputs(args: argparse.Namespace) -> tuple[str, spec.ModelSpec, dataset.Labelled]:
    """The spec and the data, checked against each other before any training."""
    cliutil.output_dir(args.out, "--out")
    name, sp = modelfile.load_spec(args.spec, args.weights)
    ds = dataset.load(args.data, args.label_column)
    if ds.x.shape[1] != sp.input_size:
        raise dataset.DatasetError(
            f"{args.data}: samples have {ds.x.shape[1]} values, the model's input has "
            f"{sp.input_size}"
        )
    if sp.loss != spec.LOSS_XENT:
        raise modelfile.ModelFileError(
            f"{args.spec}: loss: tintin train trains cross-entropy models (loss: xent)"
        )
    classes = spec.layer_shapes(sp)[-1][1]
    if int(ds.y.max()) >= classes:
        raise dataset.DatasetError(
            f"{args.data}: labels reach {int(ds.y.max())}; the model needs a cross-entropy "
            f"output of more than that ({classes} outputs)"
        )
    return name, sp, ds


def train(args: argparse.Namespace) -> dict:
    name, sp, ds = _inputs(args)
    train_i, test_i = dataset.stratified_split(ds.y, args.test_fraction, args.seed)
    dataset.check_split(args.data, train_i, test_i, args.test_fraction)
    x, e = dataset.to_int8(ds.x, args.scale, args.data)
    e = dataset.input_exp(args.data, e, args.scale)
    xs, ys, xt, yt = x[train_i], ds.y[train_i], x[test_i], ds.y[test_i]
    # Built before the integer model, from the untouched spec: the same initial weights.
    fm = FloatModel(sp) if args.compare_float else None
    # The real values the integer path sees, exact in float32 (int8 times a power of two).
    xs_f, xt_f = (np.ldexp(v.astype(np.float32), e) for v in (xs, xt))
    with clib.c_log():
        model = RefModel(sp) if args.backend == "ref" else clib.CModel(sp)
    ints, flt = Curve(), Curve()
    sat: list[dict[str, int]] = []
    w_exp: list[list[int]] = []
    weight_layers = [i for i, layer in enumerate(sp.layers) if layer.kind in spec.WEIGHT_LAYERS]
    held_sat = 0  # act_sat of the held-out passes, kept out of the training counters
    steps = -(-len(xs) // sp.max_batch)
    for epoch in range(args.epochs):
        for k, idx in enumerate(data.batches(len(xs), sp.max_batch, epoch, args.seed)):
            model.train_step(xs[idx], e, labels=ys[idx])
            if fm is not None:
                with np.errstate(all="ignore"):  # a diverging float32 run shows as its loss
                    fm.train_step(xs_f[idx], ys[idx])
            progress(epoch, args.epochs, k + 1, steps)
        c = counters(model)
        ints.add(*held_out_int(model, xt, e, yt, sp.max_batch))
        sat.append(c | {"act_sat": c["act_sat"] - held_sat})
        held_sat += counters(model)["act_sat"] - c["act_sat"]
        w_exp.append([int(model.layer_params(i)["w_exp"]) for i in weight_layers])
        line = f"epoch {epoch + 1:3d}  held-out accuracy {ints.line()}"
        if fm is not None:
            with np.errstate(all="ignore"):
                flt.add(*held_out_float(fm, xt_f, yt))
            line += f"  | float32 {flt.line()}"
        print(line, flush=True)
    header = args.out / f"{name}_model.h"
    final = ints.accuracy[-1]
    title = f"Model {name} trained by tintin train: {args.epochs} epochs, held-out {final:.4f}."
    source = f"tintin train {args.spec.name} {args.data.name}"
    with clib.c_log():
        body = cgen.model_body(trained_spec(sp, model), name)
        arena = clib.plan(sp)
    metrics = {
        "model": name,
        "backend": args.backend,
        "epochs": args.epochs,
        "train_samples": len(xs),
        "test_samples": len(xt),
        "input_exp": e,
        **ints.summary(),
        "saturation": sat,
        "weight_layers": weight_layers,
        "w_exp": w_exp,
        "arena_bytes": arena,
        "header": str(header),
    }
    summary = f"{PROG}: integer {ints.final()}"
    if fm is not None:
        metrics["float32"] = {"lr": float(fm.lr), **flt.summary()}
        gap = 100 * (final - flt.accuracy[-1])
        summary += f"; float32 {flt.final()}; integer - float32 {gap:+.2f} points"
    s = sat[-1]
    summary += (
        f"; saturated act {s['act_sat']} err {s['err_sat']} param {s['param_sat']}, "
        f"{s['rescales']} rescales, {s['update_clips']} clamped updates in {s['steps']} steps"
    )
    png = io.BytesIO()
    plot(png, name, ints, flt if fm is not None else None, sat)
    # Everything is made before the first file is written, and each file lands whole.
    args.out.mkdir(parents=True, exist_ok=True)
    cliutil.write_all({
        header: cgen.header(f"{name}_model_h", title, source, body),
        args.out / "metrics.json": json.dumps(metrics, indent=1) + "\n",
        args.out / "learning_curve.png": png.getvalue(),
    })  # fmt: skip
    print(summary)
    print(f"{PROG}: wrote {header}, {args.out / 'metrics.json'}, {args.out / 'learning_curve.png'}")
    return metrics


def run(args: argparse.Namespace) -> int:
    try:
        train(args)
    except (modelfile.ModelFileError, dataset.DatasetError, cliutil.UsageError) as exc:
        return cliutil.fail(PROG, exc)
    except clib.TintinError as exc:
        return cliutil.fail(PROG, f"the C runtime refused: {exc}")
    except ImportError as exc:
        return cliutil.fail(PROG, f"{exc.name} is needed for the plot: pip install 'tintin[demo]'")
    except OSError as exc:
        return cliutil.fail(PROG, f"--out {args.out}: cannot write: {exc.strerror or exc}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
