# SPDX-License-Identifier: Apache-2.0
"""Peak resident memory of this process and every process it started (Ray's workers and
daemons included), sampled from /proc while a run goes on."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")


def _tree_rss(root: int) -> int:
    """Bytes resident in root and its descendants now (0 where /proc is not Linux's)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in PROC.glob("[0-9]*"):
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parent[int(d.name)] = int(fields[1])
            rss[int(d.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue  # a process that ended while we looked
    total, todo, seen = 0, [root], set()
    children: dict[int, list[int]] = {}
    for pid, pp in parent.items():
        children.setdefault(pp, []).append(pid)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class PeakRss:
    """`with PeakRss() as peak:` samples every `every` seconds; peak.bytes is the largest sum
    of resident memory seen over the process tree."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.bytes = max(self.bytes, _tree_rss(os.getpid()))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self._stop.set()
        self._thread.join()
        self.bytes = max(self.bytes, _tree_rss(os.getpid()))
