# SPDX-License-Identifier: Apache-2.0
"""Bare-metal harness under qemu-system-arm: builds, exit codes, exact region counts, stack
painting and the offline cycle model, on Cortex-M0+, M3 and M4
(tintin.bench.qemu, tintin.bench.cycles)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tintin.bench import qemu

SKIP = qemu.tools_available()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=f"bare-metal toolchain: {SKIP}")

CORES = tuple(qemu.CORES)
N_SHORT, N_LONG = 64, 128
BIG_LOCAL = 1024  # bytes of the local array of stack_hog()

BENCH_C = r"""
#include <stdint.h>
#include "bench.h"

#ifndef N
#define N 64
#endif

static int8_t a[N], b[N];
static float fa[N], fb[N];

__attribute__((noipa)) int32_t dot_i8(const int8_t *x, const int8_t *y, int n)
{
    int32_t s = 0;
    for (int i = 0; i < n; i++) {
        s += (int32_t)x[i] * y[i];
    }
    return s;
}

__attribute__((noipa)) float dot_f32(const float *x, const float *y, int n)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++) {
        s += x[i] * y[i];
    }
    return s;
}

__attribute__((noipa)) int32_t mix(int32_t v)
{
    return (v ^ (v >> 3)) * 7 + 1;
}

__attribute__((noipa)) uint32_t stack_hog(uint32_t seed)
{
    volatile uint8_t buf[BIG_LOCAL];
    for (uint32_t i = 0; i < sizeof buf; i++) {
        buf[i] = (uint8_t)(seed + i);
    }
    return buf[seed % sizeof buf];
}

int main(void)
{
    int32_t expect = 0;
    for (int i = 0; i < N; i++) {
        a[i] = (int8_t)(i * 7 - 100);
        b[i] = (int8_t)(50 - i * 3);
        fa[i] = (float)a[i] * 0.25f;
        fb[i] = (float)b[i] * 0.5f;
        expect += (int32_t)a[i] * b[i];
    }
    bench_overhead_region();

    BENCH_BEGIN(1);
    int32_t r1 = dot_i8(a, b, N);
    BENCH_END(1);

    BENCH_BEGIN(2);
    float r2 = dot_f32(fa, fb, N);
    BENCH_END(2);

    BENCH_BEGIN(3);
    int32_t r3 = mix(r1) + mix(r1 + 5);
    BENCH_END(3);

    bench_stack_paint();
    uint32_t before = bench_stack_used();
    uint32_t hog = stack_hog((uint32_t)r3);
    uint32_t after = bench_stack_used();

#ifdef FAULT_UDF
    __asm__ volatile("udf #0");
#endif
#ifdef FAULT_DSP
    int32_t acc = r1;
    __asm__ volatile("smlad %0, %1, %1, %0" : "+r"(acc) : "r"(r3));
    r1 = acc;
#endif
    bench_print_i32("dot_i8", r1);
    bench_print_i32("dot_f32_x8", (int32_t)(r2 * 8.0f));
    bench_print_u32("hog", hog);
    bench_print_u32("stack_before", before);
    bench_print_u32("stack_after", after);
    bench_print_u32("stack_size", bench_stack_size());
    return r1 == expect && (int32_t)(r2 * 8.0f) == expect ? 0 : 1;
}
"""


def _values(stdout: str) -> dict[str, int]:
    out = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            out[key.strip()] = int(value)
    return out


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build every variant in parallel: (core, variant) -> ELF, plus the plugin."""
    tmp = tmp_path_factory.mktemp("qemu")
    src = tmp / "bench.c"
    src.write_text(BENCH_C)
    plugin = qemu.build_plugin(tmp / "plugin")
    jobs: dict[tuple[str, str], tuple[str, dict, str | None]] = {}
    for core in CORES:
        jobs[(core, "short")] = (core, {"N": N_SHORT}, None)
        jobs[(core, "long")] = (core, {"N": N_LONG}, None)
        jobs[(core, "udf")] = (core, {"N": N_SHORT, "FAULT_UDF": None}, None)
    jobs[("cortex-m4", "dsp")] = ("cortex-m4", {"N": N_SHORT, "FAULT_DSP": None}, None)
    jobs[("cortex-m0plus", "microbit")] = ("cortex-m0plus", {"N": N_SHORT}, "microbit")
    jobs[("cortex-m3", "microbit")] = ("cortex-m3", {"N": N_SHORT}, "microbit")

    def one(key: tuple[str, str]) -> Path:
        core, defines, board = jobs[key]
        return qemu.build(
            f"bench-{key[0]}-{key[1]}",
            [src],
            core,
            tmp / "out",
            defines={**defines, "BIG_LOCAL": BIG_LOCAL},
            board=board,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        elves = dict(zip(jobs, pool.map(one, jobs), strict=True))
    return {"elves": elves, "plugin": plugin}


@pytest.fixture(scope="module")
def runs(bench: dict) -> dict:
    """Run the short and long builds (short twice without and once with per-PC counts)."""
    elves, plugin = bench["elves"], bench["plugin"]
    keys = []
    for core in CORES:
        keys += [(core, "short", False), (core, "short", False), (core, "short", True)]
        keys += [(core, "long", True)]

    def one(key: tuple[str, str, bool]) -> qemu.RunResult:
        core, variant, pcs = key
        return qemu.run(elves[(core, variant)], core, pcs=pcs, plugin=plugin, timeout=30)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, keys))
    out: dict = {}
    for key, res in zip(keys, results, strict=True):
        out.setdefault(key, []).append(res)
    return out


