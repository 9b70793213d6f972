# SPDX-License-Identifier: Apache-2.0
"""`tintin gen model|data`: C headers from a model spec (+ weights) or from a dataset.

    tintin gen model model.yaml [--weights w.npz|model.onnx] [-o digits_model.h]
    tintin gen model model.yaml [--weights ...] --blob [-o digits_model.bin]
    tintin gen data data.npz|data.csv [--name NAME] [--test-fraction 0.2 | --stream]
                    [--scale unit|keep|int8] [--flash-budget BYTES] [-o NAME_data.h]

Headers are deterministic and clang-format clean; a model header carries the planner's
arena bytes and stops a Zephyr build whose CONFIG_TINTIN_ARENA_SIZE is smaller. --blob
writes the same model as a byte image for tintin_model_blob_parse (tintin/blob.h), for models
that reach the device after the build (over the air, a flash partition, a file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tintin import blob, cgen, clib, cliutil, dataset, modelfile

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
    d.add_argument("--test-fraction", type=cliutil.open_fraction, default=0.2,
                   help="held out, in (0, 1) (default 0.2)")  # fmt: skip
    d.add_argument("--seed", type=cliutil.int_in(0, SEED_MAX), default=0,
                   help="split and subset seed (default 0)")  # fmt: skip
    d.add_argument("--scale", choices=["unit", "keep", "int8"], default="unit",
                    help="unit: inputs scaled by a power of two into [-1, 1] (default); keep: "
                    "the data's own scale; int8: values that are int8 codes already")  # fmt: skip
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


def data_header(args: argparse.Namespace) -> str:
    try:
        cgen.check_ident(args.name)
    except ValueError as exc:
        raise cliutil.UsageError(f"--name: {exc}") from None
    ds = dataset.load(args.data, args.label_column)
    x, e = dataset.to_int8(ds.x, args.scale, args.data)
    e = dataset.input_exp(args.data, e, args.scale)
    per = ds.x.shape[1] + 1  # int8 features and a uint8 label
    if args.flash_budget is not None and args.flash_budget // per < 2:
        raise dataset.DatasetError(
            f"{args.data}: --flash-budget {args.flash_budget} B holds "
            f"{args.flash_budget // per} samples of {per} B; need at least 2"
        )
    body = cgen.macros([(f"{args.name.upper()}_CLASSES", int(ds.y.max()) + 1)]) + "\n"
    if args.stream:
        n = len(ds.y) if args.flash_budget is None else min(len(ds.y), args.flash_budget // per)
        body += cgen.data_body(f"{args.name}_stream", x[:n], e, ds.y[:n])
        title = (
            f"Data {args.name}: a stream of {n} samples of {ds.x.shape[1]} int8 values "
            f"(value = q * 2^{e}) in file order."
        )
        return cgen.header(f"{args.name}_data_h", title, f"tintin gen data {args.data.name}", body)
    train, test = dataset.stratified_split(ds.y, args.test_fraction, args.seed)
    dataset.check_split(args.data, train, test, args.test_fraction)
    if args.flash_budget is not None:
        train, test = _subset(args, ds.y, train, test, per)
    body += cgen.data_body(f"{args.name}_train", x[train], e, ds.y[train]) + "\n"
    body += cgen.data_body(f"{args.name}_test", x[test], e, ds.y[test])
    title = (
        f"Data {args.name}: {len(train)} training and {len(test)} held-out samples of "
        f"{ds.x.shape[1]} int8 values (value = q * 2^{e}), split seed {args.seed}."
    )
    return cgen.header(f"{args.name}_data_h", title, f"tintin gen data {args.data.name}", body)


def _make(args: argparse.Namespace) -> tuple[Path, str | bytes]:
    """(output path, contents): everything is made and checked before anything is written."""
    inputs = (args.spec, args.weights) if args.what == "model" else (args.data,)
    if args.output is not None:  # an unusable -o is said before any work
        cliutil.output_file(args.output, "-o", inputs=inputs)
    data: str | bytes
    if args.what == "model" and args.blob:
        name, data = model_blob(args.spec, args.weights)
        out = args.output or Path(f"{name}_model.bin")
    elif args.what == "model":
        name, data = model_header(args.spec, args.weights)
        out = args.output or Path(f"{name}_model.h")
    else:
        data = data_header(args)
        out = args.output or Path(f"{args.name}_data.h")
    return cliutil.output_file(out, "-o", inputs=inputs), data


def run(args: argparse.Namespace) -> int:
    try:
        out, data = _make(args)
    except (modelfile.ModelFileError, dataset.DatasetError, cliutil.UsageError) as exc:
        return cliutil.fail(PROG, exc)
    except clib.TintinError as exc:
        return cliutil.fail(PROG, f"the C planner refused the model: {exc}")
    try:
        cliutil.write_atomic(out, data)
    except OSError as exc:
        return cliutil.fail(PROG, f"cannot write {out}: {exc.strerror or exc}")
    print(f"{PROG}: wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
