# SPDX-License-Identifier: Apache-2.0
"""`tintin gen model|data`: C headers from a model spec (+ weights) or from a dataset.

    tintin gen model model.yaml [--weights w.npz|model.onnx] [-o digits_model.h]
    tintin gen model model.yaml [--weights ...] --blob [-o digits_model.bin]
    tintin gen data data.npz|data.csv [--name NAME] [--test-fraction 0.2 | --stream]
                    [--scale feature|unit|keep|int8] [--keep-order] [--seed 0]
                    [--flash-budget BYTES] [-o NAME_data.h]

Headers are deterministic and clang-format clean; a model header carries the planner's
arena bytes and stops a Zephyr build whose CONFIG_TINTIN_ARENA_SIZE is smaller. --blob
writes the same model as a byte image for tintin_model_blob_parse (tintin/blob.h), for models
that reach the device after the build (over the air, a flash partition, a file).

A data header holds a stratified split (--test-fraction, --seed), its training table shuffled
by --seed (in the order of tintin train's first epoch; --keep-order keeps the file's), and,
with --scale feature (the default), the transform fitted on the training side as
<name>_quantize(): the device turns a raw reading into the model's int8 inputs with it.
Class names as labels become 0..K-1 in sorted order, listed in <name>_class_names[].
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tintin.core import data
from tintin.io import blob, cgen, cliutil, dataset, inputs, modelfile
from tintin.native import clib

PROG = "tintin gen"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("model", help="model spec (+ weights) to a C header", allow_abbrev=False)
    m.add_argument("spec", type=Path, help="model spec, .yaml/.yml or .json")
    m.add_argument("--weights", type=Path, help="float weights: .npz (w<i>, b<i>) or .onnx")
    m.add_argument(
        "--blob", action="store_true", help="a run-time model blob (tintin/blob.h), not a header"
    )
    m.add_argument("-o", "--output", type=Path,
                   help="output, replaced if it exists (default: <name>_model.h, or .bin with "
                   "--blob)")  # fmt: skip
    d = sub.add_parser("data", help="labelled dataset to an int8 C header", allow_abbrev=False)
    d.add_argument("data", type=Path, help=".npz with x and y, or .csv (label last)")
    d.add_argument("--name", default="data", help="C prefix (default: %(default)s)")
    d.add_argument("--label-column", type=cliutil.int_in(-(2**31), 2**31 - 1), default=-1,
                   help="CSV label column (default -1)")  # fmt: skip
    d.add_argument("--test-fraction", "--split", type=cliutil.open_fraction, default=0.2,
                   metavar="F", help="held out, in (0, 1), stratified by class (default "
                   "0.2)")  # fmt: skip
    d.add_argument("--seed", type=cliutil.int_in(0, SEED_MAX), default=0,
                   help="split, order and subset seed (default 0)")  # fmt: skip
    d.add_argument("--scale", choices=inputs.SCALES, default="feature",
                   help=inputs.SCALE_HELP + inputs.INT8_HELP)  # fmt: skip
    d.add_argument("--keep-order", action="store_true",
                   help="training samples in file order (default: shuffled by --seed)")  # fmt: skip
    d.add_argument("--stream", action="store_true",
                    help="no split: every row in file order as one <name>_stream table (a "
                    "replayed sensor stream); --flash-budget keeps the first rows")  # fmt: skip
    d.add_argument("--flash-budget", type=cliutil.size_bytes,
                   help="bytes of flash for the data (e.g. 4096 or 4K): a stratified subset "
                   "fits")  # fmt: skip
    d.add_argument("-o", "--output", type=Path,
                   help="header, replaced if it exists (default: <name>_data.h)")  # fmt: skip


SEED_MAX = 2**32 - 1


def model_header(spec_path: Path, weights: Path | None) -> tuple[str, str]:
    """(model name, header text)."""
    name, sp = modelfile.load_spec(spec_path, weights)
    source = f"tintin gen model {spec_path.name}" + (
        f" --weights {weights.name}" if weights else ""
    )
    title = f"Model {name}: {len(sp.layers)} layers, input {'x'.join(map(str, sp.input_shape))}."
    with clib.c_log():
        body = cgen.model_body(sp, name)
    return name, cgen.header(f"{name}_model_h", title, source, body)


def model_blob(spec_path: Path, weights: Path | None) -> tuple[str, bytes]:
    """(model name, blob bytes); the C planner must accept the table, as for a header."""
    name, sp = modelfile.load_spec(spec_path, weights)
    with clib.c_log():
        clib.plan(sp)
    return name, blob.pack(sp)


def _subset(args: argparse.Namespace, y: np.ndarray, train: np.ndarray, test: np.ndarray,
            per: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Stratified train and test subsets that fit --flash-budget (per bytes a sample)."""
    n = args.flash_budget // per
    n_test = max(1, round(n * len(test) / len(y)))
    if n - n_test < 1:
        raise dataset.DatasetError(
            f"{args.data}: --flash-budget {args.flash_budget} holds {n} samples of {per} B, "
            "too few for a training and a held-out sample"
        )
    train = train[dataset.stratified_subset(y[train], n - n_test, args.seed)]
    test = test[dataset.stratified_subset(y[test], n_test, args.seed + 1)]
    return train, test


