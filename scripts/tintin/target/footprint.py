# SPDX-License-Identifier: Apache-2.0
"""Calibration of `tintin plan`: the runtime's code bytes and struct sizes per Cortex-M core.

`tintin plan` must answer before anything is built, so it reads footprint.json beside this
module: per core, the flash bytes of each core source compiled with Debian's arm-none-eabi-gcc
at -Os with function sections (the way Zephyr and the bare-metal benchmarks build it), and the
sizes of the structs an application allocates. `python -m tintin.target.footprint` measures them
again; `--check` fails when the committed file differs (the host tests run it when the
toolchain is installed).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tintin.native.tree import CORE, REPO, core_sources

FILE = Path(__file__).with_name("footprint.json")
CORES = {
    "cortex-m0plus": ["-mcpu=cortex-m0plus", "-mthumb"],
    "cortex-m3": ["-mcpu=cortex-m3", "-mthumb"],
    "cortex-m4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"],
}
CFLAGS = ["-std=c11", "-Os", "-ffunction-sections", "-fdata-sections", "-DTINTIN_MAX_LAYERS=1"]
GCC = "arm-none-eabi-gcc"
# sizeof of what an application allocates, with TINTIN_MAX_LAYERS 1 and 2 (the model struct
# grows by one struct tintin_layer_state per layer).
PROBE = """#include <tintin/tintin.h>
const unsigned int tt_sizes[] = {
	sizeof(struct tintin_model), sizeof(struct tintin_layer_state),
	sizeof(struct tintin_layer_desc), sizeof(struct tintin_model_desc),
};
"""


def _flash_bytes(obj: Path) -> int:
    """Bytes of an object's sections that end up in flash (code, constants, data images)."""
    out = subprocess.run(["arm-none-eabi-size", "-A", str(obj)], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and re.match(r"\.(text|rodata|data)(\.|$)", parts[0]):
            total += int(parts[1])
    return total


def _sizes(flags: list[str], tmp: Path) -> list[int]:
    src = tmp / "probe.c"
    src.write_text(PROBE)
    obj = tmp / "probe.o"
    subprocess.run([GCC, *flags, *CFLAGS, "-I", str(REPO / "lib/tintin/include"), "-c", str(src),
                    "-o", str(obj)], check=True)  # fmt: skip
    from elftools.elf.elffile import ELFFile

    with obj.open("rb") as f:
        elf = ELFFile(f)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name("tt_sizes")[0]
        sec = elf.get_section(sym["st_shndx"])
        raw = sec.data()[sym["st_value"] : sym["st_value"] + sym["st_size"]]
    return [int.from_bytes(raw[k : k + 4], "little") for k in range(0, len(raw), 4)]


def measure() -> dict:
    """Per core: flash bytes per source and struct sizes (model = base + per_layer * layers)."""
    result: dict = {"compiler": _version(), "flags": CFLAGS[:-1], "cores": {}}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for core, flags in CORES.items():
            code = {}
            for src in core_sources():
                obj = tmp / (src.stem + ".o")
                subprocess.run([GCC, *flags, *CFLAGS, "-I", str(CORE / "include"), "-c",
                                str(src), "-o", str(obj)], check=True)  # fmt: skip
                code[src.relative_to(CORE).as_posix()] = _flash_bytes(obj)
            model1, state, layer_desc, model_desc = _sizes(flags, tmp)
            result["cores"][core] = {
                "code": code,
                "model_struct_base": model1 - state,
                "layer_state": state,
                "layer_desc": layer_desc,
                "model_desc": model_desc,
            }
    return result


def _version() -> str:
    return subprocess.run([GCC, "-dumpversion"], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def load() -> dict:
    return json.loads(FILE.read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tintin.target.footprint", description=__doc__,
                                 allow_abbrev=False)  # fmt: skip
    ap.add_argument("--check", action="store_true", help="fail if footprint.json is stale")
    args = ap.parse_args(argv)
    if shutil.which(GCC) is None:
        print(f"footprint: {GCC} not found (apt-get install gcc-arm-none-eabi)", file=sys.stderr)
        return 2
    text = json.dumps(measure(), indent=1, sort_keys=True) + "\n"
    if args.check:
        if FILE.read_text() != text:
            print("footprint: footprint.json is stale; run python -m tintin.target.footprint",
                  file=sys.stderr)  # fmt: skip
            return 1
        return 0
    FILE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
