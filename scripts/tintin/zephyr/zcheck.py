# SPDX-License-Identifier: Apache-2.0
"""Checks of the Zephyr module files that run without a Zephyr tree (CI has none).

- zephyr/Kconfig parses with kconfiglib (what Zephyr provides is stubbed), every int has a
  range, every visible option has help, and every option is mapped by the glue header;
- every testcase.yaml and sample.yaml loads and uses only keys that twister accepts on both
  Zephyr 3.5 and 4.x, with our scenario names and board names that exist in both;
- zephyr/module.yml uses only the keys Zephyr 3.5's strict schema accepts;
- zephyr/CMakeLists.txt and lib/tintin/CMakeLists.txt build every core source;
- every CONFIG_TINTIN_* a prj.conf or scenario sets exists and is in range.

Each check returns a list of problems (empty when fine). `tintin zephyr-check` prints them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from tintin.native.tree import REPO

# Keys twister accepts in a scenario or under common: on both 3.5 and 4.x (docs/zephyr.md).
SCENARIO_KEYS = {
    "tags", "arch_allow", "arch_exclude", "platform_allow", "platform_exclude",
    "integration_platforms", "extra_configs", "extra_conf_files", "extra_overlay_confs",
    "extra_args", "filter", "depends_on", "min_ram", "min_flash", "timeout", "build_only",
    "modules", "harness", "harness_config", "platform_type", "type", "levels", "skip", "slow",
    "sysbuild", "toolchain_allow", "toolchain_exclude",
}  # fmt: skip
COMMON_ONLY_FORBIDDEN = {"extra_configs"}  # the 3.5-era schema accepts it only per scenario
HARNESS_KEYS = {"type", "ordered", "regex", "record", "fixture", "pytest_root", "pytest_args"}
# Board names that exist under the same name on Zephyr 3.5 and 4.x.
BOARDS = {"native_sim", "qemu_cortex_m3"}
# Boards renamed by hardware model v2 (Zephyr 3.7), by their 4.x names. Twister on 4.x exits
# with an error on a name it does not know (so listing both names fails there), while 3.5
# drops unknown names from platform_allow: a scenario lists only the 4.x name, and on 3.5
# it is filtered out.
RENAMED = {"thingy52_nrf52832": "thingy52/nrf52832"}
HWM2_BOARDS = set(RENAMED.values())
MODULE_KEYS = {"name", "build", "samples", "tests"}
MODULE_BUILD_KEYS = {"cmake", "kconfig"}

# What Zephyr itself provides to a module's Kconfig, reduced to what ours uses.
_LOG_TEMPLATE_STUB = """\
config $(module)_LOG_LEVEL
\tint "Log level of $(module-str) (stub of Zephyr's logging template)"
\tdefault 3
\trange 0 4
\tdepends on LOG
"""
_ROOT_STUB = """\
mainmenu "Tin-Tin Kconfig check"
config LOG
\tbool "Logging"
\tdefault y
config ZTEST
\tbool "ztest"
source "{kconfig}"
"""


def load_kconfig(path: Path) -> tuple[object, list[str]]:
    """Parses a module Kconfig with Zephyr's pieces stubbed; returns (kconf, warnings)."""
    import kconfiglib

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "subsys" / "logging").mkdir(parents=True)
        (root / "subsys" / "logging" / "Kconfig.template.log_config").write_text(_LOG_TEMPLATE_STUB)
        (root / "Kconfig").write_text(_ROOT_STUB.format(kconfig=path.resolve()))
        old = os.environ.get("srctree")
        os.environ["srctree"] = str(root)
        try:
            kconf = kconfiglib.Kconfig(str(root / "Kconfig"), warn_to_stderr=False)
        finally:
            if old is None:
                os.environ.pop("srctree", None)
            else:
                os.environ["srctree"] = old
    return kconf, list(kconf.warnings)


