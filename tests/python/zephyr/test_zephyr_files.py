# SPDX-License-Identifier: Apache-2.0
"""The Zephyr module files, checked without a Zephyr tree; twister runs when ZEPHYR_BASE is set.

Each check is also run on a deliberately broken copy of the files, so that a check that cannot
fail would fail here.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tintin.zephyr import zcheck

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The module's files in a scratch repository, to break."""
    for sub in ("zephyr", "lib/tintin", "tests/lib", "tests/common", "samples"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("check", sorted(zcheck.CHECKS))
def test_module_files_pass(check):
    assert zcheck.CHECKS[check](REPO) == []


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ("\trange 1 64\n", "", "int TINTIN_MAX_LAYERS has no range"),
        (
            "\thelp\n\t  Largest max_batch a model description may declare. Arena bytes grow "
            "linearly with\n\t  the batch a model declares; this option only bounds it.\n",
            "",
            "TINTIN_MAX_BATCH has a prompt but no help",
        ),
        (
            "config TINTIN_STRICT_OVERFLOW\n",
            "config TINTIN_STRICT_OVERFLOW\n\tdefault\n",
            "kconfig",
        ),
        ("endif # TINTIN", "", "does not parse"),
        (
            'menu "Optimizer"\n',
            'menu "Optimizer"\n\nconfig TINTIN_UNUSED\n\tbool "x"\n\thelp\n\t  y\n',
            "CONFIG_TINTIN_UNUSED is not mapped or used anywhere",
        ),
    ],
    ids=["no-range", "no-help", "bad-default", "unclosed-if", "unmapped"],
)
def test_broken_kconfig_is_caught(copy, old, new, expect):
    edit(copy / "zephyr" / "Kconfig", old, new)
    problems = zcheck.check_kconfig(copy)
    assert any(expect in p for p in problems), problems


@pytest.mark.parametrize(
    ("path", "old", "new", "expect"),
    [
        ("tests/lib/numerics/testcase.yaml", "  tags: tintin\n",
         "  tags: tintin\n  vendor_allow: x\n", "key 'vendor_allow' is not accepted"),
        ("tests/lib/numerics/testcase.yaml", "    - native_sim\n", "    - native_sim_64\n",
         "board 'native_sim_64'"),
        ("tests/lib/train/testcase.yaml", "  min_ram: 32\n",
         "  min_ram: 32\n  extra_configs:\n    - CONFIG_TINTIN_STACK_SIZE=1024\n",
         "must be set per scenario"),
        ("tests/lib/train/testcase.yaml", "CONFIG_TINTIN_OPTIM_NITI=y", "CONFIG_TINTIN_NITI=y",
         "CONFIG_TINTIN_NITI is not a Tin-Tin option"),
        ("tests/lib/train/prj.conf", "CONFIG_TINTIN_MAX_BATCH=8", "CONFIG_TINTIN_MAX_BATCH=300",
         "outside 1..256"),
        ("samples/digits/sample.yaml", '- "tintin: after training: [0-9.]+%"',
         '- ["tintin: after training: [0-9.]+%"', "not YAML"),
        # The three breaks twister on Zephyr 4.x found in this repo's YAML (issue 19).
        ("tests/lib/blob/testcase.yaml", "  arch_allow:\n    - posix\n    - arm\n",
         "  arch_allow: posix arm\n", "arch_allow must be a YAML list"),
        ("samples/digits/sample.yaml", '      - "tintin: PASS on-device training improved',
         '    record:\n      regex: "tintin: (?P<x>[0-9]+)"\n    regex2:\n'
         '      - "tintin: PASS on-device training improved', "harness_config.record"),
        ("samples/env_sensor_cl/sample.yaml", "      - thingy52/nrf52832\n",
         "      - thingy52_nrf52832\n      - thingy52/nrf52832\n",
         "'thingy52_nrf52832' is unknown to twister on 4.x"),
        ("samples/digits/sample.yaml", "  name: Tin-Tin digits", "  title: Tin-Tin digits",
         "needs sample.name"),
        ("tests/lib/layers/testcase.yaml", "libraries.tintin.layers", "tintin.layers",
         "should start with 'libraries.tintin.'"),
    ],
    ids=["unknown-key", "4x-board", "common-extra-configs", "unknown-option", "out-of-range",
         "bad-yaml", "arch-allow-string", "record-block", "pre-hwmv2-board", "sample-name",
         "scenario-name"],
)  # fmt: skip
def test_broken_yaml_is_caught(copy, path, old, new, expect):
    edit(copy / path, old, new)
    problems = zcheck.check_yaml(copy)
    assert any(expect in p for p in problems), problems


