# SPDX-License-Identifier: Apache-2.0
"""`tintin train`: train a model spec on a dataset on the PC, exactly as the device would.

    tintin train model.yaml data.npz|data.csv [--weights w.npz] [--epochs 10] [--backend c|ref]
                 [--batch N] [--optimizer NAME] [--lr-shift K] [--train-last K]
                 [--patience N] [--test-fraction 0.2] [--seed 0] [--scale feature|unit|keep]
                 [--out DIR] [--compare-float] [--no-average]

The C runtime (through the shared library; default) or the bit-exact NumPy reference (--backend
ref: the same integers, several times slower) trains with the spec's optimizer and batch, or
with those of --batch, --optimizer, --lr-shift and --train-last, which override the spec (and
go into the header). The training split is shuffled every epoch by a generator seeded from
--seed: the same seed gives the same split, the same order and the same integers. After each
epoch the held-out accuracy and mean cross-entropy (from the int8 outputs times 2^exponent),
the saturation counters of training and every weight layer's exponent go to DIR/metrics.json,
the curves to DIR/learning_curve.png. --patience N stops when the held-out accuracy has not
improved for N epochs (default: off, all --epochs run). The model of the best epoch (highest
held-out accuracy, the first one on a tie) goes to DIR/<name>_model.h, ready for `#include` on
the device (training there resumes from these int8 weights); metrics.json says which epoch it
is (best_epoch).

Inputs are made as `tintin gen data` makes them from the same file, --test-fraction, --seed and
--scale (tintin.io.inputs): with --scale feature (the default) the per-column transform fitted on
the training split goes into the header as <name>_quantize() and into metrics.json ("scale").
Class names as labels become 0..K-1 in sorted order: the header's <name>_class_names[] and
metrics.json's "classes" list them.

After each epoch a second model of the same table takes the running average of the trained
weights (tintin_model_average, the default schedule of tintin/average.h); the held-out figures,
the best epoch and the header are the average's, which a node keeps beside the model it trains
and predicts with (docs/numerics.md, "Weight averaging"). --no-average scores the last iterate.

--compare-float also trains the project's float32 trainer (tintin.core.floatref) from the same
initial weights, with the spec's learning rate, on the same split, in the same sample order and
on the same real inputs (the int8 codes times 2^exponent), averaged alike, and puts its curves
beside the integer ones: metrics.json gains a "float32" object, learning_curve.png both curves.

Progress goes to stderr: a bar with ETA and samples/s on a terminal, one plain line per epoch
otherwise. The last line on stdout sums up the held-out accuracy and names the files written.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
from pathlib import Path
from typing import NoReturn

from tintin.apps.trainfit import PROG, Data, History, fit
from tintin.apps.trainplot import plot
from tintin.core import spec
from tintin.core.floatref import FloatModel
from tintin.core.refmodel import RefModel
from tintin.io import cgen, cliutil, dataset, inputs, modelfile
from tintin.native import clib

EPOCHS_MAX = 1_000_000
TRAIN_NAMES = {v: k for k, v in modelfile.NAMED["train"].items()}
# What a missing optional module was needed for, and the pip line that brings it.
NEEDED_FOR = {
    "matplotlib": ("the plot", "tintin[demo]"),
    "tqdm": ("the progress bar", "tqdm"),
}


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("spec", type=Path, help="model spec, .yaml/.yml or .json")
    ap.add_argument("data", type=Path, help=".npz with x and y, or .csv (label last)")
    ap.add_argument("--weights", type=Path, help="initial float weights (.npz or .onnx)")
    ap.add_argument("--epochs", type=cliutil.int_in(1, EPOCHS_MAX), default=10,
                    help="at most this many epochs (default 10)")  # fmt: skip
    ap.add_argument("--backend", choices=["c", "ref"], default="c",
                    help="c: the C runtime through the shared library (default); ref: "
                    "the bit-exact NumPy reference, same integers, several times "
                    "slower")  # fmt: skip
    ap.add_argument("--batch", type=cliutil.int_in(1, modelfile.MAX_BATCH), metavar="N",
                    help="samples per training step (1..256), instead of the spec's "
                    "max_batch")  # fmt: skip
    ap.add_argument("--optimizer", choices=list(spec.PRESETS), metavar="NAME",
                    help="optimizer preset instead of the spec's: "
                    f"{', '.join(spec.PRESETS)}")  # fmt: skip
    ap.add_argument("--lr-shift", type=cliutil.int_in(*modelfile.OPTIM_RANGES["lr_shift"]),
                    metavar="K", help="learning rate 2^-K (0..30), instead of the optimizer's "
                    "(after --optimizer)")  # fmt: skip
    ap.add_argument("--train-last", type=cliutil.int_in(1, 2**16 - 1), metavar="K",
                    help="train only the last K weight layers, freeze the others: instead "
                    "of the spec's train_last and layers' train keys")  # fmt: skip
    ap.add_argument("--patience", type=cliutil.int_in(1, EPOCHS_MAX), metavar="N",
                    help="stop when the held-out accuracy has not improved for N epochs "
                    "(default: off)")  # fmt: skip
    ap.add_argument("--label-column", type=cliutil.int_in(-(2**31), 2**31 - 1), default=-1,
                    help="CSV label column (default -1)")  # fmt: skip
    ap.add_argument("--test-fraction", "--split", type=cliutil.open_fraction, default=0.2,
                    metavar="F", help="held out, in (0, 1), stratified by class (default "
                    "0.2)")  # fmt: skip
    ap.add_argument("--seed", type=cliutil.int_in(0, 2**32 - 1), default=0,
                    help="seed of the split and of each epoch's shuffle (default 0)")  # fmt: skip
    ap.add_argument("--scale", choices=[s for s in inputs.SCALES if s != "int8"],
                    default="feature", help=inputs.SCALE_HELP)  # fmt: skip
    ap.add_argument("--average", action=argparse.BooleanOptionalAction, default=True,
                    help="score and keep the running weight average after each epoch "
                    "(tintin_model_average; --no-average: the last iterate)")  # fmt: skip
    ap.add_argument("--compare-float", action="store_true",
                    help="also train the float32 trainer from the same start, in the same "
                    "order, and plot both")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("tintin-train"),
                    help="output directory, made if missing; the files it writes there are "
                    "replaced")  # fmt: skip


def overrides(args: argparse.Namespace) -> dict[str, int | str]:
    """The spec settings the command line replaces, by their metrics.json names."""
    given = {"batch": args.batch, "optimizer": args.optimizer, "lr_shift": args.lr_shift,
             "train_last": args.train_last}  # fmt: skip
    return {k: v for k, v in given.items() if v is not None}


def apply_overrides(sp: spec.ModelSpec, args: argparse.Namespace) -> None:
    """--optimizer first, so that --lr-shift changes the preset's rate and not the reverse."""
    if args.optimizer is not None:
        sp.optim = spec.PRESETS[args.optimizer]()
    if args.lr_shift is not None:
        sp.optim.lr_shift = args.lr_shift
    if args.batch is not None:
        sp.max_batch = args.batch
    if args.train_last is not None:
        n_w = len(spec.weight_layers(sp))
        if args.train_last > n_w:
            raise cliutil.UsageError(
                f"--train-last {args.train_last}: the model of {args.spec.name} has {n_w} "
                f"weight layers (1..{n_w})"
            )
        spec.train_last(sp, args.train_last)


