# SPDX-License-Identifier: Apache-2.0
"""The specification in executable form, at the bottom of the package.

- spec: the model spec, Python's twin of the C layer table (layer types, shapes, initial int8
  weights and exponents, loss, optimizer settings), and the table hash;
- numerics: the integer primitives of lib/tintin/src, bit for bit;
- refmodel: the reference model built on them (forward, backward, update, exponents, PRNG),
  bit-exact with the C runtime;
- floatref: the float32 trainer of the same networks, for side-by-side accuracy;
- data: a labelled split, inputs as int8 with one exponent, the sample order every trainer
  shares.

May import: NumPy and the standard library only, nothing else of tintin (the import-linter
contracts in pyproject.toml check it). Every other subpackage builds on this one.
"""

from tintin.core.floatref import FloatModel
from tintin.core.refmodel import RefModel
from tintin.core.spec import Layer, ModelSpec, Optim, build, mlp

__all__ = ["FloatModel", "Layer", "ModelSpec", "Optim", "RefModel", "build", "mlp"]
