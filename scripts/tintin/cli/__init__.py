# SPDX-License-Identifier: Apache-2.0
"""tintin.cli (docstring to come)."""

from tintin.cli.dispatch import main

__all__ = ["main"]