def refuse_mse(args: argparse.Namespace) -> NoReturn:
    """`loss: mse` is for int8 target vectors; a classification data set wants xent. The
    message says which of the two the data looks like."""
    try:
        ds = dataset.load(args.data, args.label_column)
    except dataset.DatasetError:
        ds = None
    if ds is not None:
        raise modelfile.ModelFileError(
            f"{args.spec}: loss: mse, but the labels of {args.data} look like classes (one "
            f"integer 0..{int(ds.y.max())} per sample): use loss: xent, with one output per "
            "class (tintin train trains classifiers)"
        )
    raise modelfile.ModelFileError(
        f"{args.spec}: loss: mse: tintin train trains classifiers, loss: xent with integer "
        "labels 0..K-1 (mse target vectors train through the C API's targets)"
    )


def load_c_library() -> None:
    """The C library plans and checks every model, whatever the backend: a missing one is
    said once, before any work, not as an unreadable error in the middle."""
    try:
        clib.lib()
    except OSError as exc:
        raise cliutil.UsageError(
            f"the C runtime library cannot be loaded ({exc}); build it: cmake -S . -B "
            "build/host && cmake --build build/host, or set TINTIN_LIB"
        ) from None


def _inputs(args: argparse.Namespace) -> tuple[str, spec.ModelSpec, dataset.Labelled]:
    """The spec (with the command line's overrides) and the data, checked against each
    other before any training."""
    cliutil.output_dir(args.out, "--out")
    name, sp = modelfile.load_spec(args.spec, args.weights)
    apply_overrides(sp, args)
    if sp.loss != spec.LOSS_XENT:
        refuse_mse(args)
    load_c_library()
    ds = dataset.load(args.data, args.label_column)
    if ds.x.shape[1] != sp.input_size:
        raise dataset.DatasetError(
            f"{args.data}: samples have {ds.x.shape[1]} values, the model's input has "
            f"{sp.input_size}"
        )
    classes = spec.layer_shapes(sp)[-1][1]
    if ds.classes is not None and len(ds.classes) > classes:
        raise dataset.DatasetError(
            f"{args.data}: {len(ds.classes)} class names ({_listed(ds.classes)}); the model "
            f"has {classes} outputs, one per class"
        )
    if int(ds.y.max()) >= classes:
        raise dataset.DatasetError(
            f"{args.data}: labels reach {int(ds.y.max())}; the model needs a cross-entropy "
            f"output of more than that ({classes} outputs)"
        )
    return name, sp, ds


