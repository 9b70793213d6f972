# SPDX-License-Identifier: Apache-2.0
"""`tintin plan`: will this model fit my part? RAM and flash, predicted before any build.

    tintin plan model.yaml [--weights w.npz] [--core cortex-m0plus|cortex-m3|cortex-m4]
                [--ram 32K] [--flash 256K] [--max-layers 16] [--stack 2048] [--infer]
                [--checkpoint] [--json [F]]

RAM: the training (or inference) arena as the C planner lays it out, split as the planner
reports it (tintin_model_plan_parts): trainable parameter copies, optimizer state, the
activations kept for weight gradients, the ReLU and max-pool masks, the error pair (errors and
the activations only forward reads), the int32 scratch (one tile of a layer's output, a
gradient row), the rounding bits and tile shifts of tiled requantisation, and alignment; plus
struct tintin_model and the stack budget of the thread that trains. On Cortex-M4 it also
shows, outside the total, what the optional dense-kernel workspace adds (tintin_model_plan_dsp,
the generated headers' _ARENA_TRAIN_DSP / _ARENA_INFER_DSP). Flash: the runtime's
code (footprint.json: every core source at -Os for that core, checkpoints only with
--checkpoint, never the run-time blob parser, init from a generated layout, federated
averaging or fleet messages; the linker's section GC can only make it
smaller) plus the model's constants
(weights, biases, layer table, description).

When the model does not fit, the smaller configurations of the same model that do follow,
best first, each with its RAM total and the change that gives it: training only the last k
weight layers (`train_last: k`), batch 1 (`max_batch: 1`), biases only (`train: bias_only` on
every weight layer) and inference only (`--infer`, TINTIN_MODE_INFER). Each is planned exactly
as `tintin plan` plans that configuration. `--json` alone (or `--json -`) prints the plan and
these alternatives as JSON instead of the text; `--json F` writes that JSON to F as well.
Exit 1 when it does not fit the given RAM or flash; 2 on bad input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tintin.core import spec
from tintin.io import cliutil, modelfile
from tintin.native import clib
from tintin.target import footprint

PROG = "tintin plan"


@dataclass
class Plan:
    model: str
    core: str
    mode: str
    ram: dict[str, int] = field(default_factory=dict)
    flash: dict[str, int] = field(default_factory=dict)
    layers: dict[str, int] = field(default_factory=dict)  # flash constants per table row
    ram_total: int = 0
    flash_total: int = 0
    # Armv7E-M only: arena bytes that let the dense kernel use its workspace (not in ram_total;
    # without them it computes the same integers with the four-row kernel).
    dsp_workspace: int = 0
    ram_limit: int | None = None
    flash_limit: int | None = None

    @property
    def fits(self) -> bool:
        return (self.ram_limit is None or self.ram_total <= self.ram_limit) and (
            self.flash_limit is None or self.flash_total <= self.flash_limit
        )


def size_arg(text: str) -> int:
    """Bytes from '65536', '64K' or '1M' (at least 1)."""
    return cliutil.size_bytes(text)


def model_constants(sp: spec.ModelSpec) -> dict[str, int]:
    """Flash bytes of the generated header's tables per layer row (weights + bias)."""
    out = {}
    for i, layer in enumerate(sp.layers):
        if layer.kind in spec.WEIGHT_LAYERS:
            assert layer.weights is not None
            bias = 4 * len(layer.bias) if layer.bias is not None else 0
            out[str(i)] = int(layer.weights.size) + bias
    return out


# The training arena's lines: clib.plan_parts keys, in the planner's order.
ARENA_PARTS = (
    ("params", "parameters"),
    ("optim", "optimizer state"),
    ("kept", "activations kept"),
    ("masks", "masks (ReLU, max-pool)"),
    ("pair", "errors, transient activations"),
    ("scratch", "int32 scratch"),
    ("rounding", "rounding bits, tile shifts"),
    ("align", "alignment"),
)

# Cores whose dense kernel can use the workspace of tintin_model_plan_dsp (Armv7E-M).
DSP_CORES = ("cortex-m4",)

