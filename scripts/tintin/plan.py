# SPDX-License-Identifier: Apache-2.0
"""`tintin plan`: will this model fit my part? RAM and flash, predicted before any build.

    tintin plan model.yaml [--weights w.npz] [--core cortex-m0plus|cortex-m3|cortex-m4]
                [--ram 32K] [--flash 256K] [--max-layers 16] [--stack 2048] [--infer]
                [--checkpoint] [--json F]

RAM: the training (or inference) arena as the C planner lays it out, split into trainable
parameter copies, optimizer state and the rest (activations, masks, errors, int32 scratch),
plus struct tintin_model and the stack budget of the thread that trains. On Cortex-M4 it also
shows, outside the total, what the optional dense-kernel workspace adds (tintin_model_plan_dsp,
the generated headers' _ARENA_TRAIN_DSP / _ARENA_INFER_DSP). Flash: the runtime's
code (footprint.json: every core source at -Os for that core, checkpoints only with
--checkpoint, never the run-time blob parser; the linker's section GC can only make it
smaller) plus the model's constants
(weights, biases, layer table, description).
Exit 1 when it does not fit the given RAM or flash; 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tintin import cgen, clib, cliutil, footprint, modelfile, spec

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


# Cores whose dense kernel can use the workspace of tintin_model_plan_dsp (Armv7E-M).
DSP_CORES = ("cortex-m4",)

# Runtime sources an application links only when it uses them.
CHECKPOINT_CODE = "src/checkpoint.c"
BLOB_CODE = "src/blob.c"  # models built into the image never link the blob parser


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
        params, optim = cgen.arena_breakdown(sp)
        p.ram["arena: parameters"] = params
        p.ram["arena: optimizer state"] = optim
        p.ram["arena: activations, errors, scratch"] = arena - params - optim
    p.ram["struct tintin_model"] = cal["model_struct_base"] + max_layers * cal["layer_state"]
    p.ram["stack budget"] = stack
    p.layers = model_constants(sp)
    code = cal["code"]
    optional = (CHECKPOINT_CODE, BLOB_CODE)
    p.flash["tintin runtime code"] = sum(v for k, v in code.items() if k not in optional)
    if checkpoint:
        p.flash["tintin checkpoint code"] = code[CHECKPOINT_CODE]
    p.flash["model weights and biases"] = sum(p.layers.values())
    p.flash["model table and description"] = len(sp.layers) * cal["layer_desc"] + cal["model_desc"]
    p.ram_total = sum(p.ram.values())
    p.flash_total = sum(p.flash.values())
    return p


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
    ap.add_argument("--json", type=Path, help="also write the plan as JSON (replaced if it exists)")


STACK_MAX = 2**31 - 1


def _plan(args: argparse.Namespace) -> Plan:
    if args.json is not None:  # said before any work, and nothing is half written
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
    return p


def run(args: argparse.Namespace) -> int:
    try:
        p = _plan(args)
    except (modelfile.ModelFileError, cliutil.UsageError) as exc:
        return cliutil.fail(PROG, exc)
    except clib.TintinError as exc:
        return cliutil.fail(PROG, f"the C planner refused the model: {exc}")
    if args.json:
        try:
            cliutil.write_atomic(args.json, json.dumps({**asdict(p), "fits": p.fits}, indent=1)
                                 + "\n")  # fmt: skip
        except OSError as exc:
            return cliutil.fail(PROG, f"--json {args.json}: cannot write: {exc.strerror or exc}")
    print(render(p))
    return 0 if p.fits else 1


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