def test_unbuilt_source_is_caught(copy):
    edit(copy / "zephyr" / "CMakeLists.txt", "    ${TINTIN_DIR}/src/ops/pool_s8.c\n", "")
    assert zcheck.check_cmake_sources(copy) == [
        "zephyr/CMakeLists.txt: does not build src/ops/pool_s8.c"
    ]


def test_newer_module_key_is_caught(copy):
    edit(copy / "zephyr" / "module.yml", "samples:", "package-managers:\n  pip: {}\nsamples:")
    assert zcheck.check_module_yml(copy) == [
        "module.yml: key 'package-managers' is rejected by Zephyr 3.5"
    ]


@pytest.mark.clib
def test_generated_headers_are_current():
    """The vectors and sample headers are what the reference produces today."""
    from tintin.apps import vectors

    assert vectors.main(["--check"]) == 0


def compile_model(budget: int) -> subprocess.CompletedProcess:
    src = '#include "digits_model.h"\nint main(void) { return digits_desc.n_layers; }\n'
    return subprocess.run(
        ["gcc", "-std=c11", "-fsyntax-only", f"-DCONFIG_TINTIN_ARENA_SIZE={budget}",
         f"-I{REPO / 'lib/tintin/include'}", f"-I{REPO / 'samples/digits/src'}", "-x", "c", "-"],
        input=src, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_over_budget_model_stops_the_build():
    """The sample's generated model against a budget 1 byte short, then exactly enough."""
    header = (REPO / "samples/digits/src/digits_model.h").read_text()
    need = int(header.split("#define DIGITS_ARENA_TRAIN ")[1].split()[0])
    short = compile_model(need - 1)
    assert short.returncode != 0
    msg = (
        f"tintin: model digits needs {need} bytes of training arena, more than "
        "CONFIG_TINTIN_ARENA_SIZE; raise CONFIG_TINTIN_ARENA_SIZE"
    )
    assert msg in short.stderr, short.stderr
    ok = compile_model(need)
    assert ok.returncode == 0, ok.stderr


ZEPHYR_BASE = os.environ.get("ZEPHYR_BASE")


@pytest.mark.slow
@pytest.mark.skipif(not ZEPHYR_BASE, reason="ZEPHYR_BASE is not set: twister needs a Zephyr tree")
def test_twister_native_sim(tmp_path):
    """Every suite and sample under twister on native_sim (the integration platform)."""
    env = dict(os.environ)
    env["ZEPHYR_MODULES"] = ";".join(filter(None, [env.get("ZEPHYR_MODULES"), str(REPO)]))
    # Twister needs Zephyr's Python requirements: the python3 on PATH (the Zephyr workspace's
    # environment), or the one TINTIN_ZEPHYR_PYTHON names.
    python = os.environ.get("TINTIN_ZEPHYR_PYTHON") or shutil.which("python3") or sys.executable
    cmd = [python, str(Path(ZEPHYR_BASE) / "scripts" / "twister"),
           "-p", "native_sim", "-T", str(REPO / "tests" / "lib"), "-T", str(REPO / "samples"),
           "-O", str(tmp_path / "twister-out"), "--inline-logs"]  # fmt: skip
    if os.environ.get("TINTIN_TWISTER_TEST_CONFIG"):
        cmd += ["--test-config", os.environ["TINTIN_TWISTER_TEST_CONFIG"]]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
