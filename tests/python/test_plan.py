# SPDX-License-Identifier: Apache-2.0
"""`tintin plan`: predictions from the C planner and the per-core footprint calibration."""

import json
import shutil
import subprocess
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
    assert arena == clib.plan(sp) == 4408
    cal = footprint.load()["cores"]["cortex-m0plus"]
    assert p["ram"]["struct tintin_model"] == cal["model_struct_base"] + 16 * cal["layer_state"]
    assert p["flash"]["model weights and biases"] == 64 * 32 + 32 * 4 + 32 * 10 + 10 * 4
    assert p["layers"] == {"0": 2048 + 128, "2": 320 + 40}
    assert p["fits"] is True
    assert "fits" in capsys.readouterr().out


def test_m4_plan_shows_the_dense_workspace(spec_file, tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert plan_tool.main([str(spec_file), "--core", "cortex-m4", "--json", str(out)]) == 0
    p = json.loads(out.read_text())
    _, sp = modelfile.load_spec(spec_file)
    # 8 bytes per fan-in behind the first layer's outputs, net of room already there.
    assert p["dsp_workspace"] == clib.plan(sp, dsp=True) - clib.plan(sp) == 4920 - 4408
    assert sum(v for k, v in p["ram"].items() if k.startswith("arena")) == 4408
    assert "optional: dense kernel workspace" in capsys.readouterr().out
    assert plan_tool.main([str(spec_file), "--core", "cortex-m3", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["dsp_workspace"] == 0
    assert "workspace" not in capsys.readouterr().out


def test_plan_says_when_it_does_not_fit(spec_file, capsys):
    assert plan_tool.main([str(spec_file), "--ram", "4K"]) == 1
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


@pytest.mark.skipif(shutil.which(footprint.GCC) is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize(("target", "core"), [("m0plus", "cortex-m0plus"), ("m4", "cortex-m4")])
def test_plan_predicts_what_size_measures(spec_file, tmp_path, target, core):
    """The digits model linked for a real core: RAM exact, model constants exact, runtime
    code an upper bound within 10% (the linker drops the functions this model never calls).
    """
    from test_size import HEADER, build

    from tintin import size

    files = build(tmp_path / target, target)
    rep = size.measure(files["elf"], map_file=files["map"], headers=[HEADER])
    js = size.to_json(rep)["owners"]
    name, sp = modelfile.load_spec(spec_file)
    p = plan_tool.make_plan(name, sp, core, max_layers=16, stack=0, infer=False)
    planned_arena = sum(v for k, v in p.ram.items() if k.startswith("arena"))
    assert js["arena"]["symbols"]["arena"] == planned_arena
    nm = subprocess.run(["arm-none-eabi-nm", "-S", str(files["elf"])], capture_output=True,
                        text=True, check=True).stdout  # fmt: skip
    model_struct = next(int(ln.split()[1], 16) for ln in nm.splitlines() if ln.endswith(" model"))
    assert model_struct == p.ram["struct tintin_model"]
    constants = p.flash["model weights and biases"] + p.flash["model table and description"]
    assert js["models"]["digits"]["flash"] == constants
    code, measured = p.flash["tintin runtime code"], js["tintin"]["flash"]
    print(f"plan vs size {core}: planned code {code}, linked {measured}")
    assert measured <= code <= measured * 1.10, (code, measured)


def test_checkpoint_code_counts_only_when_asked(spec_file, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert plan_tool.main([str(spec_file), "--core", "cortex-m0plus", "--json", str(a)]) == 0
    args = [str(spec_file), "--core", "cortex-m0plus", "--checkpoint", "--json", str(b)]
    assert plan_tool.main(args) == 0
    fa, fb = json.loads(a.read_text())["flash"], json.loads(b.read_text())["flash"]
    code = footprint.load()["cores"]["cortex-m0plus"]["code"][plan_tool.CHECKPOINT_CODE]
    assert "tintin checkpoint code" not in fa
    assert fb["tintin checkpoint code"] == code > 1000
    assert fb["tintin runtime code"] == fa["tintin runtime code"]
