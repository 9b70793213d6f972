# SPDX-License-Identifier: Apache-2.0
"""`west tintin <command> ...`: the `tintin` command line, reachable from a west workspace.

A thin wrapper: argument parsing and the work stay in the tintin package (scripts/tintin),
which needs no west, so everything also runs as `tintin <command>`.

west often runs from a Python (pipx, the system's, Zephyr's venv) that lacks the package's
dependencies. Then the command runs in the project's own environment instead: $TINTIN_PYTHON,
else the checkout's .venv (scripts/install.sh makes it); with neither, it stops with one line
saying how to install them.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from west.commands import CommandError, WestCommand

SCRIPTS = Path(__file__).resolve().parents[1]
REPO = SCRIPTS.parent
# What `import tintin` and the tools need at the least (pyproject: dependencies, tools extra).
NEEDED = ("numpy", "yaml", "elftools")


def missing_modules() -> list[str]:
    return [m for m in NEEDED if importlib.util.find_spec(m) is None]


def project_python() -> Path | None:
    """The interpreter of the project's own environment, if there is one that has the
    packages ($TINTIN_PYTHON, else the checkout's .venv)."""
    env = os.environ.get("TINTIN_PYTHON")
    for cand in ([Path(env)] if env else []) + [REPO / ".venv" / "bin" / "python"]:
        if not (cand.is_file() and os.access(cand, os.X_OK)):
            continue
        probe = [str(cand), "-c", "import " + ", ".join(NEEDED)]
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            return cand
    return None


class Tintin(WestCommand):
    def __init__(self) -> None:
        super().__init__(
            "tintin",
            "Tin-Tin tools",
            "Runs a tintin tool: west tintin <command> [options]; west tintin --help lists them.",
            accepts_unknown_args=True,
        )

    def do_add_parser(self, parser_adder: argparse._SubParsersAction) -> argparse.ArgumentParser:
        parser = parser_adder.add_parser(
            self.name, help=self.help, description=self.description, add_help=False
        )
        parser.add_argument("args", nargs=argparse.REMAINDER, help="tintin command and options")
        return parser

    def do_run(self, args: argparse.Namespace, unknown: list[str]) -> None:
        argv = [*args.args, *unknown] or ["--help"]
        missing = missing_modules()
        if missing:
            py = project_python()
            # A venv's python links to its base interpreter: compare environments, not files.
            if py is None or Path(sys.prefix).resolve() == py.parent.parent.resolve():
                print(
                    f"west tintin: this Python ({sys.executable}) lacks {', '.join(missing)}; "
                    f"run `bash {REPO / 'scripts' / 'install.sh'}` (makes {REPO / '.venv'}) or "
                    f"`pip install '{REPO}[tools]'` into west's Python, or set TINTIN_PYTHON",
                    file=sys.stderr,
                )
                raise CommandError(returncode=2)
            env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
            ret = subprocess.call([str(py), "-m", "tintin.cli", *argv], env=env)
            if ret != 0:
                raise CommandError(returncode=ret)
            return
        if str(SCRIPTS) not in sys.path:
            sys.path.insert(0, str(SCRIPTS))
        from tintin import cli

        ret = cli.main(argv)
        if ret != 0:
            # The tool has printed its one-line reason; west exits with the tool's code.
            raise CommandError(returncode=ret)
