# SPDX-License-Identifier: Apache-2.0
"""Will it fit the part, and does it: the runtime and a model against a microcontroller.

- plan: `tintin plan`, RAM and flash predicted before any build, calibrated per core by
  footprint (footprint.json);
- size: `tintin size`, every byte of a linked image given to one owner and checked against
  the budgets (attribute: the owners and verdicts; sizeinputs: .config and header macros;
  elfmap: ELF sections and symbols, GNU ld map files);
- floatcheck: `tintin floatcheck`, no float, libm or heap symbol on an FPU-less core.

May import: tintin.io, tintin.native, tintin.core, pyelftools.
"""
