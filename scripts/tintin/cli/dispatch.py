# SPDX-License-Identifier: Apache-2.0
"""The `tintin` command: argparse subcommands, one per tool.

Each tool is a module with its own `main(argv) -> int` and its own parser (so that
`python -m tintin.<subpackage>.<tool>` works alike); a subcommand hands it the rest of the
command line untouched and imports it only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NamedTuple, NoReturn


class Command(NamedTuple):
    module: str
    help: str


COMMANDS = {
    "gen": Command("tintin.io.gen", "C headers from a model spec (+ weights) or a dataset"),
    "plan": Command(
        "tintin.target.plan", "predict RAM and flash of a model on a core, before building"
    ),
    "size": Command(
        "tintin.target.size", "flash and RAM of a built ELF per owner, against the budgets"
    ),
    "bench": Command("tintin.bench.bench", "count training cost on Cortex-M0+/M3/M4 under QEMU"),
    "codesize": Command(
        "tintin.bench.codesize", "libtintin flash per build configuration, from real links"
    ),
    "accuracy": Command(
        "tintin.bench.accuracy", "held-out accuracy of the presets vs float32 on real tasks"
    ),
    "train": Command(
        "tintin.apps.train", "train a model spec on a dataset on the PC; export the header"
    ),
    "trainspeed": Command(
        "tintin.bench.trainspeed", "samples/s of tintin train's C backend against float32"
    ),
    "demo": Command(
        "tintin.apps.demo",
        "integer training against float32 on real data: env, digits, lenet, motion",
    ),
    "soak": Command(
        "tintin.apps.soak", "a million training steps on a drifting stream, watching saturation"
    ),
    "sweep": Command(
        "tintin.apps.sweep", "measure update-rule settings on digits (the defaults' evidence)"
    ),
    "presets": Command(
        "tintin.apps.presets", "compare the optimizer presets on on-device adaptation"
    ),
    "headroom": Command(
        "tintin.apps.headroom", "measure int8 range left unused by power-of-two rescaling"
    ),
    "floatcheck": Command(
        "tintin.target.floatcheck", "check lib/tintin objects for float and heap symbols"
    ),
    "zephyr-check": Command(
        "tintin.zephyr.zcheck", "check the Zephyr module files without a Zephyr tree"
    ),
    "fleet": Command(
        "tintin.fleet.run",
        "many nodes, one model: integer federated averaging on Flower's Simulation Engine",
    ),
    "vectors": Command("tintin.apps.vectors", "regenerate (or --check) the generated C headers"),
}


class UsageError(Exception):
    """A command line the top level refuses; the message is the one line printed."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(" ".join(message.split()))


def parser() -> Parser:
    about = "Tin-Tin tools; `tintin <command> --help` for a command's options."
    ap = Parser(prog="tintin", description=about, allow_abbrev=False)
    sub = ap.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, cmd in COMMANDS.items():
        # No option characters: every argument after the name, --help and -- included, is
        # the tool's, passed on as given (the tool's own parser reads it).
        p = sub.add_parser(name, help=cmd.help, add_help=False, prefix_chars="\0")
        p.add_argument("args", nargs=argparse.REMAINDER)
    return ap


def run(name: str, argv: list[str]) -> int:
    """Runs one tool; any exception a tool lets through becomes one line, not a traceback."""
    module = importlib.import_module(COMMANDS[name].module)
    try:
        return int(module.main(argv))
    except KeyboardInterrupt:
        print(f"tintin {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # The last resort, not the way errors are handled: each tool checks its input and
        # says what is wrong itself. Whatever slipped through is still one line, not a
        # traceback; TINTIN_TRACEBACK=1 shows the traceback for a bug report.
        if os.environ.get("TINTIN_TRACEBACK"):
            raise
        what = " ".join(str(exc).split()) or "no message"
        print(f"tintin {name}: internal error ({type(exc).__name__}: {what}); please report "
              "it (TINTIN_TRACEBACK=1 shows where)", file=sys.stderr)  # fmt: skip
        return 2


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    ap = parser()
    if not args:
        ap.print_help()
        return 2
    if not args[0].startswith("-") and args[0] not in COMMANDS:
        print(f"tintin: unknown command {args[0]!r} (one of {', '.join(COMMANDS)}; see --help)",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        ns = ap.parse_args(args)
    except UsageError as exc:
        print(f"tintin: error: {exc} (see --help)", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    return run(ns.command, ns.args)
