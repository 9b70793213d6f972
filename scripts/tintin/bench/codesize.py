# SPDX-License-Identifier: Apache-2.0
"""`tintin codesize`: libtintin's flash per build configuration, measured on real links.

    tintin codesize [--configs dense-infer,dense-train,...] [--cores cortex-m0plus,...]
                    [--opts=-Os,-O2] [--out build/codesize] [--json FILE] [--markdown FILE]

A configuration is a set of the core's compile-time switches (the TINTIN_* macros of
lib/tintin/include/tintin/config.h, which zephyr/Kconfig sets through zephyr_config.h), an
application that calls what a build of its kind calls (bench/workloads/size_main.c: inference is
init + predict; training is init, a step on a batch of BATCH samples, a step on one sample,
predict) and a model that uses those layers and that optimizer. For every configuration, core
and optimisation level, the core sources are compiled with the switches into libtintin.a
(arm-none-eabi-gcc with function and data sections, as the bench images and Zephyr build it),
linked with --gc-sections into a bare-metal image, and measured as `tintin size` measures any
image: the library's flash is the input sections of libtintin.a that the link kept (code,
constants, data load images), from the map. -Os is what Zephyr builds with by default
(CONFIG_SIZE_OPTIMIZATIONS); -O2 is what the `tintin bench` images use.

Each image then runs under QEMU and must exit 0, so a configuration whose switches refuse its
model is an error rather than a number. Its per-PC counts give the library functions the image
links but never executes (tintin.bench.unused), with what references each. "Helpers" are the
image's other bytes beyond an image that calls no Tin-Tin function (model constants excluded):
the libgcc and C library routines the library pulls in, and the caller's own code.

--markdown FILE replaces this tool's marked section of FILE (appended when FILE has none), so
docs/benchmarks.md keeps both this table and `tintin bench`'s.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tintin.bench import codereport, mdsection, qemu, unused
from tintin.bench.bench import CODESIZE_SECTION, csv_of
from tintin.core import spec
from tintin.io import cgen, cliutil
from tintin.native import tree
from tintin.native.tree import REPO
from tintin.target import size
from tintin.target.elfmap import read_map
from tintin.tasks import digits

PROG = "tintin codesize"
WORKLOADS = REPO / "bench" / "workloads"
MAIN = WORKLOADS / "size_main.c"
CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4")
OPTS = ("-Os", "-O2")
# Issue 22's acceptance point: dense-only training, default optimizer, Cortex-M0+, at most
# 8 KB of library flash; read at Zephyr's default optimisation, for the smallest such build:
# a compiled-in model initialised from its generated layout.
TARGET = ("dense-train-layout", "cortex-m0plus", "-Os")
TARGET_BYTES = 8 * 1024

# The Kconfig option that sets each switch (zephyr/include/tintin/zephyr_config.h).
KCONFIG = {
    "TINTIN_OP_CONV": "CONFIG_TINTIN_OP_CONV",
    "TINTIN_OP_POOL": "CONFIG_TINTIN_OP_POOL",
    "TINTIN_LOSS_MSE_ENABLED": "CONFIG_TINTIN_LOSS_MSE",
    "TINTIN_RULE_NITI_ENABLED": "CONFIG_TINTIN_OPTIM_NITI",
    "TINTIN_MOMENTUM_ENABLED": "CONFIG_TINTIN_OPTIM_MOMENTUM",
    "TINTIN_UPSCALE_ENABLED": "CONFIG_TINTIN_OPTIM_UPSCALE",
}
# A dense-only classifier needs none of these: every one off is the smallest dense build.
DENSE_ONLY = dict.fromkeys(KCONFIG, 0)

CONV_ROWS = [
    {"type": "conv2d", "units": 4, "kernel": [3, 3]},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 10},
]
# Training images run a step at this batch and one at batch 1 (size_main.c): the dense
# update has a path of its own at batch 1.
BATCH = 2
MODELS: dict[str, Callable[[spec.Optim], spec.ModelSpec]] = {
    "digits": lambda o: digits.digits_spec(o, BATCH, 1),  # the digits sample's 64-32-10 MLP
    "conv": lambda o: spec.build((8, 8, 1), CONV_ROWS, 1, optim=o, max_batch=BATCH),
    "lenet": lambda o: digits.lenet_spec(o, BATCH, 1),
}
OPTIMS: dict[str, spec.Optim] = {
    **{name: make() for name, make in spec.PRESETS.items()},
    "niti": digits.NITI,
}


@dataclass(frozen=True)
class Config:
    """One build: switches (TINTIN_* -D values), what the application calls, its model."""

    key: str
    label: str
    train: bool
    model: str
    optim: str
    switches: dict[str, int] = field(default_factory=dict)
    log: bool = False  # the error log hook on, as CONFIG_TINTIN_LOG_LEVEL > 0 sets it
    # Init from the generated header's layout (tintin_model_init_layout) instead of planning.
    layout: bool = False

    def defines(self) -> dict[str, str | int | None]:
        out: dict[str, str | int | None] = dict(self.switches)
        if self.log:
            out["TINTIN_CONFIG_FILE"] = '"size_log.h"'
            out["SIZE_LOG"] = None
        return out


def _on(**switches: int) -> dict[str, int]:
    return {**DENSE_ONLY, **{f"TINTIN_{k}": v for k, v in switches.items()}}


CONFIGS = {c.key: c for c in (
    Config("dense-infer", "dense only, inference", False, "digits", "default", DENSE_ONLY),
    Config("dense-train", "dense only, training, default optimizer", True, "digits", "default",
           DENSE_ONLY),
    Config("dense-infer-layout", "dense only, inference, generated layout", False, "digits",
           "default", DENSE_ONLY, layout=True),
    Config("dense-train-layout", "dense only, training, default optimizer, generated layout",
           True, "digits", "default", DENSE_ONLY, layout=True),
    # The default optimizer keeps int16 masters in convolutions: they need the upscale code.
    Config("conv-train", "+ convolutions", True, "conv", "default",
           _on(OP_CONV=1, UPSCALE_ENABLED=1)),
    Config("pool-train", "+ convolutions + pooling (LeNet-5)", True, "lenet", "default",
           _on(OP_CONV=1, OP_POOL=1, UPSCALE_ENABLED=1)),
    Config("lean-train", "dense only, training, lean", True, "digits", "lean", DENSE_ONLY),
    Config("compact-train", "dense only, training, compact", True, "digits", "compact",
           _on(UPSCALE_ENABLED=1)),
    Config("momentum-train", "dense only, training, momentum", True, "digits", "momentum",
           _on(UPSCALE_ENABLED=1, MOMENTUM_ENABLED=1)),
    Config("niti-train", "dense only, training, NITI rule", True, "digits", "niti",
           _on(RULE_NITI_ENABLED=1)),
    Config("log-train", "dense only, training, error log on", True, "digits", "default",
           DENSE_ONLY, log=True),
    Config("all-infer", "every switch on, inference", False, "digits", "default"),
    Config("all-train", "every switch on, training, default optimizer", True, "digits",
           "default"),
)}  # fmt: skip


@dataclass
class Cell:
    """One configuration on one core at one optimisation level; bytes of flash."""

    library: int  # libtintin.a's input sections in the image
    members: dict[str, int]
    helpers: int  # other bytes beyond the image that calls nothing (model constants excluded)
    image: int
    # Library functions the run never entered: {"name", "member", "bytes", "family",
    # "referenced_by"}, largest first; and the ones it entered, with their instruction bytes
    # that never ran: {"name", "member", "bytes", "not_executed"}.
    never_executed: list[dict]
    executed: list[dict]

    @property
    def unused_bytes(self) -> int:
        return sum(f["bytes"] for f in self.never_executed)

    @property
    def cold_bytes(self) -> int:
        return sum(f["not_executed"] for f in self.executed)


# What a never-executed function serves, by its source file (the kernels of one layer family)
# or its name, and the switch that names that family.
FAMILIES = (
    ("convolution", re.compile(r"^conv_s8/|/tintin_conv_"), "TINTIN_OP_CONV"),
    ("pooling", re.compile(r"^pool_s8/|pool"), "TINTIN_OP_POOL"),
    ("NITI rule", re.compile(r"/.*niti"), "TINTIN_RULE_NITI_ENABLED"),
    ("MSE loss", re.compile(r"/tintin_mse_"), "TINTIN_LOSS_MSE_ENABLED"),
)


def family(member: str, name: str) -> str:
    return next((f for f, pat, _ in FAMILIES if pat.search(f"{member}/{name}")), "other")


def column(core: str, opt: str) -> str:
    return f"{core} {opt}"


def switch_text(cfg: Config) -> str:
    """The Kconfig options a configuration differs by from the dense-only build."""
    if not cfg.switches:
        text = "all on (config.h defaults)"
    else:
        on = [KCONFIG[k] for k, v in cfg.switches.items() if v and k in KCONFIG]
        text = "dense-only" + (" + " + ", ".join(f"`{k}`" for k in on) if on else "")
    return text + (", `CONFIG_TINTIN_LOG_LEVEL` > 0" if cfg.log else "")


def write_model(cfg: Config, out: Path) -> Path:
    """size_model.h for the configuration's model and optimizer, in out."""
    out.mkdir(parents=True, exist_ok=True)
    sp = MODELS[cfg.model](OPTIMS[cfg.optim])
    body = cgen.model_body(sp, "size")
    src = f"tintin codesize {cfg.key}"
    title = f"Code-size image {cfg.key}: {cfg.model}, {cfg.optim} optimizer."
    (out / "size_model.h").write_text(cgen.header("size_model_h", title, src, body))
    return out


