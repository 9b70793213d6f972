# SPDX-License-Identifier: Apache-2.0
"""Measurements of training cost and accuracy.

- bench: `tintin bench`, bare-metal images of the task networks for Cortex-M0+/M3/M4
  (benchgen: their headers) run under QEMU (qemu), with cycle and energy estimates (cycles,
  energy) and the acceptance checks (benchcheck);
- accuracy: `tintin accuracy`, the presets against float32 on real tasks (accreport: the
  verdicts and docs/accuracy.md);
- trainspeed: `tintin trainspeed`, samples/s of the C backend against float32 NumPy;
- codesize: `tintin codesize`, libtintin's flash per build configuration on real links
  (codereport: its tables; unused: linked code a run never executes; mdsection: the section of
  docs/benchmarks.md it shares with bench).

May import: tintin.tasks, tintin.target, tintin.io, tintin.native, tintin.core; not
tintin.apps (a sibling) or tintin.cli.
"""
