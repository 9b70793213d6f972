# SPDX-License-Identifier: Apache-2.0
"""A dataset's int8 inputs for one split, made the same way by `tintin gen data` and
`tintin train`: the stratified split, every --scale, and the warning when a feature keeps few
int8 levels. The same file, --test-fraction, --seed and --scale give both tools the same
split and the same fitted transform.

--scale feature (the default): an offset and a power-of-two shift per column, fitted on the
training split (tintin.io.inputquant), every code at exponent -7. unit: one power of two for all
columns, the largest magnitude of all samples into (0.5, 1] (exponent -7); keep: the same
codes at the data's own exponent; int8: values that are int8 codes already (exponent 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tintin.io import cgen, dataset, inputquant

SCALES = ("feature", "unit", "keep", "int8")
SCALE_HELP = (
    "feature: per column an offset and a power-of-two shift fitted on the training split, "
    "written into the header as <name>_quantize() (default); unit: one power of two for all "
    "columns into [-1, 1]; keep: the data's own scale"
)
INT8_HELP = "; int8: values that are int8 codes already"
# A feature that keeps fewer int8 levels than this, where its data has more values, is named
# in a warning: sin/cos columns squeezed to codes 0..2 by one exponent for all columns.
LOW_LEVELS = 16
WARN_LISTED = 5


@dataclass
class Scaling:
    """How the int8 codes were made, for the headers and metrics.json."""

    scale: str
    input_exp: int  # the exponent the model reads the codes at
    levels: np.ndarray  # distinct int8 codes per feature on the fitted samples
    fitted: str  # on what: "the 1168 training samples"
    data_exp: int = 0  # unit and keep: x_q = round(x * 2^-data_exp)
    feature: inputquant.FeatureScale | None = None

    def metadata(self) -> dict:
        m: dict = {"scale": self.scale, "input_exp": self.input_exp, "fitted_on": self.fitted}
        if self.feature is not None:
            m |= self.feature.metadata()
        elif self.scale == "int8":
            m["rule"] = "x_q = x (the values are int8 codes)"
        else:
            m["data_exp"] = self.data_exp
            m["rule"] = "x_q = round_half_even(x * 2^-data_exp), saturated to +-127"
        return m | {"levels": self.levels.tolist()}


def quantize(ds: dataset.Labelled, rows: np.ndarray, scale: str, path: Path,
             fitted: str) -> tuple[np.ndarray, Scaling, str | None]:  # fmt: skip
    """(int8 codes of every sample, how, a warning line or None); the transform is fitted on
    ds.x[rows] (the training split; all rows of a stream)."""
    fs = None
    data_exp = 0
    if scale == "feature":
        fs = inputquant.fit(ds.x, rows)
        x, e = fs.apply(ds.x), inputquant.INPUT_EXP
    else:
        x, e = dataset.to_int8(ds.x, scale, path)
        e = dataset.input_exp(path, e, scale)
        data_exp = dataset.data_exponent(ds.x) if scale in ("unit", "keep") else 0
    levels = level_counts(x, rows)
    sc = Scaling(scale, e, levels, fitted, data_exp, fs)
    return x, sc, low_levels_warning(ds, rows, sc)


def level_counts(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Distinct int8 codes per column of x[rows], a chunk of rows at a time."""
    f = x.shape[1]
    present = np.zeros((f, 256), bool)
    cols = np.arange(f)[None, :]
    step = max(1, (1 << 20) // max(1, f))
    for k in range(0, len(rows), step):
        present[cols, x[rows[k : k + step]].astype(np.int16) + 128] = True
    return present.sum(axis=1)


def low_levels_warning(ds: dataset.Labelled, rows: np.ndarray, sc: Scaling) -> str | None:
    """One line naming the features that keep fewer than LOW_LEVELS int8 levels on the
    fitted samples while their data has more distinct values (quantisation lost them: a
    binary or constant column is not named)."""
    low = []
    for j in np.flatnonzero(sc.levels < LOW_LEVELS):
        distinct = len(np.unique(ds.x[rows, j]))
        if distinct > sc.levels[j]:
            low.append((int(j), int(sc.levels[j]), distinct))
    if not low:
        return None

    def label(j: int) -> str:
        return f"{j} ({ds.names[j]})" if ds.names else str(j)

    shown = ", ".join(f"{label(j)}: {lv} of {d} values" for j, lv, d in low[:WARN_LISTED])
    more = f" and {len(low) - WARN_LISTED} more" if len(low) > WARN_LISTED else ""
    why = (
        "an outlier stretches its range, or its values are finer than the raw integers keep"
        if sc.scale == "feature"
        else "one exponent for all columns: --scale feature, the default, scales each column"
    )
    n = len(low)
    return (
        f"warning: {n} feature{'s' if n > 1 else ''} keep{'' if n > 1 else 's'} fewer than "
        f"{LOW_LEVELS} int8 levels on {sc.fitted}: feature {shown}{more} ({why})"
    )


@dataclass
class Prepared:
    """The int8 codes of every sample (one array), the labels, the two sides of the split
    (sorted indices), how the codes were made and what to warn about."""

    x: np.ndarray
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray
    scaling: Scaling
    warning: str | None


def prepare(ds: dataset.Labelled, path: Path, fraction: float, seed: int,
            scale: str) -> Prepared:  # fmt: skip
    """The stratified split of --test-fraction and --seed, and the codes fitted on its
    training side."""
    train, test = dataset.stratified_split(ds.y, fraction, seed)
    dataset.check_split(path, train, test, fraction)
    x, sc, warning = quantize(ds, train, scale, path, f"the {len(train)} training samples")
    return Prepared(x, ds.y, train, test, sc, warning)


def header_body(name: str, sc: Scaling, classes: list[str] | None,
                names: list[str] | None = None) -> str:  # fmt: skip
    """What a header says about its inputs: the quantiser (--scale feature) or the one
    exponent, and the class names when the labels were names. `tintin gen data`'s header and
    the model header `tintin train` writes carry the same."""
    out = ""
    if sc.feature is not None:
        out += cgen.quantizer_body(name, sc.feature, sc.levels, sc.fitted, names)
    else:
        out += cgen.scale_note(sc.scale, sc.data_exp, sc.input_exp)
    if classes is not None:
        out += "\n" + cgen.class_names_body(name, classes)
    return out + "\n"