def check_kconfig(repo: Path = REPO) -> list[str]:
    import kconfiglib

    path = repo / "zephyr" / "Kconfig"
    try:
        kconf, warnings = load_kconfig(path)
    except kconfiglib.KconfigError as exc:
        return [f"{path}: does not parse: {exc}"]
    problems = [f"{path}: kconfiglib: {w}" for w in warnings]
    ours = {n: s for n, s in kconf.syms.items() if n.startswith("TINTIN")}
    if "TINTIN" not in ours:
        problems.append(f"{path}: no TINTIN symbol")
    for name, sym in sorted(ours.items()):
        for node in sym.nodes:
            if not str(node.filename).endswith(str(Path("zephyr") / "Kconfig")):
                continue  # the stubbed log template
            if sym.type == kconfiglib.INT and not sym.ranges:
                problems.append(f"{path}:{node.linenr}: int {name} has no range")
            if node.prompt is not None and not (node.help or "").strip():
                problems.append(f"{path}:{node.linenr}: {name} has a prompt but no help")
    glue = (repo / "zephyr" / "include" / "tintin" / "zephyr_config.h").read_text()
    mapped = set(re.findall(r"CONFIG_(TINTIN_\w+)", glue))
    for name in sorted(set(ours) - {"TINTIN", "TINTIN_LOG_LEVEL"}):
        used = name in mapped or _used_outside_glue(repo, name)
        if not used and not ours[name].choice:
            problems.append(f"{path}: CONFIG_{name} is not mapped or used anywhere")
    for name in sorted(mapped - set(ours)):
        problems.append(f"zephyr_config.h maps CONFIG_{name}, which Kconfig does not define")
    return problems


def _used_outside_glue(repo: Path, name: str) -> bool:
    needle = f"CONFIG_{name}"
    for sub in ("lib", "zephyr", "tests/common", "samples"):
        for f in (repo / sub).rglob("*"):
            if f.suffix in {".c", ".h", ".txt"} and needle in f.read_text(errors="ignore"):
                return True
    return False


def _yaml_files(repo: Path) -> list[Path]:
    return sorted([*repo.glob("tests/**/testcase.yaml"), *repo.glob("samples/**/sample.yaml")])


def _check_scenario(where: str, keys: dict, common: bool, kconf: object) -> list[str]:
    problems = []
    for key, val in keys.items():
        if key not in SCENARIO_KEYS:
            problems.append(f"{where}: key {key!r} is not accepted by twister on 3.5 and 4.x")
        if common and key in COMMON_ONLY_FORBIDDEN:
            problems.append(f"{where}: {key!r} must be set per scenario, not under common")
        if key in ("arch_allow", "arch_exclude") and not isinstance(val, list):
            # 4.x reads "posix arm" as one architecture name; 3.5 takes a list too.
            problems.append(f"{where}: {key} must be a YAML list ([posix, arm]), not {val!r}")
        if key in ("platform_allow", "integration_platforms", "platform_exclude"):
            boards = val.split() if isinstance(val, str) else list(val)
            for b in boards:
                if b in RENAMED:
                    problems.append(
                        f"{where}: board {b!r} is unknown to twister on 4.x (an error there); "
                        f"list only {RENAMED[b]!r}, which 3.5 filters out"
                    )
                elif b not in BOARDS and b not in HWM2_BOARDS:
                    problems.append(f"{where}: board {b!r} is not named alike on 3.5 and 4.x")
        if key == "harness_config":
            for hk, hv in val.items():
                if hk not in HARNESS_KEYS:
                    problems.append(f"{where}: harness_config key {hk!r} is unknown")
                if hk == "record":
                    # 3.5 wants record.regex as one string, 4.x as a list: no form works on
                    # both, so the scenarios record nothing.
                    problems.append(f"{where}: harness_config.record has no form that both "
                                    "3.5 (a string) and 4.x (a list) accept; drop it")  # fmt: skip
                if hk == "regex":
                    for rx in hv:
                        try:
                            re.compile(rx)
                        except re.error as exc:
                            problems.append(f"{where}: bad regex {rx!r}: {exc}")
        if key == "extra_configs":
            problems += [f"{where}: {p}" for p in _check_conf_lines(val, kconf)]
    return problems


