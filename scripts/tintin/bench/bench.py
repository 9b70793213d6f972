# SPDX-License-Identifier: Apache-2.0
"""`tintin bench`: training and inference cost on FPU-less Cortex-M, measured under QEMU.

    tintin bench [--workloads digits,lenet,motion,env] [--cores cortex-m0plus,cortex-m3,cortex-m4]
                 [--batches 1,8] [--out build/bench] [--json FILE] [--markdown docs/benchmarks.md]
                 [--compare EARLIER.json]

For every workload (digits MLP, LeNet-5, the conv1d motion network, and the env sample's
4-16-2 network to show fixed costs on a tiny model), core and batch, six images train the same
network from the same initial weights on the same real samples: Tin-Tin's integer runtime with
its default optimizer ("int": int16 masters in convolutions, int8 weights in dense layers, no
momentum), its compact one (int16 masters everywhere, no momentum: "compact"), its momentum
one (int16 masters and momentum: "momentum"), with NITI's rule ("niti"), and the float32
reference trainer in bench/float compiled with soft float, as plain SGD ("float32", the
like-for-like baseline of int and compact) and with the momentum preset's rate and momentum
("float32-mom"). On
Cortex-M4 the integer arenas have room for the dense kernel's workspace (tintin_model_plan_dsp)
and the RAM includes it. Counted: the
instructions of one training step and of one inference (QEMU TCG plugin, exact and
reproducible), the arena bytes and the stack high-water of the step (stack painting), and the
image's flash (from the ELF). Estimated: cycles (tintin.bench.cycles, TRM-based, zero wait states)
and energy (tintin.bench.energy: the cycles times a reference part's datasheet uA/MHz and voltage).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tintin.bench import benchcheck, benchgen, energy, mdsection, qemu
from tintin.io import cliutil
from tintin.native import tree
from tintin.native.tree import REPO
from tintin.target import size

MAIN = REPO / "bench" / "workloads" / "bench_main.c"
FTRAIN = REPO / "bench" / "float" / "ftrain.c"
CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4")
VARIANTS = ("int", "compact", "momentum", "niti", "float32", "float32-mom")
# Each integer variant against the float32 trainer with the same update rule: plain SGD for
# the default and compact, SGD with momentum for the momentum preset.
BASELINE = {"int": "float32", "compact": "float32", "momentum": "float32-mom"}
PROFILE_TOP = 6  # functions per training-step profile
CODESIZE_SECTION = "tintin codesize"  # tintin.bench.codesize's part of the markdown file


@dataclass
class Measure:
    """One image's numbers: a training step and one inference."""

    instructions: int
    cycles: int
    infer_instructions: int
    infer_cycles: int
    arena: int
    stack: int
    flash: int
    profile: dict[str, list[int]]  # training step: function -> [instructions, est. cycles]
    params: int  # bytes of the trainable parameters themselves, inside the arena

    @property
    def ram(self) -> int:
        return self.arena + self.stack

    @property
    def ram_over_params(self) -> int:
        """Training RAM beyond the trainable parameters: what training costs on top of them."""
        return self.ram - self.params

    def step_per_infer(self, batch: int) -> float:
        """Training-step instructions per sample over one inference's (batch 1: step/inference)."""
        return self.instructions / (batch * self.infer_instructions)


def measure_one(workload: str, variant: str, batch: int, core: str, out: Path) -> Measure:
    # Imported here: capstone's library must not load into the sanitizer test run.
    from tintin.bench import cycles

    tag = f"{workload}-{variant}-b{batch}"
    hdr = out / "headers" / tag
    benchgen.write_headers(benchgen.WORKLOADS[workload], variant, batch, hdr, out / "cache")
    is_float = variant.startswith("float32")
    sources = [MAIN, FTRAIN] if is_float else [MAIN, *tree.core_sources()]
    includes = [hdr, REPO / "bench" / "float", REPO / "lib" / "tintin" / "include"]
    elf = qemu.build(tag, sources, core, out / core, include_dirs=includes,
                     defines={"BENCH_FLOAT": None} if is_float else {},
                     libs=["-lm"] if is_float else [])  # fmt: skip
    res = qemu.run(elf, core, pcs=True, timeout=600)
    m = re.search(r"bench: arena (\d+) stack (\d+) ret (-?\d+)", res.stdout)
    if not res.ok or m is None or int(m.group(3)) != 0:
        raise qemu.QemuError(f"{tag} on {core}: exit {res.exit_code}: {res.stdout}{res.stderr}")
    train_pcs, infer_pcs = res.region_pcs[0], res.region_pcs[1]  # regions 1 and 2
    train = cycles.model_cycles(elf, train_pcs, core)
    infer_cy = cycles.model_cycles(elf, infer_pcs, core).cycles
    over = res.region_overhead
    flash = size.measure(elf, map_file=elf.with_suffix(".map")).totals.flash
    top = sorted(train.functions.values(), key=lambda f: -f.instructions)[:PROFILE_TOP]
    profile = {f.name: [f.instructions, f.cycles] for f in top}
    params = benchgen.param_bytes(benchgen.WORKLOADS[workload], variant, batch)
    return Measure(res.regions[0], train.cycles - over, res.regions[1], infer_cy - over,
                   int(m.group(1)), int(m.group(2)), flash, profile, params)  # fmt: skip


