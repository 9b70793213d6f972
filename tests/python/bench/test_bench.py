# SPDX-License-Identifier: Apache-2.0
"""`tintin bench` in a small configuration: the harness works and the counts reproduce."""

import shutil

import pytest

from tintin.bench import bench, energy
from tintin.core import spec
from tintin.io import cgen
from tintin.native import clib
from tintin.tasks import digits

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
    reason="qemu-system-arm or arm-none-eabi-gcc not installed",
)


def test_digits_step_counts_reproduce_and_match_the_planner(tmp_path):
    first = bench.measure_one("digits", "int", 1, "cortex-m0plus", tmp_path / "a")
    again = bench.measure_one("digits", "int", 1, "cortex-m0plus", tmp_path / "b")
    assert first == again
    sp = digits.digits_spec(spec.Optim(), 1, 1)
    assert first.arena == clib.plan(sp)
    # The trainable parameters are the header's ARENA_PARAMS and sit inside the arena.
    assert first.params == cgen.arena_breakdown(sp)[0] == 64 * 32 + 32 * 10 + 4 * (32 + 10)
    assert 0 < first.ram_over_params == first.ram - first.params
    assert first.step_per_infer(1) == first.instructions / first.infer_instructions
    assert 0 < first.stack < 4096
    assert first.cycles >= first.instructions > first.infer_instructions > 0


def test_float_baseline_runs_on_the_same_workload(tmp_path):
    f = bench.measure_one("digits", "float32", 1, "cortex-m3", tmp_path)
    i = bench.measure_one("digits", "int", 1, "cortex-m3", tmp_path)
    # Soft-float inference costs far more instructions than int8 (a sanity bound, not a target).
    assert f.infer_instructions > 5 * i.infer_instructions
    assert f.ram > i.ram
    assert f.params == 4 * i.params - 3 * 4 * (32 + 10)  # float32 weights; biases 4 B in both


def test_energy_is_cycles_times_charge_per_cycle_times_volts():
    # 1 uA/MHz is 1 pC per cycle: a million cycles at 137 uA/MHz and 3.3 V is 452.1 uJ.
    assert energy.microjoules("cortex-m4", 1_000_000) == pytest.approx(137 * 3.3)
    assert energy.microjoules("cortex-m0plus", 48_000_000) == pytest.approx(5200 * 3.0)
    assert set(energy.PARTS) == set(bench.CORES)
    assert all(p.source.startswith("https://") for p in energy.PARTS.values())