@pytest.mark.parametrize("core", CORES)
def test_runs_and_is_deterministic(runs: dict, core: str) -> None:
    first, second = runs[(core, "short", False)]
    (with_pcs,) = runs[(core, "short", True)]
    for res in (first, second, with_pcs):
        assert res.exit_code == 0, res.stdout + res.stderr
        assert res.ok and not res.fault
        assert res.hits == 8
        assert len(res.regions) == 3
        assert res.region_overhead == 3  # bx lr; movs r0, #id; bl bench_mark
    assert first.regions == second.regions == with_pcs.regions
    assert first.regions_raw == second.regions_raw
    assert all(r > 0 for r in first.regions)
    values = _values(first.stdout)
    assert values["dot_i8"] == values["dot_f32_x8"]


@pytest.mark.parametrize("core", CORES)
def test_int8_dot_scales_linearly(runs: dict, core: str) -> None:
    (short,) = runs[(core, "short", True)]
    (long,) = runs[(core, "long", True)]
    assert short.region_pcs is not None and long.region_pcs is not None
    assert long.exit_code == 0
    diff = long.regions[0] - short.regions[0]
    # Per-PC: every instruction of the region ran either equally often or N_LONG - N_SHORT
    # more times; those are the loop body, whose length is the per-iteration count.
    step = N_LONG - N_SHORT
    a, b = short.region_pcs[0].counts, long.region_pcs[0].counts
    deltas = {pc: b.get(pc, 0) - a.get(pc, 0) for pc in set(a) | set(b)}
    assert set(deltas.values()) <= {0, step}
    per_iter = sum(1 for d in deltas.values() if d == step)
    assert 3 <= per_iter <= 10
    assert diff == step * per_iter
    assert short.regions[0] > N_SHORT * per_iter - per_iter


@pytest.mark.parametrize("core", CORES)
def test_udf_faults_with_99(bench: dict, core: str) -> None:
    res = qemu.run(bench["elves"][(core, "udf")], core, plugin=bench["plugin"], timeout=30)
    assert res.exit_code == qemu.FAULT_EXIT_CODE and res.fault
    assert "fault" in res.stdout + res.stderr
    assert len(res.regions) == 3  # the regions before the fault are still reported


