# SPDX-License-Identifier: Apache-2.0
"""`tintin plan`: predictions from the C planner and the per-core footprint calibration."""

import json
import shutil
from pathlib import Path

import pytest

from tintin import clib, footprint, modelfile
from tintin import plan as plan_tool

REPO = Path(__file__).resolve().parents[2]
SPEC = """\
name: digits
input: [64]
max_batch: 8
seed: 1
layers:
  - {type: dense, units: 32}
  - {type: relu}
  - {type: dense, units: 10}
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "digits.yaml"
    path.write_text(SPEC)
    return path


def test_plan_parts_add_up_to_the_c_planner(spec_file, tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert plan_tool.main([str(spec_file), "--core", "cortex-m0plus", "--ram", "32K",
                           "--flash", "128K", "--json", str(out)]) == 0  # fmt: skip
    p = json.loads(out.read_text())
    _, sp = modelfile.load_spec(spec_file)
    arena = sum(v for k, v in p["ram"].items() if k.startswith("arena"))
    assert arena == clib.plan(sp) == 14048
    cal = footprint.load()["cores"]["cortex-m0plus"]
    assert p["ram"]["struct tintin_model"] == cal["model_struct_base"] + 16 * cal["layer_state"]
    assert p["flash"]["model weights and biases"] == 64 * 32 + 32 * 4 + 32 * 10 + 10 * 4
    assert p["layers"] == {"0": 2048 + 128, "2": 320 + 40}
    assert p["fits"] is True
    assert "fits" in capsys.readouterr().out


def test_plan_says_when_it_does_not_fit(spec_file, capsys):
    assert plan_tool.main([str(spec_file), "--ram", "8K"]) == 1
    out = capsys.readouterr().out
    assert "DOES NOT FIT" in out and "OVER" in out


def test_inference_plan_is_smaller(spec_file, tmp_path):
    out = tmp_path / "p.json"
    assert plan_tool.main([str(spec_file), "--infer", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["ram"]["arena"] == 1536


def test_plan_bad_size_is_a_usage_error(spec_file, capsys):
    with pytest.raises(SystemExit) as exc:
        plan_tool.main([str(spec_file), "--ram", "lots"])
    assert exc.value.code == 2 and "'lots' is not a size" in capsys.readouterr().err


def test_plan_too_few_layers_is_refused(spec_file, capsys):
    assert plan_tool.main([str(spec_file), "--max-layers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at least the model's 3 layers" in err


@pytest.mark.skipif(shutil.which(footprint.GCC) is None, reason="arm-none-eabi-gcc not installed")
def test_footprint_calibration_is_current():
    """footprint.json is what Debian's arm-none-eabi-gcc measures for today's sources."""
    assert footprint.main(["--check"]) == 0
