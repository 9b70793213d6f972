# SPDX-License-Identifier: Apache-2.0
"""The west manifests and the `west tintin` extension command (no Zephyr tree needed)."""

import argparse
import importlib.util
from pathlib import Path

import pytest
import yaml
from west.commands import CommandError
from west.manifest import ImportFlag, Manifest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "tag"), [("west.yml", "v4.4.2"), ("west-zephyr-3.5.yml", "v3.5.0")]
)
def test_manifest_pins_zephyr_and_registers_commands(name, tag):
    # Imports need the Zephyr project cloned (west update); everything else is validated.
    m = Manifest.from_data((REPO / name).read_text(), import_flags=ImportFlag.IGNORE)
    zephyr = m.get_projects(["zephyr"])[0]
    assert zephyr.revision == tag
    raw = yaml.safe_load((REPO / name).read_text())["manifest"]
    allow = raw["projects"][0]["import"]["name-allowlist"]
    assert set(allow) == {"cmsis", "cmsis_6"}
    assert m.projects[0].west_commands == ["scripts/west-commands.yml"]
    assert (REPO / "scripts" / "west-commands.yml").is_file()


def load_command() -> type:
    decl = yaml.safe_load((REPO / "scripts" / "west-commands.yml").read_text())
    entry = decl["west-commands"][0]
    spec = importlib.util.spec_from_file_location("tintin_west", REPO / entry["file"])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert [c["name"] for c in entry["commands"]] == ["tintin"]
    return getattr(mod, entry["commands"][0]["class"])


def run(argv: list[str]) -> None:
    cmd = load_command()()
    parser = argparse.ArgumentParser(prog="west")
    cmd.add_parser(parser.add_subparsers())
    args, unknown = parser.parse_known_args(["tintin", *argv])
    cmd.do_run(args, unknown)


def test_west_tintin_runs_the_tool(capsys):
    run(["zephyr-check"])
    assert "zephyr-check: 0 problem(s)" in capsys.readouterr().out


def test_west_tintin_failure_is_a_west_error():
    with pytest.raises(CommandError) as exc:
        run(["no-such-command"])
    assert exc.value.returncode == 2
