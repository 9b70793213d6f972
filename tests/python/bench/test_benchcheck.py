# SPDX-License-Identifier: Apache-2.0
"""The acceptance tables and the two-run comparison of `tintin bench`, on made-up results."""

import copy

from tintin.bench import benchcheck


def cell(instructions: int, ram: int) -> dict:
    return {"instructions": instructions, "infer_instructions": 10, "arena": ram - 100,
            "stack": 100, "flash": 5000, "ram": ram}  # fmt: skip


def results(lean_digits_m3_b1: int) -> dict:
    def variants(lean: int) -> dict:
        floats = {"batch1": cell(10_000, 1000), "batch8": cell(90_000, 1000)}
        return {"lean": {"batch1": cell(lean, 300), "batch8": cell(900, 390)},
                "float32-sgd": floats}  # fmt: skip

    return {
        "digits": {"cortex-m3": variants(lean_digits_m3_b1), "cortex-m0plus": variants(500)},
        # motion counts toward RAM only; its instruction ratio (0.5) is outside the point.
        "motion": {"cortex-m3": variants(5_000)},
        "dense_kernel": {"cortex-m4": {"instructions_per_mac": 0.979},
                         "cortex-m0plus": {"instructions_per_mac": 4.2}},
    }  # fmt: skip


def row(lines: list[str], first: str) -> str:
    return next(line for line in lines if line.startswith(f"| {first} |"))


def test_worst_cell_decides_each_point():
    ok = benchcheck.acceptance_markdown(results(1_000), {"lean": "float32-sgd"})
    assert row(ok, "lean") == (
        "| lean | float32-sgd | 0.100 (digits cortex-m3 batch 1) | yes | "
        "0.390 (digits cortex-m3 batch 8) | yes |"
    )
    over = benchcheck.acceptance_markdown(results(1_001), {"lean": "float32-sgd"})
    assert "| 0.100 (digits cortex-m3 batch 1) | **no** |" in row(over, "lean")
    assert row(ok, "cortex-m4").endswith("| 0.979 | 1.0 | yes |")
    assert row(ok, "cortex-m0plus").endswith("| 4.200 | 4.0 | **no** |")


def test_compare_finds_any_changed_count():
    a = results(1_000)  # 3 workload-core pairs x 2 variants x 2 batches, 2 kernels
    assert benchcheck.compare(a, copy.deepcopy(a)) == (14, [])
    b = copy.deepcopy(a)
    b["motion"]["cortex-m3"]["lean"]["batch8"]["stack"] += 4
    b["dense_kernel"]["cortex-m4"]["instructions_per_mac"] = 0.98
    assert benchcheck.compare(a, b) == (
        14,
        ["motion cortex-m3 lean batch8", "dense kernel cortex-m4"],
    )


def test_compare_checks_params_only_when_both_runs_have_them():
    old = results(1_000)  # a run from before issue 22: no "params"
    new = copy.deepcopy(old)
    new["digits"]["cortex-m3"]["lean"]["batch1"]["params"] = 120
    assert benchcheck.compare(new, old) == (14, [])
    other = copy.deepcopy(new)
    other["digits"]["cortex-m3"]["lean"]["batch1"]["params"] = 124
    assert benchcheck.compare(new, other) == (14, ["digits cortex-m3 lean batch1"])


def step_cell(instructions: int, infer: int, ram: int, params: int | None) -> dict:
    c = {"instructions": instructions, "infer_instructions": infer, "ram": ram}
    return c if params is None else {**c, "params": params}


def test_step_table_and_issue22_points():
    def per_core(step_b1: int, ram: int) -> dict:
        return {"int": {"batch1": step_cell(step_b1, 100, ram, 1_000),
                        "batch8": step_cell(2_000, 100, ram + 500, 1_000)},
                "float32": {"batch1": step_cell(310, 100, 9_000, None),
                            "batch8": step_cell(2_480, 100, 9_000, None)}}  # fmt: skip

    res = {"digits": {"cortex-m0plus": per_core(300, 3_000), "cortex-m3": per_core(301, 3_000)},
           "lenet": {"cortex-m3": per_core(250, 1_000 + 16 * 1024)},
           "dense_kernel": {}}  # fmt: skip
    lines = benchcheck.step_markdown(res)
    # Per sample: batch 8's step over eight inferences; float32 without params shows "-".
    assert "| digits | cortex-m0plus | 1 | 3.000 | 3.100 | 1,000 | 2,000 | - | - |" in lines
    assert "| digits | cortex-m0plus | 8 | 2.500 | 3.100 | 1,000 | 2,500 | - | - |" in lines
    step = row(lines, "step / inference, batch 1, digits, lenet on cortex-m0plus and cortex-m3")
    assert step.endswith("| 3.0 | 3.010 (digits cortex-m3) | **no** |")
    over = row(lines, "lenet RAM beyond params, batch 1")
    assert over.endswith("| 16,384 B | 16,384 B (cortex-m3) | yes |")