def check_yaml(repo: Path = REPO) -> list[str]:
    import yaml

    problems: list[str] = []
    kconf, _ = load_kconfig(repo / "zephyr" / "Kconfig")
    files = _yaml_files(repo)
    if not files:
        return ["no testcase.yaml or sample.yaml found"]
    for f in files:
        rel = f.relative_to(repo)
        try:
            doc = yaml.safe_load(f.read_text())
        except yaml.YAMLError as exc:
            problems.append(f"{rel}: not YAML: {exc}")
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("tests"), dict) or not doc["tests"]:
            problems.append(f"{rel}: needs a non-empty 'tests' mapping")
            continue
        extra = set(doc) - {"tests", "common", "sample"}
        if extra:
            problems.append(f"{rel}: unknown top-level keys {sorted(extra)}")
        is_sample = f.name == "sample.yaml"
        if is_sample and not {"name", "description"} <= set(doc.get("sample") or {}):
            problems.append(f"{rel}: sample.yaml needs sample.name and sample.description")
        problems += _check_scenario(f"{rel} common", doc.get("common") or {}, True, kconf)
        prefix = "sample.tintin." if is_sample else "libraries.tintin."
        for name, keys in doc["tests"].items():
            if not name.startswith(prefix):
                problems.append(f"{rel}: scenario {name!r} should start with {prefix!r}")
            problems += _check_scenario(f"{rel} {name}", keys or {}, False, kconf)
        if not (f.parent / "CMakeLists.txt").exists() or not (f.parent / "prj.conf").exists():
            problems.append(f"{rel}: needs CMakeLists.txt and prj.conf beside it")
        else:
            conf = (f.parent / "prj.conf").read_text().splitlines()
            problems += [f"{rel.parent}/prj.conf: {p}" for p in _check_conf_lines(conf, kconf)]
    return problems


def _check_conf_lines(lines: list[str], kconf: object) -> list[str]:
    """CONFIG_TINTIN_* assignments must name a defined option with a value in range."""
    problems = []
    for line in lines:
        m = re.match(r"\s*CONFIG_(TINTIN\w*)=(.*)$", line)
        if not m:
            continue
        name, val = m.groups()
        sym = kconf.syms.get(name)
        if sym is None or not sym.nodes:
            problems.append(f"CONFIG_{name} is not a Tin-Tin option")
            continue
        for lo, hi, _cond in sym.ranges:
            if not int(lo.str_value, 0) <= int(val, 0) <= int(hi.str_value, 0):
                problems.append(f"CONFIG_{name}={val} is outside {lo.str_value}..{hi.str_value}")
    return problems


def check_module_yml(repo: Path = REPO) -> list[str]:
    import yaml

    doc = yaml.safe_load((repo / "zephyr" / "module.yml").read_text())
    problems = [f"module.yml: key {k!r} is rejected by Zephyr 3.5" for k in set(doc) - MODULE_KEYS]
    problems += [
        f"module.yml: build key {k!r} is rejected by Zephyr 3.5"
        for k in set(doc.get("build") or {}) - MODULE_BUILD_KEYS
    ]
    for key in ("samples", "tests"):
        problems += [f"module.yml: {key} path {p} does not exist"
                     for p in doc.get(key, []) if not (repo / p).is_dir()]  # fmt: skip
    kconfig = (doc.get("build") or {}).get("kconfig")
    if kconfig and not (repo / kconfig).is_file():
        problems.append(f"module.yml: kconfig {kconfig} does not exist")
    return problems


def check_cmake_sources(repo: Path = REPO) -> list[str]:
    core = repo / "lib" / "tintin"
    sources = {p.relative_to(core).as_posix() for p in (core / "src").rglob("*.c")}
    problems = []
    for cmake, pattern in (
        (repo / "zephyr" / "CMakeLists.txt", r"\$\{TINTIN_DIR\}/(src/\S+\.c)"),
        (core / "CMakeLists.txt", r"^\s*(src/\S+\.c)\s*$"),
    ):
        listed = set(re.findall(pattern, cmake.read_text(), flags=re.M))
        rel = cmake.relative_to(repo)
        problems += [f"{rel}: does not build {s}" for s in sorted(sources - listed)]
        problems += [f"{rel}: lists missing {s}" for s in sorted(listed - sources)]
    return problems


CHECKS = {
    "kconfig": check_kconfig,
    "yaml": check_yaml,
    "module": check_module_yml,
    "cmake": check_cmake_sources,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="tintin zephyr-check", description=__doc__, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    ap.add_argument("--root", type=Path, default=REPO, help="repository (default: %(default)s)")
    args = ap.parse_args(argv)
    problems = [p for check in CHECKS.values() for p in check(args.root)]
    for p in problems:
        print(p, file=sys.stderr)
    print(f"zephyr-check: {len(problems)} problem(s) in {len(CHECKS)} checks")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
