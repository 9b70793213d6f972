# SPDX-License-Identifier: Apache-2.0
"""`tintin plan`: predictions from the C planner and the per-core footprint calibration."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from specfiles import DIGITS_SPEC

from tintin.core import spec
from tintin.core.spec import Optim
from tintin.io import cgen, modelfile
from tintin.native import clib
from tintin.target import footprint
from tintin.target import plan as plan_tool
from tintin.tasks import digits

REPO = Path(__file__).resolve().parents[3]
SPEC = DIGITS_SPEC


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
    assert arena == clib.plan(sp) == 3504
    cal = footprint.load()["cores"]["cortex-m0plus"]
    assert p["ram"]["struct tintin_model"] == cal["model_struct_base"] + 16 * cal["layer_state"]
    assert p["flash"]["model weights and biases"] == 64 * 32 + 32 * 4 + 32 * 10 + 10 * 4
    assert p["layers"] == {"0": 2048 + 128, "2": 320 + 40}
    assert p["fits"] is True
    assert "fits" in capsys.readouterr().out


@pytest.mark.parametrize("optim", [Optim(), Optim.lean(), Optim.compact(), Optim.momentum()])
@pytest.mark.parametrize("batch", [1, 8])
def test_arena_parts_are_the_planners(optim, batch):
    """tintin_model_plan_parts splits exactly the planned arena, and its parameters and
    optimizer state are what the generated headers' _ARENA_PARAMS and _ARENA_OPTIM say."""
    for sp in (digits.lenet_spec(optim, batch, 1), digits.digits_spec(optim, batch, 1)):
        for mode in (spec.MODE_TRAIN, spec.MODE_INFER):
            for dsp in (False, True):
                parts = clib.plan_parts(sp, mode, dsp)
                assert sum(parts.values()) == clib.plan(sp, mode, dsp)
        parts = clib.plan_parts(sp)
        assert (parts["params"], parts["optim"]) == cgen.arena_breakdown(sp)


def test_lenet_trains_in_16k_beyond_its_weights(tmp_path, capsys):
    """Issue 22: LeNet-5, every layer trained at batch 1 with the default optimizer, plans at
    most 16 KB of arena beyond its trainable parameters (no whole-output int32 scratch)."""
    sp = digits.lenet_spec(Optim(), 1, 1)
    parts = clib.plan_parts(sp)
    assert clib.plan(sp) - parts["params"] <= 16 * 1024
    assert parts["scratch"] <= 4 * 28 * 6  # one output row of the first convolution


