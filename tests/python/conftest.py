# SPDX-License-Identifier: Apache-2.0
"""Shared test setup: hypothesis profiles and the import path of the tintin package."""

import os
import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parents[2]
try:
    import tintin  # noqa: F401
except ImportError:
    sys.path.insert(0, str(ROOT / "scripts"))
# The tests sit in one folder per subpackage (core/, io/, ...); the helpers they share
# (pairs, sizeimage, specfiles, zephyr_tree) sit here, beside this file.
sys.path.append(str(Path(__file__).resolve().parent))

# Tests that run tools in a temporary directory must still find the library a relative
# TINTIN_LIB names.
if "TINTIN_LIB" in os.environ:
    os.environ["TINTIN_LIB"] = str(Path(os.environ["TINTIN_LIB"]).resolve())

settings.register_profile("default", max_examples=150, deadline=None)
# Under the sanitizers every call is ~5x slower: fewer examples, same properties.
settings.register_profile("sanitize", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