def data_header(args: argparse.Namespace) -> tuple[str, str | None]:
    """(header text, a warning line or None)."""
    try:
        cgen.check_ident(args.name)
    except ValueError as exc:
        raise cliutil.UsageError(f"--name: {exc}") from None
    ds = dataset.load(args.data, args.label_column)
    per = ds.x.shape[1] + 1  # int8 features and a uint8 label
    if args.flash_budget is not None and args.flash_budget // per < 2:
        raise dataset.DatasetError(
            f"{args.data}: --flash-budget {args.flash_budget} B holds "
            f"{args.flash_budget // per} samples of {per} B; need at least 2"
        )
    classes = len(ds.classes) if ds.classes is not None else int(ds.y.max()) + 1
    body = cgen.macros([(f"{args.name.upper()}_CLASSES", classes)]) + "\n"
    source = f"tintin gen data {args.data.name}"
    if args.stream:
        every = np.arange(len(ds.y))
        x, sc, warning = inputs.quantize(ds, every, args.scale, args.data,
                                         f"the {len(every)} samples of the stream")  # fmt: skip
        e = sc.input_exp
        n = len(ds.y) if args.flash_budget is None else min(len(ds.y), args.flash_budget // per)
        body += _inputs_of(args, sc, ds)
        body += cgen.data_body(f"{args.name}_stream", x[:n], e, ds.y[:n])
        title = (
            f"Data {args.name}: a stream of {n} samples of {ds.x.shape[1]} int8 values "
            f"(value = q * 2^{e}) in file order."
        )
        return cgen.header(f"{args.name}_data_h", title, source, body), warning
    p = inputs.prepare(ds, args.data, args.test_fraction, args.seed, args.scale)
    train, test = p.train, p.test
    if args.flash_budget is not None:
        train, test = _subset(args, ds.y, train, test, per)
    if not args.keep_order:
        # The order of tintin train's first epoch over these rows: a device that trains on
        # the table in order sees classes mixed, not the file's runs of one class.
        train = train[data.epoch_order(len(train), 0, args.seed)]
    e = p.scaling.input_exp
    body += _inputs_of(args, p.scaling, ds)
    body += cgen.data_body(f"{args.name}_train", p.x[train], e, ds.y[train]) + "\n"
    body += cgen.data_body(f"{args.name}_test", p.x[test], e, ds.y[test])
    order = "in file order" if args.keep_order else f"shuffled by seed {args.seed}"
    title = (
        f"Data {args.name}: {len(train)} training samples ({order}) and {len(test)} held-out "
        f"samples of {ds.x.shape[1]} int8 values (value = q * 2^{e}), split seed {args.seed}."
    )
    return cgen.header(f"{args.name}_data_h", title, source, body), p.warning


def _inputs_of(args: argparse.Namespace, sc: inputs.Scaling, ds: dataset.Labelled) -> str:
    """The inputs' part of a data header; --scale int8 data (a replayed stream of codes
    already made on the device) has nothing to say but the class names."""
    if sc.scale == "int8":
        return "" if ds.classes is None else cgen.class_names_body(args.name, ds.classes) + "\n"
    return inputs.header_body(args.name, sc, ds.classes, ds.names)


def _make(args: argparse.Namespace) -> tuple[Path, str | bytes, str | None]:
    """(output path, contents, a warning): everything is made and checked before anything is
    written."""
    sources = (args.spec, args.weights) if args.what == "model" else (args.data,)
    if args.output is not None:  # an unusable -o is said before any work
        cliutil.output_file(args.output, "-o", inputs=sources)
    content: str | bytes
    warning = None
    if args.what == "model" and args.blob:
        name, content = model_blob(args.spec, args.weights)
        out = args.output or Path(f"{name}_model.bin")
    elif args.what == "model":
        name, content = model_header(args.spec, args.weights)
        out = args.output or Path(f"{name}_model.h")
    else:
        content, warning = data_header(args)
        out = args.output or Path(f"{args.name}_data.h")
    return cliutil.output_file(out, "-o", inputs=sources), content, warning


def run(args: argparse.Namespace) -> int:
    try:
        out, content, warning = _make(args)
    except (modelfile.ModelFileError, dataset.DatasetError, cliutil.UsageError) as exc:
        return cliutil.fail(PROG, exc)
    except clib.TintinError as exc:
        return cliutil.fail(PROG, f"the C planner refused the model: {exc}")
    try:
        cliutil.write_atomic(out, content)
    except OSError as exc:
        return cliutil.fail(PROG, f"cannot write {out}: {exc.strerror or exc}")
    if warning is not None:  # said once the header is written: a refusal stays one line
        print(f"{PROG}: {warning}", file=sys.stderr)
    print(f"{PROG}: wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
