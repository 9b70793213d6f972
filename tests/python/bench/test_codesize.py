# SPDX-License-Identifier: Apache-2.0
"""`tintin codesize` on three builds of one core: the invariants of its numbers, not the
bytes (those move with every change to the runtime); and its pure parts on made-up input."""

import json
import re
import shutil

import pytest

from tintin.bench import codereport, codesize, mdsection, unused
from tintin.native.tree import REPO

TOOLS = ("qemu-system-arm", "arm-none-eabi-gcc", "arm-none-eabi-objdump")
needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS), reason=f"one of {TOOLS} not installed"
)
COL = "cortex-m0plus -Os"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """dense inference, dense training (planned at run time and from the generated layout),
    + convolutions on Cortex-M0+ at -Os, with the files."""
    tmp = tmp_path_factory.mktemp("codesize")
    md = tmp / "b.md"
    md.write_text("# Benchmarks\n\nkept\n")
    argv = ["--configs", "dense-infer,dense-train,dense-train-layout,conv-train",
            "--cores", "cortex-m0plus", "--opts=-Os", "--out", str(tmp / "out"),
            "--json", str(tmp / "c.json"), "--markdown", str(md)]  # fmt: skip
    assert codesize.main(argv) == 0
    return json.loads((tmp / "c.json").read_text()), md, argv


@needs_tools
def test_more_features_link_more_library(run):
    results, _, _ = run
    lib = {k: c["cells"][COL]["library"] for k, c in results["configs"].items()}
    assert 0 < lib["dense-infer"] < lib["dense-train"] < lib["conv-train"]
    assert lib["dense-train-layout"] < lib["dense-train"]


@needs_tools
def test_each_cell_adds_up(run):
    results, _, _ = run
    for cfg in results["configs"].values():
        c = cfg["cells"][COL]
        # The owners of tintin size: the members are the library, all inside the image.
        assert sum(c["members"].values()) == c["library"] <= c["image"]
        assert c["helpers"] >= 0
        # (source, name): a static function may have a copy in two sources.
        never = {(f["member"], f["name"]) for f in c["never_executed"]}
        entered = {(f["member"], f["name"]) for f in c["executed"]}
        assert entered and not never & entered
        assert all(f["not_executed"] >= 0 for f in c["executed"])
        assert c["unused_bytes"] + c["cold_bytes"] < c["library"]
        # Whatever never ran is still linked because something references it.
        assert all(f["referenced_by"] for f in c["never_executed"])
    train = results["configs"]["dense-train"]["cells"][COL]
    assert {"tintin_model_train_step", "tintin_model_init"} <= {
        f["name"] for f in train["executed"]
    }
    # Init from a generated layout links none of the validation, planner and layout code.
    lay = results["configs"]["dense-train-layout"]["cells"][COL]
    linked = {f["name"] for f in lay["executed"] + lay["never_executed"]}
    assert "tintin_model_init_layout" in linked
    assert not linked & {"tintin_model_init", "tintin_layout", "tintin_check_desc",
                         "tintin_scratch_plan", "tintin_desc_hash"}  # fmt: skip


@needs_tools
def test_markdown_section_is_spliced_and_replaced(run):
    results, md, argv = run
    text = md.read_text()
    assert text.startswith("# Benchmarks\n\nkept\n")
    assert "| dense only, training, default optimizer | dense-only |" in text
    assert codereport.target_line(results) in text
    # A second run replaces its section instead of adding one.
    assert codesize.main(argv) == 0
    again = md.read_text()
    assert again.count("## Code size per build configuration") == 1
    assert again == text


def test_switches_are_the_kconfig_options_the_glue_maps():
    glue = (REPO / "zephyr" / "include" / "tintin" / "zephyr_config.h").read_text()
    pairs = set(re.findall(r"#ifdef (CONFIG_\w+)\n#define (TINTIN_\w+) 1\n", glue))
    assert {(k, m) for m, k in codesize.KCONFIG.items()} <= pairs
    kconfig = (REPO / "zephyr" / "Kconfig").read_text()
    assert all(
        f"config {k.removeprefix('CONFIG_')}\n" in kconfig for k in codesize.KCONFIG.values()
    )


def test_every_config_names_known_models_and_optimizers():
    for cfg in codesize.CONFIGS.values():
        assert cfg.model in codesize.MODELS and cfg.optim in codesize.OPTIMS
        assert set(cfg.switches) <= set(codesize.KCONFIG)
    assert codesize.TARGET[0] in codesize.CONFIGS


def test_markdown_section_carry_and_splice():
    body = "## Code size\n\n| a |\n"
    text = mdsection.splice("# B\n\nold\n", "tool", body)
    assert text.startswith("# B\n\nold\n\n<!-- tool: generated section, begin -->\n## Code size")
    assert mdsection.splice(text, "tool", body) == text
    assert mdsection.splice(text, "tool", "new\n").count("generated section, begin") == 1
    # The other tool rewrites the whole file and carries the section over.
    section = mdsection.section(text, "tool")
    assert section is not None and section.endswith("<!-- tool: generated section, end -->\n")
    assert mdsection.carry(text, "# B\n\nnew\n", "tool") == "# B\n\nnew\n\n" + section
    assert mdsection.carry(None, "# B\n", "tool") == "# B\n"
    assert mdsection.carry("# no section\n", "# B\n", "tool") == "# B\n"


def test_covered_bytes_merge_overlapping_spans():
    # The plugin may report a 2-byte instruction as 4 bytes wide, overlapping the next.
    assert unused._covered([(0, 2), (2, 6), (4, 6), (10, 12)], 0, 11) == 7
    assert unused._covered([], 0, 8) == 0
