# SPDX-License-Identifier: Apache-2.0
"""Energy estimates from estimated cycles and published run-mode current per MHz.

E = cycles x (current per MHz) x V_DD: 1 uA/MHz is 1 pC per clock cycle, so a cycle costs
uA_per_MHz x V picojoules. One reference part per core, each a vendor datasheet's CoreMark-
from-flash figure (a real workload, not a while(1) loop, which draws far less). Estimates
only: the cycle counts assume zero flash wait states, the figures are typical at 25 C, and a
part's fixed current makes its uA/MHz depend on the clock it runs at.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    core: str
    name: str
    ua_per_mhz: float
    volts: float
    conditions: str
    source: str

    def microjoules(self, cycles: int) -> float:
        return cycles * self.ua_per_mhz * self.volts * 1e-6


PARTS = {
    "cortex-m0plus": Part(
        "cortex-m0plus", "Microchip SAM C20/C21", 5200 / 48, 3.0,
        "CoreMark from flash (cache on), 48 MHz FDPLL, 5.2 mA typ at 3.0 V and 25 C",
        "https://onlinedocs.microchip.com/oxy/GUID-DDF2C9BC-07FB-4ABF-938A-774B157B4519-en-US-10/"
        "GUID-DF5E8414-E861-4215-9EB4-A31D3C8C9424.html",
    ),
    "cortex-m3": Part(
        "cortex-m3", "TI CC1350 (Cortex-M3 main CPU)", 2500 / 48, 3.0,
        "CoreMark at 48 MHz, 2.5 mA; the datasheet row states no supply voltage, 3.0 V assumed",
        "https://ti.com/document-viewer/CC1350/datasheet/power-consumption-summary-swrs1815925-",
    ),
    "cortex-m4": Part(
        "cortex-m4", "Microchip SAM D51 (Cortex-M4F, FPU unused)", 137.0, 3.3,
        "CoreMark from flash, LDO regulator, 120 MHz FDPLL, 137 uA/MHz typ at 3.3 V and 25 C",
        "https://onlinedocs.microchip.com/oxy/GUID-F5813793-E016-46F5-A9E2-718D8BCED496-en-US-14/"
        "GUID-6430249C-F26C-4B8D-8506-C57FFE9F719E.html",
    ),
}  # fmt: skip


def microjoules(core: str, cycles: int) -> float:
    """Estimated energy of `cycles` on the core's reference part, in microjoules."""
    return PARTS[core].microjoules(cycles)


def markdown_table() -> list[str]:
    rows = ["| core | reference part | uA/MHz | V | conditions | source |",
            "|---|---|---:|---:|---|---|"]  # fmt: skip
    for p in PARTS.values():
        rows.append(f"| {p.core} | {p.name} | {p.ua_per_mhz:.1f} | {p.volts:.1f} | "
                    f"{p.conditions} | <{p.source}> |")  # fmt: skip
    return rows
