# SPDX-License-Identifier: Apache-2.0
"""The package's layering: the import-linter contracts of pyproject.toml hold, would catch a
core module importing from apps, and no two tintin modules import each other through any
chain (docs/architecture.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "scripts" / "tintin"


def lint_imports(scripts: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with pyproject.toml's contracts (it reads them from the working directory)
    on the tintin package found in scripts."""
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter not installed (pip install -e '.[dev]')")
    env = {**os.environ, "PYTHONPATH": str(scripts), "COLUMNS": "300", "NO_COLOR": "1"}
    return subprocess.run([str(exe), "--no-cache"], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=False)  # fmt: skip


def test_contracts_hold() -> None:
    run = lint_imports(ROOT / "scripts")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_a_core_module_importing_apps_breaks_the_contracts(tmp_path: Path) -> None:
    copy = tmp_path / "scripts" / "tintin"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    numerics = copy / "core" / "numerics.py"
    numerics.write_text(numerics.read_text() + "\nfrom tintin.apps import demo  # noqa\n")
    run = lint_imports(tmp_path / "scripts")
    out = " ".join(run.stdout.split())  # contract names may wrap
    assert run.returncode == 1, out
    assert "tintin layers: cli on top" in out and "BROKEN" in out, out
    assert "tintin.core imports NumPy only" in out, out
    assert "tintin.core.numerics -> tintin.apps.demo" in out, out
    assert "nothing imports tintin.cli KEPT" in out, out


def import_graph(external: bool = False) -> object:
    """grimp's graph of the tintin package in scripts/ (external: with third-party packages)."""
    grimp = pytest.importorskip("grimp")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        return grimp.build_graph("tintin", include_external_packages=external, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def test_no_import_cycle_between_modules() -> None:
    """For every direct import a -> b between tintin modules, no chain leads from b back to a
    (a package's __init__ counts as a module)."""
    graph = import_graph()
    assert any(m.startswith("tintin.core.") for m in graph.modules), "not the package"
    cycles = [
        (a, b, graph.find_shortest_chain(importer=b, imported=a))
        for a in sorted(graph.modules)
        for b in sorted(graph.find_modules_directly_imported_by(a))
        if graph.chain_exists(importer=b, imported=a)
    ]
    assert not cycles, "\n".join(f"{a} -> {b}, back: {' -> '.join(c)}" for a, b, c in cycles)


def test_core_imports_numpy_and_the_standard_library_only() -> None:
    """What the core-numpy-only contract cannot list: no third-party package but NumPy."""
    graph = import_graph(external=True)
    allowed = {"numpy", "__future__", *sys.stdlib_module_names}
    core = [m for m in graph.modules if m == "tintin.core" or m.startswith("tintin.core.")]
    outside = {
        (m, imp)
        for m in core
        for imp in graph.find_modules_directly_imported_by(m)
        if not imp.startswith("tintin.") and imp.split(".")[0] not in allowed
    }
    assert not outside, sorted(outside)
