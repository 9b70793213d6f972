# SPDX-License-Identifier: Apache-2.0
"""docs/tools.md's walkthrough, run as written: from a CSV and from an .npz to a header that a
Zephyr application includes.

Each fenced block of the walkthrough follows a marker comment that says what to do with it:

    <!-- walkthrough: run -->          a shell script: run with bash -e in the work directory,
                                       `tintin` and `python` being this checkout's
    <!-- walkthrough: output -->       what the block before printed; a line "..." stands for
                                       any lines
    <!-- walkthrough: grep FILE -->    lines that FILE holds, one after the other
    <!-- walkthrough: build DIR -->    `west build ... DIR -t run`: here DIR/src/*.c built on the
                                       host against the runtime (Zephyr's printk and
                                       TINTIN_ARENA_DEFINE shimmed, CONFIG_TINTIN_ARENA_SIZE from
                                       DIR/prj.conf), then run
    <!-- walkthrough: PATH -->         a file to write

`modules/lib/tintin/` (the module in a west workspace) is this checkout. Without the cached
Seattle weather table (`python -m tintin.tasks.accdata --fetch`), a synthetic table of the same
columns stands in, and the CSV part's outputs, which are its numbers, are not compared.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zephyr_tree

from tintin.native import hostcc

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "tools.md"
STEP = re.compile(r"<!-- walkthrough: (.+?) -->\n```[a-z]*\n(.*?)```\n", re.S)
SHIM = {
    "kernel.h": "#include <stdio.h>\n#define printk printf\n",
    "toolchain.h": "#define __aligned(x) __attribute__((aligned(x)))\n",
    "sys/printk.h": "",
}


def walkthrough() -> list[tuple[str, str, str]]:
    """(subsection, marker, block) of every marked block, in order."""
    text = DOC.read_text()
    start = text.index("## Walkthrough")
    section = text[start : text.index("\n## ", start + 1)]
    steps, part = [], ""
    for m in re.finditer(r"^### ([^\n]+)\n|" + STEP.pattern, section, re.S | re.M):
        if m[1] is not None:
            part = m[1]
        else:
            steps.append((part, m[2], m[3]))
    return steps


def weather_csv(path: Path) -> bool:
    """Seattle's weather without the date, as the walkthrough describes it; False when the
    package is not cached and a synthetic table of the same columns stands in."""
    import csv
    import io

    from tintin.tasks import accdata

    pkg = accdata.PACKAGES["vega_datasets"]
    rows = ["precipitation,temp_max,temp_min,wind,weather"]
    if accdata.available(pkg):
        text = accdata.member(pkg, "vega_datasets/_data/seattle-weather.csv").decode()
        keys = rows[0].split(",")
        rows += [",".join(r[k] for k in keys) for r in csv.DictReader(io.StringIO(text))]
        path.write_text("\n".join(rows) + "\n")
        return True
    rng = np.random.default_rng(0)
    names = ["drizzle", "fog", "rain", "snow", "sun"]
    for i in range(400):
        c = i % 5
        v = rng.normal([c * 3, 15 - c, 8 - c, 2 + c / 2], 1.5)
        rows.append(f"{max(v[0], 0):.1f},{v[1]:.1f},{v[2]:.1f},{max(v[3], 0):.1f},{names[c]}")
    path.write_text("\n".join(rows) + "\n")
    return False


def matches(expected: str, actual: str) -> bool:
    """actual's lines against expected's, where a line "..." stands for any number of lines."""
    want, got = expected.splitlines(), actual.splitlines()
    groups, group = [], []
    for line in want:
        if line == "...":
            groups.append(group)
            group = []
        else:
            group.append(line)
    groups.append(group)
    pos = 0
    for k, g in enumerate(groups):
        if not g:
            continue
        last = len(got) - len(g) if k == len(groups) - 1 else None
        starts = [pos] if k == 0 else range(pos, len(got) - len(g) + 1)
        found = next((s for s in starts if got[s : s + len(g)] == g
                      and (last is None or s == last)), None)  # fmt: skip
        if found is None:
            return False
        pos = found + len(g)
    return True


def host_build(work: Path, app: str) -> str:
    """app/src/*.c compiled strictly and built on the host, as a Zephyr build of it would be
    compiled; its output."""
    shim = work / "shim"
    arena = re.search(r"^CONFIG_TINTIN_ARENA_SIZE=(\d+)$", (work / app / "prj.conf").read_text(),
                      re.M)[1]  # fmt: skip
    for name, text in SHIM.items():
        (shim / "zephyr" / name).parent.mkdir(parents=True, exist_ok=True)
        extra = f"#define CONFIG_TINTIN_ARENA_SIZE {arena}\n" if name == "kernel.h" else ""
        (shim / "zephyr" / name).write_text(text + extra)
    sources = sorted((work / app / "src").glob("*.c"))
    includes = [work / app / "src", shim, shim / "zephyr", REPO / "zephyr" / "include"]
    strict = subprocess.run(
        ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
         *(f"-I{d}" for d in includes), f"-I{REPO / 'lib' / 'tintin' / 'include'}",
         *map(str, sources)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert strict.returncode == 0, strict.stderr
    exe = hostcc.build(f"walkthrough_{app}", sources, includes, shared=False)
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    return run.stdout


def zephyr_build(work: Path, app: str, expected: str) -> str:
    """`west build -b qemu_cortex_m3 app -t run`, as twister runs it: app built with Zephyr
    for qemu_cortex_m3 and run under QEMU until the last line shown; its console without
    Zephyr's boot banner."""
    board = "qemu_cortex_m3"
    last = re.escape(expected.splitlines()[-1]).replace("'", "''")  # a YAML '...' string
    (work / app / "sample.yaml").write_text(
        f"sample:\n  name: walkthrough {app}\ntests:\n  walkthrough.{app}:\n"
        f"    platform_allow: {board}\n    harness: console\n    harness_config:\n"
        f"      type: one_line\n      regex:\n        - '{last}'\n"
    )
    out = work / f"twister-{app}"
    run = zephyr_tree.twister(work / app, out, board)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    (log,) = out.glob(f"{board}/**/handler.log")
    lines = [ln for ln in log.read_text(errors="replace").splitlines()
             if ln.strip() and not ln.startswith("*** Booting Zephyr")]  # fmt: skip
    return "\n".join(lines) + "\n"