DENSE = {"DENSE_B": 8, "DENSE_IN": 256, "DENSE_OUT": 64}


def dense_per_mac(core: str, out: Path) -> float:
    """Counted instructions per MAC of the dense forward kernel alone (batch 8, 256 -> 64)."""
    sources = [REPO / "bench" / "workloads" / "dense_main.c", *tree.core_sources()]
    elf = qemu.build("dense", sources, core, out / core,
                     include_dirs=[tree.CORE / "include"], defines=DENSE)  # fmt: skip
    res = qemu.run(elf, core, timeout=120)
    if not res.ok:
        raise qemu.QemuError(f"dense kernel on {core}: exit {res.exit_code}: {res.stderr}")
    return res.regions[0] / (DENSE["DENSE_B"] * DENSE["DENSE_IN"] * DENSE["DENSE_OUT"])


def run_all(workloads: list[str], cores: list[str], batches: list[int], out: Path) -> dict:
    results: dict = {}
    for w in workloads:
        for core in cores:
            for batch in batches:
                for v in VARIANTS:
                    mm = measure_one(w, v, batch, core, out)
                    results.setdefault(w, {}).setdefault(core, {}).setdefault(v, {})
                    results[w][core][v][f"batch{batch}"] = {
                        **asdict(mm), "ram": mm.ram, "ram_over_params": mm.ram_over_params,
                        "step_per_infer": round(mm.step_per_infer(batch), 4),
                        "energy_uj": round(energy.microjoules(core, mm.cycles), 3),
                        "infer_energy_uj": round(energy.microjoules(core, mm.infer_cycles), 3),
                    }  # fmt: skip
                    print(f"bench: {w:7s} {core:14s} {v:8s} batch {batch}: "
                          f"{mm.instructions:>13,} instructions, RAM {mm.ram:>9,} B",
                          file=sys.stderr)  # fmt: skip
    results["dense_kernel"] = {core: {"instructions_per_mac": dense_per_mac(core, out)}
                               for core in cores}  # fmt: skip
    for name, w in results.items():
        if name == "dense_kernel":
            continue
        for per_core in w.values():
            for v in per_core.values():
                first = v[f"batch{batches[0]}"]
                v.update({k: first[k] for k in ("instructions", "cycles", "energy_uj", "ram",
                                                "flash")})  # fmt: skip
    return results