def test_m4_plan_shows_the_dense_workspace(spec_file, tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert plan_tool.main([str(spec_file), "--core", "cortex-m4", "--json", str(out)]) == 0
    p = json.loads(out.read_text())
    _, sp = modelfile.load_spec(spec_file)
    # 8 bytes per fan-in behind the first layer's outputs, net of room already there.
    assert p["dsp_workspace"] == clib.plan(sp, dsp=True) - clib.plan(sp) == 4272 - 3504
    assert sum(v for k, v in p["ram"].items() if k.startswith("arena")) == 3504
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
    assert json.loads(out.read_text())["ram"]["arena"] == 484


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
    from sizeimage import HEADER, build

    from tintin.target import size

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


# --- what fits instead ---------------------------------------------------------------------

# Issue 20's example: MNIST's 784-128-10 MLP does not train whole on a 32 KB Cortex-M0+.
MNIST = {
    "name": "mnist",
    "input": [784],
    "max_batch": 8,
    "seed": 1,
    "layers": [{"type": "dense", "units": 128}, {"type": "relu"}, {"type": "dense", "units": 10}],
}
M0_32K = ["--core", "cortex-m0plus", "--ram", "32K"]


def write_model(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def plan_text(argv: list[str], capsys) -> tuple[int, str]:
    code = plan_tool.main(argv)
    return code, capsys.readouterr().out


def plan_json(argv: list[str], capsys) -> tuple[int, dict]:
    code = plan_tool.main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def listed(out: str) -> list[tuple[str, int, str]]:
    """(label, RAM total, change) of each line under 'fits instead'."""
    lines = out.split("fits instead, best first", 1)[1].splitlines()[1:]
    rows = []
    for line in lines:
        label, rest = line[2:40].rstrip(), line[40:]
        ram, _, change = rest.strip().partition("  ")
        rows.append((label, int(ram.replace(",", "")), change))
    return rows


def ram_total(out: str) -> int:
    """The RAM total line of `tintin plan`'s text."""
    ram = out.split("\nRAM\n", 1)[1].split("\n\n", 1)[0]
    total = next(ln for ln in ram.splitlines() if ln.strip().startswith("total"))
    return int(total.split()[1].replace(",", ""))


def apply_change(doc: dict, change: list[str]) -> tuple[dict, list[str]]:
    """The model file and extra options a user gets by making the printed change."""
    doc, extra = json.loads(json.dumps(doc)), []
    for part in change:
        if part.startswith("train_last: "):
            doc["train_last"] = int(part.split(": ")[1])
        elif part == "max_batch: 1":
            doc["max_batch"] = 1
        elif part == "train: bias_only on every weight layer, no train_last":
            doc.pop("train_last", None)
            for layer in doc["layers"]:
                if layer["type"] == "dense":
                    layer["train"] = "bias_only"
        elif part == "--infer (TINTIN_MODE_INFER)":
            extra.append("--infer")
        else:
            raise AssertionError(f"a change the test does not know: {part!r}")
    return doc, extra


def test_mlp_on_32k_lists_what_fits_best_first(tmp_path, capsys):
    spec = write_model(tmp_path / "mnist.json", MNIST)
    code, out = plan_text([str(spec), *M0_32K], capsys)
    assert code == 1 and "DOES NOT FIT" in out
    rows = listed(out)
    # Training the last layer fits, at batch 8 and at batch 1; the whole model does not, even
    # at batch 1 (its 100,352 first-layer weights alone are three times the RAM).
    assert [label for label, _, _ in rows] == [
        "last 1 weight layer, batch 8", "last 1 weight layer, batch 1",
        "biases only, batch 8", "biases only, batch 1",
        "inference only, batch 8", "inference only, batch 1",
    ]  # fmt: skip
    assert rows[1][2] == "train_last: 1, max_batch: 1"
    assert rows[4][2] == "--infer (TINTIN_MODE_INFER)"
    assert all(ram <= 32768 for _, ram, _ in rows)


def test_each_alternative_is_what_plan_says_of_it(tmp_path, capsys):
    """Making the printed change and planning again gives the printed RAM, and it fits."""
    spec = write_model(tmp_path / "mnist.json", MNIST)
    code, doc = plan_json([str(spec), *M0_32K], capsys)
    assert code == 1 and len(doc["alternatives"]) == 7
    for n, alt in enumerate(doc["alternatives"]):
        changed, extra = apply_change(MNIST, alt["change"])
        path = write_model(tmp_path / f"alt{n}.json", changed)
        code, out = plan_text([str(path), *M0_32K, *extra], capsys)
        assert ram_total(out) == alt["ram_total"], alt["label"]
        assert code == (0 if alt["fits"] else 1), alt["label"]
        assert ("DOES NOT FIT" not in out) == alt["fits"]
    # The last layer at batch 1 is the one of the issue; planned directly, not from the list.
    last = write_model(tmp_path / "last.json", {**MNIST, "train_last": 1, "max_batch": 1})
    code, out = plan_text([str(last), *M0_32K], capsys)
    assert code == 0
    assert listed_ram(doc, "last 1 weight layer, batch 1") == ram_total(out)


def listed_ram(doc: dict, label: str) -> int:
    return next(a["ram_total"] for a in doc["alternatives"] if a["label"] == label)


def test_json_agrees_with_the_text(tmp_path, capsys):
    spec = write_model(tmp_path / "mnist.json", MNIST)
    code_text, out = plan_text([str(spec), *M0_32K], capsys)
    code_json, doc = plan_json([str(spec), *M0_32K], capsys)
    assert code_text == code_json == 1
    assert doc["fits"] is False and doc["ram_limit"] == 32768
    assert doc["ram_total"] == ram_total(out) == sum(doc["ram"].values())
    fitting = [(a["label"], a["ram_total"], ", ".join(a["change"]))
               for a in doc["alternatives"] if a["fits"]]  # fmt: skip
    assert fitting == listed(out)
    whole = doc["alternatives"][0]  # listed in the JSON, left out of the text: it does not fit
    assert whole["label"] == "all 2 weight layers, batch 1" and whole["fits"] is False
    assert whole["change"] == ["max_batch: 1"] and whole["ram_total"] > 32768
    assert whole["train"] == {"0": "full", "2": "full"}
    # --json - is the same as --json alone; --json F writes the same document and the text.
    assert plan_tool.main([str(spec), *M0_32K, "--json", "-"]) == 1
    assert json.loads(capsys.readouterr().out) == doc
    out_file = tmp_path / "plan.json"
    code, text = plan_text([str(spec), *M0_32K, "--json", str(out_file)], capsys)
    assert code == 1 and json.loads(out_file.read_text()) == doc and text == out


def test_a_model_that_fits_lists_no_alternatives(spec_file, capsys):
    code, out = plan_text([str(spec_file), *M0_32K], capsys)
    assert code == 0 and out.rstrip().endswith("\n\nfits")
    assert "instead" not in out and "nothing" not in out
    code, doc = plan_json([str(spec_file), *M0_32K], capsys)
    assert code == 0 and doc["fits"] is True and doc["alternatives"] == []


def test_when_nothing_fits_it_says_so_in_one_line(tmp_path, capsys):
    spec = write_model(tmp_path / "mnist.json", MNIST)
    tight = ["--core", "cortex-m0plus", "--ram", "3K"]
    code, out = plan_text([str(spec), *tight], capsys)
    tail = out.split("DOES NOT FIT\n", 1)[1]
    assert code == 1 and "fits instead" not in out
    code, doc = plan_json([str(spec), *tight], capsys)
    least = min(a["ram_total"] for a in doc["alternatives"])
    assert not any(a["fits"] for a in doc["alternatives"]) and least > 3 * 1024
    least_line = f"the least RAM is {least:,} (inference only, batch 1)"
    assert tail == f"nothing smaller fits either: {least_line}\n"
    # Flash over: no configuration changes the model's constants.
    code, out = plan_text([str(spec), "--ram", "1M", "--flash", "64K"], capsys)
    assert code == 1 and out.split("DOES NOT FIT\n", 1)[1] == (
        "nothing smaller fits either: the flash total is the same in every configuration\n"
    )


def test_alternatives_never_train_more_than_asked(tmp_path, capsys):
    """A request that already trains only the last layer is offered batch 1 and inference,
    not other layers; an inference request only its batch 1."""
    spec = write_model(tmp_path / "m.json", {**MNIST, "train_last": 1})
    code, doc = plan_json([str(spec), "--ram", "4K"], capsys)
    assert code == 1
    assert [a["label"] for a in doc["alternatives"]] == [
        "last 1 weight layer, batch 1",
        "inference only, batch 8",
        "inference only, batch 1",
    ]
    assert [a["fits"] for a in doc["alternatives"]] == [False, False, True]
    code, doc = plan_json([str(spec), "--ram", "4K", "--infer"], capsys)
    assert code == 1 and [a["label"] for a in doc["alternatives"]] == ["inference only, batch 1"]
