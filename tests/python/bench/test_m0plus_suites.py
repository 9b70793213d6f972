# SPDX-License-Identifier: Apache-2.0
"""The shared C test bodies (tests/common, as ctest and twister run them) on emulated
Cortex-M0+ and M3: the training vectors from the NumPy reference must hold where the runtime
takes its Armv6-M paths (the hand-written batch-1 update loop in optim/sgd.c, multipliers in
registers) and its Armv7-M ones, at -O2 and at -Os."""

from __future__ import annotations

from pathlib import Path

import pytest

from tintin.bench import qemu
from tintin.native import tree
from tintin.native.tree import REPO

SKIP = qemu.tools_available()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=f"bare-metal toolchain: {SKIP}")

TESTS = REPO / "tests"
# The suites that compare with the reference, and checkpoints and fleet messages (their byte
# formats on the cores themselves); the others exercise the host's file system.
SUITES = ("test_numerics.c", "test_layers.c", "test_train.c", "test_checkpoint.c")


@pytest.mark.parametrize(("core", "opt"), [("cortex-m0plus", "-O2"), ("cortex-m0plus", "-Os"),
                                           ("cortex-m3", "-Os")])  # fmt: skip
def test_reference_vectors_hold_on_the_core(tmp_path: Path, core: str, opt: str) -> None:
    sources = [TESTS / "host" / "tt_main.c", *(TESTS / "common" / s for s in SUITES)]
    elf = qemu.build(f"suites{opt}", [*sources, *tree.core_sources()], core, tmp_path,
                     include_dirs=[TESTS / "common", tree.CORE / "include"], opt=opt,
                     stack_size=16384)  # fmt: skip
    res = qemu.run(elf, core, timeout=600)
    assert res.exit_code == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " 0 failed" in res.stdout, res.stdout[-3000:]
    assert "PASS tintin_train." in res.stdout
    assert "PASS tintin_checkpoint.test_fleet_message_round_trip" in res.stdout
    assert "PASS tintin_checkpoint.test_fleet_sparse_round_trip" in res.stdout
    assert "PASS tintin_checkpoint.test_weight_average" in res.stdout
