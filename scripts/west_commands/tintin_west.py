# SPDX-License-Identifier: Apache-2.0
"""`west tintin <command> ...`: the `tintin` command line, reachable from a west workspace.

A thin wrapper: argument parsing and the work stay in the tintin package (scripts/tintin),
which needs no west, so everything also runs as `tintin <command>`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from west.commands import CommandError, WestCommand

SCRIPTS = Path(__file__).resolve().parents[1]


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
        if str(SCRIPTS) not in sys.path:
            sys.path.insert(0, str(SCRIPTS))
        from tintin import cli

        ret = cli.main([*args.args, *unknown] or ["--help"])
        if ret != 0:
            # The tool has printed its one-line reason; west exits with the tool's code.
            raise CommandError(returncode=ret)
