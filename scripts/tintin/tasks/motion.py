# SPDX-License-Identifier: Apache-2.0
"""`tintin demo motion`: per-user adaptation of a conv1d network on real smartwatch IMU data.

seglearn's watch data (Burns et al. 2018: 6-axis accelerometer and gyroscope at 50 Hz, seven
shoulder exercises, ten people) is cut into 2 s windows with a 1 s hop. A conv1d network
trains on nine people; then, as a node would in the field, only its last layers fine-tune on
the first half of the tenth person's recordings, and accuracy on the rest of that person's
data is reported before and after, for the integer runtime and for float32.
"""

from __future__ import annotations

import numpy as np

from tintin.core import data, spec
from tintin.core.data import quantize_like
from tintin.core.spec import ModelSpec, Optim
from tintin.native import clib

WINDOW = 100  # 2 s at 50 Hz
HOP = 50
ROWS = [
    {"type": "conv1d", "units": 16, "kernel": [5], "stride": 2},
    {"type": "relu"},
    {"type": "maxpool", "kernel": [2]},
    {"type": "conv1d", "units": 24, "kernel": [5]},
    {"type": "relu"},
    {"type": "gap"},
    {"type": "flatten"},
    {"type": "dense", "units": 32},
    {"type": "relu"},
    {"type": "dense", "units": 7},
]


def windows(rec: np.ndarray) -> np.ndarray:
    starts = range(0, len(rec) - WINDOW + 1, HOP)
    return np.stack([rec[s : s + WINDOW] for s in starts])