# Runtime sources an application links only when it uses them.
CHECKPOINT_CODE = "src/checkpoint.c"
BLOB_CODE = "src/blob.c"  # models built into the image never link the blob parser
LAYOUT_CODE = "src/model_preplanned.c"  # init from a generated layout, not with the planner
FEDAVG_CODE = "src/fedavg.c"  # a gateway's averaging, not a node's training
FLEET_CODE = "src/fleet.c"  # fleet messages: only nodes that learn with a fleet
AVERAGE_CODE = "src/average.c"  # weight averaging: only nodes that predict with an average


def make_plan(
    name: str, sp: spec.ModelSpec, core: str, max_layers: int, stack: int, infer: bool,
    checkpoint: bool = False,
) -> Plan:  # fmt: skip
    cal = footprint.load()["cores"][core]
    mode = spec.MODE_INFER if infer else spec.MODE_TRAIN
    arena = clib.plan(sp, mode)
    p = Plan(name, core, "infer" if infer else "train")
    if core in DSP_CORES:
        p.dsp_workspace = clib.plan(sp, mode, dsp=True) - arena
    if infer:
        p.ram["arena"] = arena
    else:
        parts = clib.plan_parts(sp, mode)
        p.ram.update({f"arena: {label}": parts[key] for key, label in ARENA_PARTS})
    p.ram["struct tintin_model"] = cal["model_struct_base"] + max_layers * cal["layer_state"]
    p.ram["stack budget"] = stack
    p.layers = model_constants(sp)
    code = cal["code"]
    optional = (CHECKPOINT_CODE, BLOB_CODE, LAYOUT_CODE, FEDAVG_CODE, FLEET_CODE, AVERAGE_CODE)
    p.flash["tintin runtime code"] = sum(v for k, v in code.items() if k not in optional)
    if checkpoint:
        p.flash["tintin checkpoint code"] = code[CHECKPOINT_CODE]
    p.flash["model weights and biases"] = sum(p.layers.values())
    p.flash["model table and description"] = len(sp.layers) * cal["layer_desc"] + cal["model_desc"]
    p.ram_total = sum(p.ram.values())
    p.flash_total = sum(p.flash.values())
    return p


# --- smaller configurations, when the requested one does not fit ---------------------------

# How much a weight layer trains; an alternative never trains a layer more than the request
# does, so it is always a step down from what was asked, never a different trade.
TRAIN_RANK = {spec.TRAIN_FROZEN: 0, spec.TRAIN_BIAS_ONLY: 1, spec.TRAIN_FULL: 2}
TRAIN_NAMES = {spec.TRAIN_FULL: "full", spec.TRAIN_FROZEN: "frozen",
               spec.TRAIN_BIAS_ONLY: "bias_only"}  # fmt: skip
INFER_CHANGE = "--infer (TINTIN_MODE_INFER)"
BIAS_CHANGE = "train: bias_only on every weight layer, no train_last"


@dataclass
class Alternative:
    """One configuration of the requested model on the same part, planned by make_plan."""

    label: str  # what still trains, and the batch
    change: list[str]  # what the user writes to get it: model-file keys, --infer
    mode: str  # "train" or "infer"
    max_batch: int
    train: dict[str, str]  # weight-layer row -> full/frozen/bias_only; {} for inference
    ram_total: int
    fits: bool


@dataclass
class _Candidate:
    label: str
    change: list[str]
    sp: spec.ModelSpec
    infer: bool


def _trains(sp: spec.ModelSpec) -> list[int]:
    return [sp.layers[i].train for i in spec.weight_layers(sp)]


def _variant(sp: spec.ModelSpec, trains: list[int], batch: int) -> spec.ModelSpec:
    """A copy of sp with these weight-layer train settings and max_batch; the weight arrays
    are shared, never written."""
    layers = [dataclasses.replace(layer) for layer in sp.layers]
    for i, train in zip(spec.weight_layers(sp), trains, strict=True):
        layers[i].train = train
    return dataclasses.replace(sp, layers=layers, max_batch=batch)


def _last_k(n: int, k: int) -> list[int]:
    """Weight-layer train settings of spec.train_last(sp, k) on n weight layers."""
    return [spec.TRAIN_FULL if j >= n - k else spec.TRAIN_FROZEN for j in range(n)]


def _describe(trains: list[int]) -> str:
    n, full = len(trains), trains.count(spec.TRAIN_FULL)
    if full == n:
        return f"all {n} weight layers" if n > 1 else "the weight layer"
    if trains == _last_k(n, full):
        return f"last {full} weight layer" + ("s" if full > 1 else "")
    if trains == [spec.TRAIN_BIAS_ONLY] * n:
        return "biases only"
    return "the requested layers"


