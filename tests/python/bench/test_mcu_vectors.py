# SPDX-License-Identifier: Apache-2.0
"""The C test bodies of tests/common, built for Cortex-M0+, M3 and M4 and run under QEMU.

The same reference vectors as ztest and ctest, on the instruction sets the kernels will be
specialised for, so a core-specific kernel path cannot drift from the reference unnoticed.
"""

import re
import shutil
from pathlib import Path

import pytest

from tintin.bench import qemu
from tintin.native import tree

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
    reason="qemu-system-arm or arm-none-eabi-gcc not installed",
)


@pytest.mark.parametrize("plain", [False, True], ids=["kernels", "plain_c"])
@pytest.mark.parametrize("core", qemu.CORES)
def test_common_suites_pass_on_the_core(tmp_path, core, plain):
    """Both the core's fast kernels (assembly, DSP) and the plain C loops (TINTIN_NO_ASM)."""
    sources = [*tree.core_sources(), REPO / "tests" / "host" / "tt_main.c"]
    sources += sorted((REPO / "tests" / "common").glob("test_*.c"))
    includes = [tree.CORE / "include", REPO / "tests" / "common"]
    defines = {"TINTIN_NO_ASM": None} if plain else None
    elf = qemu.build("tt_tests", sources, core, tmp_path, include_dirs=includes, defines=defines)
    res = qemu.run(elf, core, timeout=300)
    assert res.ok, res.stdout[-3000:] + res.stderr[-2000:]
    summary = res.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ tests, 0 failed", summary), res.stdout[-3000:]
    assert int(summary.split()[0]) >= 16
