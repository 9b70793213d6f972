# SPDX-License-Identifier: Apache-2.0
"""Labelled datasets from .npz or CSV files: loading, a fixed stratified split, flash subsets.

An .npz holds `x` (samples, any trailing shape, numbers) and `y` (integer labels 0..255, or
class names as strings). A CSV holds one sample per row with the label in one column (the last
by default): numbers, or class names in every row. A first row that is not a sample is a header
(its cells name the features): one of its feature cells is not a number, or its label is not a
number where the next row's is. Class names become labels 0..K-1 in sorted order
(tintin.io.labels). Bad input raises DatasetError with one message.
"""

from __future__ import annotations

import csv
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tintin.core import spec
from tintin.io import labels


class DatasetError(ValueError):
    """A dataset file that cannot be used; the message says which and why."""


@dataclass
class Labelled:
    x: np.ndarray  # [n, features] float64 or int
    y: np.ndarray  # [n] uint8
    classes: list[str] | None = None  # the name of each label, when the file gave names
    names: list[str] | None = None  # the features' names, from a CSV header


# Why one label column cannot hold both, said wherever they are mixed.
MIXED_LABELS = "labels are all numbers 0..255 or all class names"
# Samples are checked and quantised in chunks of about this many bytes as float64: a float64
# copy of a whole 70,000 x 784 image set would be 440 MB, where the int8 codes are 55 MB.
CHUNK_BYTES = 1 << 20

# The data's own exponent (--scale keep) goes into the C batch's int8 x_exp, which the runtime
# takes within +-TINTIN_EXP_LIMIT (spec.EXP_LIMIT).
EXP_LIMIT = spec.EXP_LIMIT


def load(path: Path, label_column: int = -1) -> Labelled:
    if path.suffix not in (".npz", ".csv"):
        raise DatasetError(f"{path}: unsupported format {path.suffix!r} (use .npz or .csv)")
    if path.is_dir():
        raise DatasetError(f"{path}: is a directory, need a .npz or .csv file")
    if not path.is_file():
        what = "no such file" if not path.exists() else "not a regular file"
        raise DatasetError(f"{path}: {what}")
    if path.suffix == ".npz":
        return _load_npz(path)
    return _load_csv(path, label_column)


def _real(a: np.ndarray) -> bool:
    """Integers or floats; booleans, complex numbers and strings are not data."""
    return a.dtype != np.bool_ and (
        np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
    )


def _checked(path: Path, x: np.ndarray, y: np.ndarray) -> Labelled:
    if x.ndim < 1 or len(x) == 0:
        raise DatasetError(f"{path}: no samples")
    if len(y) != len(x):
        raise DatasetError(f"{path}: {len(x)} samples but {len(y)} labels")
    x = x.reshape(len(x), -1)
    if x.shape[1] == 0:
        raise DatasetError(f"{path}: x: samples have no values (need at least one feature)")
    if not _real(x):
        raise DatasetError(f"{path}: x: samples must be numbers, got {x.dtype}")
    bad = _first_not_finite(x)
    if bad is not None:
        raise DatasetError(f"{path}: x: sample {bad} is not all finite numbers")
    if y.dtype.kind in "US":
        return _named(path, x, y)
    if not _real(y):
        raise DatasetError(f"{path}: y: labels must be integers 0..255, got {y.dtype}")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(y) & (y == np.rint(y)) & (y >= 0) & (y <= 255)
    bad = np.flatnonzero(~ok)
    if bad.size:
        raise DatasetError(
            f"{path}: y: label of sample {bad[0]} is {y[bad[0]].item()!r}; labels must be "
            "integers 0..255"
        )
    return Labelled(x, y.astype(np.uint8))


def _named(path: Path, x: np.ndarray, y: np.ndarray) -> Labelled:
    """Samples whose labels are class names (a string array)."""
    try:
        names = [v.decode() if isinstance(v, bytes) else v for v in y.tolist()]
        codes, classes = labels.encode(names)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: y: a class name is not UTF-8 text: {exc}") from None
    except labels.LabelError as exc:
        raise DatasetError(f"{path}: y: {exc}") from None
    return Labelled(x, codes, classes)


