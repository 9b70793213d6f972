# SPDX-License-Identifier: Apache-2.0
"""Labelled datasets from .npz or CSV files: loading, a fixed stratified split, flash subsets.

An .npz holds `x` (samples, any trailing shape, numbers) and `y` (integer labels 0..255).
A CSV holds one sample per row with the label in one column (the last by default); a first
row that is not numeric is taken as a header. Bad input raises DatasetError with one message.
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DatasetError(ValueError):
    """A dataset file that cannot be used; the message says which and why."""


@dataclass
class Labelled:
    x: np.ndarray  # [n, features] float64 or int
    y: np.ndarray  # [n] uint8


def load(path: Path, label_column: int = -1) -> Labelled:
    if path.suffix == ".npz":
        return _load_npz(path)
    if path.suffix == ".csv":
        return _load_csv(path, label_column)
    raise DatasetError(f"{path}: unsupported format {path.suffix!r} (use .npz or .csv)")


def _checked(path: Path, x: np.ndarray, y: np.ndarray) -> Labelled:
    if x.ndim < 1 or len(x) == 0:
        raise DatasetError(f"{path}: no samples")
    if len(y) != len(x):
        raise DatasetError(f"{path}: {len(x)} samples but {len(y)} labels")
    if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
        raise DatasetError(f"{path}: samples must be finite numbers")
    if not np.all(np.equal(np.mod(y, 1), 0)) or y.min() < 0 or y.max() > 255:
        raise DatasetError(f"{path}: labels must be integers 0..255")
    return Labelled(x.reshape(len(x), -1), y.astype(np.uint8))


def _load_npz(path: Path) -> Labelled:
    if not zipfile.is_zipfile(path):
        raise DatasetError(f"{path}: not a readable .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "x" not in z.files or "y" not in z.files:
                raise DatasetError(f"{path}: needs arrays 'x' and 'y', has {sorted(z.files)}")
            x, y = z["x"], z["y"]
    except DatasetError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable .npz file: {exc}") from None
    return _checked(path, np.asarray(x), np.asarray(y).reshape(-1))


def _load_csv(path: Path, label_column: int) -> Labelled:
    try:
        rows = [r for r in csv.reader(path.read_text().splitlines()) if r]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: cannot read CSV: {exc}") from None
    if rows and not _numeric(rows[0]):
        rows = rows[1:]  # header
    if not rows:
        raise DatasetError(f"{path}: no samples")
    width = len(rows[0])
    for n, r in enumerate(rows):
        if len(r) != width or not _numeric(r):
            raise DatasetError(f"{path}: row {n + 1}: expected {width} numbers, got {r!r}")
    a = np.array(rows, dtype=np.float64)
    if not -width <= label_column < width:
        raise DatasetError(f"{path}: label column {label_column} outside {width} columns")
    y = a[:, label_column]
    x = np.delete(a, label_column % width, axis=1)
    return _checked(path, x, y)


def _numeric(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def to_int8(x: np.ndarray, scale: str) -> tuple[np.ndarray, int]:
    """int8 samples and their exponent. "unit" rescales by a power of two so that the largest
    magnitude lies in (0.5, 1] (exponent -7), as the demos' inputs, which the default learning
    rates expect; "keep" keeps the data's own scale (value = q * 2^e exactly); "int8" takes
    values that are already int8 codes as they are (exponent 0) and refuses anything else.
    """
    from tintin import data

    if scale == "int8":
        v = np.asarray(x, np.float64)
        if not np.all(np.isfinite(v)) or np.any(v != np.rint(v)) or np.any(np.abs(v) > 127):
            raise DatasetError("--scale int8: values must be integers in -127..127")
        return v.astype(np.int8), 0
    q, e = data.quantize_inputs(np.asarray(x, np.float64))
    return q, (-7 if scale == "unit" else e)


def stratified_split(
    y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices; each class contributes round(fraction * its count) to test."""
    if not 0.0 < test_fraction < 1.0:
        raise DatasetError(f"test fraction {test_fraction} must be in (0, 1)")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = round(test_fraction * len(idx))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def stratified_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """About n indices with the class proportions of y (largest remainders), sorted."""
    if n >= len(y):
        return np.arange(len(y))
    classes, counts = np.unique(y, return_counts=True)
    share = counts * n / len(y)
    take = np.floor(share).astype(int)
    for k in np.argsort(-(share - take))[: n - int(take.sum())]:
        take[k] += 1
    rng = np.random.default_rng(seed)
    pick = [rng.permutation(np.flatnonzero(y == c))[:t] for c, t in zip(classes, take, strict=True)]
    return np.sort(np.concatenate(pick))
