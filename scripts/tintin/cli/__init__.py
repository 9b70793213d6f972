# SPDX-License-Identifier: Apache-2.0
"""The `tintin` command line, and nothing else: one argparse subcommand per tool (dispatch),
each tool's module imported when its subcommand runs.

On top of every layer; nothing in the package imports it (import-linter contract).
"""

from tintin.cli.dispatch import main

__all__ = ["main"]