def _first_not_finite(x: np.ndarray) -> int | None:
    """Index of the first sample with a NaN or infinity; integers are always finite."""
    if not np.issubdtype(x.dtype, np.floating):
        return None
    for k, c in _chunks(x):
        bad = np.flatnonzero(~np.all(np.isfinite(c), axis=1))
        if bad.size:
            return k + int(bad[0])
    return None


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
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError, MemoryError) as exc:
        raise DatasetError(f"{path}: not a readable .npz file: {exc}") from None
    return _checked(path, np.asarray(x), np.asarray(y).reshape(-1))


def _load_csv(path: Path, label_column: int) -> Labelled:
    try:
        # utf-8-sig: a byte-order mark (spreadsheets write one) is not part of the first cell.
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        rows = [(n + 1, r) for n, r in enumerate(csv.reader(lines)) if r]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: cannot read CSV: {exc}") from None
    header = rows[0][1] if rows and _is_header(rows, label_column) else None
    if header is not None:
        rows = rows[1:]
    if not rows:
        raise DatasetError(f"{path}: no samples")
    width = len(rows[0][1])
    if width < 2:
        raise DatasetError(f"{path}: one column; need the label and at least one feature")
    if not -width <= label_column < width:
        raise DatasetError(f"{path}: label column {label_column} outside {width} columns")
    lab = label_column % width
    # The first sample's label decides: numbers, or class names all the way down.
    named = not _numeric([rows[0][1][lab]])
    for n, (line, r) in enumerate(rows):
        _check_row(path, n, line, r, width, lab, named)
    x = np.array([r[:lab] + r[lab + 1 :] for _, r in rows], dtype=np.float64)
    names = None
    if header is not None and len(header) == width:
        names = [c.strip() for k, c in enumerate(header) if k != lab]
    if named:
        try:
            codes, classes = labels.encode([r[lab] for _, r in rows])
        except labels.LabelError as exc:
            raise DatasetError(f"{path}: labels: {exc}") from None
        ds = _checked(path, x, codes)
        ds.classes, ds.names = classes, names
        return ds
    y = np.array([float(r[lab]) for _, r in rows])
    bad = np.flatnonzero((y != np.rint(y)) | (y < 0) | (y > 255))
    if bad.size:
        line, r = rows[bad[0]]
        raise DatasetError(
            f"{path}: row {bad[0] + 1}: label {r[lab]!r} is not an integer 0..255 "
            f"(line {line}); labels must be integers 0..255"
        )
    ds = _checked(path, x, y)
    ds.names = names
    return ds


def _is_header(rows: list[tuple[int, list[str]]], label_column: int) -> bool:
    """Row 0 is a header when it is not a sample: a feature cell that is not a number, or a
    label that is not a number above a row whose label is (a column named "label" over
    numbers). Over class names, a row of numbers and a name is a sample."""
    first = rows[0][1]
    if _numeric(first):
        return False
    w = len(first)
    if not -w <= label_column < w:
        return True  # not a sample of its own width: the rows below decide the layout
    lab = label_column % w
    if not _numeric(first[:lab] + first[lab + 1 :]):
        return True
    below = rows[1][1] if len(rows) > 1 else []
    return len(below) == w and _numeric([below[lab]])


def _check_row(path: Path, n: int, line: int, r: list[str], width: int, lab: int,
               named: bool) -> None:  # fmt: skip
    """One CSV row: width numbers, or width - 1 numbers and a class name; finite numbers."""
    where = f"(line {line})"
    feats = r[:lab] + r[lab + 1 :]
    if len(r) == width and _numeric(feats) and named != (not _numeric([r[lab]])):
        if named:
            raise DatasetError(
                f"{path}: row {n + 1}: label {r[lab]!r} is a number where row 1's is a class "
                f"name {where}; {MIXED_LABELS}"
            )
        raise DatasetError(
            f"{path}: row {n + 1}: label {r[lab]!r} is not a number {where}, where row 1's "
            f"is; {MIXED_LABELS}"
        )
    if len(r) != width or not _numeric(feats if named else r):
        want = f"{width - 1} numbers and a class name" if named else f"{width} numbers"
        raise DatasetError(f"{path}: row {n + 1}: expected {want}, got {_cells(r)} {where}")
    if named and not r[lab].strip():
        raise DatasetError(f"{path}: row {n + 1}: empty label {where}")
    for col, v in enumerate(r):
        if (col != lab or not named) and not math.isfinite(float(v)):
            raise DatasetError(
                f"{path}: row {n + 1}, column {col}: {v!r} is not a finite number {where}"
            )


