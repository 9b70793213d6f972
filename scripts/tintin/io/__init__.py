# SPDX-License-Identifier: Apache-2.0
"""Files in and out of the tools.

- modelfile: model spec files (YAML or JSON) and pretrained float weights (.npz, ONNX);
- dataset, labels: labelled datasets from .npz or CSV, class names as labels;
- inputs, inputquant: a dataset's int8 inputs and the input quantiser the device repeats;
- cgen, blob: C headers (models, data, test vectors) and model blobs;
- gen: `tintin gen model|data`;
- cliutil: what every command shares about its command line (one-line refusals, strict
  numbers, output paths checked before any work and written atomically).

May import: tintin.native (arena sizes come from the C planner), tintin.core, NumPy,
PyYAML, ONNX (optional).
"""