def _listed(names: list[str], most: int = 4) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (", ..." if len(names) > most else "")


def prepare(args: argparse.Namespace) -> tuple[str, spec.ModelSpec, Data]:
    name, sp, ds = _inputs(args)
    # The split and the codes of `tintin gen data` with the same arguments (tintin.io.inputs).
    p = inputs.prepare(ds, args.data, args.test_fraction, args.seed, args.scale)
    # Only the int8 codes stay: the samples as loaded (uint8 or float64) go with ds here.
    return name, sp, Data(p.x, p.scaling.input_exp, p.y, p.train, p.test, p.scaling,
                          ds.classes, ds.names, p.warning)  # fmt: skip


def details(h: History, compare: bool) -> str:
    """The line before the summary: float32's result and the integer run's counters."""
    out = f"{PROG}: integer {h.ints.final()}"
    if compare:
        gap = 100 * (h.ints.accuracy[-1] - h.flt.accuracy[-1])
        out += f"; float32 {h.flt.final()}; integer - float32 {gap:+.2f} points"
    s = h.sat[-1]
    return out + (
        f"; saturated act {s['act_sat']} err {s['err_sat']} param {s['param_sat']}, "
        f"{s['rescales']} rescales, {s['update_clips']} clamped updates in {s['steps']} steps"
    )


def summary(args: argparse.Namespace, h: History, files: list[Path]) -> str:
    """The last line: best and final held-out accuracy, where training stopped, the files."""
    b = h.ints.best
    run = f"{h.epochs_run} epoch{'s' if h.epochs_run > 1 else ''}"
    if h.stopped_early:
        run = (
            f"{h.epochs_run} of {args.epochs} epochs (stopped: no gain for {args.patience} "
            f"epoch{'s' if args.patience > 1 else ''})"
        )
    return (
        f"{PROG}: held-out accuracy best {h.ints.accuracy[b]:.4f} (epoch {b + 1}), final "
        f"{h.ints.accuracy[-1]:.4f} after {run}; wrote {files[0]} (the model of epoch "
        f"{b + 1}), {', '.join(map(str, files[1:]))}"
    )