def markdown(results: dict, batches: list[int]) -> str:
    out = ["# Benchmarks", "",
           "Generated by `tintin bench` (see `scripts/tintin/bench/bench.py` for what is counted "
           "and what is estimated). Instructions are counted exactly under QEMU; cycles are a "
           "TRM-based estimate at zero wait states; energy is estimated from those cycles and "
           "the reference parts below; RAM = arena + stack high-water of the "
           "training step; flash = the whole image (harness and newlib included, the same for "
           "every variant).", "",
           "Energy per cycle = uA/MHz x V (1 uA/MHz is 1 pC per cycle), from each part's "
           "datasheet CoreMark-from-flash row:", "", *energy.markdown_table(), ""]  # fmt: skip
    out += [
        "## Ratios to float32 (training step)",
        "",
        "Each integer variant against the float32 trainer with the same update rule: the "
        'default ("int") and compact (no momentum) against float32 plain SGD ("float32"), '
        'the momentum preset against float32 SGD with the same momentum ("float32-mom").',
        "",
        "| workload | core | batch | int instructions | int RAM | compact instructions "
        "| compact RAM | momentum instructions | momentum RAM |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    workloads = {k: v for k, v in results.items() if k != "dense_kernel"}
    for w, per_core in workloads.items():
        for core, per_v in per_core.items():
            for batch in batches:
                cells = []
                for v in BASELINE:
                    r = per_v[v][f"batch{batch}"]
                    f = per_v[BASELINE[v]][f"batch{batch}"]
                    cells.append(f"{r['instructions'] / f['instructions']:.3f}")
                    cells.append(f"{r['ram'] / f['ram']:.3f}")
                out.append(f"| {w} | {core} | {batch} | " + " | ".join(cells) + " |")
    out.append("")
    out += benchcheck.step_markdown(results)
    out += benchcheck.acceptance_markdown(results, BASELINE)
    if "dense_kernel" in results:
        out += ["## Dense forward kernel", "",
                "`tintin_fc_forward_s8` alone, batch 8, 256 inputs, 64 outputs (131,072 MACs):", "",
                "| core | instructions per MAC |", "|---|---:|"]  # fmt: skip
        for core, r in results["dense_kernel"].items():
            out.append(f"| {core} | {r['instructions_per_mac']:.3f} |")
        out.append("")
    for w, per_core in workloads.items():
        out += [f"## {w}", ""]
        for batch in batches:
            out += [f"Training step, batch {batch}:", "",
                    "| core | variant | instructions | est. cycles | est. energy uJ "
                    "| inference instr. | inference uJ | RAM B | flash B | int/variant instr. "
                    "| int/variant RAM | step / inference | RAM beyond params B |",
                    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
            for core, per_v in per_core.items():
                base = per_v["int"][f"batch{batch}"]
                for v, res in per_v.items():
                    r = res[f"batch{batch}"]
                    out.append(
                        f"| {core} | {v} | {r['instructions']:,} | {r['cycles']:,} | "
                        f"{r['energy_uj']:,.1f} | {r['infer_instructions']:,} | "
                        f"{r['infer_energy_uj']:,.2f} | {r['ram']:,} | {r['flash']:,} | "
                        f"{base['instructions'] / r['instructions']:.3f} | "
                        f"{base['ram'] / r['ram']:.3f} | "
                        f"{benchcheck.step_per_infer(r, f'batch{batch}'):.3f} | "
                        f"{_opt(benchcheck.over_params(r))} |"
                    )
            out.append("")
        out += [f"Where the time goes (training step, batch {batches[0]}, counted instructions "
                "and estimated cycles per function):", ""]  # fmt: skip
        for core, per_v in per_core.items():
            for v in ("int", "momentum", "float32"):
                prof = per_v[v][f"batch{batches[0]}"].get("profile", {})
                cells = ", ".join(f"`{n}` {i:,} / {c:,}" for n, (i, c) in prof.items())
                out.append(f"- {core}, {v}: {cells}")
        out.append("")
    return "\n".join(out) + "\n"


def _opt(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def csv_of(allowed: tuple[str, ...] | list[str]) -> Callable[[str], list[str]]:
    """An argparse type: a non-empty comma-separated list of distinct names from allowed."""

    def parse(text: str) -> list[str]:
        items = [t.strip() for t in text.split(",")]
        bad = [t for t in items if t not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad} (one of {', '.join(allowed)})")
        if len(set(items)) != len(items):
            raise argparse.ArgumentTypeError(f"{text!r} names one twice")
        return items

    parse.__name__ = "list"
    return parse


def batch_list(text: str) -> list[int]:
    """An argparse type: distinct batch sizes 1..256 (TINTIN_MAX_BATCH), comma-separated."""
    one = cliutil.int_in(1, 256)
    items = [one(t) for t in text.split(",")]
    if len(set(items)) != len(items):
        raise argparse.ArgumentTypeError(f"{text!r} names one twice")
    return items


def _earlier(path: Path | None) -> dict | None:
    """The --compare run: a JSON object, as --json writes it."""
    if path is None:
        return None
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise cliutil.UsageError(f"--compare {path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise cliutil.UsageError(f"--compare {path}: not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise cliutil.UsageError(
            f"--compare {path}: not the JSON object tintin bench --json writes"
        )
    return doc


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser("tintin bench", __doc__)
    ap.add_argument("--workloads", type=csv_of(list(benchgen.WORKLOADS)),
                    default=list(benchgen.WORKLOADS))  # fmt: skip
    ap.add_argument("--cores", type=csv_of(CORES), default=list(CORES))
    ap.add_argument("--batches", type=batch_list, default=[1, 8], help="batch sizes, 1..256")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "bench",
                    help="build folder (made if missing)")  # fmt: skip
    ap.add_argument("--json", type=Path, help="write the results as JSON (replaced)")
    ap.add_argument("--markdown", type=Path,
                    help="write the tables (docs/benchmarks.md; replaced)")  # fmt: skip
    ap.add_argument("--compare", type=Path, metavar="JSON",
                    help="an earlier run's --json: exit 1 unless every count common to both "
                    "is identical")  # fmt: skip
    args = ap.parse_args(argv)
    try:  # every argument is checked before QEMU or a compiler is looked for
        cliutil.output_dir(args.out, "--out")
        for path, flag in ((args.json, "--json"), (args.markdown, "--markdown")):
            if path is not None:
                cliutil.output_file(path, flag, inputs=(args.compare,))
        earlier = _earlier(args.compare)
    except cliutil.UsageError as exc:
        return cliutil.fail("tintin bench", exc)
    missing = qemu.tools_available()
    if missing:
        print(f"tintin bench: {missing}", file=sys.stderr)
        return 2
    try:
        results = run_all(args.workloads, args.cores, args.batches, args.out)
    except qemu.QemuError as exc:
        print(f"tintin bench: {exc}", file=sys.stderr)
        return 1
    if args.json:
        cliutil.write_atomic(args.json, json.dumps(results, indent=1) + "\n")
    if args.markdown:
        # `tintin codesize` owns a section of the same file: carry it over.
        old = args.markdown.read_text(errors="replace") if args.markdown.is_file() else None
        text = mdsection.carry(old, markdown(results, args.batches), CODESIZE_SECTION)
        cliutil.write_atomic(args.markdown, text)
    print(markdown(results, args.batches))
    if earlier is not None:
        n, diffs = benchcheck.compare(results, earlier)
        verdict = f"{len(diffs)} differ: {', '.join(diffs)}" if diffs else "all identical"
        print(f"tintin bench: {n} cells compared with {args.compare}: {verdict}")
        return 1 if diffs or n == 0 else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
