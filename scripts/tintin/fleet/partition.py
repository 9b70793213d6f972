# SPDX-License-Identifier: Apache-2.0
"""Datasets split into nodes as deployments split them: every node sees its own mix of labels.

NumPy only. A node's label proportions are a draw of Dirichlet(alpha, ..., alpha): small alpha
gives nodes that see one or two classes, large alpha nodes that see all of them alike.
"""

from __future__ import annotations

import numpy as np


class PartitionError(ValueError):
    """A partition that cannot be made (more nodes than samples, a bad alpha)."""


def sizes(n: int, nodes: int) -> np.ndarray:
    """Samples per node: n split as evenly as possible, the first n % nodes get one more."""
    if nodes < 1 or n < nodes:
        raise PartitionError(f"partition: {n} samples cannot give {nodes} nodes one each")
    out = np.full(nodes, n // nodes, np.int64)
    out[: n % nodes] += 1
    return out


def dirichlet(labels: np.ndarray, nodes: int, alpha: float, seed: int) -> list[np.ndarray]:
    """Indices of labels per node: every sample in exactly one node, node sizes as even as
    sizes() makes them, each node's classes drawn from its own Dirichlet(alpha) proportions
    among the classes that still have samples left."""
    if not alpha > 0.0:
        raise PartitionError(f"partition: alpha must be > 0, not {alpha}")
    labels = np.asarray(labels)
    classes = np.unique(labels)
    rng = np.random.default_rng([seed, 0xD1])
    pools = [list(rng.permutation(np.flatnonzero(labels == c))) for c in classes]
    out = []
    for size in sizes(len(labels), nodes):
        p = rng.dirichlet(np.full(len(classes), alpha))
        left = np.array([len(q) for q in pools])
        want = rng.multinomial(size, p)
        take = np.minimum(want, left)
        short = int(size - take.sum())
        # What the drawn classes cannot give comes from the others, in proportion to p (and to
        # what they have once p is exhausted): one class at a time, most probable first.
        for c in np.argsort(-(p + 1e-12 * left)):
            if short == 0:
                break
            more = min(short, int(left[c] - take[c]))
            take[c] += more
            short -= more
        idx = [pools[c][len(pools[c]) - t :] if t else [] for c, t in enumerate(take)]
        for c, t in enumerate(take):
            if t:
                del pools[c][len(pools[c]) - t :]
        out.append(np.sort(np.concatenate([np.asarray(i, np.int64) for i in idx])))
    return out


def proportions(labels: np.ndarray, parts: list[np.ndarray], classes: int) -> np.ndarray:
    """[nodes, classes]: each node's share of every class (rows sum to 1)."""
    out = np.zeros((len(parts), classes))
    for k, idx in enumerate(parts):
        out[k] = np.bincount(np.asarray(labels)[idx], minlength=classes) / max(len(idx), 1)
    return out
