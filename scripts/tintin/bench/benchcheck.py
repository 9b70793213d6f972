# SPDX-License-Identifier: Apache-2.0
"""The acceptance points of issues 6 and 22 read from one `tintin bench` result, and two runs
compared.

Issue 6: a training step of digits and LeNet-5 costs at most 1/10 of float32's instructions
on Cortex-M0+ and M3; training peak RAM is at most 40% of float32's for the same network and
batch; the dense forward kernel costs at most 1.0 instruction per MAC on Cortex-M4 and 4 on
M0+; counts are identical across two runs. Each integer variant is held against the float32
trainer of its own update rule (bench.BASELINE).

Issue 22, default optimizer: a training step at batch 1 costs at most 3.0 inferences'
instructions for digits and LeNet-5 on Cortex-M0+ and M3; LeNet-5 at batch 1 needs at most
16 KB of RAM beyond its trainable parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

INSTR_LIMIT = 0.1
INSTR_WORKLOADS = ("digits", "lenet")
INSTR_CORES = ("cortex-m0plus", "cortex-m3")
RAM_LIMIT = 0.4
RAM_WORKLOADS = ("digits", "lenet", "motion")  # the issue's three networks
MAC_LIMITS = {"cortex-m4": 1.0, "cortex-m0plus": 4.0}
# What a second run must reproduce, per variant and batch; OPTIONAL only when both runs have
# it (runs before issue 22 did not record the parameter bytes).
COUNTED = ("instructions", "infer_instructions", "arena", "stack", "flash")
OPTIONAL = ("params",)
STEP_LIMIT = 3.0
STEP_WORKLOADS = ("digits", "lenet")
STEP_CORES = ("cortex-m0plus", "cortex-m3")
OVER_LIMIT = 16 * 1024
OVER_WORKLOAD = "lenet"
STEP_VARIANTS = ("int", "float32")  # the default optimizer and its float32 baseline


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
                    keys = COUNTED + tuple(k for k in OPTIONAL if k in res[batch] and k in other)
                    if all(res[batch][k] == other[k] for k in keys):
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


def _opt(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def step_markdown(results: dict) -> list[str]:
    """Training step against inference and RAM beyond the trainable parameters, per workload,
    core and batch, for the default optimizer and float32; then issue 22's points."""
    out = ["## Training step against inference, RAM beyond the trainable parameters", "",
           "Step / inference: the training step's instructions per sample over one inference's "
           "(at batch 1, the step over one inference). Beyond params: the training RAM (arena + "
           "stack high-water) minus the bytes of the trainable parameters themselves (params: "
           "int8 weights and int32 biases as the planner counts them, `<NAME>_ARENA_PARAMS`; "
           "for float32, its weights and biases).", "",
           "| workload | core | batch | int step / inference | float32 step / inference "
           "| int params B | int beyond params B | float32 params B | float32 beyond params B |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for w, per_core in results.items():
        if w == "dense_kernel":
            continue
        for core, per_v in per_core.items():
            if not all(v in per_v for v in STEP_VARIANTS):
                continue
            for b in _batches(per_v["int"]):
                i, f = per_v["int"][b], per_v["float32"][b]
                out.append(f"| {w} | {core} | {b.removeprefix('batch')} | "
                           f"{step_per_infer(i, b):.3f} | {step_per_infer(f, b):.3f} | "
                           f"{_opt(i.get('params'))} | {_opt(over_params(i))} | "
                           f"{_opt(f.get('params'))} | {_opt(over_params(f))} |")  # fmt: skip
    return out + issue22_markdown(results)


def issue22_markdown(results: dict) -> list[str]:
    """Issue 22's two points on the default optimizer: the worst cell of each."""
    out = ["", "Issue 22's points, default optimizer (\"int\"), this run:", "",
           "| point | limit | worst | holds |", "|---|---:|---|---|"]  # fmt: skip
    step = Worst(0.0, "")
    for w in STEP_WORKLOADS:
        for core in STEP_CORES:
            r = results.get(w, {}).get(core, {}).get("int", {}).get("batch1")
            if r is not None:
                q = step_per_infer(r, "batch1")
                step = max(step, Worst(q, f"{w} {core}"), key=lambda x: x.ratio)
    if step.where:
        out.append(f"| step / inference, batch 1, {', '.join(STEP_WORKLOADS)} on "
                   f"{' and '.join(STEP_CORES)} | {STEP_LIMIT} | {step.ratio:.3f} "
                   f"({step.where}) | {_yes(step.ratio <= STEP_LIMIT)} |")  # fmt: skip
    over = Worst(-1.0, "")
    for core, per_v in results.get(OVER_WORKLOAD, {}).items():
        r = per_v.get("int", {}).get("batch1")
        n = over_params(r) if r is not None else None
        if n is not None and n > over.ratio:
            over = Worst(n, core)
    if over.where:
        got = int(over.ratio)
        out.append(f"| {OVER_WORKLOAD} RAM beyond params, batch 1 | {OVER_LIMIT:,} B | "
                   f"{got:,} B ({over.where}) | {_yes(got <= OVER_LIMIT)} |")  # fmt: skip
    out.append("")
    return out


def step_per_infer(cell: dict, batch: str) -> float:
    """A cell's training-step instructions per sample over one inference's."""
    return cell["instructions"] / (int(batch.removeprefix("batch")) * cell["infer_instructions"])


def over_params(cell: dict) -> int | None:
    """A cell's training RAM beyond its trainable parameters; None for runs without params."""
    return cell["ram"] - cell["params"] if "params" in cell else None
