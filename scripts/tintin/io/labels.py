# SPDX-License-Identifier: Apache-2.0
"""Class labels given as names ("rain", "sun"): the one mapping to integers that every tool
uses, so that `tintin gen data` and `tintin train` number the classes alike.

The distinct names, sorted by code point (Python's sorted()), are the classes 0..K-1. The
list goes with the numbers everywhere they go: a header's `<name>_class_names[]`, metrics.json's
"classes".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_CLASSES = 256  # labels are uint8 on the device


class LabelError(ValueError):
    """Names that cannot be classes; the message says why."""


def encode(names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """(uint8 labels, class names): each name's index among the sorted distinct names.

    Names are taken as given, without surrounding spaces; an empty one is refused, as are
    more than MAX_CLASSES distinct names."""
    clean = [n.strip() for n in names]
    if "" in clean:
        raise LabelError(f"sample {clean.index('')} has an empty label")
    classes = sorted(set(clean))
    if len(classes) > MAX_CLASSES:
        raise LabelError(
            f"{len(classes)} distinct class names, at most {MAX_CLASSES} (labels are uint8)"
        )
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[n] for n in clean], np.uint8), classes
