# SPDX-License-Identifier: Apache-2.0
"""Figures in the docs, regenerated from the tools that produce them.

    python -m tintin.apps.figures [--check | --write] [--root DIR]
    python -m tintin.apps.figures --record TWISTER_OUT     # after twister on qemu_cortex_m3

A measured number in README.md, docs/*.md or a sample's README sits between markers naming
a figure of this module's registry:

    Markdown:  <!-- figure: digits-arena -->4,408<!-- /figure -->   (inline, or a whole block)
    reST:      .. figure: digits-sizes        (a comment: one colon, not the figure directive)
               <blank line, the generated lines (substitution definitions, a code-block),
               a blank line>
               .. /figure

--check exits 1 naming every stale figure and file; --write rewrites the marked regions in
place. Host figures come from the C planner, footprint.json, the generated sample headers and
runs of the C runtime on the host (bit-exact on every machine). Zephyr figures (flash and RAM
of the sample images, their QEMU console, `tintin size` of the digits image) come from
zephyr_figures.json, which --record writes from a twister output directory; the tests rebuild
it and compare when ZEPHYR_BASE is set. docs/accuracy.md and docs/benchmarks.md are written
whole by `tintin accuracy` and `tintin bench` and are not scanned.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import io
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tintin.core import spec
from tintin.native import clib
from tintin.native.tree import REPO
from tintin.target import plan as plan_tool
from tintin.target import size, sizeinputs

RECORD = Path(__file__).with_name("zephyr_figures.json")
GENERATED = ("docs/accuracy.md", "docs/benchmarks.md")  # written whole by their own tools
BOARD = "qemu_cortex_m3"
# Sample directory -> twister scenario and generated model header.
SAMPLES = {
    "digits": ("sample.tintin.digits", "digits_model.h"),
    "env_sensor_cl": ("sample.tintin.env_sensor_cl", "env_model.h"),
    "vibration": ("sample.tintin.vibration", "vibration_model.h"),
}

MD = re.compile(r"<!-- figure: ([\w.-]+) -->(.*?)<!-- /figure -->", re.S)
RST = re.compile(r"^\.\. figure: ([\w.-]+)\n(.*?)^\.\. /figure$", re.S | re.M)
# Any opening marker: one without its closing marker is an error, not a silent skip.
OPEN = re.compile(r"<!-- figure: |^\.\. figure: ", re.M)


class FigureError(Exception):
    """A document whose markers cannot be read, or a record that is missing."""


@dataclass(frozen=True)
class Figure:
    make: Callable[[], str]
    zephyr: bool  # from RECORD (a Zephyr build), not recomputed on the host


FIGURES: dict[str, Figure] = {}


def figure(name: str, zephyr: bool = False) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def register(make: Callable[[], str]) -> Callable[[], str]:
        FIGURES[name] = Figure(functools.cache(make), zephyr)
        return make

    return register


def _n(v: int) -> str:
    return f"{v:,}"


def _fence(lines: list[str], lang: str = "") -> str:
    return "\n".join([f"```{lang}", *lines, "```"])


def _console(lines: list[str]) -> str:
    return "\n".join([".. code-block:: console", "", *(f"   {s}" for s in lines)])


# ---------------------------------------------------------------------------- host figures


@functools.cache
def digits_spec(optim: str = "default") -> spec.ModelSpec:
    from tintin.tasks import digits

    optims = {"default": spec.Optim(), "compact": spec.Optim.compact(),
              "momentum": spec.Optim.momentum()}  # fmt: skip
    return digits.digits_spec(optims[optim], 8, 1)


def sample_plan(sample: str) -> sizeinputs.ArenaPlan:
    """The planned arenas a sample's generated header carries (python -m tintin.apps.vectors
    writes it from the C planner and the tests check it is current)."""
    header = REPO / "samples" / sample / "src" / SAMPLES[sample][1]
    return sizeinputs.read_plans([header])[0]


def sample_budget(sample: str) -> int:
    text = (REPO / "samples" / sample / "prj.conf").read_text()
    return int(re.search(r"^CONFIG_TINTIN_ARENA_SIZE=(\d+)", text, re.M)[1])  # type: ignore[index]


@figure("digits-arena")
def _digits_arena() -> str:
    return _n(clib.plan(digits_spec()))


@figure("digits-arena-dsp")
def _digits_arena_dsp() -> str:
    return _n(clib.plan(digits_spec(), dsp=True))


@figure("digits-dsp-workspace")
def _digits_dsp_workspace() -> str:
    return f"+{clib.plan(digits_spec(), dsp=True) - clib.plan(digits_spec())}"


@figure("digits-arena-compact")
def _digits_arena_compact() -> str:
    return _n(clib.plan(digits_spec("compact")))


@figure("digits-arena-momentum")
def _digits_arena_momentum() -> str:
    return _n(clib.plan(digits_spec("momentum")))


@figure("digits-arena-assert")
def _digits_arena_assert() -> str:
    need = sample_plan("digits").train
    return _fence([
        f'error: static assertion failed: "tintin: model digits needs {need} bytes of '
        "training arena, more",
        'than CONFIG_TINTIN_ARENA_SIZE; raise CONFIG_TINTIN_ARENA_SIZE"',
    ])  # fmt: skip


@figure("digits-arena-check")
def _digits_arena_check() -> str:
    """The budget check exactly as the sample's generated header has it."""
    text = (REPO / "samples/digits/src/digits_model.h").read_text()
    block = re.search(r"^#ifdef CONFIG_TINTIN_ARENA_SIZE\n.*?^#endif$", text, re.S | re.M)
    if block is None:
        raise FigureError("samples/digits/src/digits_model.h: no TINTIN_ARENA_CHECK block")
    return _fence(block[0].splitlines(), "c")


