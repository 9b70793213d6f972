# SPDX-License-Identifier: Apache-2.0
"""PeakRss counts the processes a run starts (Ray's workers are children), not only this one."""

import subprocess
import sys

import pytest

from tintin.fleet import memory

MIB = 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
def test_peak_includes_child_processes():
    with memory.PeakRss(every=0.05) as alone:
        pass
    code = "import time; x = bytearray(300 << 20); x[::4096] = b'1' * len(x[::4096]); time.sleep(1)"
    with memory.PeakRss(every=0.05) as peak:
        subprocess.run([sys.executable, "-c", code], check=True)
    assert peak.bytes >= alone.bytes + 250 * MIB