def test_isa_conformance(bench: dict) -> None:
    elves, plugin = bench["elves"], bench["plugin"]
    # An SMLAD (ARMv7E-M DSP) in an M4 build faults on the Cortex-M3 board, runs on the M4 one.
    dsp = elves[("cortex-m4", "dsp")]
    assert qemu.run(dsp, "cortex-m4", board="mps2-an385", plugin=plugin).fault
    assert qemu.run(dsp, "cortex-m4", plugin=plugin).exit_code == 1  # result changed: verdict 1
    # Thumb-2 code (an M3 build) faults on the Cortex-M0 of the micro:bit ...
    m3 = elves[("cortex-m3", "microbit")]
    assert qemu.run(m3, "cortex-m3", board="microbit", plugin=plugin).fault
    # (an ELF linked for the 4 MB mps2 RAM is refused there before running)
    with pytest.raises(ValueError, match="beyond the RAM"):
        qemu.run(elves[("cortex-m3", "short")], "cortex-m3", board="microbit", plugin=plugin)
    # ... and a v6-M build runs there with the same region counts as on mps2-an385.
    micro = qemu.run(
        elves[("cortex-m0plus", "microbit")], "cortex-m0plus", board="microbit", plugin=plugin
    )
    mps2 = qemu.run(elves[("cortex-m0plus", "short")], "cortex-m0plus", plugin=plugin)
    assert micro.exit_code == 0 and mps2.exit_code == 0
    assert micro.regions == mps2.regions


@pytest.mark.parametrize("core", CORES)
def test_stack_painting(runs: dict, core: str) -> None:
    values = _values(runs[(core, "short", False)][0].stdout)
    before, after, size = values["stack_before"], values["stack_after"], values["stack_size"]
    assert 0 < before < 256  # main's frame and the reset handler's
    assert after - before >= BIG_LOCAL
    assert after < before + BIG_LOCAL + 256
    assert size == 0x10000  # mps2.ld default


def test_stack_painting_microbit(bench: dict) -> None:
    elf = bench["elves"][("cortex-m0plus", "microbit")]
    res = qemu.run(elf, "cortex-m0plus", "microbit", plugin=bench["plugin"])
    values = _values(res.stdout)
    assert values["stack_size"] == 0x1400
    assert values["stack_after"] - values["stack_before"] >= BIG_LOCAL


@pytest.mark.parametrize("core", CORES)
def test_cycle_model_and_profile(bench: dict, runs: dict, core: str) -> None:
    from tintin.bench import cycles

    (res,) = runs[(core, "short", True)]
    elf = bench["elves"][(core, "short")]
    assert res.region_pcs is not None and res.pc_counts is not None
    assert sum(res.pc_counts.counts.values()) == res.total
    for k, region in enumerate(res.region_pcs, start=1):
        assert region.total == res.regions_raw[k]
        for mode in ("counted", "estimated"):
            est = cycles.model_cycles(elf, region, core, taken=mode)
            assert est.instructions == res.regions_raw[k]
            assert est.cycles >= est.instructions
            assert sum(f.instructions for f in est.functions.values()) == res.regions_raw[k]
            assert sum(f.cycles for f in est.functions.values()) == est.cycles
            assert "bench_mark" in est.functions
    dot = cycles.model_cycles(elf, res.region_pcs[0], core)
    assert dot.functions["dot_i8"].instructions > N_SHORT * 3
    # The counted and the estimated taken counts agree on a simple loop.
    assert dot.cycles == cycles.model_cycles(elf, res.region_pcs[0], core, taken="estimated").cycles
    per_mac = dot.functions["dot_i8"].cycles / N_SHORT
    assert 4 <= per_mac <= 14
    flt = cycles.model_cycles(elf, res.region_pcs[1], core)
    assert any(name.startswith(("__aeabi_f", "__mulsf3", "__addsf3")) for name in flt.functions)
    assert flt.cycles > 5 * dot.cycles
    calls = cycles.model_cycles(elf, res.region_pcs[2], core)
    mix_entry = min(pc for pc in res.region_pcs[2].counts if pc in _function_pcs(elf, "mix"))
    assert res.region_pcs[2].counts[mix_entry] == 2  # called twice
    assert calls.functions["mix"].instructions % 2 == 0


def _function_pcs(elf: Path, name: str) -> range:
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as fh:
        sym = ELFFile(fh).get_section_by_name(".symtab").get_symbol_by_name(name)[0]
    start = int(sym["st_value"]) & ~1
    return range(start, start + int(sym["st_size"]))