# The model of docs/tools.md's "Model specs" section, without its comments.
DIGITS_YAML = """\
name: digits
input: [64]
loss: xent
max_batch: 8
seed: 1
optimizer: default
layers:
  - {type: dense, units: 32}
  - {type: relu}
  - {type: dense, units: 10, train: full}
"""
PLAN_ARGS = ["--core", "cortex-m0plus", "--ram", "32K", "--flash", "128K"]


def _run_plan(name: str, yaml_text: str, args: list[str]) -> list[str]:
    """The lines `tintin plan NAME ARGS` prints for this model file, the command first."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(yaml_text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            plan_tool.main([str(path), *args])
    return [f"$ tintin plan {name} {' '.join(args)}", *out.getvalue().splitlines()]


@figure("plan-digits")
def _plan_digits() -> str:
    """`tintin plan` itself, run on the spec above."""
    return _fence(_run_plan("digits.yaml", DIGITS_YAML, PLAN_ARGS))


# Issue 20's example: the MNIST MLP of `tintin accuracy`, too big to train whole in 32 KB.
MNIST_YAML = """\
name: mnist
input: [784]
max_batch: 8
layers:
  - {type: dense, units: 128}
  - {type: relu}
  - {type: dense, units: 10}
"""
MNIST_PLAN_ARGS = ["--core", "cortex-m0plus", "--ram", "32K"]


@figure("plan-mnist-32k")
def _plan_mnist_32k() -> str:
    """`tintin plan` on a model that does not fit, its flash section elided (the digits
    figure shows one): the alternatives are the point."""
    lines = _run_plan("mnist.yaml", MNIST_YAML, MNIST_PLAN_ARGS)
    start = lines.index("flash")
    end = lines.index("", start)
    return _fence([*lines[:start], "...", *lines[end:]])


def _runtime_code(core: str) -> str:
    p = plan_tool.make_plan("digits", digits_spec(), core, 16, 2048, False)
    return _n(p.flash["tintin runtime code"])


@figure("plan-code-m0plus")
def _plan_code_m0plus() -> str:
    return _runtime_code("cortex-m0plus")


@figure("plan-code-m4")
def _plan_code_m4() -> str:
    return _runtime_code("cortex-m4")


@figure("lenet-arena-table")
def _lenet_arena_table() -> str:
    from tintin.tasks import digits

    optims = [("default (int16 masters in convolutions, no momentum)", spec.Optim()),
              ("lean (int8, no momentum)", spec.Optim.lean()),
              ("compact (int16 masters, no momentum)", spec.Optim.compact()),
              ("momentum (int16 masters, momentum)", spec.Optim.momentum())]  # fmt: skip

    def bias_only(sp: spec.ModelSpec) -> spec.ModelSpec:
        for layer in sp.layers:
            if layer.kind in spec.WEIGHT_LAYERS:
                layer.train = spec.TRAIN_BIAS_ONLY
        return sp

    rows = ["| optimizer, batch | all layers | last 2 layers | last layer | bias only "
            "| inference only |", "|---|---|---|---|---|---|"]  # fmt: skip
    for label, o in optims:

        def make(batch: int = 1, o: spec.Optim = o) -> spec.ModelSpec:
            return digits.lenet_spec(o, batch, 1)

        cells = [clib.plan(make()), clib.plan(spec.train_last(make(), 2)),
                 clib.plan(spec.train_last(make(), 1)), clib.plan(bias_only(make())),
                 clib.plan(make(), spec.MODE_INFER)]  # fmt: skip
        rows.append(f"| {label}, 1 | " + " | ".join(_n(c) for c in cells) + " |")
    for label, o in optims:
        short = label.split(" (")[0]
        rows.append(f"| {short}, 8 | {_n(clib.plan(digits.lenet_spec(o, 8, 1)))} | | | | |")
    return "\n".join(rows)


@figure("lenet-arena-parts")
def _lenet_arena_parts() -> str:
    """LeNet-5's training arena at batch 1, default optimizer, as tintin plan splits it."""
    from tintin.tasks import digits

    sp = digits.lenet_spec(spec.Optim(), 1, 1)
    parts = clib.plan_parts(sp)
    total = clib.plan(sp)
    rows = ["| part | bytes |", "|---|---|"]
    rows += [f"| {label} | {_n(parts[key])} |" for key, label in plan_tool.ARENA_PARTS]
    rows.append(f"| total | {_n(total)} |")
    rows.append(f"| beyond the trainable parameters | {_n(total - parts['params'])} |")
    return "\n".join(rows)


