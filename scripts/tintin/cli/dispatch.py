# SPDX-License-Identifier: Apache-2.0
"""The `tintin` command: one subcommand per tool, each a module with its own main(argv)."""

from __future__ import annotations

import importlib
import os
import sys

COMMANDS = {
    "gen": ("tintin.io.gen", "C headers from a model spec (+ weights) or a dataset"),
    "plan": ("tintin.target.plan", "predict RAM and flash of a model on a core, before building"),
    "size": ("tintin.target.size", "flash and RAM of a built ELF per owner, against the budgets"),
    "bench": ("tintin.bench.bench", "count training cost on Cortex-M0+/M3/M4 under QEMU"),
    "accuracy": (
        "tintin.bench.accuracy",
        "held-out accuracy of the presets vs float32 on real tasks",
    ),
    "train": ("tintin.apps.train", "train a model spec on a dataset on the PC; export the header"),
    "trainspeed": (
        "tintin.bench.trainspeed",
        "samples/s of tintin train's C backend against float32",
    ),
    "demo": ("tintin.apps.demo", "train the digits MLP: integer, NITI and float32 side by side"),
    "soak": (
        "tintin.apps.soak",
        "a million training steps on a drifting stream, watching saturation",
    ),
    "sweep": (
        "tintin.apps.sweep",
        "measure update-rule settings on digits (the defaults' evidence)",
    ),
    "presets": ("tintin.apps.presets", "compare the optimizer presets on on-device adaptation"),
    "headroom": (
        "tintin.apps.headroom",
        "measure int8 range left unused by power-of-two rescaling",
    ),
    "floatcheck": (
        "tintin.target.floatcheck",
        "check lib/tintin objects for float and heap symbols",
    ),
    "zephyr-check": ("tintin.zephyr.zcheck", "check the Zephyr module files without a Zephyr tree"),
    "vectors": ("tintin.apps.vectors", "regenerate (or --check) the generated C headers"),
}


def usage() -> str:
    lines = ["usage: tintin <command> [options]", "", "commands:"]
    lines += [f"  {name:13s} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] not in COMMANDS:
        print(f"tintin: unknown command {args[0]!r} (one of {', '.join(COMMANDS)}; see --help)",
              file=sys.stderr)  # fmt: skip
        return 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    try:
        return int(module.main(args[1:]))
    except KeyboardInterrupt:
        print(f"tintin {args[0]}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # The last resort, not the way errors are handled: each tool checks its input and
        # says what is wrong itself. Whatever slipped through is still one line, not a
        # traceback; TINTIN_TRACEBACK=1 shows the traceback for a bug report.
        if os.environ.get("TINTIN_TRACEBACK"):
            raise
        what = " ".join(str(exc).split()) or "no message"
        print(f"tintin {args[0]}: internal error ({type(exc).__name__}: {what}); please report "
              "it (TINTIN_TRACEBACK=1 shows where)", file=sys.stderr)  # fmt: skip
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
