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

from tintin import blob, cgen, clib, dataset, modelfile

PROG = "tintin gen"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("model", help="model spec (+ weights) to a C header", allow_abbrev=False)
    m.add_argument("spec", type=Path, help="model spec, .yaml/.yml or .json")
    m.add_argument("--weights", type=Path, help="float weights: .npz (w<i>, b<i>) or .onnx")
    m.add_argument(
        "--blob", action="store_true", help="a run-time model blob (tintin/blob.h), not a header"
    )
    m.add_argument(
        "-o", "--output", type=Path, help="output (default: <name>_model.h, or .bin with --blob)"
    )
    d = sub.add_parser("data", help="labelled dataset to an int8 C header", allow_abbrev=False)
    d.add_argument("data", type=Path, help=".npz with x and y, or .csv (label last)")
    d.add_argument("--name", default="data", help="C prefix (default: %(default)s)")
    d.add_argument("--label-column", type=int, default=-1, help="CSV label column (default -1)")
    d.add_argument("--test-fraction", type=float, default=0.2, help="held out (default 0.2)")
    d.add_argument("--seed", type=int, default=0, help="split and subset seed (default 0)")
    d.add_argument("--scale", choices=["unit", "keep", "int8"], default="unit",
                    help="unit: inputs scaled by a power of two into [-1, 1] (default); keep: "
                    "the data's own scale; int8: values that are int8 codes already")  # fmt: skip
    d.add_argument("--stream", action="store_true",
                    help="no split: every row in file order as one <name>_stream table (a "
                    "replayed sensor stream); --flash-budget keeps the first rows")  # fmt: skip
    d.add_argument(
        "--flash-budget", type=int, help="bytes of flash for the data: a stratified subset fits"
    )
    d.add_argument("-o", "--output", type=Path, help="header (default: <name>_data.h)")


def model_header(spec_path: Path, weights: Path | None) -> tuple[str, str]:
    """(model name, header text)."""
    name, sp = modelfile.load_spec(spec_path, weights)
    source = f"tintin gen model {spec_path.name}" + (
        f" --weights {weights.name}" if weights else ""
    )
    title = f"Model {name}: {len(sp.layers)} layers, input {'x'.join(map(str, sp.input_shape))}."
    return name, cgen.header(f"{name}_model_h", title, source, cgen.model_body(sp, name))


def data_header(args: argparse.Namespace) -> str:
    cgen.check_ident(args.name)
    ds = dataset.load(args.data, args.label_column)
    x, e = dataset.to_int8(ds.x, args.scale)
    per = ds.x.shape[1] + 1  # int8 features and a uint8 label
    if args.flash_budget is not None and args.flash_budget // per < 2:
        raise dataset.DatasetError(f"flash budget {args.flash_budget} B holds no samples")
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
    if args.flash_budget is not None:
        n = args.flash_budget // per
        n_test = max(1, round(n * len(test) / len(ds.y)))
        train = train[dataset.stratified_subset(ds.y[train], n - n_test, args.seed)]
        test = test[dataset.stratified_subset(ds.y[test], n_test, args.seed + 1)]
    body += cgen.data_body(f"{args.name}_train", x[train], e, ds.y[train]) + "\n"
    body += cgen.data_body(f"{args.name}_test", x[test], e, ds.y[test])
    title = (
        f"Data {args.name}: {len(train)} training and {len(test)} held-out samples of "
        f"{ds.x.shape[1]} int8 values (value = q * 2^{e}), split seed {args.seed}."
    )
    return cgen.header(f"{args.name}_data_h", title, f"tintin gen data {args.data.name}", body)


def run(args: argparse.Namespace) -> int:
    try:
        if args.what == "model" and args.blob:
            name, sp = modelfile.load_spec(args.spec, args.weights)
            clib.plan(sp)  # the C planner must accept the table, as for a header
            data: str | bytes = blob.pack(sp)
            out = args.output or Path(f"{name}_model.bin")
        elif args.what == "model":
            name, data = model_header(args.spec, args.weights)
            out = args.output or Path(f"{name}_model.h")
        else:
            data = data_header(args)
            out = args.output or Path(f"{args.name}_data.h")
    except (modelfile.ModelFileError, dataset.DatasetError, ValueError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except clib.TintinError as exc:
        print(f"{PROG}: the C planner refused the model: {exc}", file=sys.stderr)
        return 2
    try:
        if isinstance(data, bytes):
            out.write_bytes(data)
        else:
            out.write_text(data)
    except OSError as exc:
        print(f"{PROG}: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"{PROG}: wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__, allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
