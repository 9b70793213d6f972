# SPDX-License-Identifier: Apache-2.0
"""`tintin train`: train a model spec on a dataset on the PC, exactly as the device would.

    tintin train model.yaml data.npz|data.csv [--weights w.npz] [--epochs 10]
                 [--backend ref|c] [--test-fraction 0.2] [--seed 0] [--out DIR]

The bit-exact NumPy reference (or the C runtime through the shared library) trains with the
spec's optimizer and batch; the held-out accuracy after each epoch goes to DIR/metrics.json
and DIR/learning_curve.png, and the trained int8 model to DIR/<name>_model.h, ready for
`#include` on the device (training there resumes from these int8 weights).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import numpy as np

from tintin import cgen, clib, data, dataset, modelfile, spec
from tintin.refmodel import RefModel

PROG = "tintin train"


def progress(epoch: int, epochs: int, done: int, total: int, width: int = 30) -> None:
    """One self-overwriting progress line on stderr."""
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


def plot(path: Path, name: str, accs: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(accs) + 1), accs, marker="o", label="integer (Tin-Tin)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(f"{name}: training on the PC, bit-exact with the device")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("spec", type=Path, help="model spec, .yaml/.yml or .json")
    ap.add_argument("data", type=Path, help=".npz with x and y, or .csv (label last)")
    ap.add_argument("--weights", type=Path, help="initial float weights (.npz or .onnx)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--backend", choices=["ref", "c"], default="ref",
                    help="NumPy reference or the C runtime (default: %(default)s)")  # fmt: skip
    ap.add_argument("--label-column", type=int, default=-1, help="CSV label column (default -1)")
    ap.add_argument("--test-fraction", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0, help="split and epoch-order seed")
    ap.add_argument("--scale", choices=["unit", "keep"], default="unit",
                    help="unit: inputs scaled by a power of two into [-1, 1] (default); keep: "
                    "the data's own scale")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("tintin-train"), help="output directory")


def train(args: argparse.Namespace) -> dict:
    name, sp = modelfile.load_spec(args.spec, args.weights)
    ds = dataset.load(args.data, args.label_column)
    if ds.x.shape[1] != sp.input_size:
        raise dataset.DatasetError(
            f"{args.data}: samples have {ds.x.shape[1]} values, the model's input has "
            f"{sp.input_size}"
        )
    classes = spec.layer_shapes(sp)[-1][1]
    if sp.loss != spec.LOSS_XENT or int(ds.y.max()) >= classes:
        raise dataset.DatasetError(
            f"{args.data}: labels reach {int(ds.y.max())}; the model needs a cross-entropy "
            f"output of more than that ({classes} outputs)"
        )
    if args.epochs < 1:
        raise ValueError(f"--epochs {args.epochs}: need at least 1")
    train_i, test_i = dataset.stratified_split(ds.y, args.test_fraction, args.seed)
    x, e = dataset.to_int8(ds.x, args.scale)
    xs, ys, xt, yt = x[train_i], ds.y[train_i], x[test_i], ds.y[test_i]
    model = RefModel(sp) if args.backend == "ref" else clib.CModel(sp)
    accs = []
    steps = -(-len(xs) // sp.max_batch)
    for epoch in range(args.epochs):
        for k, idx in enumerate(data.batches(len(xs), sp.max_batch, epoch, args.seed)):
            model.train_step(xs[idx], e, labels=ys[idx])
            progress(epoch, args.epochs, k + 1, steps)
        accs.append(model.evaluate(xt, e, yt) / len(yt))
        print(f"epoch {epoch + 1:3d}  held-out accuracy {accs[-1]:.4f}")
    args.out.mkdir(parents=True, exist_ok=True)
    header = args.out / f"{name}_model.h"
    title = f"Model {name} trained by tintin train: {args.epochs} epochs, held-out {accs[-1]:.4f}."
    source = f"tintin train {args.spec.name} {args.data.name}"
    body = cgen.model_body(trained_spec(sp, model), name)
    header.write_text(cgen.header(f"{name}_model_h", title, source, body))
    metrics = {
        "model": name,
        "backend": args.backend,
        "epochs": args.epochs,
        "train_samples": len(xs),
        "test_samples": len(xt),
        "input_exp": e,
        "accuracy": accs,
        "final_accuracy": accs[-1],
        "arena_bytes": clib.plan(sp),
        "header": str(header),
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    plot(args.out / "learning_curve.png", name, accs)
    print(f"{PROG}: wrote {header}, {args.out / 'metrics.json'}, {args.out / 'learning_curve.png'}")
    return metrics


def run(args: argparse.Namespace) -> int:
    try:
        train(args)
    except (modelfile.ModelFileError, dataset.DatasetError, ValueError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except clib.TintinError as exc:
        print(f"{PROG}: the C runtime refused: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"{PROG}: {exc.name} is needed for the plot: pip install 'tintin[demo]'",
              file=sys.stderr)  # fmt: skip
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__, allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