def _training_levels(sp: spec.ModelSpec) -> list[tuple[list[int], str]]:
    """Weight-layer settings to try, most training first, each with its model-file change.

    The request's own settings first (their change is empty: only a smaller batch can go
    with them). Fewer trained layers before bias-only: the last layer alone still trains its
    weights, bias-only trains none. A level that would train some layer more than the request
    does, or that repeats an earlier one, is left out.
    """
    asked = _trains(sp)
    n = len(asked)
    levels = [(asked, "")]
    levels += [(_last_k(n, k), f"train_last: {k}") for k in range(n - 1, 0, -1)]
    levels.append(([spec.TRAIN_BIAS_ONLY] * n, BIAS_CHANGE))
    out: list[tuple[list[int], str]] = []
    for trains, change in levels:
        lower = all(TRAIN_RANK[t] <= TRAIN_RANK[a] for t, a in zip(trains, asked, strict=True))
        if lower and all(trains != seen for seen, _ in out):
            out.append((trains, change))
    return out


def candidates(sp: spec.ModelSpec, infer: bool) -> list[_Candidate]:
    """Every smaller configuration of sp, best first: more trained layers, then the larger
    batch (the spec's max_batch, then 1), and inference only last. The request itself is not
    among them."""
    batches = [sp.max_batch] + ([1] if sp.max_batch > 1 else [])
    out: list[_Candidate] = []
    for trains, change in [] if infer else _training_levels(sp):
        for b in batches:
            parts = [change] if change else []
            if parts or b != sp.max_batch:  # else it is the request itself
                label = f"{_describe(trains)}, batch {b}"
                out.append(_Candidate(label, parts + _batch_change(sp, b),
                                      _variant(sp, trains, b), False))  # fmt: skip
    for b in batches:
        if not infer or b != sp.max_batch:
            out.append(_Candidate(f"inference only, batch {b}",
                                  [INFER_CHANGE, *_batch_change(sp, b)],
                                  _variant(sp, _trains(sp), b), True))  # fmt: skip
    return out


def _batch_change(sp: spec.ModelSpec, batch: int) -> list[str]:
    return [] if batch == sp.max_batch else [f"max_batch: {batch}"]


def alternatives(
    requested: Plan, sp: spec.ModelSpec, args: argparse.Namespace
) -> list[Alternative]:
    """The candidates planned with make_plan under the request's core, limits and options,
    so each number is what `tintin plan` prints for that configuration."""
    out = []
    for c in candidates(sp, args.infer):
        p = make_plan(requested.model, c.sp, args.core, args.max_layers, args.stack, c.infer,
                      args.checkpoint)  # fmt: skip
        p.ram_limit, p.flash_limit = requested.ram_limit, requested.flash_limit
        train = {} if c.infer else {str(i): TRAIN_NAMES[c.sp.layers[i].train]
                                    for i in spec.weight_layers(c.sp)}  # fmt: skip
        out.append(Alternative(c.label, c.change, p.mode, c.sp.max_batch, train, p.ram_total,
                               p.fits))  # fmt: skip
    return out


def render_alternatives(p: Plan, alts: list[Alternative]) -> str:
    """The configurations that fit, best first, or the one line that says none does."""
    fitting = [a for a in alts if a.fits]
    if fitting:
        lines = ["", "fits instead, best first (RAM total in bytes, then the change):"]
        lines += [f"  {a.label:38s} {a.ram_total:>9,}  {', '.join(a.change)}" for a in fitting]
        return "\n".join(lines)
    if p.flash_limit is not None and p.flash_total > p.flash_limit:
        # make_plan's flash does not depend on how the model trains: no alternative can help.
        return "nothing smaller fits either: the flash total is the same in every configuration"
    if not alts:
        return "nothing smaller fits either: inference at batch 1 is the least this model needs"
    least = min(alts, key=lambda a: a.ram_total)
    return f"nothing smaller fits either: the least RAM is {least.ram_total:,} ({least.label})"


