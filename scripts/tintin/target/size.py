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
import bisect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tintin.io import cliutil
from tintin.target.elfmap import (
    ElfImage,
    ElfMapError,
    LinkMap,
    Region,
    Section,
    Symbol,
    archive_member,
    read_elf,
    read_map,
)

PROG = "tintin size"
LIBRARY = "libtintin.a"
KIB = 1024
MODEL_LAYER = re.compile(r"^([a-z][a-z0-9_]*)_([wb])(\d+)$")
MODEL_TABLE = re.compile(r"^([a-z][a-z0-9_]*)_(layers|desc)$")
ARENA_MACRO = re.compile(
    r"^[ \t]*#[ \t]*define[ \t]+([A-Z][A-Z0-9_]*)_ARENA_(TRAIN|INFER|PARAMS|OPTIM)"
    r"[ \t]+\(?[ \t]*(\d+)[uUlL]*[ \t]*\)?[ \t]*$",
    re.M,
)
CONFIG_LINE = re.compile(r"^(CONFIG_\w+)=(.*)$", re.M)


class SizeError(Exception):
    """Bad input (missing file, unreadable ELF or map); main prints it on one line, exit 2."""


@dataclass
class Usage:
    flash: int = 0
    ram: int = 0

    def add(self, other: Usage) -> None:
        self.flash += other.flash
        self.ram += other.ram

    def as_dict(self) -> dict[str, int]:
        return {"flash": self.flash, "ram": self.ram}


@dataclass(frozen=True)
class SectionUse:
    """A section and the bytes it costs: flash (run or load copy) and RAM."""

    section: Section
    flash: int
    ram: int
    regions: tuple[tuple[str, int], ...]  # (region name, bytes) it occupies


@dataclass(frozen=True)
class RegionUse:
    region: Region
    used: int


@dataclass
class ModelUse:
    """One generated model's constants: per-layer weights + bias, and its tables."""

    name: str
    layers: dict[int, Usage] = field(default_factory=dict)
    table: Usage = field(default_factory=Usage)
    usage: Usage = field(default_factory=Usage)

    def layer_bytes(self) -> dict[int, int]:
        """Weights + bias bytes per layer index (each constant has one copy)."""
        return {i: max(u.flash, u.ram) for i, u in sorted(self.layers.items())}


@dataclass(frozen=True)
class ArenaPlan:
    """Arena macros of one model header (None when the header does not define one)."""

    model: str
    header: Path
    train: int
    infer: int | None
    params: int | None
    optim: int | None


@dataclass
class SizeReport:
    elf: Path
    machine: str
    map_file: Path | None
    config: Path | None
    headers: list[Path]
    sections: list[SectionUse]
    regions: list[RegionUse]
    totals: Usage
    tintin: Usage
    tintin_source: str
    members: dict[str, Usage]
    models: dict[str, ModelUse]
    arenas: dict[str, int]
    arena_usage: Usage
    plans: list[ArenaPlan]
    arena_budget: int | None
    stacks: dict[str, int]
    stack_usage: Usage
    rest: Usage
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def planned(self) -> int | None:
        return max((p.train for p in self.plans), default=None)


# ---------------------------------------------------------------------------- inputs


def resolve(
    target: Path, config: Path | None, map_file: Path | None
) -> tuple[Path, Path | None, Path | None]:
    """(elf, config, map): a build directory supplies its own .config and map when present."""
    if not target.exists():
        raise SizeError(f"{target}: no such file or directory")
    if target.is_dir():
        target, config, map_file = _from_build_dir(target, config, map_file)
    for path, what in ((config, "config"), (map_file, "map file")):
        if path is not None and not path.is_file():
            raise SizeError(f"{path}: {what} not found")
    return target, config, map_file


def _from_build_dir(
    build: Path, config: Path | None, map_file: Path | None
) -> tuple[Path, Path | None, Path | None]:
    """zephyr.exe (native targets, where zephyr.elf is only relocatable) or zephyr.elf."""
    for base in (build / "zephyr", build):
        exe, elf = base / "zephyr.exe", base / "zephyr.elf"
        image = exe if exe.is_file() else elf
        if not image.is_file():
            continue
        if config is None and (base / ".config").is_file():
            config = base / ".config"
        # zephyr.map describes the link of zephyr.elf, not of a native zephyr.exe.
        if map_file is None and image == elf and (base / "zephyr.map").is_file():
            map_file = base / "zephyr.map"
        return image, config, map_file
    raise SizeError(f"{build}: no zephyr/zephyr.elf or zephyr/zephyr.exe in this directory")


