# SPDX-License-Identifier: Apache-2.0
"""The C runtime on the host.

- clib: the ctypes binding of libtintin.so (CModel: a model on the C runtime; plan: the
  planner's arena bytes), with the ABI (struct mirrors, function signatures) in cabi;
- hostcc: this checkout's C built for the host into a cache (the shared library when no CMake
  build exists, the samples' host runners); tree: where that C lives;
- hosttrain: epochs and held-out passes with the batch loop in C (tintin train's backend).

May import: tintin.core, NumPy, the standard library.
"""

from tintin.native.clib import CModel, TintinError, plan

__all__ = ["CModel", "TintinError", "plan"]