def load_motion(held_out: int) -> tuple[data.Split, data.Split]:
    """(nine people train / held-out person test, held-out person adapt / evaluate) splits.

    Channels are scaled by the training people's largest magnitude per channel so that every
    channel uses the int8 range; the held-out person's data is scaled the same way.
    """
    try:
        from seglearn.datasets import load_watch
    except ImportError as exc:
        raise RuntimeError(
            "seglearn is needed for the motion data: pip install 'tintin[demo]'"
        ) from exc
    d = load_watch()
    subj = np.asarray(d["subject"])
    recs = [(windows(x), int(y), int(s)) for x, y, s in zip(d["X"], d["y"], subj, strict=True)]
    train = [r for r in recs if r[2] != held_out]
    user = [r for r in recs if r[2] == held_out]
    scale = np.max(np.abs(np.concatenate([w for w, _, _ in train]).reshape(-1, 6)), axis=0)

    def stack(items: list) -> tuple[np.ndarray, np.ndarray]:
        x = np.concatenate([w for w, _, _ in items]) / scale
        y = np.concatenate([np.full(len(w), c, np.uint8) for w, c, _ in items])
        q = np.clip(np.rint(x * 127.0), -127, 127) * 2.0**-7  # exponent -7, as the int8 path
        return q.reshape(len(q), -1).astype(np.float32), y

    # Each of the person's recordings: the first half of its windows adapts, the second half
    # (after skipping the window that overlaps the boundary) evaluates.
    adapt = [(w[: len(w) // 2], c, p) for w, c, p in user]
    rest = [(w[len(w) // 2 + 1 :], c, p) for w, c, p in user]
    xtr, ytr = stack(train)
    xu, yu = stack(user)
    xa, ya = stack(adapt)
    xr, yr = stack(rest)
    return (
        data.Split(xtr, ytr, xu, yu, "seglearn watch", 7),
        data.Split(xa, ya, xr, yr, f"seglearn watch, person {held_out}", 7),
    )


DEMO_OPTIM = Optim(lr_shift=3)


def motion_spec(optim: Optim, batch: int, seed: int) -> ModelSpec:
    return spec.build((1, WINDOW, 6), ROWS, seed, optim=optim, max_batch=batch)


def finetune_spec(trained: dict[int, dict], base: ModelSpec, last: int) -> ModelSpec:
    """The deployed model: trained int8 weights and biases, only the last layers training."""
    sp = motion_spec(base.optim, base.max_batch, base.seed)
    for i, params in trained.items():
        layer = sp.layers[i]
        layer.weights = np.asarray(params["w"], np.int8).reshape(layer.weights.shape)
        layer.bias = np.asarray(params["bias"], np.int32)
        layer.w_exp = int(params["w_exp"])
    return spec.train_last(sp, last)


def pretrain_int(pre: data.Split, sp: ModelSpec, epochs: int) -> clib.CModel:
    """The C runtime trained on the nine people's windows (inputs at exponent -7)."""
    model = clib.CModel(sp)
    for epoch in range(epochs):
        for idx in data.batches(len(pre.x_train), sp.max_batch, epoch, sp.seed):
            model.train_step(quantize_like(pre.x_train[idx], -7), -7, labels=pre.y_train[idx])
    return model


def trained_params(model: clib.CModel, sp: ModelSpec) -> dict[int, dict]:
    """Parameters of every weight layer, as finetune_spec takes them."""
    return {i: model.layer_params(i) for i, layer in enumerate(sp.layers)
            if layer.kind in spec.WEIGHT_LAYERS}  # fmt: skip


def run_int(
    pre: data.Split, user: data.Split, sp: ModelSpec, epochs: int, adapt_epochs: int, last: int
) -> tuple[float, float]:
    """Integer: pretrain by the C runtime, then fine-tune the deployed int8 model."""
    x_exp = -7

    def q(x: np.ndarray) -> np.ndarray:
        return quantize_like(x, x_exp)

    model = pretrain_int(pre, sp, epochs)
    before = model.evaluate(q(user.x_test), x_exp, user.y_test) / len(user.y_test)
    tuned = clib.CModel(finetune_spec(trained_params(model, sp), sp, last))
    for epoch in range(adapt_epochs):
        for idx in data.batches(len(user.x_train), sp.max_batch, epoch, sp.seed):
            tuned.train_step(q(user.x_train[idx]), x_exp, labels=user.y_train[idx])
    after = tuned.evaluate(q(user.x_test), x_exp, user.y_test) / len(user.y_test)
    return before, after


def run_float(
    pre: data.Split, user: data.Split, sp: ModelSpec, epochs: int, adapt_epochs: int, last: int
) -> tuple[float, float]:
    from tintin.core import floatref

    model = floatref.FloatModel(sp)
    for epoch in range(epochs):
        model.train_epoch(pre.x_train, pre.y_train, sp.max_batch, epoch, sp.seed)
    before = model.evaluate(user.x_test, user.y_test)
    spec.train_last(model.spec, last)
    model.moms = {i: [np.zeros_like(p) for p in ps] for i, ps in model.params.items()}
    for epoch in range(adapt_epochs):
        model.train_epoch(user.x_train, user.y_train, sp.max_batch, epoch, sp.seed)
    return before, model.evaluate(user.x_test, user.y_test)


def run(
    epochs: int, batch: int, seed: int, held_out: int = 10, adapt_epochs: int = 10, last: int = 2
) -> dict:
    pre, user = load_motion(held_out)
    # The demo's short budget (8 pre-training epochs, 330 adaptation steps) at the rate of
    # 2^-3: at the default's 2^-5 neither trainer gets far in that many steps (docs/numerics.md).
    optim = DEMO_OPTIM
    ib, ia = run_int(pre, user, motion_spec(optim, batch, seed), epochs, adapt_epochs, last)
    fb, fa = run_float(pre, user, motion_spec(optim, batch, seed), epochs, adapt_epochs, last)
    return {
        "demo": "motion",
        "dataset": f"{user.name}: pretrain {len(pre.y_train)} windows of 9 people, adapt on "
        f"{len(user.y_train)}, evaluate on {len(user.y_test)}",
        "epochs": epochs,
        "adapt_epochs": adapt_epochs,
        "batch": batch,
        "seed": seed,
        "fine_tuned_layers": last,
        "lr_shift": optim.lr_shift,
        "accuracy_before": {"int": ib, "float32": fb},
        "accuracy_after": {"int": ia, "float32": fa},
    }
