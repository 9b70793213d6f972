# SPDX-License-Identifier: Apache-2.0
"""Issue 6's acceptance points read from one `tintin bench` result, and two runs compared.

The points: a training step of digits and LeNet-5 costs at most 1/10 of float32's instructions
on Cortex-M0+ and M3; training peak RAM is at most 40% of float32's for the same network and
batch; the dense forward kernel costs at most 1.0 instruction per MAC on Cortex-M4 and 4 on
M0+; counts are identical across two runs. Each integer variant is held against the float32
trainer of its own update rule (bench.BASELINE).
"""

from __future__ import annotations

from dataclasses import dataclass

INSTR_LIMIT = 0.1
INSTR_WORKLOADS = ("digits", "lenet")
INSTR_CORES = ("cortex-m0plus", "cortex-m3")
RAM_LIMIT = 0.4
RAM_WORKLOADS = ("digits", "lenet", "motion")  # the three networks
MAC_LIMITS = {"cortex-m4": 1.0, "cortex-m0plus": 4.0}
# What a second run must reproduce, per variant and batch.
COUNTED = ("instructions", "infer_instructions", "arena", "stack", "flash")


@dataclass
class Worst:
    """The largest ratio over the cells a point covers, and where it is."""

    ratio: float
    where: str


def _batches(per_variant: dict) -> list[str]:
    return sorted(k for k in per_variant if k.startswith("batch"))


def worst_ratios(results: dict, variant: str, baseline: str) -> tuple[Worst, Worst]:
    """(instructions, RAM) worst ratios of variant to baseline over the cells each point covers."""
    instr = Worst(0.0, "")
    ram = Worst(0.0, "")
    for w, per_core in results.items():
        if w == "dense_kernel":
            continue
        for core, per_v in per_core.items():
            for b in _batches(per_v[variant]):
                r, f = per_v[variant][b], per_v[baseline][b]
                where = f"{w} {core} {b.replace('batch', 'batch ')}"
                if w in INSTR_WORKLOADS and core in INSTR_CORES:
                    q = r["instructions"] / f["instructions"]
                    instr = max(instr, Worst(q, where), key=lambda x: x.ratio)
                if w in RAM_WORKLOADS:
                    q = r["ram"] / f["ram"]
                    ram = max(ram, Worst(q, where), key=lambda x: x.ratio)
    return instr, ram


def acceptance_markdown(results: dict, baselines: dict[str, str]) -> list[str]:
    """The acceptance table: per integer variant, each point's worst cell and whether it holds."""
    out = ["## Acceptance (issue 6)", "",
           f"Worst cell per point, this run. Instructions: {', '.join(INSTR_WORKLOADS)}, "
           f"{' and '.join(INSTR_CORES)}, every batch, at most {INSTR_LIMIT}. RAM: "
           f"{', '.join(RAM_WORKLOADS)}, every core and batch, at most {RAM_LIMIT}. Each "
           "variant against the float32 trainer of its own update rule.", "",
           "| variant | against | instructions, worst | holds | RAM, worst | holds |",
           "|---|---|---|---|---|---|"]  # fmt: skip
    for v, base in baselines.items():
        instr, ram = worst_ratios(results, v, base)
        out.append(f"| {v} | {base} | {instr.ratio:.3f} ({instr.where}) | "
                   f"{_yes(instr.ratio <= INSTR_LIMIT)} | {ram.ratio:.3f} ({ram.where}) | "
                   f"{_yes(ram.ratio <= RAM_LIMIT)} |")  # fmt: skip
    dense = results.get("dense_kernel", {})
    if dense:
        out += [
            "",
            "| dense kernel | instructions per MAC | limit | holds |",
            "|---|---:|---:|---|",
        ]
        for core, limit in MAC_LIMITS.items():
            if core in dense:
                got = dense[core]["instructions_per_mac"]
                out.append(f"| {core} | {got:.3f} | {limit} | {_yes(got <= limit)} |")
    out.append("")
    return out


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def compare(a: dict, b: dict) -> tuple[int, list[str]]:
    """Cells (workload, core, variant, batch) in both runs, and those whose counts differ."""
    same, diffs = 0, []
    for w, per_core in a.items():
        if w == "dense_kernel" or w not in b:
            continue
        for core, per_v in per_core.items():
            for v, res in per_v.items():
                for batch in _batches(res):
                    other = b.get(w, {}).get(core, {}).get(v, {}).get(batch)
                    if other is None:
                        continue
                    if all(res[batch][k] == other[k] for k in COUNTED):
                        same += 1
                    else:
                        diffs.append(f"{w} {core} {v} {batch}")
    for core, r in a.get("dense_kernel", {}).items():
        other = b.get("dense_kernel", {}).get(core)
        if other is not None:
            if r == other:
                same += 1
            else:
                diffs.append(f"dense kernel {core}")
    return same + len(diffs), diffs
