# SPDX-License-Identifier: Apache-2.0
"""The small scenario the fleet tests share: the Seattle weather task (1,168 training days,
MLP 4-32-5), skipped visibly when its package is not fetched."""

import pytest

from tintin.fleet import scenario
from tintin.tasks import accdata

TASK = "weather"


def small(nodes: int = 10, rounds: int = 2) -> scenario.Config:
    pkg = accdata.TASKS[TASK].package
    if not accdata.available(pkg):
        pytest.skip(f"not fetched (python -m tintin.tasks.accdata --fetch): "
                    f"{accdata.cache_file(pkg)}")  # fmt: skip
    return scenario.Config(task=TASK, nodes=nodes, rounds=rounds, epochs=1, batch=8, alpha=0.5)