@figure("digits-momentum")
def _digits_momentum() -> str:
    """The digits sample's run with the momentum preset, counted on the host."""
    after = digits_console("momentum")[-3].split(": ")[-1]  # "94.1% (241/256)"
    return "\n".join([f".. |digits_arena_momentum| replace:: {_digits_arena_momentum()}",
                      f".. |digits_momentum_after| replace:: {after}"])  # fmt: skip


@figure("env-arenas")
def _env_arenas() -> str:
    p = sample_plan("env_sensor_cl")
    return "\n".join([f".. |env_arena_train| replace:: {p.train:,}",
                      f".. |env_arena_frozen| replace:: {p.infer:,}",
                      f".. |env_arenas| replace:: {p.train + p.infer:,}"])  # fmt: skip


# ---------------------------------------------------------------------------- host runs


def _permille(correct: int, n: int) -> str:
    pm = (correct * 1000 + n // 2) // n  # the samples' integer rounding
    return f"{pm // 10}.{pm % 10}%"


def _train_epochs(
    sp: spec.ModelSpec, xs: np.ndarray, ys: np.ndarray, e: int, epochs: int, batch: int,
    held_out: Callable[[clib.CModel], int],
) -> tuple[int, list[int]]:  # fmt: skip
    """What the samples' main.c does: correct before, and after each epoch."""
    m = clib.CModel(sp)
    before, after = held_out(m), []
    for _ in range(epochs):
        for k in range(0, len(xs) - batch + 1, batch):
            m.train_step(xs[k : k + batch], e, labels=ys[k : k + batch])
        after.append(held_out(m))
    return before, after


@functools.cache
def digits_console(optim: str = "default") -> list[str]:
    """samples/digits' console, from the same table and data through the C runtime."""
    from tintin.apps import vectors

    split, xq_tr, xq_te, e = vectors._digits_int8()
    n_tr, n_te = vectors.SAMPLE_TRAIN, vectors.SAMPLE_TEST
    xt, yt = xq_te[:n_te], split.y_test[:n_te]
    before, after = _train_epochs(digits_spec(optim), xq_tr[:n_tr], split.y_train[:n_tr], e,
                                  5, 8, lambda m: m.evaluate(xt, e, yt))  # fmt: skip
    b, a = _permille(before, n_te), _permille(after[-1], n_te)
    lines = [f"tintin: digits sample: {n_tr} training images, arena "
             f"{clib.plan(digits_spec(optim))} bytes (budget {sample_budget('digits')})",
             f"tintin: before training: {b} ({before}/{n_te})"]  # fmt: skip
    lines += [f"tintin: epoch {k}: held-out {_permille(c, n_te)}" for k, c in enumerate(after, 1)]
    lines += [f"tintin: after training: {a} ({after[-1]}/{n_te})",
              f"tintin: before {b}, after {a}",
              "tintin: PASS on-device training improved held-out accuracy" if after[-1] > before
              else "tintin: FAIL held-out accuracy did not improve"]  # fmt: skip
    return lines


@functools.cache
def vibration_console() -> list[str]:
    """samples/vibration's console, through the C runtime."""
    from tintin.apps import vectors

    sp, xa, ya, xt, yt = vectors._vibration()
    n = len(yt)
    before, after = _train_epochs(sp, xa, ya, -7, 10, 8, lambda m: m.evaluate(xt, -7, yt))
    b, a = _permille(before, n), _permille(after[-1], n)
    lines = [f"vibration: person-10 adaptation: {len(ya)} windows, arena "
             f"{sample_plan('vibration').train} bytes (budget {sample_budget('vibration')})",
             f"vibration: frozen (pre-trained on nine people): {b}"]  # fmt: skip
    lines += [f"vibration: epoch {k}: held-out {_permille(c, n)}" for k, c in enumerate(after, 1)]
    improved = after[-1] > before
    verdict = ("vibration: PASS on-device adaptation improved held-out accuracy" if improved
               else "vibration: FAIL held-out accuracy did not improve")  # fmt: skip
    return [*lines, f"vibration: after adaptation: {a} (frozen: {b})", verdict]


ENV_TRAINING = (
    "env: readings",
    "env: frozen model",
    "env: on-device training",
    "env: float32 reference",
    "env: after adaptation",
    "env: PASS",
    "env: FAIL",
)


def env_training_lines(lines: list[str]) -> list[str]:
    """The lines of the env sample that training decides (the rest name the board)."""
    return [s for s in lines if s.startswith(ENV_TRAINING)]


@functools.cache
def env_console() -> list[str]:
    """samples/env_sensor_cl's training lines from its own C built for the host."""
    from tintin.apps import envdemo

    return env_training_lines(envdemo.run_host([]).lines)


# ---------------------------------------------------------------------------- Zephyr figures


@functools.cache
def recorded() -> dict:
    if not RECORD.exists():
        raise FigureError(f"{RECORD.name} is missing; run python -m tintin.apps.figures --record")
    return json.loads(RECORD.read_text())


def _sample(name: str) -> dict:
    return recorded()["samples"][name]


@figure("zephyr-run", zephyr=True)
def _zephyr_run() -> str:
    r = recorded()
    return f"Zephyr {r['zephyr']} on {r['board']} (twister, {r['date']})"


def _sizes(sample: str, prefix: str) -> str:
    s = _sample(sample)
    return "\n".join([f".. |{prefix}_flash| replace:: {s['flash']:,}",
                      f".. |{prefix}_ram| replace:: {s['ram']:,}",
                      f".. |{prefix}_run| replace:: {_zephyr_run()}"])  # fmt: skip


@figure("digits-sizes", zephyr=True)
def _digits_sizes() -> str:
    arena = sample_plan("digits").train
    return _sizes("digits", "digits") + f"\n.. |digits_arena| replace:: {arena:,}"


@figure("vibration-sizes", zephyr=True)
def _vibration_sizes() -> str:
    arena = sample_plan("vibration").train
    return _sizes("vibration", "vibration") + f"\n.. |vibration_arena| replace:: {arena:,}"


@figure("env-sizes", zephyr=True)
def _env_sizes() -> str:
    return _sizes("env_sensor_cl", "env")


@figure("digits-console", zephyr=True)
def _digits_console() -> str:
    return _console(_sample("digits")["console"])


@figure("vibration-console", zephyr=True)
def _vibration_console() -> str:
    lines = _sample("vibration")["console"]
    # The first epoch and the last: the README shows the shape, the tests check every line.
    keep = [s for s in lines if not re.match(r"vibration: epoch ([2-9]):", s)]
    return _console([*keep[:3], "...", *keep[3:]])


@figure("env-console", zephyr=True)
def _env_console() -> str:
    lines, out = _sample("env_sensor_cl")["console"], []
    # Window lines shortened to the ones where the move outdoors shows.
    shown = re.compile(r"env: readings +(0|2000|2500|3000)-")
    for s in lines:
        if s.startswith("env: checkpoint ") and "after 3000" not in s:
            continue
        if s.startswith("env: readings") and not shown.match(s):
            if out[-1] != "...":
                out.append("...")
            continue
        out.append(s)
    return _console(out)


@figure("env-steps", zephyr=True)
def _env_steps() -> str:
    for s in _sample("env_sensor_cl")["console"]:
        if m := re.match(r"env: (\d+) instructions per training step", s):
            return f".. |env_step_instructions| replace:: {int(m[1]):,}"
    raise FigureError(f"{RECORD.name}: no instruction count in the env sample's console")


@figure("digits-size-report", zephyr=True)
def _digits_size_report() -> str:
    lines = _sample("digits")["size_report"]
    # The library's members but the largest are elided, as the rest of the table is the point.
    members = [s for s in lines if s.startswith("  ") and s.strip().endswith("%")
               and s.strip().split()[0].endswith(".c")]  # fmt: skip
    biggest = max(members, key=lambda s: int(s.split()[1]), default=None)
    out = [s for s in lines if s not in members or s == biggest]
    if biggest is not None:
        out.insert(out.index(biggest) + 1, "  ...")
    return _fence(out)


# ---------------------------------------------------------------------------- record


def _console_of(build: Path) -> list[str]:
    lines = (build / "handler.log").read_text(errors="replace").splitlines()
    return [s.rstrip() for s in lines if s.strip() and not s.startswith("*** Booting")]


def _zephyr_version(build: Path) -> str:
    text = (build / "zephyr/include/generated/version.h").read_text()
    return re.search(r'KERNEL_VERSION_STRING\s+"([^"]+)"', text)[1]  # type: ignore[index]


def record(twister_out: Path) -> dict:
    """What the docs state about the sample images: from a twister run on qemu_cortex_m3."""
    samples, version = {}, ""
    for sample, (scenario, header) in SAMPLES.items():
        build = twister_out / BOARD / sample / scenario
        if not (build / "zephyr" / "zephyr.elf").exists():
            raise FigureError(f"{build}: no zephyr.elf; run twister -p {BOARD} -T samples")
        rep = size.measure(build, headers=[REPO / "samples" / sample / "src" / header])
        text = size.format_report(rep).splitlines()
        start = next(i for i, s in enumerate(text) if s.startswith("owner"))
        end = text.index("", start)  # the owner table ends at the first blank line
        table = [*text[start:end], next(s for s in text if s.startswith("arena: ")), text[-1]]
        samples[sample] = {"flash": rep.totals.flash, "ram": rep.totals.ram,
                           "console": _console_of(build), "size_report": table}  # fmt: skip
        version = _zephyr_version(build)
    return {"zephyr": version, "board": BOARD, "date": datetime.date.today().isoformat(),
            "samples": samples}  # fmt: skip


def same_record(a: dict, b: dict) -> list[str]:
    """Where two records differ, ignoring the date."""
    diff = [k for k in ("zephyr", "board") if a.get(k) != b.get(k)]
    for name in SAMPLES:
        sa, sb = a["samples"].get(name, {}), b["samples"].get(name, {})
        diff += [f"{name} {k}" for k in ("flash", "ram", "console", "size_report")
                 if sa.get(k) != sb.get(k)]  # fmt: skip
    return diff


# ---------------------------------------------------------------------------- documents


def documents(root: Path) -> list[Path]:
    """Every document that may carry figures (the generated ones are written whole)."""
    docs = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    docs += sorted((root / "samples").glob("**/README.*"))
    return [p for p in docs if p.exists() and p.relative_to(root).as_posix() not in GENERATED]


def _wrap(path: Path, body: str) -> str:
    if path.suffix == ".rst":
        return f"\n{body}\n\n"
    return f"\n{body}\n" if "\n" in body else body


def regions(path: Path, text: str) -> Iterator[re.Match[str]]:
    pattern = RST if path.suffix == ".rst" else MD
    found = list(pattern.finditer(text))
    if len(found) != len(OPEN.findall(text)):
        raise FigureError(f"{path}: a figure marker without its closing marker")
    for m in found:
        if m[1] not in FIGURES:
            raise FigureError(f"{path}: unknown figure {m[1]!r}")
    return iter(found)


def render(path: Path, text: str) -> tuple[str, list[str]]:
    """The document with every figure regenerated, and the names of those that changed."""
    out, stale, pos = [], [], 0
    for m in regions(path, text):
        want = _wrap(path, FIGURES[m[1]].make())
        if m[2] != want:
            stale.append(m[1])
        out += [text[pos : m.start(2)], want]
        pos = m.end(2)
    out.append(text[pos:])
    return "".join(out), stale


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tintin.apps.figures", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a figure is stale")
    mode.add_argument("--write", action="store_true", help="rewrite the marked regions")
    mode.add_argument("--record", type=Path, metavar="TWISTER_OUT",
                      help=f"write {RECORD.name} from a twister run on {BOARD}")  # fmt: skip
    ap.add_argument("--root", type=Path, default=REPO, help="repository (default: %(default)s)")
    args = ap.parse_args(argv)
    try:
        if args.record is not None:
            RECORD.write_text(json.dumps(record(args.record), indent=1) + "\n")
            recorded.cache_clear()
            return 0
        return _check_or_write(args.root, args.write)
    except (FigureError, size.SizeError, OSError) as exc:
        print(f"figures: {exc}", file=sys.stderr)
        return 2


def _check_or_write(root: Path, write: bool) -> int:
    # Every document is rendered before any is written: a bad marker changes nothing.
    rendered = []
    for path in documents(root):
        text = path.read_text()
        rendered.append((path, text, *render(path, text)))
    stale = [f"figures: stale {name} in {path.relative_to(root)}"
             for path, _, _, names in rendered for name in names]  # fmt: skip
    if write:
        for path, text, new, _ in rendered:
            if new != text:
                path.write_text(new)
        return 0
    for line in stale:
        print(line + "; run python -m tintin.apps.figures --write", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
