# SPDX-License-Identifier: Apache-2.0
"""Every allocated byte of a linked image given to one owner, and the budget verdicts.

The owners, in the order they claim bytes: the tintin library (per archive member from the
map, else its `tintin_*` symbols), generated models' constants, training arenas, stacks, and
the rest of the application; tintin.target.size documents the rules and prints the result.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from tintin.target.sizeinputs import (
    ArenaPlan,
    SizeError,
    config_int,
    config_regions,
    read_config,
    read_plans,
    resolve,
)

LIBRARY = "libtintin.a"
MODEL_LAYER = re.compile(r"^([a-z][a-z0-9_]*)_([wb])(\d+)$")
MODEL_TABLE = re.compile(r"^([a-z][a-z0-9_]*)_(layers|desc)$")


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