def read_config(path: Path) -> dict[str, str]:
    """CONFIG_X=value lines of a Kconfig .config (quotes kept)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        raise SizeError(f"{path}: cannot read config: {e.strerror or e}") from None
    config = {m.group(1): m.group(2).strip() for m in CONFIG_LINE.finditer(text)}
    for key in CONFIG_NUMBERS:  # a budget read wrong is a verdict made up: refuse instead
        if key in config and config_int(config, key) is None:
            raise SizeError(f"{path}: {key}={config[key]}: not a non-negative integer")
    return config


# The .config values the verdicts are made from.
CONFIG_NUMBERS = (
    "CONFIG_FLASH_BASE_ADDRESS", "CONFIG_FLASH_SIZE", "CONFIG_SRAM_BASE_ADDRESS",
    "CONFIG_SRAM_SIZE", "CONFIG_TINTIN_ARENA_SIZE",
)  # fmt: skip


def config_int(config: dict[str, str], key: str) -> int | None:
    """A non-negative integer value (decimal or 0x hex), else None."""
    try:
        v = int(config[key], 0) if key in config else None
    except ValueError:
        return None
    return v if v is None or v >= 0 else None


def config_regions(config: dict[str, str]) -> list[Region]:
    """FLASH and RAM from CONFIG_{FLASH,SRAM}_{BASE_ADDRESS,SIZE}; sizes are in KiB."""
    regions = []
    for name, kind, prefix in (("FLASH", "flash", "FLASH"), ("RAM", "ram", "SRAM")):
        base = config_int(config, f"CONFIG_{prefix}_BASE_ADDRESS")
        size = config_int(config, f"CONFIG_{prefix}_SIZE")
        if base is not None and size:
            regions.append(Region(name, base, size * KIB, kind))
    return regions


def read_plans(headers: Sequence[Path]) -> list[ArenaPlan]:
    """Arena macros of generated model headers; each header must plan at least one model."""
    plans = []
    for header in headers:
        try:
            text = header.read_text(errors="replace")
        except FileNotFoundError:
            raise SizeError(f"{header}: header not found") from None
        except OSError as e:
            raise SizeError(f"{header}: cannot read header: {e.strerror or e}") from None
        found: dict[str, dict[str, int]] = {}
        for m in ARENA_MACRO.finditer(text):
            found.setdefault(m.group(1), {})[m.group(2)] = int(m.group(3))
        models = {k: v for k, v in found.items() if "TRAIN" in v}
        if not models:
            raise SizeError(f"{header}: defines no <NAME>_ARENA_TRAIN")
        for name, v in sorted(models.items()):
            plan = ArenaPlan(
                name.lower(), header, v["TRAIN"], v.get("INFER"), v.get("PARAMS"), v.get("OPTIM")
            )
            plans.append(plan)
    return plans


# ---------------------------------------------------------------------------- placement


def place(sec: Section, regions: Sequence[Region]) -> SectionUse:
    """Cost of a section: its run copy (RAM or flash) plus a load image stored elsewhere.

    As Zephyr's size_report: NOBITS is RAM; by address when a region holds it; otherwise
    writable is RAM and read-only is flash. A load address differing from the run address
    (.data AT> FLASH) adds a flash copy.
    """
    run_region = _region_at(regions, sec.addr)
    if sec.nobits:
        run_kind = "ram"
    elif run_region is not None:
        run_kind = run_region.kind
    else:
        run_kind = "ram" if sec.write else "flash"
    costs = {"flash": 0, "ram": 0}
    costs[run_kind] += sec.size
    used = [(run_region.name, sec.size)] if run_region is not None else []
    if not sec.nobits and sec.lma != sec.addr:
        load_region = _region_at(regions, sec.lma)
        costs[load_region.kind if load_region else "flash"] += sec.size
        if load_region is not None:
            used.append((load_region.name, sec.size))
    return SectionUse(sec, costs["flash"], costs["ram"], tuple(used))


def _region_at(regions: Sequence[Region], addr: int) -> Region | None:
    return next((r for r in regions if r.contains(addr)), None)


def region_use(regions: Sequence[Region], sections: Sequence[SectionUse]) -> list[RegionUse]:
    """Bytes in each region; a region of unknown origin takes the whole flash or RAM total."""
    out = []
    for r in regions:
        if r.origin is None:
            used = sum(s.flash if r.kind == "flash" else s.ram for s in sections)
        else:
            used = sum(n for s in sections for name, n in s.regions if name == r.name)
        out.append(RegionUse(r, used))
    return out


# ---------------------------------------------------------------------------- owners


class Claims:
    """Disjoint address ranges already given to an owner, so no byte is counted twice."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, size: int) -> bool:
        i = bisect.bisect_right(self._starts, start)
        if i > 0 and self._ends[i - 1] > start:
            return False
        if i < len(self._starts) and self._starts[i] < start + size:
            return False
        self._starts.insert(i, start)
        self._ends.insert(i, start + size)
        return True