def run_walkthrough(tmp_path: Path, zephyr: bool) -> bool:
    """Every step in order, the build steps on the host or, with zephyr, with Zephyr under
    QEMU; whether the CSV part ran on the real table."""
    steps = walkthrough()
    kinds = [m.split()[0] for _, m, _ in steps]
    assert kinds.count("run") >= 5 and kinds.count("build") == 2, kinds
    parts = {p for p, _, _ in steps}
    assert any("CSV" in p for p in parts) and any(".npz" in p for p in parts)
    real = weather_csv(tmp_path / "weather.csv")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, cmd in (("tintin", "-m tintin.cli"), ("python", "")):
        (bin_dir / tool).write_text(f'#!/bin/sh\nexec "{sys.executable}" {cmd} "$@"\n')
        (bin_dir / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(REPO / "scripts")}  # fmt: skip
    out, compared = "", 0
    for k, (part, marker, block) in enumerate(steps):
        kind, *arg = marker.split()
        check = real or "CSV" not in part  # the CSV part's numbers are those of the real table
        if kind == "run":
            script = block.replace("modules/lib/tintin/", f"{REPO}/")
            done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            assert done.returncode == 0, f"{block}\n{done.stderr}"
            assert "warning" not in done.stderr, done.stderr
            out = done.stdout
        elif kind == "output":
            if check:
                assert matches(block, out), f"expected:\n{block}\ngot:\n{out}"
                compared += 1
        elif kind == "grep":
            if check:
                assert block in (tmp_path / arg[0]).read_text(), block
                compared += 1
        elif kind == "build":
            if zephyr:
                nxt = steps[k + 1]
                assert nxt[1] == "output", "a build step is followed by its output"
                out = zephyr_build(tmp_path, arg[0], nxt[2])
            else:
                out = host_build(tmp_path, arg[0])
        else:
            (tmp_path / kind).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / kind).write_text(block)
    assert compared >= (7 if real else 2)
    # The application's header is the one `tintin train` wrote, quantiser and names in it.
    header = (tmp_path / "app" / "src" / "weather_model.h").read_text()
    assert "weather_quantize(const int32_t *raw, int8_t *x)" in header
    assert "weather_class_names[5]" in header
    return real


def test_the_walkthrough_runs_as_written(tmp_path):
    if not run_walkthrough(tmp_path, zephyr=False):
        pytest.skip("the CSV part ran on a synthetic table: python -m tintin.tasks.accdata --fetch")


@pytest.mark.slow
@pytest.mark.skipif(not zephyr_tree.ZEPHYR_BASE, reason=f"{zephyr_tree.SKIP_REASON}: the "
                    "walkthrough's applications built with Zephyr need a Zephyr tree")  # fmt: skip
def test_the_walkthrough_apps_build_and_run_on_zephyr(tmp_path):
    """The same steps, each application built by Zephyr for qemu_cortex_m3 and run under
    QEMU by twister (a few minutes)."""
    if not run_walkthrough(tmp_path, zephyr=True):
        pytest.skip("the CSV part ran on a synthetic table: python -m tintin.tasks.accdata --fetch")


def test_matches_elides_with_dots():
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert matches("...\nc\n...\n", "a\nb\nc\nd\n")
    assert not matches("a\n...\nc\n", "a\nb\nc\nd\n")  # the last group ends the output
    assert not matches("b\n...\n", "a\nb\n")  # the first group starts it
    assert not matches("a\nc\n", "a\nb\nc\n")
