# SPDX-License-Identifier: Apache-2.0
"""Where this checkout's C lives: the repository root and the runtime's sources.

One place for the paths every layer above needs (the host build, the benchmarks, the
footprint calibration, the Zephyr checks), so that no module counts `parents[...]` of its own
file to find the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CORE = REPO / "lib" / "tintin"


def core_sources() -> list[Path]:
    """The core's C sources, as lib/tintin/CMakeLists.txt lists them (every build uses it)."""
    text = (CORE / "CMakeLists.txt").read_text()
    return [CORE / s for s in re.findall(r"^\s*(src/\S+\.c)\s*$", text, flags=re.M)]