def _cells(row: list[str]) -> str:
    text = repr(row)
    return text if len(text) <= 60 else text[:57] + "..."


def _numeric(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def input_exp(path: Path, e: int, scale: str) -> int:
    """The samples' exponent, refused when the C runtime's int8 x_exp cannot hold it."""
    if not -EXP_LIMIT <= e <= EXP_LIMIT:
        raise DatasetError(
            f"{path}: --scale {scale}: the data's scale needs the exponent 2^{e}, the C runtime "
            f"takes 2^-{EXP_LIMIT}..2^{EXP_LIMIT} (use --scale unit)"
        )
    return e


def check_split(path: Path, train: np.ndarray, test: np.ndarray, fraction: float) -> None:
    """Both sides of a split must hold samples: training on none, or measuring on none, is
    not a result (stratified rounding gives a class of one sample no held-out sample)."""
    n = len(train) + len(test)
    if len(train) == 0 or len(test) == 0:
        side = "training" if len(train) == 0 else "held-out"
        raise DatasetError(
            f"{path}: --test-fraction {fraction:g} of {n} samples leaves no {side} samples "
            "(more samples, or another fraction)"
        )


def to_int8(x: np.ndarray, scale: str, where: Path | None = None) -> tuple[np.ndarray, int]:
    """int8 samples and their exponent. "unit" rescales by a power of two so that the largest
    magnitude lies in (0.5, 1] (exponent -7), as the demos' inputs, which the default learning
    rates expect; "keep" keeps the data's own scale (value = q * 2^e exactly); "int8" takes
    values that are already int8 codes as they are (exponent 0) and refuses anything else.

    The codes are those of data.quantize_inputs, made a chunk of samples at a time: the only
    whole-size array made here is the int8 result.
    """
    if scale == "int8":
        if not all(_int8_codes(c) for _, c in _chunks(x)):
            at = f"{where}: " if where is not None else ""
            raise DatasetError(f"{at}--scale int8: values must be integers in -127..127")
        return _quantized(x, 0), 0
    e = data_exponent(x)
    return _quantized(x, e), (-7 if scale == "unit" else e)


def data_exponent(x: np.ndarray) -> int:
    """The one exponent of --scale unit and keep: the smallest e with max|x| <= 127 * 2^e
    (0 for all-zero data), over every sample."""
    from tintin.core import data

    m = max((_max_abs(c) for _, c in _chunks(x)), default=0.0)
    return data.input_exponent(m) if m > 0.0 else 0


def _chunks(x: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, rows) of x, about CHUNK_BYTES of float64 at a time."""
    rows = max(1, CHUNK_BYTES // (8 * max(1, int(np.prod(x.shape[1:])))))
    for k in range(0, len(x), rows):
        yield k, x[k : k + rows]


def _max_abs(c: np.ndarray) -> float:
    # In float64, as data.quantize_inputs: abs(-128) in int8 would wrap round.
    return float(np.max(np.abs(np.asarray(c, np.float64)))) if c.size else 0.0


def _int8_codes(c: np.ndarray) -> bool:
    v = np.asarray(c, np.float64)
    return bool(np.all(np.isfinite(v)) and np.all(v == np.rint(v)) and np.all(np.abs(v) <= 127))


def _quantized(x: np.ndarray, e: int) -> np.ndarray:
    """round(x * 2^-e) clipped to -127..127, in float64 exactly as data.quantize_inputs."""
    q = np.empty(x.shape, np.int8)
    for k, c in _chunks(x):
        v = np.asarray(c, np.float64)
        q[k : k + len(c)] = np.clip(np.rint(v * 2.0**-e), -127, 127).astype(np.int8)
    return q


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
