# SPDX-License-Identifier: Apache-2.0
"""`tintin accuracy`: the quick configuration end to end, the checks' logic, argument errors.

No accuracy thresholds: float32 results depend on the CPU's BLAS, and the benchmark reports
its checks rather than enforcing them.
"""

import json

import pytest

from tintin import cli
from tintin.bench import accreport, accuracy
from tintin.tasks import accdata

pytestmark = pytest.mark.clib


def need_quick_data():
    missing = [
        str(accdata.cache_file(accdata.TASKS[t].package))
        for t in accuracy.QUICK_TASKS
        if not accdata.available(accdata.TASKS[t].package)
    ]
    if missing:
        pytest.skip(f"not fetched (python -m tintin.tasks.accdata --fetch): {', '.join(missing)}")
    pytest.importorskip("sklearn")


def table_rows(md: str, heading: str) -> list[list[str]]:
    """Cells of the first table after a heading line."""
    lines = md.splitlines()
    k = lines.index(heading)
    while not lines[k].startswith("|"):
        k += 1
    rows = []
    while k < len(lines) and lines[k].startswith("|"):
        rows.append([c.strip() for c in lines[k].strip("|").split("|")])
        k += 1
    return rows[2:]  # past the header and the alignment row


def test_quick_run_writes_json_and_markdown(tmp_path, capsys):
    need_quick_data()
    js, md = tmp_path / "acc.json", tmp_path / "accuracy.md"
    rc = cli.main(["accuracy", "--quick", "--jobs", "1", "--json", str(js), "--markdown", str(md)])
    assert rc == 0
    res = json.loads(js.read_text())
    text = md.read_text()
    assert capsys.readouterr().out.strip() == text.strip()

    tasks, batches = list(accuracy.QUICK_TASKS), [8, 1]
    assert res["config"]["tasks"] == tasks and res["config"]["batches"] == batches
    assert len(res["runs"]) == len(tasks) * len(batches) * len(accuracy.TRAINERS)
    for r in res["runs"]:
        assert len(r["accuracy"]) == accuracy.QUICK_EPOCHS
        assert all(0.0 <= a <= 1.0 for a in r["accuracy"])
        assert r["error"] is None
        if r["trainer"] == "float32":
            assert r["stats"] is None
        else:
            n = len(accdata.load(r["task"]).y_train)
            assert r["stats"]["steps"] == r["epochs"] * -(-n // r["batch"])
    assert not res["long_summary"] and not res["long_checks"]

    # The markdown's tables are the JSON's numbers.
    summary = table_rows(text, "## Results")
    assert len(summary) == len(res["summary"])
    for cells, row in zip(summary, res["summary"], strict=True):
        assert cells[:5] == [row["task"], str(row["batch"]), row["trainer"], "1", "2"]
        assert cells[5] == f"{row['final']:.2f}" and cells[6] == f"{row['best']:.2f}"
    checks = table_rows(text, "## Checks (issue 17)")
    assert [(c[0], int(c[1])) for c in checks] == [(t, b) for t in tasks for b in batches]
    for cells, row in zip(checks, res["checks"], strict=True):
        assert cells[3] == "1"
        assert cells[4] == f"{row['default']:.2f}" and cells[5] == f"{row['float32']:.2f}"
        assert cells[8] == ("pass" if row["parity"] else "FAIL")
        assert cells[9] == f"{row['tail_gap']:+.2f}"
        assert cells[10] == ("pass" if row["tail_parity"] else "FAIL")
        assert cells[11] == f"{row['drift']:+.2f}"
        assert cells[12] == ("pass" if row["stable"] else "FAIL")
        assert cells[15] == ("pass" if row["final_in_best"] else "FAIL")
        assert cells[16] == f"{row['float32_drop']:+.2f}"
    for name in tasks:
        assert accdata.TASKS[name].package.citation in text


def run(task, seed, trainer, accs, long=False):
    return {"task": task, "batch": 8, "seed": seed, "trainer": trainer, "epochs": len(accs),
            "long": long, "accuracy": accs, "stats": None, "error": None}  # fmt: skip


def test_checks_apply_issue_17_rules_to_means_over_seeds():
    runs = [
        run("weather", 1, "default", [0.50, 0.60, 0.595]),  # 0.5 below its best
        run("weather", 2, "default", [0.60, 0.58, 0.58]),  # 2 below
        run("weather", 1, "float32", [0.61]),
        run("weather", 2, "float32", [0.60]),
        run("acsf1", 1, "default", [0.70]),
        run("acsf1", 1, "float32", [0.714]),
    ]
    rows = {r["task"]: r for r in accreport.checks(runs, long=False)}
    w, a = rows["weather"], rows["acsf1"]
    assert w["gap"] == pytest.approx(-1.75) and w["gap_se"] == pytest.approx(0.25)
    assert not w["parity"] and w["limit"] == -1.0
    assert w["drop"] == pytest.approx(-1.25) and not w["final_in_best"]
    # The mean curve 55, 59, 58.75 ends 0.25 below its best epoch: no drift.
    assert w["drift"] == pytest.approx(-0.25) and w["stable"] and w["seeds"] == 2
    assert a["family"] == "conv" and a["parity"] and a["stable"]  # -1.4 within conv's 1.5
    assert a["gap_se"] is None
    assert accreport.checks(runs, long=True) == []


def test_tail_parity_averages_the_last_tenth_of_the_epochs():
    # 20 epochs: the last 2 count. The final epoch alone is 3 points behind float32, the
    # last two together 1 point behind: the final-epoch rule fails, the tail rule holds.
    d = [0.5] * 18 + [0.80, 0.70]
    f = [0.5] * 18 + [0.73, 0.73]
    row = accreport.checks([run("acsf1", 1, "default", d), run("acsf1", 1, "float32", f)],
                          long=False)[0]  # fmt: skip
    assert row["gap"] == pytest.approx(-3.0) and not row["parity"]
    assert row["tail_gap"] == pytest.approx(2.0) and row["tail_parity"]
    short = [run("weather", 1, "default", [0.5, 0.6, 0.5]),
             run("weather", 1, "float32", [0.5, 0.5, 0.52])]  # fmt: skip
    row = accreport.checks(short, long=False)[0]
    assert row["tail_gap"] == pytest.approx(-2.0) and not row["tail_parity"]


def test_render_recomputes_the_report_from_a_json(tmp_path, capsys):
    runs = [run("weather", s, t, [0.5, 0.6, 0.6 + 0.01 * s]) for s in (1, 2)
            for t in ("default", "compact", "float32")]  # fmt: skip
    js = tmp_path / "acc.json"
    js.write_text(json.dumps({
        "date": "2026-01-01 00:00 UTC", "commit": "abc1234", "command": "tintin accuracy",
        "wall_seconds": 60.0, "cpus": 2, "library_sha256": "0" * 16,
        "config": {"all_tasks": ["weather"], "long": []}, "runs": runs,
        "checks": [], "summary": [], "long_summary": [], "long_checks": [],
    }))  # fmt: skip
    md = tmp_path / "accuracy.md"
    assert cli.main(["accuracy", "--render", str(js), "--markdown", str(md)]) == 0
    text = md.read_text()
    assert "at commit abc1234" in text and "report rendered from its JSON at commit" in text
    checks = table_rows(text, "## Checks (issue 17)")
    assert [(c[0], c[8], c[10]) for c in checks] == [("weather", "pass", "pass")]
    capsys.readouterr()
    js.write_text("{}")
    assert cli.main(["accuracy", "--render", str(js)]) == 2
    assert "not a tintin accuracy JSON" in capsys.readouterr().err


def result(commit, runs, tasks):
    return {"date": "2026-01-01 00:00 UTC", "commit": commit,
            "command": f"tintin accuracy {commit}",
            "wall_seconds": 60.0, "cpus": 2, "library_sha256": "0" * 16,
            "config": {"all_tasks": tasks, "tasks": tasks, "long": []}, "runs": runs}  # fmt: skip


def test_render_merges_the_parts_of_a_benchmark_and_refuses_a_run_twice(tmp_path, capsys):
    weather = [run("weather", 1, t, [0.5, 0.6]) for t in ("default", "compact", "float32")]
    acsf1 = [run("acsf1", 1, t, [0.7, 0.8]) for t in ("default", "compact", "float32")]
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(result("aaa1111", weather, ["weather"])))
    b.write_text(json.dumps(result("bbb2222", acsf1, ["acsf1"])))
    md = tmp_path / "accuracy.md"
    assert cli.main(["accuracy", "--render", str(a), str(b), "--markdown", str(md)]) == 0
    text = md.read_text()
    assert "Generated in 2 parts: `tintin accuracy aaa1111`" in text
    assert "at commit bbb2222" in text
    # Both parts' tasks are checked, in the benchmark's task order.
    assert [c[0] for c in table_rows(text, "## Checks (issue 17)")] == ["acsf1", "weather"]
    capsys.readouterr()
    b.write_text(json.dumps(result("bbb2222", acsf1 + weather[:1], ["acsf1", "weather"])))
    assert cli.main(["accuracy", "--render", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert "two parts hold the run ('weather', 8, 1, 'default', False)" in err
    assert len(err.strip().splitlines()) == 1


def test_drift_compares_the_last_window_of_the_mean_curve_with_the_best():
    rise = [0.5 + 0.01 * e for e in range(20)]
    assert accreport.drift([rise, rise]) == 0.0
    # Up to 60 % at epoch 10, then down 0.2 a step: windows of 2 epochs, last (58.2 + 58.0) / 2
    # against the best (59.8 + 60.0) / 2.
    peak = [0.5 + 0.01 * e for e in range(11)] + [0.6 - 0.002 * e for e in range(1, 11)]
    assert accreport.drift([peak]) == pytest.approx((58.2 + 58.0) / 2 - (59.8 + 60.0) / 2)
    # Noise that cancels across seeds is not drift.
    a = [0.60, 0.62, 0.58, 0.62, 0.58, 0.62, 0.58, 0.62, 0.58, 0.60]
    b = [0.60, 0.58, 0.62, 0.58, 0.62, 0.58, 0.62, 0.58, 0.62, 0.60]
    assert accreport.drift([a, b]) == pytest.approx(0.0)


@pytest.mark.parametrize(
    "argv",
    [
        ["--tasks", "nope"],
        ["--seeds", "0"],
        ["--batches", "x"],
        ["--batches", "0"],
        ["--batches", ","],
        ["--epochs-scale", "0"],
        ["--jobs", "0"],
        ["--long-only", "--no-long"],
        ["--long-only", "--quick"],
        ["--bogus"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(argv, capsys):
    assert accuracy.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tintin accuracy: ") and err.count("\n") == 1


def test_long_runs_follow_the_tasks_and_batches_asked_for():
    def planned(*argv: str) -> set[tuple[str, int, bool]]:
        return {(j.task, j.batch, j.long) for j in accuracy.plan(accuracy.parse(list(argv)))}

    every = {(t, b, True) for t, b, *_ in accuracy.LONG}
    assert every <= planned()
    assert planned("--no-long") == {(t, b, False) for t in accdata.TASKS for b in (8, 1)}
    assert planned("--tasks", "watch", "--batches", "1") == {("watch", 1, False),
                                                             ("watch", 1, True)}  # fmt: skip
    assert planned("--long-only", "--batches", "1") == {(t, b, True) for t, b, *_ in
                                                         accuracy.LONG if b == 1}  # fmt: skip
    assert planned("--quick") == {(t, b, False) for t in accuracy.QUICK_TASKS for b in (8, 1)}


def test_missing_data_says_how_to_fetch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    accdata.load.cache_clear()
    try:
        assert accuracy.main(["--quick", "--tasks", "weather"]) == 1
    finally:
        accdata.load.cache_clear()
    err = capsys.readouterr().err
    assert "python -m tintin.tasks.accdata --fetch" in err and err.count("\n") == 1
