# SPDX-License-Identifier: Apache-2.0
"""The Zephyr module's files, checked without a Zephyr tree.

- zcheck: `tintin zephyr-check`: zephyr/Kconfig with kconfiglib, every testcase.yaml and
  sample.yaml against the keys and boards twister accepts on Zephyr 3.5 and 4.x, module.yml,
  and that the Zephyr build compiles every core source.

The west extension command is not in the package: west loads it by file name
(scripts/west-commands.yml -> scripts/west_commands/tintin_west.py), from its own Python, and
it runs the tintin command line (tintin.cli) there or in the project's environment.

May import: tintin.native (paths), the standard library, PyYAML, kconfiglib.
"""
