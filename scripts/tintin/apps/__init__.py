# SPDX-License-Identifier: Apache-2.0
"""What a user runs to see Tin-Tin work, the studies behind its defaults, and the generated
files of the repository.

- train: `tintin train` (trainfit: the epochs; trainplot: learning_curve.png);
- demo: `tintin demo` (envdemo: the env_sensor_cl sample's C on the host);
- soak, sweep, presets, headroom: the long run, the update-rule sweep, the preset comparison,
  the unused int8 range;
- vectors: the C headers of tests/common and the samples; figures: the measured numbers in
  the docs.

May import: tintin.tasks, tintin.target, tintin.zephyr, tintin.io, tintin.native,
tintin.core; not tintin.bench (a sibling) or tintin.cli.
"""
