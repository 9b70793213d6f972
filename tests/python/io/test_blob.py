# SPDX-License-Identifier: Apache-2.0
"""Model blobs (tintin/blob.h): models parsed from a blob train bit-exactly with the NumPy
reference, and every truncation, every flipped byte and every hostile size is refused with an
errno. The fuzz target tests/fuzz/fuzz_model_blob.c feeds the parser arbitrary bytes.
"""

import errno
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pairs import cnn, cnn_spec, run_pair

from tintin.apps.vectors import blob_model
from tintin.core import spec
from tintin.core.spec import Optim
from tintin.io import blob
from tintin.io.gen import main as gen_main
from tintin.native import clib
from tintin.tasks import digits

pytestmark = pytest.mark.clib


def _refused(data: bytes) -> int:
    """The errno with which parse or plan refuses data; 0 when both accept it."""
    try:
        clib.plan_desc(clib.CBlob(data))
    except clib.TintinError as exc:
        return exc.errno
    return 0


def _digits() -> spec.ModelSpec:
    sp = digits.digits_spec(Optim(), 2, 3)
    rng = np.random.default_rng(5)
    for layer in sp.layers:
        if layer.bias is not None:  # nonzero biases, so their bytes matter
            layer.bias = rng.integers(-5000, 5000, layer.bias.shape).astype(np.int32)
    return sp


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=cnn(),
    optim=st.sampled_from([Optim(), Optim.compact(), Optim.momentum()]),
    batch=st.integers(1, 3),
    seed=st.integers(0, 99),
)
def test_blob_models_train_bit_exact(model, optim, batch, seed):
    sp = cnn_spec(model, optim, batch, seed)
    if sp is not None:
        run_pair(sp, 6, seed, blob=blob.pack(sp))


def test_digits_blob_equals_its_table():
    sp = _digits()
    data = blob.pack(sp)
    parsed = clib.CBlob(data)
    assert parsed.desc.hash == spec.table_hash(sp) == clib.lib().tintin_model_desc_hash(parsed.desc)
    assert clib.plan_desc(parsed) == clib.plan(sp)
    run_pair(sp, 4, 1, blob=data)


@pytest.mark.parametrize("make", [_digits, blob_model], ids=["digits", "odd_cnn"])
def test_every_truncation_is_refused(make):
    data = blob.pack(make())
    assert _refused(data) == 0
    for n in range(len(data)):
        assert _refused(data[:n]) == errno.EINVAL, f"{n} of {len(data)} bytes accepted"


@pytest.mark.parametrize("make", [_digits, blob_model], ids=["digits", "odd_cnn"])
def test_every_flipped_byte_is_refused(make):
    """Every byte of a blob is checked by the parser or by init's table hash."""
    data = bytearray(blob.pack(make()))
    for pos in range(len(data)):
        for bit in (0x01, 0x80):
            data[pos] ^= bit
            assert _refused(bytes(data)) != 0, f"byte {pos} ^ {bit:#x} accepted"
            data[pos] ^= bit
    run_pair(make(), 3, 2, blob=bytes(data))


def test_partition_slack_is_allowed():
    data = blob.pack(_digits())
    assert _refused(data + b"\xff" * 100) == 0


def _patched(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def test_hostile_fields_are_refused():
    data = blob.pack(_digits())
    rec = blob.HEADER_BYTES
    cases = {
        "magic": (_patched(data, 0, "<I", 0x12345678), errno.EINVAL),
        "older format": (_patched(data, 4, "<H", blob.VERSION - 1), errno.ENOTSUP),
        "newer format": (_patched(data, 4, "<H", blob.VERSION + 1), errno.ENOTSUP),
        "unknown upscale scope": (_patched(data, 23, "<B", 2), errno.EINVAL),
        "no layers": (_patched(data, 6, "<B", 0), errno.EINVAL),
        "too many layers": (_patched(data, 6, "<B", 200), errno.EINVAL),
        "no hash": (_patched(data, 28, "<I", 0), errno.EINVAL),
        "total 4 GiB": (_patched(data, 32, "<I", 0xFFFFFFFF), errno.EINVAL),
        "total shorter": (_patched(data, 32, "<I", len(data) - 4), errno.EINVAL),
        "weights 4 GiB": (_patched(data, rec + 12, "<I", 0xFFFFFFFF), errno.EINVAL),
        "weights one short": (_patched(data, rec + 12, "<I", 64 * 32 - 1), errno.EINVAL),
        "biases 65535": (_patched(data, rec + 10, "<H", 0xFFFF), errno.EINVAL),
        "unknown layer": (_patched(data, rec, "<B", 99), errno.EINVAL),
        "zero units": (_patched(data, rec + 2, "<H", 0), errno.EINVAL),
    }
    for what, (bad, want) in cases.items():
        assert _refused(bad) == want, what


def test_misaligned_blob_is_refused():
    data = blob.pack(_digits())
    buf = np.zeros(len(data) + 8, np.uint8)
    buf[1 : 1 + len(data)] = np.frombuffer(data, np.uint8)
    out = clib.ModelBlob()
    lib = clib.lib()
    assert lib.tintin_model_blob_parse(out, buf.ctypes.data + 1, len(data)) == -errno.EINVAL
    assert lib.tintin_model_blob_parse(out, None, len(data)) == -errno.EINVAL
    assert lib.tintin_model_blob_parse(None, buf.ctypes.data, len(data)) == -errno.EINVAL


def test_gen_model_blob(tmp_path, capsys):
    yml = tmp_path / "m.yaml"
    yml.write_text(
        "name: tiny\ninput: [1, 1, 6]\nmax_batch: 2\nseed: 3\n"
        "layers:\n  - {type: dense, units: 5}\n  - {type: relu}\n  - {type: dense, units: 3}\n"
    )
    out = tmp_path / "tiny.bin"
    assert gen_main(["model", str(yml), "--blob", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[:4] == b"TTMB" and _refused(data) == 0
    yml.write_text("name: tiny\ninput: [1, 1, 6]\nlayers:\n  - {type: dense, units: 0}\n")
    assert gen_main(["model", str(yml), "--blob", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tintin gen:")


def test_fuzz_seeds_are_valid_blobs():
    """The seeds tests/fuzz/blob_seeds.py writes still parse and plan (findings added to the
    corpus later need not)."""
    import importlib.util

    path = clib.REPO / "tests" / "fuzz" / "blob_seeds.py"
    mod_spec = importlib.util.spec_from_file_location("blob_seeds", path)
    assert mod_spec is not None and mod_spec.loader is not None
    seeds = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(seeds)
    corpus = clib.REPO / "tests" / "fuzz" / "corpus" / "model_blob"
    for name in seeds.MODELS:
        assert _refused((corpus / name).read_bytes()) == 0, name
