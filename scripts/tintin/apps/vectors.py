# SPDX-License-Identifier: Apache-2.0
"""Generated C headers: test vectors for tests/common and the samples' models and data.

The ztest suites and samples run on targets without Python, so the reference's answers, the
models and the data are compiled in. `python -m tintin.apps.vectors` rewrites every file;
`--check` fails when a committed file differs from what the reference produces now (the host
tests run it, so the headers cannot go stale).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
from pathlib import Path

import numpy as np

from tintin.core import numerics as nx
from tintin.core import spec
from tintin.core.refmodel import RefModel
from tintin.io import cgen, inputs
from tintin.native.tree import REPO
from tintin.tasks import digits as digits_task
from tintin.tasks import envdata

SOURCE = "python -m tintin.apps.vectors"
N = 64  # cases per primitive


def _i32(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mixed magnitudes: full range, small, and the edges."""
    full = rng.integers(-(2**31) + 1, 2**31, n // 2)
    small = rng.integers(-70000, 70001, n - n // 2 - 4)
    return np.concatenate([full, small, [0, 1, -1, 2**31 - 1]]).astype(np.int64)


def numerics() -> str:
    rng = np.random.default_rng(20261125)
    x = _i32(rng, N)
    s = rng.integers(-3, 41, N)
    r = rng.integers(0, 2**32, N, dtype=np.uint64)
    mult = rng.integers(1, 256, N)
    shl = rng.integers(0, 41, N)
    y = _i32(rng, N)
    out = [f"#define TT_NUM_N {N}\n\n"]
    out.append(cgen.c_array("tt_num_x", "int32_t", x))
    out.append(cgen.c_array("tt_num_y", "int32_t", y))
    out.append(cgen.c_array("tt_num_s", "int32_t", s))
    out.append(cgen.c_array("tt_num_r", "uint32_t", r))
    out.append(cgen.c_array("tt_num_mult", "int32_t", mult))
    out.append(cgen.c_array("tt_num_shl", "int32_t", shl))
    out.append(cgen.c_array("tt_num_round_shift", "int32_t", nx.round_shift(x, s)))
    out.append(cgen.c_array("tt_num_sto_shift", "int32_t", nx.sto_shift(x, s, r)))
    out.append(cgen.c_array("tt_num_psto_shift", "int32_t", nx.psto_shift(x, s)))
    out.append(
        cgen.c_array(
            "tt_num_rescale_mult",
            "int32_t",
            [nx.rescale_mult(v, m) for v, m in zip(x, mult, strict=True)],
        )
    )
    out.append(cgen.c_array("tt_num_shl_sat32", "int32_t", nx.shl_sat32(x, shl)))
    out.append(cgen.c_array("tt_num_add_sat32", "int32_t", nx.sat32(x + y)))
    out.append(cgen.c_array("tt_num_bits", "int32_t", nx.bits(np.abs(x))))
    seed = 12345
    key = nx.prng_key(seed)
    out.append(f"\n#define TT_PRNG_SEED {seed}u\n#define TT_PRNG_KEY {key}u\n")
    out.append(cgen.c_array("tt_prng_stream", "uint32_t", nx.prng_at(key, 0, np.arange(32))))
    acc = rng.integers(-(2**20), 2**20, N).astype(np.int32)
    q, shift, nsat = nx.requantize(acc)
    out.append(f"\n#define TT_REQ_SHIFT {shift}\n#define TT_REQ_SAT {nsat}\n")
    out.append(cgen.c_array("tt_req_acc", "int32_t", acc))
    out.append(cgen.c_array("tt_req_out", "int8_t", q))
    # Losses: cross-entropy draws from the PRNG (key of TT_PRNG_SEED, counter 0).
    nb, nc = 4, 10
    z = rng.integers(-127, 128, (nb, nc)).astype(np.int8)
    lab = rng.integers(0, nc, nb).astype(np.uint8)
    g, e = nx.xent_grad(z, -4, lab, key, 0)
    out.append(f"\n#define TT_XENT_B {nb}\n#define TT_XENT_C {nc}\n#define TT_XENT_EXP {e}\n")
    out.append(cgen.c_array("tt_xent_z", "int8_t", z))
    out.append(cgen.c_array("tt_xent_labels", "uint8_t", lab))
    out.append(cgen.c_array("tt_xent_err", "int8_t", g))
    yv = rng.integers(-127, 128, (nb, 3)).astype(np.int8)
    tv = rng.integers(-127, 128, (nb, 3)).astype(np.int8)
    err, e, nsat = nx.mse_grad(yv, -5, tv, -7)
    out.append(f"\n#define TT_MSE_B {nb}\n#define TT_MSE_N {nb * 3}\n")
    out.append(f"#define TT_MSE_EXP {e}\n#define TT_MSE_SAT {nsat}\n")
    out.append(cgen.c_array("tt_mse_y", "int8_t", yv))
    out.append(cgen.c_array("tt_mse_t", "int8_t", tv))
    out.append(cgen.c_array("tt_mse_err", "int8_t", err))
    return "".join(out)


def _geom_macro(name: str, g: spec.Geom) -> str:
    items = [f".{k} = {v}" for k, v in dataclasses.asdict(g).items()]
    return f"#define {name} \\\n\t{{{', '.join(items[:6])}, \\\n\t {', '.join(items[6:])}}}\n"


def _s8(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(-127, 128, shape).astype(np.int8)


def layers() -> str:
    rng = np.random.default_rng(7)
    out = []
    # Dense.
    nb, n_in, n_out = 3, 7, 5
    x, w, err = _s8(rng, nb, n_in), _s8(rng, n_out, n_in), _s8(rng, nb, n_out)
    bias = rng.integers(-(2**20), 2**20, n_out)
    out.append(f"#define TT_FC_B {nb}\n#define TT_FC_IN {n_in}\n#define TT_FC_OUT {n_out}\n")
    out.append("#define TT_FC_BIAS_SHIFT 3\n")
    for name, arr, ct in (("x", x, "int8_t"), ("w", w, "int8_t"), ("err", err, "int8_t")):
        out.append(cgen.c_array(f"tt_fc_{name}", ct, arr))
    out.append(cgen.c_array("tt_fc_bias", "int32_t", bias))
    fwd = nx.sat32(nx.i64(x) @ nx.i64(w).T + nx.round_shift(nx.i64(bias), 3))
    out.append(cgen.c_array("tt_fc_fwd", "int32_t", fwd))
    out.append(cgen.c_array("tt_fc_bwd", "int32_t", nx.i64(err) @ nx.i64(w)))
    out.append(cgen.c_array("tt_fc_grad", "int32_t", nx.i64(err).T @ nx.i64(x)))
    out.append(cgen.c_array("tt_fc_grad_bias", "int32_t", nx.i64(err).sum(axis=0)))
    # Convolutions: a strided 2-D conv with same padding and a 1-D valid one.
    convs = {
        "conv2d": (
            (6, 7, 2),
            spec.Layer(spec.LAYER_CONV2D, 3, kernel_h=3, kernel_w=3, stride=2, pad=spec.PAD_SAME),
        ),
        "conv1d": (
            (1, 10, 2),
            spec.Layer(spec.LAYER_CONV1D, 2, kernel_h=1, kernel_w=3, stride=1, pad=spec.PAD_VALID),
        ),
    }
    for name, (dims, layer) in convs.items():
        g = spec.shapes_of(dims, [layer], check_weights=False)[0].geom
        up = name.upper()
        n_x, n_y = int(np.prod(dims)), g.out_h * g.out_w * g.out_c
        row = g.k_h * g.k_w * g.in_c
        x, w = _s8(rng, 2, n_x), _s8(rng, g.out_c, row)
        err = _s8(rng, 2, n_y)
        b = rng.integers(-5000, 5000, g.out_c)
        out.append(f"\n#define TT_{up}_B 2\n#define TT_{up}_ROW {row}\n")
        out.append(_geom_macro(f"TT_{up}_GEOM", g))
        for nm, arr in (("x", x), ("w", w), ("err", err)):
            out.append(cgen.c_array(f"tt_{name}_{nm}", "int8_t", arr))
        out.append(cgen.c_array(f"tt_{name}_bias", "int32_t", b))
        out.append(cgen.c_array(f"tt_{name}_fwd", "int32_t", nx.conv_forward(x, w, b, 0, g)))
        out.append(cgen.c_array(f"tt_{name}_bwd", "int32_t", nx.conv_backward(err, w, g)))
        gw, gb = nx.conv_grad(err, x, g)
        out.append(cgen.c_array(f"tt_{name}_grad", "int32_t", gw))
        out.append(cgen.c_array(f"tt_{name}_grad_bias", "int32_t", gb))
    # Pools: overlapping max-pool with same padding, average pool, global average pool.
    pools = {
        "maxpool": (
            (5, 6, 2),
            spec.Layer(spec.LAYER_MAXPOOL, kernel_h=3, kernel_w=2, stride=2, pad=spec.PAD_SAME),
        ),
        "avgpool": ((5, 6, 2), spec.Layer(spec.LAYER_AVGPOOL, kernel_h=3, kernel_w=3, stride=2)),
        "gap": ((4, 3, 3), spec.Layer(spec.LAYER_GAP)),
    }
    for name, (dims, layer) in pools.items():
        sh = spec.shapes_of(dims, [layer], check_weights=False)[0]
        g, up = sh.geom, name.upper()
        n_x, n_y = int(np.prod(dims)), g.out_h * g.out_w * g.out_c
        # A narrow range makes max-pool ties common, so "first maximum" is tested.
        x = rng.integers(-3, 3, (2, n_x)).astype(np.int8) if name == "maxpool" else _s8(rng, 2, n_x)
        err = _s8(rng, 2, n_y)
        out.append(f"\n#define TT_{up}_B 2\n#define TT_{up}_RECIP {sh.recip}\n")
        out.append(_geom_macro(f"TT_{up}_GEOM", g))
        out.append(cgen.c_array(f"tt_{name}_x", "int8_t", x))
        out.append(cgen.c_array(f"tt_{name}_err", "int8_t", err))
        if name == "maxpool":
            out.append(cgen.c_array(f"tt_{name}_fwd", "int8_t", nx.maxpool_forward(x, g)))
            out.append(cgen.c_array(f"tt_{name}_bwd", "int32_t", nx.maxpool_backward(x, err, g)))
        else:
            out.append(
                cgen.c_array(f"tt_{name}_fwd", "int32_t", nx.avgpool_forward(x, g, sh.recip))
            )
            out.append(
                cgen.c_array(f"tt_{name}_bwd", "int32_t", nx.avgpool_backward(err, g, sh.recip))
            )
    return "".join(out)


# A small CNN that uses every layer family, for a bit-exact training run on the target.
TRAIN_ROWS = [
    {"type": "conv1d", "units": 4, "kernel": [3], "pad": "same"},
    {"type": "relu"},
    {"type": "maxpool", "kernel": [2]},
    {"type": "conv1d", "units": 4, "kernel": [3], "stride": 2},
    {"type": "relu"},
    {"type": "avgpool", "kernel": [2]},
    {"type": "flatten"},
    {"type": "dense", "units": 5},
]
TRAIN_STEPS = 12


def train() -> str:
    # The momentum preset: the on-target suites cover its path; tt_digits covers the default.
    sp = spec.build(
        (1, 24, 2), [dict(r) for r in TRAIN_ROWS], 3, optim=spec.Optim.momentum(), max_batch=4
    )
    rng = np.random.default_rng(11)
    x = rng.integers(-127, 128, (TRAIN_STEPS, sp.max_batch, sp.input_size)).astype(np.int8)
    y = rng.integers(0, 5, (TRAIN_STEPS, sp.max_batch)).astype(np.uint8)
    ref = RefModel(sp)
    for k in range(TRAIN_STEPS):
        ref.train_step(x[k], -7, labels=y[k])
    z, e = ref.forward(x[0], -7)
    out = [cgen.model_body(sp, "tt_cnn")]
    out.append(f"\n#define TT_CNN_STEPS {TRAIN_STEPS}\n#define TT_CNN_X_EXP (-7)\n")
    out.append(cgen.c_array("tt_cnn_x", "int8_t", x))
    out.append(cgen.c_array("tt_cnn_y", "uint8_t", y))
    out.append(f"#define TT_CNN_OUT_EXP ({e})\n")
    out.append(cgen.c_array("tt_cnn_out", "int8_t", z))
    for i in sorted(ref.dense):
        p = ref.layer_params(i)
        out.append(cgen.c_array(f"tt_cnn_final_w{i}", "int8_t", p["w"]))
        out.append(cgen.c_array(f"tt_cnn_final_b{i}", "int32_t", p["bias"]))
    return "".join(out)


def blob_model() -> spec.ModelSpec:
    """conv1d, ReLU, max-pool, dense with nonzero biases; 27 conv and 45 dense weights, so
    both need padding before their biases in a blob."""
    rows = [
        {"type": "conv1d", "units": 3, "kernel": [3], "stride": 1, "pad": "same"},
        {"type": "relu"},
        {"type": "maxpool", "kernel": [2], "stride": 0, "pad": "same"},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
    ]
    sp = spec.build((1, 9, 3), rows, 4, optim=spec.Optim.compact(), max_batch=2)
    for layer in sp.layers:
        if layer.bias is not None:
            layer.bias = np.arange(1, len(layer.bias) + 1, dtype=np.int32) * 37
    return sp


def blob_vectors() -> str:
    """A model blob, and the reference's outputs before and after one step of its model."""
    from tintin.io import blob
    from tintin.native import clib

    sp = blob_model()
    image = blob.pack(sp)
    rng = np.random.default_rng(12)
    x = rng.integers(-127, 128, (2, sp.input_size)).astype(np.int8)
    y = np.array([0, 2], np.uint8)
    ref = RefModel(sp)
    z0, e0 = ref.forward(x, -7)
    ref.train_step(x, -7, labels=y)
    z1, e1 = ref.forward(x, -7)
    sizes = [("TT_BLOB_LEN", len(image)), ("TT_BLOB_ARENA_TRAIN", clib.plan(sp))]
    exps = [("TT_BLOB_OUT0_EXP", f"({e0})"), ("TT_BLOB_OUT1_EXP", f"({e1})")]
    out = [cgen.macros(sizes + exps)]
    out.append(cgen.c_array("tt_blob", "uint8_t", np.frombuffer(image, np.uint8),
                            storage="static const _Alignas(4)"))  # fmt: skip
    out.append(cgen.c_array("tt_blob_x", "int8_t", x))
    out.append(cgen.c_array("tt_blob_y", "uint8_t", y))
    out.append(cgen.c_array("tt_blob_out0", "int8_t", z0))
    out.append(cgen.c_array("tt_blob_out1", "int8_t", z1))
    return "".join(out)


def _digits_int8() -> tuple[object, np.ndarray, np.ndarray, int]:
    """The demo's digits split as int8; train and test each take their own exponent (both 2^-7)."""
    from tintin.core import data

    split = digits_task.load_digits_split()
    xq_tr, e = data.quantize_inputs(split.x_train)
    xq_te, _ = data.quantize_inputs(split.x_test)
    return split, xq_tr, xq_te, e


def digits() -> str:
    """A digits subset and the MLP trained on it, with the reference's held-out result."""
    split, xq_tr, xq_te, e = _digits_int8()
    n_tr, n_te, epochs = 256, 128, 12
    xs, ys = xq_tr[:n_tr], split.y_train[:n_tr]
    xt, yt = xq_te[:n_te], split.y_test[:n_te]
    sp = digits_task.digits_spec(spec.Optim(), 8, 1)
    ref = RefModel(sp)
    before = ref.evaluate(xt, e, yt)
    for _ in range(epochs):
        for k in range(0, n_tr, sp.max_batch):
            ref.train_step(xs[k : k + sp.max_batch], e, labels=ys[k : k + sp.max_batch])
    after = ref.evaluate(xt, e, yt)
    out = [cgen.model_body(sp, "tt_digits")]
    out.append(f"\n#define TT_DIGITS_EPOCHS {epochs}\n")
    out.append(
        f"#define TT_DIGITS_CORRECT_BEFORE {before}\n#define TT_DIGITS_CORRECT_AFTER {after}\n"
    )
    out.append(cgen.data_body("tt_digits_train", xs, e, ys))
    out.append(cgen.data_body("tt_digits_test", xt, e, yt))
    # The same MLP one sample at a time for an epoch, with the default optimizer and with
    # the compact one: the batch-1 dense update (optim/sgd.c's column passes, by hand on
    # Armv6-M), then 8 held-out outputs.
    sp_c = digits_task.digits_spec(spec.Optim.compact(), 8, 1)
    out.append(cgen.model_body(sp_c, "tt_digits_c"))
    for tag, model_spec in (("B1", sp), ("C1", sp_c)):
        ref1 = RefModel(model_spec)
        for k in range(n_tr):
            ref1.train_step(xs[k : k + 1], e, labels=ys[k : k + 1])
        z, ze = ref1.forward(xt[:8], e)
        out.append(f"\n#define TT_DIGITS_{tag}_CORRECT_AFTER {ref1.evaluate(xt, e, yt)}\n")
        out.append(f"#define TT_DIGITS_{tag}_OUT_EXP ({ze})\n")
        out.append(cgen.c_array(f"tt_digits_{tag.lower()}_out", "int8_t", np.asarray(z).ravel()))
    return "".join(out)


# The digits sample: the demo's MLP (random init, default optimizer, batch 8) and the first
# samples of the demo's stratified split, few enough for a small part's flash.
SAMPLE_TRAIN, SAMPLE_TEST = 512, 256


def sample_digits_model() -> str:
    return cgen.model_body(digits_task.digits_spec(spec.Optim(), 8, 1), "digits")


def sample_digits_data() -> str:
    split, xq_tr, xq_te, e = _digits_int8()
    return cgen.data_body(
        "digits_train", xq_tr[:SAMPLE_TRAIN], e, split.y_train[:SAMPLE_TRAIN]
    ) + cgen.data_body("digits_test", xq_te[:SAMPLE_TEST], e, split.y_test[:SAMPLE_TEST])


# The environmental sample: the indoor-pre-trained detector and the outdoor mote's readings
# (tintin.tasks.envcl), and the float32 reference's prequential errors on them.
@functools.cache
def _env() -> tuple[object, tuple[int, int, int], list[int]]:
    from tintin.tasks import envcl

    sc = envcl.build()
    pred = envcl.prequential_float(sc)
    windows = [envcl.error_bp(w) for w in envcl.windows(pred, sc.y)]
    return sc, envcl.score(pred, sc.y), windows


def sample_env_model() -> str:
    from tintin.tasks import envcl

    sc = _env()[0]
    assert isinstance(sc, envcl.Scenario)
    # The model header `tintin train` would write: the model, then its inputs' quantiser.
    return (
        cgen.model_body(sc.deploy, "env")
        + "\n"
        + inputs.header_body("env", sc.scaling, None, envdata.FEATURE_NAMES).rstrip("\n")
        + "\n"
    )


def sample_env_data() -> str:
    """The readings as the sensor driver gives them (hundredths), for env_quantize() to encode
    on the device as it encodes a live sensor's."""
    from tintin.tasks import envcl

    sc = _env()[0]
    assert isinstance(sc, envcl.Scenario)
    raw = np.stack([sc.stream.t, sc.stream.h], 1)
    if raw.min() < -(2**15) or raw.max() >= 2**15:
        raise ValueError("env readings beyond int16 hundredths")
    tables = cgen.c_array("env_stream_raw", "int16_t", raw) + cgen.c_array(
        "env_stream_y", "uint8_t", sc.y
    )
    heads = [("ENV_CLASSES", 2), ("ENV_STREAM_N", len(raw)), ("ENV_STREAM_SIZE", raw.shape[1])]
    return cgen.macros(heads) + "\n" + cgen.no_format(tables)


def sample_env_reference() -> str:
    n, fa, missed = _env()[1]
    windows = _env()[2]
    out = cgen.macros([("ENV_REF_N", n), ("ENV_REF_FALSE_ALARMS", fa), ("ENV_REF_MISSED", missed),
                       ("ENV_REF_WINDOWS", len(windows))])  # fmt: skip
    return (
        out
        + "\n/* Error per ENV_WINDOW readings, in hundredths of a percent. */\n"
        + (cgen.c_array("env_ref_window_bp", "uint16_t", windows))
    )


# The vibration sample: the motion network pre-trained on nine people (the C runtime, as
# `tintin demo motion`), its last two layers training; a subset of the tenth person's windows.
VIB_ADAPT, VIB_TEST, VIB_EPOCHS = 96, 96, 8


@functools.cache
def _vibration() -> tuple[spec.ModelSpec, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from tintin.core.data import quantize_like
    from tintin.tasks import motion

    pre, user = motion.load_motion(10)
    # Pre-trained at batch 8 with momentum; the sample's README numbers were measured so.
    sp = motion.motion_spec(spec.Optim.momentum(), 8, 1)
    trained = motion.trained_params(motion.pretrain_int(pre, sp, VIB_EPOCHS), sp)
    rng = np.random.default_rng(0)
    ia = rng.permutation(len(user.y_train))[:VIB_ADAPT]  # shuffled: the sample trains in order
    it = np.sort(rng.permutation(len(user.y_test))[:VIB_TEST])
    return (
        motion.finetune_spec(trained, sp, 2),
        quantize_like(user.x_train[ia], -7),
        user.y_train[ia],
        quantize_like(user.x_test[it], -7),
        user.y_test[it],
    )


def sample_vibration_model() -> str:
    return cgen.model_body(_vibration()[0], "vibration")


def sample_vibration_data() -> str:
    _, xa, ya, xt, yt = _vibration()
    body = cgen.macros([("VIBRATION_CLASSES", 7)]) + "\n"
    return (
        body
        + cgen.data_body("vibration_adapt", xa, -7, ya)
        + "\n"
        + cgen.data_body("vibration_test", xt, -7, yt)
    )


VEC = "tests/common/vectors"
FILES = {
    f"{VEC}/tt_vec_numerics.h": ("Fixed-point primitives and losses: reference results.", numerics),
    f"{VEC}/tt_vec_layers.h": ("Layer kernels: inputs and the reference's results.", layers),
    f"{VEC}/tt_vec_train.h": (f"A CNN training run: {TRAIN_STEPS} reference steps.", train),
    f"{VEC}/tt_vec_blob.h": ("A model blob: bytes and reference results.", blob_vectors),
    f"{VEC}/tt_vec_digits.h": ("Digits MLP on a subset: model, data, reference result.", digits),
    "samples/digits/src/digits_model.h": (
        "Digits MLP 64-32-10, He-uniform random init, default optimizer, batch 8.",
        sample_digits_model,
    ),
    "samples/digits/src/digits_data.h": (
        f"scikit-learn digits (BSD-3-Clause): {SAMPLE_TRAIN} training and {SAMPLE_TEST} "
        "held-out images.",
        sample_digits_data,
    ),
    "samples/vibration/src/vibration_model.h": (
        f"conv1d motion network pre-trained on nine people ({VIB_EPOCHS} epochs, momentum "
        "optimizer, batch 8); its last two layers train.",
        sample_vibration_model,
    ),
    "samples/vibration/src/vibration_data.h": (
        "seglearn smartwatch IMU (Burns et al. 2018; BSD-3-Clause package): person 10's 2 s "
        f"windows of 6 channels, {VIB_ADAPT} to adapt on and {VIB_TEST} held out.",
        sample_vibration_data,
    ),
    "samples/env_sensor_cl/src/env_model.h": (
        "Anomaly detector 4-16-2 pre-trained indoors (motes 1-2) with the integer reference "
        "trainer; compact optimizer, batch 1, for on-device learning; env_quantize(), the "
        "input quantiser fitted on the same readings.",
        sample_env_model,
    ),
    "samples/env_sensor_cl/src/env_data.h": (
        "Suthaharan et al., ISSNIP 2010 (ODC-By 1.0 / CC BY 4.0): the 5041 readings of outdoor "
        "mote 4 in time order; per reading temperature (centi-degC) and relative humidity "
        "(centi-%RH), as int16 {t, h} pairs, and the anomaly label.",
        sample_env_data,
    ),
    "samples/env_sensor_cl/src/env_reference.h": (
        "float32 reference on the host: the same network pre-trained and adapted in float32; "
        "its prequential errors on the stream of env_data.h, in total and per window.",
        sample_env_reference,
    ),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tintin.apps.vectors", description=__doc__, allow_abbrev=False
    )
    ap.add_argument("--root", type=Path, default=REPO, help="repository (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="fail if the files differ")
    args = ap.parse_args(argv)
    stale = []
    for name, (title, make) in FILES.items():
        body = make()
        if name.startswith(VEC):
            # Test tables keep the generator's layout as a whole (no nested markers).
            for marker in ("/* clang-format off */\n", "/* clang-format on */\n"):
                body = body.replace(marker, "")
            body = cgen.no_format(body)
        text = cgen.header(Path(name).name.replace(".", "_"), title, SOURCE, body)
        path = args.root / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if stale:
        print(
            f"vectors: stale {', '.join(stale)}; run python -m tintin.apps.vectors", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