def metrics_of(args: argparse.Namespace, name: str, sp: spec.ModelSpec, d: Data, h: History,
               fm: FloatModel | None, header: Path, arena: int) -> dict:  # fmt: skip
    m = {
        "model": name,
        "backend": args.backend,
        "epochs": args.epochs,
        "epochs_run": h.epochs_run,
        "patience": args.patience,
        "stopped_early": h.stopped_early,
        "seed": args.seed,
        "average": args.average,  # the held-out figures are the weight average's
        "overrides": overrides(args),
        "batch": sp.max_batch,
        "optimizer": args.optimizer,
        "optim": dataclasses.asdict(sp.optim),
        "lr_shift": sp.optim.lr_shift,
        "train_last": args.train_last,
        "layer_train": [TRAIN_NAMES[sp.layers[i].train] for i in spec.weight_layers(sp)],
        "train_samples": len(d.train),
        "test_samples": len(d.test),
        "input_exp": d.e,
        "scale": d.scaling.metadata(),
        "classes": d.classes,
        "features": d.names,
        **h.ints.summary(),
        "saturation": h.sat,
        "weight_layers": spec.weight_layers(sp),
        "w_exp": h.w_exp,
        "arena_bytes": arena,
        "header": str(header),
        "header_epoch": h.ints.best + 1,
    }
    if fm is not None:
        m["float32"] = {"lr": float(fm.lr), **h.flt.summary()}
    return m


def train(args: argparse.Namespace) -> dict:
    name, sp, d = prepare(args)
    # Built before the integer model, from the untouched spec: the same initial weights.
    fm = FloatModel(sp) if args.compare_float else None
    with clib.c_log():
        model = RefModel(sp) if args.backend == "ref" else clib.CModel(sp)
    if d.warning is not None:  # once everything is checked: a refusal stays one line
        print(f"{PROG}: {d.warning}", file=sys.stderr, flush=True)
    h = fit(args, sp, model, fm, d)
    assert h.best is not None  # the first epoch is always a best
    header = args.out / f"{name}_model.h"
    b = h.ints.best
    title = (
        f"Model {name} trained by tintin train: epoch {b + 1} of {h.epochs_run}, the best "
        f"held-out accuracy, {h.ints.accuracy[b]:.4f}."
    )
    source = f"tintin train {args.spec.name} {args.data.name}"
    with clib.c_log():
        body = cgen.model_body(h.best, name)
        arena = clib.plan(sp)
    # The inputs as the data header of `tintin gen data` has them: the quantiser, the names.
    body += "\n" + inputs.header_body(name, d.scaling, d.classes, d.names).rstrip("\n") + "\n"
    metrics = metrics_of(args, name, sp, d, h, fm, header, arena)
    png = io.BytesIO()
    plot(png, name, h.ints, h.flt if fm is not None else None, h.sat)
    # Everything is made before the first file is written, and each file lands whole.
    files = [header, args.out / "metrics.json", args.out / "learning_curve.png"]
    args.out.mkdir(parents=True, exist_ok=True)
    cliutil.write_all(dict(zip(files, [
        cgen.header(f"{name}_model_h", title, source, body),
        json.dumps(metrics, indent=1) + "\n",
        png.getvalue(),
    ], strict=True)))  # fmt: skip
    print(details(h, fm is not None))
    print(summary(args, h, files))
    return metrics


def _missing(exc: ImportError) -> str:
    what, pip = NEEDED_FOR.get(exc.name or "", ("training", "tintin[tools]"))
    return f"{exc.name} is needed for {what}: pip install '{pip}'"


def run(args: argparse.Namespace) -> int:
    try:
        train(args)
    except (modelfile.ModelFileError, dataset.DatasetError, cliutil.UsageError) as exc:
        return cliutil.fail(PROG, exc)
    except clib.TintinError as exc:
        return cliutil.fail(PROG, f"the C runtime refused: {exc}")
    except ImportError as exc:
        return cliutil.fail(PROG, _missing(exc))
    except OSError as exc:
        return cliutil.fail(PROG, f"--out {args.out}: cannot write: {exc.strerror or exc}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