class Owners:
    """Hands out sections' bytes by address, first claim wins."""

    def __init__(self, sections: Sequence[SectionUse]) -> None:
        self.by_index = {s.section.index: s for s in sections}
        self.by_name: dict[str, list[SectionUse]] = {}
        for s in sections:
            self.by_name.setdefault(s.section.name, []).append(s)
        self.claims = Claims()

    def symbol(self, sym: Symbol) -> Usage | None:
        """Cost of a symbol, or None if its bytes are already owned or not allocated."""
        sec = self.by_index.get(sym.section)
        if sec is None or not sec.section.contains(sym.addr, sym.size):
            return None
        return self._take(sec, sym.addr, sym.size)

    def input_section(self, output: str, addr: int, size: int) -> Usage | None:
        """Cost of a map input section placed in the ELF section named output."""
        for sec in self.by_name.get(output, []):
            if sec.section.contains(addr, size):
                return self._take(sec, addr, size)
        return None

    def in_ram(self, sym: Symbol) -> bool:
        sec = self.by_index.get(sym.section)
        return sec is not None and sec.ram > 0

    def _take(self, sec: SectionUse, addr: int, size: int) -> Usage | None:
        if not self.claims.claim(addr, size):
            return None
        n = sec.section.size
        return Usage(size * (sec.flash // n), size * (sec.ram // n))


def library_from_map(owners: Owners, link: LinkMap) -> dict[str, Usage]:
    """Per archive member of libtintin.a, the input sections the map placed in the image."""
    members: dict[str, Usage] = {}
    for inp in link.inputs:
        member = archive_member(inp.file, LIBRARY)
        if member is None:
            continue
        cost = owners.input_section(inp.output, inp.addr, inp.size)
        if cost is not None:
            members.setdefault(member, Usage()).add(cost)
    return members


def library_from_symbols(owners: Owners, symbols: Sequence[Symbol]) -> Usage:
    usage = Usage()
    for sym in symbols:
        if sym.name.startswith("tintin_"):
            cost = owners.symbol(sym)
            if cost is not None:
                usage.add(cost)
    return usage


def models(owners: Owners, symbols: Sequence[Symbol], skip_tintin: bool) -> dict[str, ModelUse]:
    """Generated-model constants, for models whose `<model>_layers` or `_desc` exists."""
    objects = [s for s in symbols if s.kind == "OBJECT"]
    names = {m.group(1) for s in objects if (m := MODEL_TABLE.match(s.name))}
    if skip_tintin:
        names = {n for n in names if n != "tintin" and not n.startswith("tintin_")}
    out: dict[str, ModelUse] = {}
    for sym in sorted(objects, key=lambda s: (s.addr, s.name)):
        layer = MODEL_LAYER.match(sym.name)
        table = MODEL_TABLE.match(sym.name)
        model = layer.group(1) if layer else table.group(1) if table else None
        if model not in names:
            continue
        cost = owners.symbol(sym)
        if cost is None:
            continue
        use = out.setdefault(model, ModelUse(model))
        use.usage.add(cost)
        if layer:
            use.layers.setdefault(int(layer.group(3)), Usage()).add(cost)
        else:
            use.table.add(cost)
    return out


def ram_objects(
    owners: Owners, symbols: Sequence[Symbol], wanted: re.Pattern[str]
) -> tuple[dict[str, int], Usage]:
    """RAM OBJECT symbols whose name matches wanted: bytes per name, and their total cost."""
    found: dict[str, int] = {}
    usage = Usage()
    for sym in sorted(symbols, key=lambda s: (s.addr, s.name)):
        if sym.kind != "OBJECT" or not wanted.search(sym.name) or not owners.in_ram(sym):
            continue
        cost = owners.symbol(sym)
        if cost is None:
            continue
        usage.add(cost)
        key = sym.name if sym.name not in found else f"{sym.name}@{sym.addr:#x}"
        found[key] = sym.size
    return found, usage


ARENA_NAME = re.compile(r"arena", re.I)
STACK_NAME = re.compile(r"_stacks?$")


# ---------------------------------------------------------------------------- budgets


def budget_problems(report: SizeReport, ram: int | None, flash: int | None) -> list[str]:
    """One `OVER:` line per exceeded budget: arena plan, arena symbols, regions, limits."""
    problems = []
    budget = report.arena_budget
    for p in report.plans:
        if budget is not None and p.train > budget:
            problems.append(
                f"OVER: training arena {p.model} needs {p.train} B > "
                f"CONFIG_TINTIN_ARENA_SIZE {budget} B"
            )
    problems += _arena_symbol_problems(report)
    for r in report.regions:
        if r.used > r.region.length:
            problems.append(
                f"OVER: {r.region.kind} region {r.region.name} uses {r.used} B > "
                f"{r.region.length} B"
            )
    explicit = {r.region.name for r in report.regions if r.region.origin is None}
    for limit, used, what, flag in (
        (ram, report.totals.ram, "RAM", "--ram"),
        (flash, report.totals.flash, "flash", "--flash"),
    ):
        region_name = "RAM" if what == "RAM" else "FLASH"
        if limit is not None and used > limit and region_name not in explicit:
            problems.append(f"OVER: {what} used {used} B > {flag} {limit} B")
    return problems


def _arena_symbol_problems(report: SizeReport) -> list[str]:
    """Arena symbols smaller than the planned training bytes of the model they serve.

    A symbol serves a model when its name contains the model's name; with one header and no
    such name, the largest arena symbol is taken to be the model's.
    """
    problems = []
    for p in report.plans:
        names = [s for s in report.arenas if p.model in s.lower()]
        if not names and len(report.plans) == 1 and report.arenas:
            names = [max(report.arenas, key=lambda s: (report.arenas[s], s))]
        for name in names:
            if report.arenas[name] < p.train:
                problems.append(
                    f"OVER: arena symbol {name} has {report.arenas[name]} B < planned "
                    f"{p.train} B for {p.model}"
                )
    return problems


# ---------------------------------------------------------------------------- measure


def measure(
    elf: Path,
    config: Path | None = None,
    map_file: Path | None = None,
    headers: Sequence[Path] = (),
    *,
    ram: int | None = None,
    flash: int | None = None,
) -> SizeReport:
    """Owners, regions and budget verdicts of one image; SizeError on bad input.

    elf may be a build directory (see resolve). ram/flash are extra limits in bytes; they
    stand in for the regions when neither the map nor .config gives any.
    """
    elf, config, map_file = resolve(Path(elf), config, map_file)
    try:
        image = read_elf(elf)
        link = read_map(map_file) if map_file is not None else None
    except ElfMapError as e:
        raise SizeError(str(e)) from None
    cfg = read_config(config) if config is not None else {}
    plans = read_plans(headers)
    regions = _regions(link, cfg, ram, flash)
    sections = [place(s, regions) for s in image.sections if not (s.tls and s.nobits)]
    report = _attribute(image, link, sections, regions)
    report.config, report.headers, report.plans = config, list(headers), plans
    report.arena_budget = config_int(cfg, "CONFIG_TINTIN_ARENA_SIZE")
    report.problems = budget_problems(report, ram, flash)
    return report


def _regions(
    link: LinkMap | None, cfg: dict[str, str], ram: int | None, flash: int | None
) -> list[Region]:
    """Map regions, else .config regions, else --ram/--flash sizes of unknown origin."""
    if link is not None and link.regions:
        return list(link.regions)
    regions = config_regions(cfg)
    if regions:
        return regions
    sized = [("FLASH", flash, "flash"), ("RAM", ram, "ram")]
    return [Region(name, None, n, kind) for name, n, kind in sized if n is not None]


def _attribute(
    image: ElfImage,
    link: LinkMap | None,
    sections: list[SectionUse],
    regions: list[Region],
) -> SizeReport:
    """Give every byte one owner: library, models, arena, stacks, then the rest."""
    totals = Usage()
    for s in sections:
        totals.add(Usage(s.flash, s.ram))
    owners = Owners(sections)
    members = library_from_map(owners, link) if link is not None else {}
    source = "map" if members else "symbols"
    tintin = Usage()
    for use in members.values():
        tintin.add(use)
    if not members:
        tintin = library_from_symbols(owners, image.symbols)
    found_models = models(owners, image.symbols, skip_tintin=source == "symbols")
    arenas, arena_usage = ram_objects(owners, image.symbols, ARENA_NAME)
    stacks, stack_usage = ram_objects(owners, image.symbols, STACK_NAME)
    rest = Usage(totals.flash, totals.ram)
    for use in [tintin, arena_usage, stack_usage, *(m.usage for m in found_models.values())]:
        rest.add(Usage(-use.flash, -use.ram))
    return SizeReport(
        elf=image.path,
        machine=image.machine,
        map_file=link.path if link is not None else None,
        config=None,
        headers=[],
        sections=sections,
        regions=region_use(regions, sections),
        totals=totals,
        tintin=tintin,
        tintin_source=source,
        members=dict(sorted(members.items())),
        models=dict(sorted(found_models.items())),
        arenas=dict(sorted(arenas.items())),
        arena_usage=arena_usage,
        plans=[],
        arena_budget=None,
        stacks=dict(sorted(stacks.items())),
        stack_usage=stack_usage,
        rest=rest,
        problems=[],
    )


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
