# SPDX-License-Identifier: Apache-2.0
"""Checkpoints through the host file storage: CRC-32 against zlib, a training run that stops,
restores from the file and continues bit-exactly with the reference, bad files refused.

The power cut after every byte, flipped bytes and hostile sizes are in
tests/common/test_checkpoint.c (host, Zephyr and bare-metal Cortex-M runs).
"""

import errno
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tintin.core import spec
from tintin.core.refmodel import RefModel
from tintin.native import clib
from tintin.tasks import digits

pytestmark = pytest.mark.clib

PARAM_KEYS = ("w", "w16", "bias", "w_mom", "b_mom")


@given(st.binary(max_size=300), st.integers(0, 2**32 - 1))
def test_crc32_is_zlibs(data, start):
    buf = np.frombuffer(data, np.uint8) if data else np.zeros(0, np.uint8)
    assert clib.lib().tintin_crc32(start, buf.ctypes.data, len(data)) == zlib.crc32(data, start)


def _batches(n: int, batch: int):
    data = pytest.importorskip("tintin.core.data")
    split = digits.load_digits_split()
    x, e = data.quantize_inputs(split.x_train)
    for k in range(n):
        j = np.arange(k * batch, (k + 1) * batch) % len(x)
        yield x[j], e, split.y_train[j]


def _same(a: clib.CModel, b, where: str) -> None:
    for i, layer in enumerate(a.spec.layers):
        if layer.kind not in spec.WEIGHT_LAYERS:
            continue
        pa, pb = a.layer_params(i), b.layer_params(i)
        for k in PARAM_KEYS:
            assert (pa[k] is None) == (pb[k] is None), f"{where}: layer {i} {k}"
            if pa[k] is not None:
                assert np.array_equal(pa[k], pb[k]), f"{where}: layer {i} {k} differs"


@pytest.mark.parametrize("optim", [spec.Optim(), spec.Optim.compact(), spec.Optim.momentum()],
                         ids=["default", "compact", "momentum"])  # fmt: skip
def test_restore_from_file_continues_bit_exact(tmp_path, optim):
    sp = digits.digits_spec(optim, 8, 3)
    steps = list(_batches(40, 8))
    ref = RefModel(sp)
    first = clib.CModel(sp)
    for x, e, y in steps[:25]:
        first.train_step(x, e, labels=y)
        ref.train_step(x, e, labels=y)
    path = tmp_path / "digits.ckpt"
    assert first.save_checkpoint(path) == 1
    assert first.save_checkpoint(path) == 2  # the other slot
    # A "reboot": a new model from the same table, restored from the file.
    second = clib.CModel(sp)
    info = second.restore_checkpoint(path)
    assert (info.seq, info.slot, info.valid) == (2, 1, 2)
    assert second.stats() == first.stats()
    for x, e, y in steps[25:]:
        second.train_step(x, e, labels=y)
        ref.train_step(x, e, labels=y)
    _same(second, ref, "restored run vs the reference")
    assert second.stats()["steps"] == 40


def test_bad_files_are_refused(tmp_path):
    sp = digits.digits_spec(spec.Optim.momentum(), 8, 3)  # the larger state of the two models
    m = clib.CModel(sp)
    size = -(-m.checkpoint_bytes() // 256) * 256
    path = tmp_path / "x.ckpt"
    # Garbage and an all-erased file: no checkpoint, the model stays as it was.
    for content in (np.random.default_rng(1).bytes(2 * size), b"\xff" * (2 * size), b""):
        path.write_bytes(content)
        before = m.layer_params(0)["w"].copy()
        with pytest.raises(clib.TintinError) as e:
            m.restore_checkpoint(path)
        assert e.value.errno == errno.ENOENT
        assert np.array_equal(m.layer_params(0)["w"], before)
    # Another model's checkpoint.
    other = clib.CModel(digits.digits_spec(spec.Optim(), 8, 3))
    other.save_checkpoint(path, size)
    with pytest.raises(clib.TintinError) as e:
        m.restore_checkpoint(path, size)
    assert e.value.errno == errno.ENOENT
    # Slots too small for the model.
    with pytest.raises(clib.TintinError) as e:
        m.save_checkpoint(tmp_path / "small.ckpt", 128)
    assert e.value.errno == errno.EINVAL
