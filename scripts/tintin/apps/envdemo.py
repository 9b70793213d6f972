# SPDX-License-Identifier: Apache-2.0
"""`tintin demo env`: the environmental sensor sample on the host, with its curves as a PNG.

Builds samples/env_sensor_cl's own C (env_cl.c, the replay of the embedded outdoor mote, the
file checkpoint storage) for the host, runs it with a simulated power cycle, and plots the
prequential error over time of the frozen model, on-device integer training (both from the C
run) and the float32 reference (tintin.tasks.envcl, trained in Python on the same
readings in the same order).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tintin.native import hostcc
from tintin.native.tree import REPO
from tintin.tasks import envcl, envdata

SAMPLE = REPO / "samples" / "env_sensor_cl"
SECONDS_PER_READING = 5  # the motes sampled every 5 s
_WINDOW = re.compile(r"env: readings +(\d+)- *(\d+): error frozen +([\d.]+)%, on-device +([\d.]+)%")
_TOTAL = re.compile(
    r"env: (frozen model|on-device training):\s+([\d.]+)% error over (\d+) readings"
)


@dataclass
class HostRun:
    """What the host runner printed."""

    lines: list[str]
    starts: list[int] = field(default_factory=list)  # first reading of each window
    frozen: list[float] = field(default_factory=list)  # error % per window
    live: list[float] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)  # error % per model
    passed: bool = False


def host_runner() -> Path:
    """The sample's host executable, built on first use."""
    src = SAMPLE / "src"
    sources = [SAMPLE / "host" / "main.c", src / "env_cl.c", src / "replay.c"]
    return hostcc.build("env_host", sources, [src], shared=False)


def run_host(args: list[str]) -> HostRun:
    out = subprocess.run([str(host_runner()), *args], capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"env_host failed ({out.returncode}): {out.stderr.strip()[:300]}")
    res = HostRun(out.stdout.splitlines())
    for line in res.lines:
        if m := _WINDOW.match(line):
            res.starts.append(int(m[1]))
            res.frozen.append(float(m[3]))
            res.live.append(float(m[4]))
        elif m := _TOTAL.match(line):
            res.totals[m[1]] = float(m[2])
        res.passed = res.passed or line.startswith("env: PASS")
    return res


def plot(
    path: Path, window: int, run: HostRun, flt: list[float], reboot_at: int,
    stream: envdata.Readings,
) -> None:  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t_hours = [k * SECONDS_PER_READING / 3600 for k in range(len(stream.t))]
    hours = [(s + window / 2) * SECONDS_PER_READING / 3600 for s in run.starts]
    fig, (top, ax) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True,
                                  gridspec_kw={"height_ratios": [1, 1.6]})  # fmt: skip
    top.plot(t_hours, stream.t / 100, color="tab:orange", lw=1, label="temperature, degC")
    top.plot(t_hours, stream.h / 100, color="tab:purple", lw=1, label="humidity, %RH")
    anomalies = [h for h, lab in zip(t_hours, stream.label, strict=True) if lab]
    top.plot(anomalies, [20] * len(anomalies), "k|", ms=8, label="labelled anomalies")
    top.set_title("Tin-Tin env_sensor_cl: the indoor-trained sensor node, moved outdoors")
    top.legend(loc="upper left", fontsize=8, ncol=3)
    top.grid(alpha=0.3)
    ax.plot(hours, run.frozen, label="frozen (pre-trained indoors)", color="tab:red")
    ax.plot(hours, flt, label="float32 reference (host)", color="tab:blue", ls="--")
    ax.plot(hours, run.live, label="on-device integer training (C)", color="tab:green")
    for a in (top, ax):
        a.axvline(reboot_at * SECONDS_PER_READING / 3600, color="grey", ls=":")
    ax.plot([], [], color="grey", ls=":", label="power cycle (resumed from checkpoint)")
    ax.set_xlabel("hours after the node was moved outdoors (mote 4, a reading every 5 s)")
    ax.set_ylabel(f"prequential error, % of {window} readings")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(png: Path, window: int = 100, reboot_at: int = 3000) -> dict:
    """Run the sample on the host and the float32 reference; write the curves to png."""
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "env.ckpt"
        host = run_host(["--checkpoint", str(ckpt), "--reboot-at", str(reboot_at),
                         "--window", str(window)])  # fmt: skip
    sc = envcl.build()
    pred = envcl.prequential_float(sc)
    flt = [envcl.error_bp(w) / 100 for w in envcl.windows(pred, sc.y, window)]
    plot(png, window, host, flt, reboot_at, sc.stream)
    return {
        "lines": host.lines,
        "frozen": host.totals.get("frozen model"),
        "on_device": host.totals.get("on-device training"),
        "float32": envcl.error_bp(envcl.score(pred, sc.y)) / 100,
        "passed": host.passed,
        "png": str(png),
    }
