# SPDX-License-Identifier: Apache-2.0
"""Model spec files shared by the tests of tintin gen, plan and train."""

DIGITS_SPEC = """\
name: digits
input: [64]
max_batch: 8
seed: 1
layers:
  - {type: dense, units: 32}
  - {type: relu}
  - {type: dense, units: 10}
"""