def render(p: Plan) -> str:
    lines = [f"{PROG}: model {p.model} on {p.core}, {p.mode} (bytes)", "", "RAM"]
    lines += [f"  {k:38s} {v:>9,}" for k, v in p.ram.items()]
    lines.append(f"  {'total':38s} {p.ram_total:>9,}" + _of(p.ram_total, p.ram_limit))
    if p.dsp_workspace:
        lines.append(f"  {'optional: dense kernel workspace':38s} {p.dsp_workspace:>+9,}"
                     "  (the _DSP arena: faster, same results)")  # fmt: skip
    lines += ["", "flash"]
    lines += [f"  {k:38s} {v:>9,}" for k, v in p.flash.items()]
    lines += [f"    layer {k:30s} {v:>9,}" for k, v in p.layers.items()]
    lines.append(f"  {'total':38s} {p.flash_total:>9,}" + _of(p.flash_total, p.flash_limit))
    lines += ["", "fits" if p.fits else "DOES NOT FIT"]
    return "\n".join(lines)


def _of(used: int, limit: int | None) -> str:
    if limit is None:
        return ""
    return f" of {limit:,} ({100.0 * used / limit:.1f}%)" + ("" if used <= limit else "  OVER")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("spec", type=Path, help="model spec, .yaml/.yml or .json")
    ap.add_argument("--weights", type=Path, help="float weights (.npz or .onnx)")
    ap.add_argument("--core", choices=sorted(footprint.CORES), default="cortex-m3")
    ap.add_argument("--ram", type=size_arg, help="RAM of the part, e.g. 32K")
    ap.add_argument("--flash", type=size_arg, help="flash of the part, e.g. 256K")
    ap.add_argument("--max-layers", type=cliutil.int_in(1, 64), default=16,
                    help="CONFIG_TINTIN_MAX_LAYERS, 1..64")  # fmt: skip
    ap.add_argument("--stack", type=cliutil.int_in(1, STACK_MAX), default=2048,
                    help="CONFIG_TINTIN_STACK_SIZE in bytes")  # fmt: skip
    ap.add_argument("--infer", action="store_true", help="inference only (no training arena)")
    ap.add_argument("--checkpoint", action="store_true", help="the application saves checkpoints")
    ap.add_argument("--json", type=Path, nargs="?", const=STDOUT, metavar="F",
                    help="the plan as JSON: on stdout instead of the text (no F, or -), or "
                    "also into file F (replaced if it exists)")  # fmt: skip


STACK_MAX = 2**31 - 1
STDOUT = Path("-")  # --json without a file, as is usual for "-"


def _plan(args: argparse.Namespace) -> tuple[Plan, list[Alternative]]:
    if args.json not in (None, STDOUT):  # said before any work, and nothing is half written
        cliutil.output_file(args.json, "--json", inputs=(args.spec, args.weights))
    name, sp = modelfile.load_spec(args.spec, args.weights, infer=args.infer)
    if len(sp.layers) > args.max_layers:
        raise cliutil.UsageError(
            f"--max-layers {args.max_layers}: need 1..64 and at least the model's "
            f"{len(sp.layers)} layers"
        )
    with clib.c_log():
        p = make_plan(name, sp, args.core, args.max_layers, args.stack, args.infer,
                      args.checkpoint)  # fmt: skip
        p.ram_limit, p.flash_limit = args.ram, args.flash
        alts = [] if p.fits else alternatives(p, sp, args)
    return p, alts


def to_json(p: Plan, alts: list[Alternative]) -> str:
    doc = {**asdict(p), "fits": p.fits, "alternatives": [asdict(a) for a in alts]}
    return json.dumps(doc, indent=1) + "\n"


def run(args: argparse.Namespace) -> int:
    try:
        p, alts = _plan(args)
    except (modelfile.ModelFileError, cliutil.UsageError) as exc:
        return cliutil.fail(PROG, exc)
    except clib.TintinError as exc:
        return cliutil.fail(PROG, f"the C planner refused the model: {exc}")
    if args.json == STDOUT:
        sys.stdout.write(to_json(p, alts))
        return 0 if p.fits else 1
    if args.json:
        try:
            cliutil.write_atomic(args.json, to_json(p, alts))
        except OSError as exc:
            return cliutil.fail(PROG, f"--json {args.json}: cannot write: {exc.strerror or exc}")
    print(render(p))
    if not p.fits:
        print(render_alternatives(p, alts))
    return 0 if p.fits else 1


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
