# SPDX-License-Identifier: Apache-2.0
"""Library code an image links but its run never executes, and what references it.

With -ffunction-sections each function is one input section of the map (`.text.<name>`), so
the library's linked code is a list of functions with their addresses and sizes. A QEMU run
with per-PC counts (`qemu.run(..., pcs=True)`) says which of them ran. A function that never
ran is still linked because something references it: the static references come from the
disassembly (`bl`/`b` to its first instruction, or its address in a literal pool), which is
what --gc-sections follows too.

A function that never ran in one run is not proof that no run needs it (error paths run only
on errors); the caller decides what to call a finding.
"""

from __future__ import annotations

import bisect
import itertools
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tintin.target.elfmap import LinkMap, archive_member

OBJDUMP = "arm-none-eabi-objdump"
LIBRARY = "libtintin.a"
FUNC_HEAD = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
# A branch or call to another symbol's first instruction: `bl 1234 <name>` (no +offset).
BRANCH = re.compile(r"^\s*[0-9a-f]+:\s+b\S*\s+([0-9a-f]+) <[^>+]+>")
ALLOCATED = re.compile(r"^\.(text|rodata|data|bss)(\.|$)")
WORD = re.compile(r"^\s*[0-9a-f]+:\s+\.word\s+0x([0-9a-f]+)")


@dataclass(frozen=True)
class Piece:
    """One input section of the library in the image: a function (code) or a constant."""

    name: str  # the function or object: the section name without .text./.rodata.
    section: str
    member: str
    addr: int
    size: int
    code: bool
    executed: bool | None  # None for constants: PC counts say nothing about data
    cold: int | None  # code: bytes of instructions that never ran (literal pools excluded)


def library_pieces(
    link: LinkMap, ran: Mapping[int, int], data: Sequence[tuple[int, int]] = ()
) -> list[Piece]:
    """The library's placed input sections; each code piece says whether any of its
    instructions ran and how many of its instruction bytes did not.

    ran: address -> size of every instruction that executed; data: (start, end) of the
    literal pools and tables inside code (data_spans).
    """
    addrs = sorted(ran)
    pieces = []
    for inp in link.inputs:
        member = archive_member(inp.file, LIBRARY)
        if member is None or not ALLOCATED.match(inp.name):  # debug sections are not in flash
            continue
        code = inp.name.startswith(".text")
        hit = cold = None
        if code:
            end = inp.addr + inp.size
            lo, hi = bisect.bisect_left(addrs, inp.addr), bisect.bisect_left(addrs, end)
            hit = hi > lo
            spans = [(a, a + ran[a]) for a in addrs[lo:hi]] + list(data)
            cold = inp.size - _covered(spans, inp.addr, end)
        name = ALLOCATED.sub("", inp.name) or inp.name
        pieces.append(Piece(name, inp.name, member, inp.addr, inp.size, code, hit, cold))
    return pieces


def _covered(spans: Iterable[tuple[int, int]], lo: int, hi: int) -> int:
    """Bytes of [lo, hi) inside the union of spans (the plugin may report an instruction
    wider than it is, overlapping the next one)."""
    total, reach = 0, lo
    for a, b in sorted(spans):
        a, b = max(a, reach), min(b, hi)
        if b > a:
            total += b - a
            reach = b
    return total


def data_spans(elf: Path) -> list[tuple[int, int]]:
    """(start, end) of the data inside code: from each `$d` mapping symbol to the next
    mapping symbol (the ARM ELF ABI marks literal pools and tables this way)."""
    with open(elf, "rb") as fh:
        image = ELFFile(fh)
        symtab = image.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            return []
        # Debug sections carry mapping symbols too, at offsets that look like code addresses.
        code = {i for i, sec in enumerate(image.iter_sections())
                if sec["sh_flags"] & SH_FLAGS.SHF_EXECINSTR}  # fmt: skip
        marks = sorted({(int(s["st_value"]), s.name[:2]) for s in symtab.iter_symbols()
                        if s.name[:2] in ("$d", "$t", "$a") and s["st_shndx"] in code})  # fmt: skip
    return [(a, b) for (a, kind), (b, _) in itertools.pairwise(marks) if kind == "$d" and b > a]


def references(elf: Path) -> dict[int, set[str]]:
    """Function address -> the functions that branch to it or hold its address, from the
    disassembly (by address: two static functions of different sources may share a name)."""
    text = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", str(elf)], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    starts: dict[int, str] = {}
    uses: list[tuple[str, int]] = []  # (the function holding the use, the address used)
    current, here = "", -1
    for line in text.splitlines():
        m = FUNC_HEAD.match(line)
        if m:
            current, here = m.group(2), int(m.group(1), 16)
            starts.setdefault(here, current)
            continue
        m = BRANCH.match(line) or WORD.match(line)
        if m:
            uses.append((current, int(m.group(1), 16) & ~1))
    refs: dict[int, set[str]] = {}
    for holder, addr in uses:
        if addr in starts and starts[addr] != holder:
            refs.setdefault(addr, set()).add(holder)
    return refs


def never_executed(pieces: Iterable[Piece]) -> list[Piece]:
    """Code pieces that did not run, largest first."""
    return sorted((p for p in pieces if p.code and not p.executed), key=lambda p: (-p.size, p.name))


def referenced_by(piece: Piece, refs: Mapping[int, set[str]]) -> list[str]:
    return sorted(refs.get(piece.addr, set()))
