# SPDX-License-Identifier: Apache-2.0
"""Twister on a Zephyr tree for the host tests that need one (ZEPHYR_BASE set): this checkout
as a module, Zephyr's own Python, the test configuration of TINTIN_TWISTER_TEST_CONFIG."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ZEPHYR_BASE = os.environ.get("ZEPHYR_BASE")
SKIP_REASON = "ZEPHYR_BASE is not set"


def twister(root: Path, out: Path, platform: str) -> subprocess.CompletedProcess[str]:
    """twister -T root -p platform into out; the finished process (check returncode)."""
    env = dict(os.environ)
    env["ZEPHYR_MODULES"] = ";".join(filter(None, [env.get("ZEPHYR_MODULES"), str(REPO)]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # As tests/python/zephyr/test_zephyr_files.py: Zephyr's Python is python3 on PATH or
    # TINTIN_ZEPHYR_PYTHON.
    python = os.environ.get("TINTIN_ZEPHYR_PYTHON") or shutil.which("python3") or sys.executable
    cmd = [python, str(Path(str(ZEPHYR_BASE)) / "scripts" / "twister"), "-p", platform,
           "-T", str(root), "-O", str(out), "--inline-logs"]  # fmt: skip
    if os.environ.get("TINTIN_TWISTER_TEST_CONFIG"):
        cmd += ["--test-config", os.environ["TINTIN_TWISTER_TEST_CONFIG"]]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
