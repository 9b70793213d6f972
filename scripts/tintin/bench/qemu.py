# SPDX-License-Identifier: Apache-2.0
"""Build and run bare-metal benchmarks under `qemu-system-arm` with exact instruction counts.

One job: turn C sources into an ELF for a Cortex-M core (Debian's arm-none-eabi-gcc 12.2 and
newlib-nano + librdimon, the harness of `bench/harness/`), run it on the matching QEMU board with
semihosting, and return the guest's exit code, its output and the counts of the
`insncount` TCG plugin (built here with the host gcc; see docs in
`bench/harness/plugin/insncount.c` and /work/shared/design/MCU-MEASUREMENT.md).

Regions: the benchmark brackets region k with `bench_mark(2k)` / `bench_mark(2k+1)` (bench.h)
and starts with the empty region 0 (`bench_overhead_region()`), whose count is the marker
overhead (3 instructions). `RunResult.regions` lists regions 1.. with that overhead subtracted;
`RunResult.regions_raw` keeps the plugin's numbers, region 0 included.

Counts are exact and deterministic for a given ELF (same compiler, flags, newlib). Cycles are
not measured here; `tintin.bench.cycles` estimates them from the per-PC counts
(`run(..., pcs=True)`).

    elf = build("dot", [Path("dot.c")], "cortex-m4", Path("build/bench"))
    res = run(elf, "cortex-m4", pcs=True)
    assert res.ok, res.stderr
    print(res.regions, res.region_overhead)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tintin.native.tree import REPO as ROOT

HARNESS = ROOT / "bench" / "harness"
PLUGIN_SOURCES = (HARNESS / "plugin" / "insncount.c", HARNESS / "plugin" / "qemu_plugin_api.h")
HARNESS_SOURCES = (HARNESS / "startup.c", HARNESS / "marker.c")
DEFAULT_CACHE = ROOT / "build" / "qemu-plugin"

CC = "arm-none-eabi-gcc"
AR = "arm-none-eabi-ar"
QEMU = "qemu-system-arm"
HOST_CC = "gcc"
MARKER_SYMBOL = "bench_mark"
FAULT_EXIT_CODE = 99
DEFAULT_TIMEOUT = 60.0

COMMON_CFLAGS = (
    "-mfloat-abi=soft",
    "-g",
    "-std=c11",
    "-ffunction-sections",
    "-fdata-sections",
    "--specs=nano.specs",
    "--specs=rdimon.specs",
    "-nostartfiles",
)


class Board(NamedTuple):
    """A QEMU machine: its linker script and the end of the RAM that script uses."""

    ld: str
    ram_end: int
    note: str


BOARDS: dict[str, Board] = {
    "microbit": Board("microbit.ld", 0x20004000, "nRF51 Cortex-M0, 256 KB flash, 16 KB RAM"),
    "mps2-an385": Board("mps2.ld", 0x20400000, "Cortex-M3, 4 MB code, 4 MB data"),
    "mps2-an386": Board("mps2.ld", 0x20400000, "Cortex-M4 (FPU off at reset), as AN385"),
}


class CoreSpec(NamedTuple):
    """Compiler flags of a core, its default QEMU board and that board's linker script."""

    flags: tuple[str, ...]
    board: str
    ld: str
    boards: tuple[str, ...]


# Cortex-M0+ defaults to mps2-an385 (big workloads fit; a v6-M ELF gives the same counts there);
# `board="microbit"` is the ISA-conformance option (a Cortex-M0 that faults on Thumb-2).
CORES: dict[str, CoreSpec] = {
    "cortex-m0plus": CoreSpec(
        ("-mcpu=cortex-m0plus", "-mthumb"),
        "mps2-an385",
        "mps2.ld",
        ("mps2-an385", "microbit", "mps2-an386"),
    ),
    "cortex-m3": CoreSpec(
        ("-mcpu=cortex-m3", "-mthumb"), "mps2-an385", "mps2.ld", ("mps2-an385", "mps2-an386")
    ),
    "cortex-m4": CoreSpec(
        ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"), "mps2-an386", "mps2.ld", ("mps2-an386",)
    ),
}


class QemuError(RuntimeError):
    """A build or run that could not produce a result; the message says why."""


class QemuTimeout(QemuError):
    """The guest did not exit within the time limit."""


