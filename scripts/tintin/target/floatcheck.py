# SPDX-License-Identifier: Apache-2.0
"""`tintin floatcheck`: prove lib/tintin is integer-only and heap-free on an FPU-less core.

Every source is compiled for Cortex-M0+ with soft float, and the undefined symbols of each
object are searched for floating-point helpers, libm and the heap. A source-level scan also
rejects the `float` and `double` keywords in code (comments and strings excluded), headers
included, because a header can leak float into every user's build.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tintin.native.tree import REPO as ROOT

LIB = ROOT / "lib" / "tintin"

CFLAGS = [
    "-std=c11",
    "-mcpu=cortex-m0plus",
    "-mthumb",
    "-mfloat-abi=soft",
    "-Os",
    "-ffreestanding",
    "-Wall",
    "-Wextra",
    "-Werror",
]

FORBIDDEN = re.compile(
    r"^(__aeabi_[fd]\w*"  # EABI float/double arithmetic, compares and conversions
    r"|__aeabi_[ilu]+2[fd]"  # integer -> float conversions
    r"|__(add|sub|mul|div|neg|cmp|eq|ne|lt|le|gt|ge|unord|pow|extend|trunc)[sdtx]f[23]\w*"
    r"|__(fix|fixuns|float|floatun)\w*"  # libgcc conversions
    r"|(sqrt|exp|exp2|log|log2|log10|pow|floor|ceil|round|lround|fabs|fmod|frexp|ldexp"
    r"|tanh|sin|cos|modf)[fl]?"  # libm
    r"|malloc|calloc|realloc|free|aligned_alloc)$"
)
COMMENT_OR_STRING = re.compile(r"/\*.*?\*/|//[^\n]*|\"(\\.|[^\"\\])*\"|'(\\.|[^'\\])*'", re.S)
FLOAT_WORD = re.compile(r"\b(float|double)\b")


def check_objects(
    sources: list[Path],
    include_dirs: list[Path],
    cc: str = "arm-none-eabi-gcc",
    nm: str = "arm-none-eabi-nm",
) -> list[str]:
    """Problems found compiling each source for Cortex-M0+ and scanning its undefined symbols."""
    problems = []
    incs = [f"-I{d}" for d in include_dirs]
    with tempfile.TemporaryDirectory() as tmp:
        for k, src in enumerate(sources):
            obj = Path(tmp) / f"{k}.o"
            cp = subprocess.run(
                [cc, *CFLAGS, *incs, "-c", str(src), "-o", str(obj)], capture_output=True, text=True
            )
            if cp.returncode != 0:
                first = (cp.stderr.strip().splitlines() or ["?"])[0]
                problems.append(f"{src}: does not compile for cortex-m0plus: {first}")
                continue
            out = subprocess.run([nm, "-u", str(obj)], capture_output=True, text=True, check=True)
            syms = [line.split()[-1] for line in out.stdout.splitlines() if line.strip()]
            bad = [s for s in syms if FORBIDDEN.match(s)]
            if bad:
                problems.append(f"{src}: references {' '.join(sorted(bad))}")
    return problems


def find_float_tokens(paths: list[Path]) -> list[str]:
    """`float`/`double` used in C code (not in comments or strings)."""
    problems = []
    for path in paths:
        # Blank out comments and strings but keep their newlines, so line numbers stay true.
        code = COMMENT_OR_STRING.sub(
            lambda m: " " + "\n" * m.group(0).count("\n"), path.read_text()
        )
        for m in FLOAT_WORD.finditer(code):
            line = code.count("\n", 0, m.start()) + 1
            problems.append(f"{path}:{line}: uses '{m.group(1)}'")
    return problems


def lib_files() -> tuple[list[Path], list[Path]]:
    """(sources, sources and headers) of the portable core."""
    sources = sorted(LIB.glob("src/**/*.c"))
    return sources, sources + sorted(LIB.glob("include/**/*.h"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tintin floatcheck", description=__doc__.split("\n")[0])
    ap.add_argument("sources", nargs="*", type=Path, help="C files (default: lib/tintin)")
    args = ap.parse_args(argv)
    if shutil.which("arm-none-eabi-gcc") is None:
        print(
            "tintin floatcheck: arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi)",
            file=sys.stderr,
        )
        return 2
    sources, scanned = lib_files()
    if args.sources:
        sources, scanned = args.sources, args.sources
    problems = check_objects(sources, [LIB / "include", LIB / "src"]) + find_float_tokens(scanned)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"floatcheck: {len(sources)} objects clean (no float, libm or heap symbols)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
