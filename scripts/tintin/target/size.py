# SPDX-License-Identifier: Apache-2.0
"""`tintin size`: flash and RAM of a linked image, split by owner, checked against budgets.

The question on a small MCU is not only "does it fit" but "who took the bytes, and does the
training arena the model planner asks for fit what Kconfig reserved". So every allocated
byte of flash and RAM is given to exactly one owner (the owners sum to the totals):

1. tintin library: input sections of `libtintin.a(<member>)` in the map file, per member;
   without a map, FUNC/OBJECT symbols named `tintin_*` (every library function is).
2. model constants: `<model>_w<i>`, `<model>_b<i>` (layer i) and `<model>_layers`,
   `<model>_desc` (the table) of generated headers; a model counts only when its table exists.
   Without a map, a model named `tintin*` is left to the library.
3. training arena: OBJECT symbols in RAM whose name contains `arena`; the planned bytes come
   from `<NAME>_ARENA_TRAIN/INFER/PARAMS/OPTIM` macros of the headers given with --header.
4. stacks: OBJECT symbols in RAM named `*_stack` or `*_stacks` (Zephyr's kernel stacks).
5. rest of application: everything else.

Flash holds sections that are allocated but not writable (code, constants) plus the load
image of initialised data (its LMA, from the program headers); RAM holds writable sections
(.data and .bss). With memory regions known (the map's "Memory Configuration", else
CONFIG_SRAM_* / CONFIG_FLASH_* of .config, sizes in KiB), a section is placed by address.

Exit status: 0 within budget, 1 over budget (one `OVER:` line per problem), 2 bad input.

JSON (--json OUT), all sizes in bytes, unknown values null:

    {
      "elf": str, "machine": str, "map": str | null, "config": str | null,
      "headers": [str],
      "sections": [{"name", "addr", "lma", "size", "flash", "ram"}],
      "regions": {NAME: {"kind": "flash" | "ram", "origin": int | null, "length": int,
                         "used": int}},
      "totals": {"flash": int, "ram": int},
      "owners": {
        "tintin": {"flash", "ram", "source": "map" | "symbols",
                   "members": {MEMBER: {"flash", "ram"}}},
        "models": {MODEL: {"flash", "ram", "layers": {"<i>": int}, "table": int}},
        "arena": {"flash", "ram", "symbols": {SYMBOL: int}, "planned": int | null,
                  "infer": int | null, "params": int | null, "optim": int | null,
                  "budget": int | null,
                  "plans": {MODEL: {"header", "train", "infer", "params", "optim"}}},
        "stacks": {"flash", "ram", "symbols": {SYMBOL: int}},
        "rest": {"flash", "ram"}
      },
      "budget": {"ok": bool, "problems": [str]}
    }

Members are archive member names without ".o"/".obj" (model.c.obj -> model.c); a model's
"layers" maps the layer index to its weights + bias bytes; "planned" is the largest
ARENA_TRAIN over the headers and "budget" is CONFIG_TINTIN_ARENA_SIZE.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tintin.io import cliutil
from tintin.target.attribute import SizeReport, Usage, measure
from tintin.target.sizeinputs import KIB, SizeError

PROG = "tintin size"


# ---------------------------------------------------------------------------- output


def capacity(report: SizeReport, kind: str) -> int | None:
    """Bytes of flash or RAM available: the lengths of the regions of that kind in use."""
    regions = [r for r in report.regions if r.region.kind == kind]
    used = [r for r in regions if r.used > 0] or regions
    return sum(r.region.length for r in used) or None


def _pct(n: int, total: int | None) -> str:
    return f"{100.0 * n / total:5.1f}%" if total else "     -"


def _opt(n: int | None) -> str:
    return "-" if n is None else str(n)


def owner_rows(report: SizeReport) -> list[tuple[str, Usage]]:
    """Table rows in a fixed order; indented rows break down the row above them."""
    rows: list[tuple[str, Usage]] = [
        (f"tintin library code ({report.tintin_source})", report.tintin)
    ]
    rows += [(f"  {name}", use) for name, use in report.members.items()]
    for name, m in report.models.items():
        rows.append((f"model constants {name}", m.usage))
        rows += [(f"  layer {i}", use) for i, use in sorted(m.layers.items())]
        rows.append(("  layer table + desc", m.table))
    rows.append(("training arena", report.arena_usage))
    rows += [(f"  {name}", Usage(0, n)) for name, n in report.arenas.items()]
    rows.append(("stacks", report.stack_usage))
    rows += [(f"  {name}", Usage(0, n)) for name, n in report.stacks.items()]
    rows.append(("rest of application", report.rest))
    rows.append(("total", report.totals))
    return rows


def format_report(report: SizeReport) -> str:
    flash_cap, ram_cap = capacity(report, "flash"), capacity(report, "ram")
    lines = [f"{report.elf} ({report.machine})"]
    if report.map_file is not None:
        lines.append(f"map: {report.map_file}")
    if report.config is not None:
        lines.append(f"config: {report.config}")
    lines += ["", f"{'owner':34s} {'flash B':>9s} {'flash%':>7s} {'RAM B':>9s} {'RAM%':>7s}"]
    for name, use in owner_rows(report):
        lines.append(
            f"{name:34s} {use.flash:9d} {_pct(use.flash, flash_cap):>7s} "
            f"{use.ram:9d} {_pct(use.ram, ram_cap):>7s}"
        )
    lines += [
        "",
        f"{'region':12s} {'kind':5s} {'origin':>10s} {'used':>9s} {'size':>9s} {'use':>7s}",
    ]
    for r in report.regions:
        origin = "-" if r.region.origin is None else f"{r.region.origin:#010x}"
        lines.append(
            f"{r.region.name:12s} {r.region.kind:5s} {origin:>10s} {r.used:9d} "
            f"{r.region.length:9d} {_pct(r.used, r.region.length):>7s}"
        )
    if not report.regions:
        lines.append("(no memory regions: give --map, --config, or --ram/--flash)")
    lines += ["", *arena_lines(report, ram_cap), ""]
    lines += report.problems
    lines.append("OK" if report.ok else "OVER BUDGET")
    return "\n".join(lines)


def arena_lines(report: SizeReport, ram_cap: int | None) -> list[str]:
    lines = [
        f"arena: planned {_opt(report.planned)}, allocated {report.arena_usage.ram}, "
        f"budget {_opt(report.arena_budget)}, RAM region {_opt(ram_cap)}"
    ]
    for p in report.plans:
        lines.append(f"  {p.model} ({p.header.name}): train {p.train}, infer {_opt(p.infer)}")
        if p.params is not None:
            lines.append(f"  {p.model} trainable parameter copies: {p.params}")
        if p.optim is not None:
            lines.append(f"  {p.model} optimizer state: {p.optim}")
    return lines


def to_json(report: SizeReport) -> dict:
    """The flat schema documented at the top of this module."""
    return {
        "elf": str(report.elf),
        "machine": report.machine,
        "map": None if report.map_file is None else str(report.map_file),
        "config": None if report.config is None else str(report.config),
        "headers": [str(h) for h in report.headers],
        "sections": [
            {
                "name": s.section.name,
                "addr": s.section.addr,
                "lma": s.section.lma,
                "size": s.section.size,
                "flash": s.flash,
                "ram": s.ram,
            }
            for s in report.sections
        ],
        "regions": {
            r.region.name: {
                "kind": r.region.kind,
                "origin": r.region.origin,
                "length": r.region.length,
                "used": r.used,
            }
            for r in report.regions
        },
        "totals": report.totals.as_dict(),
        "owners": _owners_json(report),
        "budget": {"ok": report.ok, "problems": list(report.problems)},
    }


def _owners_json(report: SizeReport) -> dict:
    plans = {
        p.model: {
            "header": str(p.header),
            "train": p.train,
            "infer": p.infer,
            "params": p.params,
            "optim": p.optim,
        }
        for p in report.plans
    }
    biggest = max(report.plans, key=lambda p: p.train, default=None)
    return {
        "tintin": {
            **report.tintin.as_dict(),
            "source": report.tintin_source,
            "members": {k: v.as_dict() for k, v in report.members.items()},
        },
        "models": {
            name: {
                **m.usage.as_dict(),
                "layers": {str(i): n for i, n in m.layer_bytes().items()},
                "table": max(m.table.flash, m.table.ram),
            }
            for name, m in report.models.items()
        },
        "arena": {
            **report.arena_usage.as_dict(),
            "symbols": dict(report.arenas),
            "planned": report.planned,
            "infer": biggest.infer if biggest else None,
            "params": biggest.params if biggest else None,
            "optim": biggest.optim if biggest else None,
            "budget": report.arena_budget,
            "plans": plans,
        },
        "stacks": {**report.stack_usage.as_dict(), "symbols": dict(report.stacks)},
        "rest": report.rest.as_dict(),
    }


# ---------------------------------------------------------------------------- main


def _bytes(text: str) -> int:
    """A byte count: decimal, 0x hex, or with a K/M suffix (KiB/MiB)."""
    scale = {"k": KIB, "m": KIB * KIB}.get(text[-1:].lower(), 1)
    try:
        n = int(text[:-1] if scale > 1 else text, 0) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a byte count: {text!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"not a positive byte count: {text!r}")
    return n


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = cliutil.Parser(
        prog=PROG,
        allow_abbrev=False,
        description=__doc__.split("\n")[0],
        epilog="Exit status: 0 within budget, 1 over budget, 2 bad input.",
    )
    ap.add_argument(
        "target",
        nargs="?",
        type=Path,
        default=Path("build"),
        help="build directory (zephyr/zephyr.elf inside) or ELF (default: build)",
    )
    ap.add_argument("--config", type=Path, help="Kconfig .config (regions, arena budget)")
    ap.add_argument("--map", type=Path, dest="map_file", help="GNU ld map file")
    ap.add_argument(
        "--header",
        type=Path,
        action="append",
        default=[],
        dest="headers",
        help="generated model header with *_ARENA_TRAIN (repeatable)",
    )
    ap.add_argument(
        "--json", type=Path, help="also write the report as JSON to this file (replaced)"
    )
    ap.add_argument("--ram", type=_bytes, help="RAM limit in bytes (K/M suffixes allowed)")
    ap.add_argument("--flash", type=_bytes, help="flash limit in bytes (K/M suffixes allowed)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.json is not None:  # said before any work
            inputs = (args.target, args.config, args.map_file, *args.headers)
            cliutil.output_file(args.json, "--json", inputs=inputs)
        report = measure(
            args.target, args.config, args.map_file, args.headers, ram=args.ram, flash=args.flash
        )
    except (SizeError, cliutil.UsageError) as e:
        return cliutil.fail(PROG, e)
    if args.json is not None:
        try:
            cliutil.write_atomic(args.json, json.dumps(to_json(report), indent=2) + "\n")
        except OSError as e:
            return cliutil.fail(PROG, f"{args.json}: cannot write: {e.strerror or e}")
    print(format_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
