# SPDX-License-Identifier: Apache-2.0
"""samples/env_sensor_cl on the host: its C (env_cl.c, the replay, file checkpoints) gives
the numbers of the NumPy reference on the same stream, resumes bit-exactly after a power
cycle, encodes sensor readings as the Python tooling does, and `tintin demo env` writes the
curves. The Zephyr runs are twister's (sample.yaml)."""

import functools
import subprocess
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tintin.apps import envdemo
from tintin.apps.demo import main as demo_main
from tintin.io import inputquant
from tintin.io.gen import main as gen_main
from tintin.tasks import envcl, envdata

# The host runner is its own executable; the sanitizer run of the library does not need it.


@pytest.fixture(scope="module")
def reference():
    sc = envcl.build()
    frozen, live, model = envcl.prequential_int(sc)
    flt = envcl.prequential_float(sc)
    crc = 0
    for i, layer in enumerate(sc.deploy.layers):
        if layer.weights is not None:
            p = model.layer_params(i)
            crc = zlib.crc32(np.asarray(p["w"], np.int8).tobytes(), crc)
            crc = zlib.crc32(np.asarray(p["w16"], "<i2").tobytes(), crc)
            crc = zlib.crc32(np.asarray(p["bias"], "<i4").tobytes(), crc)
    return sc, frozen, live, flt, crc


def _totals(run: envdemo.HostRun) -> tuple[float, float]:
    return run.totals["frozen model"], run.totals["on-device training"]


def test_host_sample_equals_the_reference(reference):
    sc, frozen, live, flt, crc = reference
    run = envdemo.run_host([])
    assert run.passed
    assert f"env: trained parameters crc32 0x{crc:08x}" in run.lines
    n = len(sc.y)
    assert run.starts == list(range(0, n, envcl.WINDOW))
    assert run.frozen == [envcl.error_bp(w) / 100 for w in envcl.windows(frozen, sc.y)]
    assert run.live == [envcl.error_bp(w) / 100 for w in envcl.windows(live, sc.y)]
    want = (envcl.error_bp(envcl.score(frozen, sc.y)), envcl.error_bp(envcl.score(live, sc.y)))
    assert _totals(run) == (want[0] / 100, want[1] / 100)
    # The acceptance of issue 8 on this data: better than frozen, within 2 points of float32.
    flt_bp = envcl.error_bp(envcl.score(flt, sc.y))
    assert want[1] + 100 <= want[0] and want[1] <= flt_bp + 200


def test_power_cycle_resumes_bit_exact(tmp_path):
    plain = envdemo.run_host([])
    ckpt = tmp_path / "env.ckpt"
    cycled = envdemo.run_host(["--checkpoint", str(ckpt), "--reboot-at", "3000"])
    assert "env: resumed from checkpoint 3 (slot 0): 3000 readings learned" in cycled.lines
    assert _totals(cycled) == _totals(plain) and cycled.live == plain.live
    assert cycled.lines[-1] == plain.lines[-1]  # the trained parameters' CRC
    # A real second boot on the same file resumes after the last checkpoint (5000).
    again = envdemo.run_host(["--checkpoint", str(ckpt)])
    assert "env: resumed from checkpoint 5 (slot 0): 5000 readings learned" in again.lines
    assert not again.passed and any("no verdict" in line for line in again.lines)


@functools.cache
def _indoor_scale() -> inputquant.FeatureScale:
    fs = envcl.indoor()[2].feature
    assert fs is not None
    return fs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=4, max_size=4))
def test_sensor_encoding_matches_python(raw):
    """env_quantize() in the sample's header is the Python fit's transform, at any int32."""
    fs = _indoor_scale()
    out = subprocess.run([str(envdemo.host_runner()), "--quantize", *map(str, raw)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    want = inputquant.codes(np.array([raw]), fs.offset, fs.shift)[0]
    assert [int(v) for v in out.stdout.split()] == want.tolist()


def test_bad_host_arguments():
    out = subprocess.run([str(envdemo.host_runner()), "--reboot-at", "x"], capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert out.returncode == 2 and "not a count" in out.stderr


def test_demo_env_writes_the_curves(tmp_path, capsys):
    png = tmp_path / "env.png"
    assert demo_main(["env", "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "env: PASS" in out and f"curves in {png}" in out


def test_dataset_checksum_is_enforced(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    bad = envdata.cache_path()
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not the tarball")
    with pytest.raises(envdata.EnvDataError, match="checksum"):
        envdata.load(envdata.OUTDOOR)


def test_gen_data_stream(tmp_path):
    npz = tmp_path / "s.npz"
    x = np.array([[36, -26], [37, -27], [-127, 127]], np.float64)
    np.savez(npz, x=x, y=np.array([0, 1, 0]))
    out = tmp_path / "s.h"
    assert gen_main(["data", str(npz), "--name", "s", "--stream", "--scale", "int8",
                     "-o", str(out)]) == 0  # fmt: skip
    text = out.read_text()
    assert "#define S_STREAM_N    3" in text and "36, -26, 37, -27, -127, 127" in text
    np.savez(npz, x=x + 0.5, y=np.array([0, 1, 0]))
    assert gen_main(["data", str(npz), "--stream", "--scale", "int8", "-o", str(out)]) == 2


def test_sample_quantizer_is_what_gen_data_writes(tmp_path):
    """env_quantize() in env_model.h is what `tintin gen data --stream` fits on the indoor
    readings' raw features, in the units a sensor driver gives (python -m tintin.apps.vectors
    writes it without a file)."""
    raw = np.concatenate([envdata.raw_features(envdata.load(m)) for m in envdata.INDOOR])
    csv = tmp_path / "indoor.csv"
    rows = [",".join([*envdata.FEATURE_NAMES, "label"])]
    rows += [",".join(f"{v / 100:.2f}" for v in r) + ",0" for r in raw]
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "env_data.h"
    args = ["data", str(csv), "--name", "env", "--stream", "--keep-order", "-o", str(out)]
    assert gen_main(args) == 0
    committed = (envdemo.SAMPLE / "src" / "env_model.h").read_text()
    body = out.read_text()
    start = body.index("#define ENV_FEATURES")
    end = body.index("#endif", body.index("#error"))  # the tables, the function, the guard
    assert body[start:end] in committed


def test_sample_replays_the_readings_in_hundredths():
    """env_data.h holds the outdoor mote's readings as the CSV has them, in hundredths."""
    r = envdata.load(envdata.OUTDOOR)
    text = (envdemo.SAMPLE / "src" / "env_data.h").read_text()
    body = text[text.index("env_stream_raw[") :]
    body = body[body.index("{") + 1 : body.index("}")]
    got = np.array([int(v) for v in body.replace("\n", " ").split(",") if v.strip()])
    assert np.array_equal(got, np.stack([r.t, r.h], 1).ravel())