@dataclass(frozen=True)
class PcCounts:
    """Per-instruction-address counts from the plugin (addresses without the Thumb bit).

    `taken` counts executions after which control did not continue at addr + size (a branch
    taken, a call or return, an exception entry); the plugin records it per executed block.
    """

    counts: dict[int, int]
    sizes: dict[int, int]
    taken: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class RunResult:
    """One QEMU run. `regions` are regions 1.. minus the region-0 overhead."""

    exit_code: int
    stdout: str
    stderr: str
    total: int
    regions: list[int]
    region_overhead: int
    regions_raw: list[int]
    hits: int
    pcs: dict[int, int] | None
    pc_counts: PcCounts | None
    region_pcs: list[PcCounts] | None  # aligned with `regions` (raw: overhead included)
    board: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def fault(self) -> bool:
        """The guest reached Default_Handler (HardFault etc.), which exits with code 99."""
        return self.exit_code == FAULT_EXIT_CODE


def tools_available() -> str | None:
    """None when the cross compiler, QEMU and host gcc are on PATH, else what is missing."""
    missing = [tool for tool in (CC, QEMU, HOST_CC) if shutil.which(tool) is None]
    return ", ".join(missing) + " not found" if missing else None


def _check(cmd: Sequence[str], what: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise QemuError(f"{what} failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")


def build_plugin(cache_dir: Path = DEFAULT_CACHE) -> Path:
    """Compile the instruction-count plugin once; cached by a hash of its sources and flags."""
    cmd = [HOST_CC, "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra"]
    digest = hashlib.sha256(" ".join(cmd).encode())
    for src in PLUGIN_SOURCES:
        digest.update(src.read_bytes())
    out = Path(cache_dir) / f"insncount-{digest.hexdigest()[:16]}.so"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".so", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _check([*cmd, "-o", str(tmp), str(PLUGIN_SOURCES[0])], "plugin build")
        os.replace(tmp, out)  # atomic: concurrent builders race harmlessly
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _core(core: str) -> CoreSpec:
    if core not in CORES:
        raise ValueError(f"unknown core {core!r} (known: {', '.join(CORES)})")
    return CORES[core]


def _board(core: str, board: str | None) -> str:
    spec = _core(core)
    name = board or spec.board
    if name not in BOARDS:
        raise ValueError(f"unknown board {name!r} (known: {', '.join(BOARDS)})")
    return name


def build(
    name: str,
    sources: Sequence[Path],
    core: str,
    out_dir: Path,
    include_dirs: Sequence[Path] = (),
    defines: Mapping[str, str | int | None] | None = None,
    opt: str = "-O2",
    *,
    board: str | None = None,
    extra_cflags: Sequence[str] = (),
    stack_size: int | None = None,
    libs: Sequence[str] = (),
) -> Path:
    """Compile and link `sources` + the harness into `out_dir/<name>.elf` (and `<name>.map`).

    The linker script follows the board (default: the core's). `stack_size` overrides the
    script's stack (64 KB on mps2, 5 KB on microbit). Raises QemuError with the compiler's
    messages on failure.
    """
    spec = _core(core)
    board_name = _board(core, board)
    ld = HARNESS / BOARDS[board_name].ld
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    elf = out_dir / f"{name}.elf"
    cmd = [CC, *spec.flags, *COMMON_CFLAGS, opt, *extra_cflags, f"-I{HARNESS}"]
    cmd += [f"-I{d}" for d in include_dirs]
    for key, value in (defines or {}).items():
        cmd.append(f"-D{key}" if value is None else f"-D{key}={value}")
    cmd += ["-T", str(ld), "-Wl,--gc-sections", f"-Wl,-Map={out_dir / (name + '.map')}"]
    if stack_size is not None:
        cmd.append(f"-Wl,--defsym=__stack_size={stack_size}")
    cmd += [str(s) for s in (*HARNESS_SOURCES, *sources)]
    cmd += [*libs, "-o", str(elf)]  # libraries after the objects that need them
    _check(cmd, f"build of {name} for {core}")
    return elf


def archive(
    name: str,
    sources: Sequence[Path],
    core: str,
    out_dir: Path,
    include_dirs: Sequence[Path] = (),
    defines: Mapping[str, str | int | None] | None = None,
    opt: str = "-O2",
) -> Path:
    """Compile `sources` with the flags `build` uses into `out_dir/lib<name>.a`.

    A library linked as an archive, as Zephyr and CMake link libtintin.a, so that the map
    names each member's input sections (`tintin size` counts the library by them). Members
    are `<stem>.o`; the stems must differ.
    """
    spec = _core(core)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [CC, *spec.flags, *COMMON_CFLAGS, opt, f"-I{HARNESS}"]
    cmd += [f"-I{d}" for d in include_dirs]
    for key, value in (defines or {}).items():
        cmd.append(f"-D{key}" if value is None else f"-D{key}={value}")
    objs = [out_dir / f"{Path(s).stem}.o" for s in sources]
    if len(set(objs)) != len(objs):
        raise QemuError(f"archive {name}: two sources share a file name")
    for src, obj in zip(sources, objs, strict=True):
        _check([*cmd, "-c", str(src), "-o", str(obj)], f"compile of {Path(src).name} for {core}")
    lib = out_dir / f"lib{name}.a"
    lib.unlink(missing_ok=True)  # ar adds to an existing archive
    _check([AR, "rcs", str(lib), *map(str, objs)], f"archive {name}")
    return lib


def elf_symbols(elf: Path) -> dict[str, int]:
    """Symbol name -> value (Thumb bit cleared for functions) of the ELF's symbol table."""
    out: dict[str, int] = {}
    with open(elf, "rb") as fh:
        symtab = ELFFile(fh).get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            return out
        for sym in symtab.iter_symbols():
            value = int(sym["st_value"])
            if sym["st_info"]["type"] == "STT_FUNC":
                value &= ~1
            if sym.name:
                out.setdefault(sym.name, value)
    return out


def _parse_report(text: str) -> tuple[int, int, list[int]]:
    total = hits = 0
    regions: dict[int, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        key = key.strip()
        if key == "total":
            total = int(value)
        elif key == "hits":
            hits = int(value)
        elif key.startswith("region "):
            regions[int(key.split()[1])] = int(value)
    return total, hits, [regions[k] for k in sorted(regions)]


def parse_pcs(text: str) -> tuple[PcCounts, list[PcCounts]]:
    """Parse the plugin's pcs file: the whole run, then one section per region (0, 1, ...)."""
    sections: list[PcCounts] = []
    current: PcCounts | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            if line.startswith(("# whole run", "# region")):
                current = PcCounts({}, {}, {})
                sections.append(current)
            continue
        fields = line.split()
        if not fields or current is None:
            continue
        addr = int(fields[0], 16)
        current.counts[addr] = int(fields[1])
        current.sizes[addr] = int(fields[2])
        current.taken[addr] = int(fields[3]) if len(fields) > 3 else 0
    if not sections:
        raise QemuError("pcs file without a whole-run section")
    return sections[0], sections[1:]


def run(
    elf: Path,
    core: str,
    board: str | None = None,
    pcs: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    plugin: Path | None = None,
    extra_args: Sequence[str] = (),
) -> RunResult:
    """Run `elf` on the core's (or the given) QEMU board with semihosting and the plugin.

    The guest's exit code is returned, not raised: 0 = success, 99 = fault (Default_Handler).
    Raises QemuTimeout after `timeout` seconds and QemuError when QEMU produced no report.
    """
    board_name = _board(core, board)
    elf = Path(elf)
    symbols = elf_symbols(elf)
    stack_top = symbols.get("__stack_top")
    if stack_top is not None and stack_top > BOARDS[board_name].ram_end:
        raise ValueError(
            f"{elf.name}: stack top {stack_top:#x} beyond the RAM of {board_name}; "
            f"build with board={board_name!r}"
        )
    so = plugin or build_plugin()
    with tempfile.TemporaryDirectory(prefix="tintin-qemu-") as tmp_name:
        tmp = Path(tmp_name)
        report, pcs_file = tmp / "report.txt", tmp / "pcs.txt"
        opts = [str(so), f"out={report}"]
        if MARKER_SYMBOL in symbols:
            opts.append(f"mark={symbols[MARKER_SYMBOL]:#x}")
        if pcs:
            opts.append(f"pcs={pcs_file}")
        if any("," in o for o in opts[1:]) or "," in str(so):
            raise QemuError("plugin paths must not contain commas")
        cmd = [
            QEMU,
            "-M",
            board_name,
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
            str(elf.resolve()),
            "-plugin",
            ",".join(opts),
            *extra_args,
        ]
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                cwd=tmp,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise QemuTimeout(f"{elf.name} on {board_name}: no exit within {timeout} s") from exc
        if not report.exists():
            raise QemuError(
                f"{elf.name} on {board_name}: no plugin report (rc {proc.returncode})\n"
                f"{proc.stderr}"
            )
        total, hits, raw = _parse_report(report.read_text())
        whole: PcCounts | None = None
        per_region: list[PcCounts] | None = None
        if pcs:
            whole, sections = parse_pcs(pcs_file.read_text())
            per_region = sections[1:]
    overhead = raw[0] if raw else 0
    return RunResult(
        exit_code=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        total=total,
        regions=[r - overhead for r in raw[1:]],
        region_overhead=overhead,
        regions_raw=raw,
        hits=hits,
        pcs=dict(whole.counts) if whole is not None else None,
        pc_counts=whole,
        region_pcs=per_region,
        board=board_name,
    )