class Builder:
    """Builds the images of one run; a library built with the same switches is reused."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.libs: dict[tuple, Path] = {}
        self.empty: dict[tuple[str, str], size.SizeReport] = {}

    def _dir(self, core: str, opt: str) -> Path:
        return self.out / f"{core}{opt}"

    def library(self, cfg: Config, core: str, opt: str) -> Path:
        defines = cfg.defines()
        key = (core, opt, tuple(sorted(defines.items(), key=str)))
        if key not in self.libs:
            tag = hashlib.sha256(repr(key[2]).encode()).hexdigest()[:10]
            self.libs[key] = qemu.archive(
                "tintin", tree.core_sources(), core, self._dir(core, opt) / "lib" / tag,
                include_dirs=[tree.CORE / "include", WORKLOADS], defines=defines, opt=opt,
            )  # fmt: skip
        return self.libs[key]

    def baseline(self, core: str, opt: str) -> size.SizeReport:
        """The image that calls no Tin-Tin function: harness, C library start-up."""
        if (core, opt) not in self.empty:
            elf = qemu.build("empty", [MAIN], core, self._dir(core, opt),
                             include_dirs=[tree.CORE / "include"],
                             defines={"SIZE_EMPTY": None}, opt=opt)  # fmt: skip
            self.empty[core, opt] = size.measure(elf, map_file=elf.with_suffix(".map"))
        return self.empty[core, opt]

    def image(self, cfg: Config, core: str, opt: str) -> Path:
        headers = write_model(cfg, self.out / "headers" / cfg.key)
        lib = self.library(cfg, core, opt)
        return qemu.build(
            cfg.key, [MAIN], core, self._dir(core, opt),
            include_dirs=[headers, tree.CORE / "include", WORKLOADS],
            defines={**cfg.defines(), "SIZE_TRAIN": int(cfg.train), "SIZE_BATCH": BATCH,
                     **({"SIZE_LAYOUT": None} if cfg.layout else {})},
            opt=opt, libs=[str(lib)],
        )  # fmt: skip


def measure_cell(builder: Builder, cfg: Config, core: str, opt: str) -> Cell:
    elf = builder.image(cfg, core, opt)
    map_file = elf.with_suffix(".map")
    report = size.measure(elf, map_file=map_file)
    res = qemu.run(elf, core, pcs=True, timeout=300)
    if not res.ok:
        raise qemu.QemuError(
            f"{cfg.key} on {core} {opt}: exit {res.exit_code} (a call returned an error: "
            f"do the switches allow the model?){res.stderr}"
        )
    whole = res.pc_counts
    assert whole is not None  # pcs=True
    ran = {pc: whole.sizes[pc] for pc, n in whole.counts.items() if n > 0}
    pieces = unused.library_pieces(read_map(map_file), ran, unused.data_spans(elf))
    refs = unused.references(elf)
    never = [{"name": p.name, "member": p.member, "bytes": p.size,
              "family": family(p.member, p.name), "referenced_by": unused.referenced_by(p, refs)}
             for p in unused.never_executed(pieces)]  # fmt: skip
    entered = sorted((p for p in pieces if p.executed), key=lambda p: (-(p.cold or 0), p.name))
    executed = [{"name": p.name, "member": p.member, "bytes": p.size, "not_executed": p.cold}
                for p in entered]  # fmt: skip
    base = builder.baseline(core, opt)
    models = sum(m.usage.flash for m in report.models.values())
    return Cell(
        library=report.tintin.flash,
        members={k: v.flash for k, v in report.members.items() if v.flash},
        helpers=report.rest.flash - base.rest.flash,
        image=report.totals.flash - models,
        never_executed=never,
        executed=executed,
    )


def run_all(
    configs: list[str], cores: list[str], opts: list[str], out: Path, say: Callable[[str], None]
) -> dict:
    builder = Builder(out)
    target = dict(zip(("config", "core", "opt"), TARGET, strict=True))
    results: dict = {"target": {**target, "limit": TARGET_BYTES},
                     "dense_only": list(KCONFIG.values()),
                     "families": {f: {"option": KCONFIG[m], "macro": m}
                                  for f, _, m in FAMILIES},
                     "configs": {}}  # fmt: skip
    for key in configs:
        cfg = CONFIGS[key]
        cells = {}
        for opt in opts:
            for core in cores:
                cell = measure_cell(builder, cfg, core, opt)
                cells[column(core, opt)] = {**asdict(cell), "unused_bytes": cell.unused_bytes,
                                            "cold_bytes": cell.cold_bytes}  # fmt: skip
                say(f"codesize: {key:15s} {core:14s} {opt}: libtintin {cell.library:>6,} B, "
                    f"never executed {cell.unused_bytes:>5,} B")  # fmt: skip
        results["configs"][key] = {
            "label": cfg.label, "switch_text": switch_text(cfg), "train": cfg.train,
            "model": cfg.model, "optim": cfg.optim, "switches": cfg.switches, "log": cfg.log,
            "cells": cells,
        }  # fmt: skip
    return results


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = cliutil.parser(PROG, __doc__)
    ap.add_argument(
        "--configs",
        type=csv_of(tuple(CONFIGS)),
        default=list(CONFIGS),
        help="builds to measure (default: all)",
    )
    ap.add_argument("--cores", type=csv_of(CORES), default=list(CORES))
    ap.add_argument(
        "--opts",
        type=csv_of(OPTS),
        default=list(OPTS),
        help="compiler optimisation levels (default: -Os,-O2; write --opts=-Os)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=REPO / "build" / "codesize",
        help="build folder (made if missing)",
    )
    ap.add_argument("--json", type=Path, help="write the results as JSON (replaced)")
    ap.add_argument("--markdown", type=Path,
                    help="replace this tool's section of FILE (docs/benchmarks.md)")  # fmt: skip
    args = ap.parse_args(argv)
    try:
        cliutil.output_dir(args.out, "--out")
        for path, flag in ((args.json, "--json"), (args.markdown, "--markdown")):
            if path is not None:
                cliutil.output_file(path, flag)
        old = _read(args.markdown)
    except cliutil.UsageError as exc:
        return cliutil.fail(PROG, exc)
    missing = qemu.tools_available()
    if missing:
        return cliutil.fail(PROG, missing)
    try:
        results = run_all(args.configs, args.cores, args.opts, args.out,
                          lambda s: print(s, file=sys.stderr))  # fmt: skip
    except (qemu.QemuError, size.SizeError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.json is not None:
        cliutil.write_atomic(args.json, json.dumps(results, indent=1) + "\n")
    if args.markdown is not None:
        text = mdsection.splice(old or "", CODESIZE_SECTION, codereport.markdown(results))
        cliutil.write_atomic(args.markdown, text)
    print(codereport.table(results))
    return 0


def _read(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise cliutil.UsageError(f"--markdown {path}: cannot read: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
