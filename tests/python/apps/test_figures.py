# SPDX-License-Identifier: Apache-2.0
"""Figures in README.md, docs/ and the sample READMEs are what the tools give today.

Host figures (planner, footprint.json, runs of the C runtime) are recomputed here. Zephyr
figures come from scripts/tintin/apps/zephyr_figures.json: the docs must match it, its consoles
must match the C runtime on the host, and with ZEPHYR_BASE set it must match a fresh twister
build of the samples on qemu_cortex_m3.
"""

import os
import shutil
from pathlib import Path

import pytest
import zephyr_tree

from tintin.apps import figures

REPO = Path(__file__).resolve().parents[3]
ZEPHYR_BASE = os.environ.get("ZEPHYR_BASE")


def test_every_figure_is_current(capsys):
    assert figures.main(["--check"]) == 0, capsys.readouterr().err


def test_every_registered_figure_is_in_a_document():
    used = set()
    for path in figures.documents(REPO):
        used |= {m[1] for m in figures.regions(path, path.read_text())}
    assert used == set(figures.FIGURES)


def _copy(tmp_path: Path, rel: str) -> Path:
    dst = tmp_path / rel
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / rel, dst)
    return dst


@pytest.mark.parametrize(
    "rel, old, new, name",
    [
        ("docs/tools.md", "arena: parameters                          2,536",
         "arena: parameters                          2,537", "plan-digits"),
        ("README.md", "needs 3504 bytes", "needs 3503 bytes", "digits-arena-assert"),
        ("samples/env_sensor_cl/README.rst", ".. |env_arena_train| replace:: 368",
         ".. |env_arena_train| replace:: 369", "env-arenas"),
    ],
)  # fmt: skip
def test_a_broken_figure_fails_the_check_and_write_repairs_it(tmp_path, capsys, rel, old, new,
                                                              name):  # fmt: skip
    doc = _copy(tmp_path, rel)
    good = doc.read_text()
    assert good.count(old) == 1
    doc.write_text(good.replace(old, new))
    assert figures.main(["--check", "--root", str(tmp_path)]) == 1
    assert f"figures: stale {name} in {rel}" in capsys.readouterr().err
    assert figures.main(["--write", "--root", str(tmp_path)]) == 0
    assert doc.read_text() == good
    assert figures.main(["--check", "--root", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    "old, new, expect",
    [
        ("<!-- figure: plan-digits -->", "<!-- figure: no-such-figure -->",
         "unknown figure 'no-such-figure'"),
        ("<!-- /figure -->", "", "without its closing marker"),
    ],
)  # fmt: skip
def test_bad_markers_are_one_line_errors(tmp_path, capsys, old, new, expect):
    doc = _copy(tmp_path, "docs/tools.md")
    good = doc.read_text()
    doc.write_text(good.replace(old, new, 1))
    assert figures.main(["--write", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert expect in err and err.count("\n") == 1
    assert doc.read_text() == good.replace(old, new, 1)  # nothing half written


def test_recorded_consoles_are_what_the_c_runtime_computes():
    """The Zephyr consoles the READMEs show, against the same tables run on the host: a
    change to the numerics fails here, with or without a Zephyr tree."""
    rec = figures.recorded()["samples"]
    assert rec["digits"]["console"] == figures.digits_console()
    assert rec["vibration"]["console"] == figures.vibration_console()
    env = rec["env_sensor_cl"]["console"]
    assert figures.env_training_lines(env) == figures.env_console()
    p = figures.sample_plan("env_sensor_cl")
    assert f"arena {p.train} bytes training, {p.infer} frozen" in env[0]


def _twister(out: Path) -> None:
    run = zephyr_tree.twister(REPO / "samples", out, figures.BOARD)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]


@pytest.mark.slow
@pytest.mark.skipif(not ZEPHYR_BASE, reason="ZEPHYR_BASE is not set: the sample images' "
                    "flash, RAM and QEMU consoles need a Zephyr tree")  # fmt: skip
def test_recorded_zephyr_figures_match_a_fresh_build(tmp_path):
    """zephyr_figures.json against the samples built and run now (about a minute)."""
    _twister(tmp_path / "twister-out")
    fresh = figures.record(tmp_path / "twister-out")
    diff = figures.same_record(fresh, figures.recorded())
    assert not diff, (
        f"zephyr_figures.json is stale ({', '.join(diff)}): run "
        "python -m tintin.apps.figures --record <twister-out> && "
        "python -m tintin.apps.figures --write"
    )
