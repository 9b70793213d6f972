# SPDX-License-Identifier: Apache-2.0
"""Dirichlet label skew: every sample in exactly one node, even node sizes, a skew that grows
as alpha shrinks, and one-line refusals."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tintin.fleet import partition


@given(
    st.integers(1, 12),
    st.integers(20, 400),
    st.integers(1, 20),
    st.floats(0.05, 50.0),
    st.integers(0, 2**16),
)
def test_every_sample_once_and_even_sizes(classes, n, nodes, alpha, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    parts = partition.dirichlet(labels, min(nodes, n), alpha, seed)
    joined = np.concatenate(parts)
    assert np.array_equal(np.sort(joined), np.arange(n))
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    assert [len(p) for p in partition.dirichlet(labels, min(nodes, n), alpha, seed)] == sizes
    mix = partition.proportions(labels, parts, classes)
    assert np.allclose(mix.sum(axis=1), 1.0)


def test_smaller_alpha_means_fewer_classes_per_node():
    labels = np.repeat(np.arange(10), 800)

    def classes_seen(alpha: float) -> float:
        parts = partition.dirichlet(labels, 100, alpha, 1)
        return float(np.mean([len(np.unique(labels[p])) for p in parts]))

    skewed, mild, flat = classes_seen(0.1), classes_seen(1.0), classes_seen(100.0)
    assert skewed < mild < flat
    # 80 samples each from nearly uniform mixes: nodes see almost every class (the last
    # nodes take what the pools have left, which can be fewer classes).
    assert flat > 9.5


def test_refusals():
    with pytest.raises(partition.PartitionError, match="3 samples cannot give 4 nodes"):
        partition.dirichlet(np.zeros(3, int), 4, 1.0, 0)
    with pytest.raises(partition.PartitionError, match="alpha must be > 0"):
        partition.dirichlet(np.zeros(30, int), 4, 0.0, 0)
    with pytest.raises(partition.PartitionError, match="alpha must be > 0"):
        partition.dirichlet(np.zeros(30, int), 4, float("nan"), 0)
