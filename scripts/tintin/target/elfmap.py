# SPDX-License-Identifier: Apache-2.0
"""Read what a linked image holds: ELF sections and symbols, and a GNU ld map file.

One job, kept apart from the budget logic of `tintin size`: turn an ELF (through pyelftools)
and an optional `-Map` file into plain dataclasses. A section's load address (LMA) comes from
the PT_LOAD program header that holds it, because section headers only carry the run address
(VMA); initialised data in flash is visible only that way. The map gives the memory regions
("Memory Configuration") and every input section with the archive member it came from.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError, ELFParseError
from elftools.construct import ConstructError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

ELF_MAGIC = b"\x7fELF"
SYMBOL_TYPES = ("STT_FUNC", "STT_OBJECT")
# What pyelftools raises on a hostile file: its own errors, and Python's when a header field
# points nowhere sane (an e_phoff of 2^64 - 1 is an OverflowError in seek, for one).
PARSE_ERRORS = (ELFError, ELFParseError, ConstructError, struct.error, ValueError, IndexError,
                OverflowError, KeyError, TypeError, AttributeError, AssertionError, EOFError,
                RecursionError, MemoryError)  # fmt: skip


class ElfMapError(Exception):
    """Input that cannot be read as an ELF or a map; the message is one line for the user."""


@dataclass(frozen=True)
class Section:
    """An allocated section: where it runs (addr), where it is stored (lma), and its flags."""

    index: int
    name: str
    addr: int
    lma: int
    size: int
    flags: int
    nobits: bool

    @property
    def write(self) -> bool:
        return bool(self.flags & SH_FLAGS.SHF_WRITE)

    @property
    def execute(self) -> bool:
        return bool(self.flags & SH_FLAGS.SHF_EXECINSTR)

    @property
    def tls(self) -> bool:
        return bool(self.flags & SH_FLAGS.SHF_TLS)

    def contains(self, addr: int, size: int) -> bool:
        return self.addr <= addr and addr + size <= self.addr + self.size


@dataclass(frozen=True)
class Symbol:
    """A sized function or object symbol, with the Thumb bit already cleared from addr."""

    name: str
    addr: int
    size: int
    kind: str  # "FUNC" or "OBJECT"
    local: bool
    section: int  # st_shndx: the Section.index of the section holding it


@dataclass(frozen=True)
class ElfImage:
    path: Path
    machine: str
    sections: tuple[Section, ...]  # SHF_ALLOC sections of non-zero size only
    symbols: tuple[Symbol, ...]


@dataclass(frozen=True)
class Region:
    """A MEMORY region; origin is None when only its size is known (--ram/--flash)."""

    name: str
    origin: int | None
    length: int
    kind: str  # "flash" or "ram"

    def contains(self, addr: int) -> bool:
        return self.origin is not None and self.origin <= addr < self.origin + self.length


@dataclass(frozen=True)
class InputSection:
    """One input section placed by the linker, and the file (or archive member) it came from."""

    output: str
    name: str
    addr: int
    size: int
    file: str


@dataclass(frozen=True)
class LinkMap:
    path: Path
    regions: tuple[Region, ...]
    inputs: tuple[InputSection, ...]


# ---------------------------------------------------------------------------- ELF


def read_elf(path: Path) -> ElfImage:
    """Sections, LMAs and sized symbols of an ELF; ElfMapError if it is not a readable ELF."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ElfMapError(f"{path}: cannot read: {e.strerror or e}") from None
    if not data.startswith(ELF_MAGIC):
        raise ElfMapError(f"{path}: not an ELF file")
    try:
        elf = ELFFile(io.BytesIO(data))
        sections = tuple(_alloc_sections(elf))
        symtab = elf.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            raise ElfMapError(f"{path}: has no symbol table; build without -s/strip")
        thumb = elf["e_machine"] == "EM_ARM"
        symbols = tuple(_symbols(symtab, thumb))
        machine = str(elf["e_machine"]).removeprefix("EM_")
    except PARSE_ERRORS as e:
        raise ElfMapError(f"{path}: corrupt ELF ({_first_line(e)})") from None
    return ElfImage(path, machine, sections, symbols)


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _alloc_sections(elf: ELFFile) -> Iterator[Section]:
    """SHF_ALLOC sections, each with the LMA of the PT_LOAD segment that holds its bytes."""
    loads = [seg.header for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"]
    for index, sec in enumerate(elf.iter_sections()):
        h = sec.header
        if not h["sh_flags"] & SH_FLAGS.SHF_ALLOC or h["sh_size"] == 0:
            continue
        nobits = h["sh_type"] == "SHT_NOBITS"
        yield Section(
            index=index,
            name=sec.name,
            addr=h["sh_addr"],
            lma=_lma(loads, h["sh_addr"], h["sh_offset"], nobits),
            size=h["sh_size"],
            flags=h["sh_flags"],
            nobits=nobits,
        )


def _lma(loads: list, addr: int, offset: int, nobits: bool) -> int:
    """Load address: the segment's p_paddr plus the section's offset into that segment."""
    for p in loads:
        in_memory = p["p_vaddr"] <= addr < p["p_vaddr"] + max(p["p_memsz"], 1)
        in_file = nobits or p["p_offset"] <= offset < p["p_offset"] + p["p_filesz"]
        if in_memory and in_file:
            return addr - p["p_vaddr"] + p["p_paddr"]
    return addr


def _symbols(symtab: SymbolTableSection, thumb: bool) -> Iterator[Symbol]:
    for sym in symtab.iter_symbols():
        kind = sym["st_info"]["type"]
        shndx = sym["st_shndx"]
        if kind not in SYMBOL_TYPES or sym["st_size"] == 0 or not isinstance(shndx, int):
            continue
        addr = sym["st_value"]
        if thumb and kind == "STT_FUNC":
            addr &= ~1
        yield Symbol(
            name=sym.name,
            addr=addr,
            size=sym["st_size"],
            kind=kind.removeprefix("STT_"),
            local=sym["st_info"]["bind"] == "STB_LOCAL",
            section=shndx,
        )


# ---------------------------------------------------------------------------- map

HEX = r"0x([0-9a-fA-F]+)"
REGION_LINE = re.compile(rf"^(\S+)\s+{HEX}\s+{HEX}(?:\s+(\S+))?\s*$")
INPUT_LINE = re.compile(rf"^ (\S+)\s+{HEX}\s+{HEX}\s+(\S.*?)\s*$")
INPUT_NAME_ONLY = re.compile(r"^ (\S+)\s*$")
CONTINUATION = re.compile(rf"^\s+{HEX}\s+{HEX}\s+(\S.*?)\s*$")
OUTPUT_LINE = re.compile(r"^([^\s*][^\s]*)")
MAP_START = "Linker script and memory map"


def read_map(path: Path) -> LinkMap:
    """Regions and placed input sections of a GNU ld map file (ld -Map)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as e:
        raise ElfMapError(f"{path}: cannot read map: {e.strerror or e}") from None
    if not any(line.startswith(MAP_START) for line in lines):
        raise ElfMapError(f"{path}: not a GNU ld map file (no '{MAP_START}')")
    return LinkMap(path, tuple(_regions(lines)), tuple(_inputs(lines)))


def region_kind(name: str, attributes: str) -> str:
    """flash or ram: by the usual names first, then by the region's attributes (w = RAM)."""
    upper = name.upper()
    if "FLASH" in upper or "ROM" in upper:
        return "flash"
    if "RAM" in upper:
        return "ram"
    return "ram" if "w" in attributes.lower() else "flash"


def _regions(lines: list[str]) -> Iterator[Region]:
    """The "Memory Configuration" table: Name Origin Length [Attributes]; *default* skipped."""
    inside = False
    for line in lines:
        if line.startswith("Memory Configuration"):
            inside = True
            continue
        if line.startswith(MAP_START):
            return
        m = REGION_LINE.match(line) if inside else None
        if m and m.group(1) != "*default*":
            attrs = m.group(4) or ""
            yield Region(
                m.group(1), int(m.group(2), 16), int(m.group(3), 16), region_kind(m.group(1), attrs)
            )


def _inputs(lines: list[str]) -> Iterator[InputSection]:
    """Input sections of non-zero size, each under the output section it was placed in."""
    start = next(i for i, line in enumerate(lines) if line.startswith(MAP_START))
    output = ""
    pending: str | None = None  # input section name whose address is on the next line
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        if not line[0].isspace():
            m = OUTPUT_LINE.match(line)
            output, pending = (m.group(1) if m else ""), None
            continue
        m = INPUT_LINE.match(line)
        if m:
            pending = None
            yield from _input(output, m.group(1), m.group(2), m.group(3), m.group(4))
            continue
        m = CONTINUATION.match(line)
        if m and pending is not None:
            yield from _input(output, pending, m.group(1), m.group(2), m.group(3))
            pending = None
            continue
        m = INPUT_NAME_ONLY.match(line)
        pending = m.group(1) if m else None


def _input(output: str, name: str, addr: str, size: str, file: str) -> Iterator[InputSection]:
    if name.startswith("*") or int(size, 16) == 0:
        return
    yield InputSection(output, name, int(addr, 16), int(size, 16), file)


MEMBER = re.compile(r"(?:^|[/\\])(lib[^/\\()]+\.a)\(([^()]+)\)$")


def archive_member(file: str, archive: str) -> str | None:
    """The member name (".o"/".obj" dropped) when file is `.../<archive>(<member>)`."""
    m = MEMBER.search(file)
    if not m or m.group(1) != archive:
        return None
    member = m.group(2)
    for suffix in (".obj", ".o"):
        if member.endswith(suffix):
            return member[: -len(suffix)]
    return member
