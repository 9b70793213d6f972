# SPDX-License-Identifier: Apache-2.0
"""The west manifests and the `west tintin` extension command (no Zephyr tree needed)."""

import argparse
import functools
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from west.commands import CommandError
from west.manifest import ImportFlag, Manifest

REPO = Path(__file__).resolve().parents[3]


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
    assert set(allow) == {"cmsis", "cmsis_6", "zcbor"}
    # Every module a sample or test scenario asks for comes with the workspace.
    for yml in [*REPO.glob("samples/*/sample.yaml"), *REPO.glob("tests/**/testcase.yaml")]:
        common = yaml.safe_load(yml.read_text()).get("common", {})
        assert set(common.get("modules", [])) <= set(allow), yml
    assert m.projects[0].west_commands == ["scripts/west-commands.yml"]
    assert (REPO / "scripts" / "west-commands.yml").is_file()


@functools.cache
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


def west_workspace(tmp_path: Path) -> Path:
    """A west workspace whose manifest lists Tin-Tin as a project with its west commands, as
    the README tells users to; the project directory points at this checkout.
    """
    top = tmp_path / "ws"
    (top / "manifest").mkdir(parents=True)
    (top / "manifest" / "west.yml").write_text(
        "manifest:\n  projects:\n    - name: tintin\n      url: https://example.invalid/tintin\n"
        "      revision: main\n      path: tintin\n"
        "      west-commands: scripts/west-commands.yml\n  self:\n    path: manifest\n"
    )
    (top / "tintin").symlink_to(REPO)
    subprocess.run([sys.executable, "-m", "west", "init", "-l", "manifest"], cwd=top,
                   check=True, capture_output=True)  # fmt: skip
    return top


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc missing")
def test_west_tintin_size_in_a_workspace(tmp_path):
    from sizeimage import HEADER, build

    files = build(tmp_path / "m0plus", "m0plus")
    top = west_workspace(tmp_path)
    cmd = [sys.executable, "-m", "west", "tintin", "size", str(files["elf"]), "--map",
           str(files["map"]), "--header", str(HEADER)]  # fmt: skip
    ok = subprocess.run(cmd, cwd=top, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "tintin library code" in ok.stdout and "model constants digits" in ok.stdout
    config = tmp_path / ".config"
    config.write_text("CONFIG_TINTIN=y\nCONFIG_TINTIN_ARENA_SIZE=3072\n")
    over = subprocess.run([*cmd, "--config", str(config)], cwd=top, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert over.returncode == 1
    assert "OVER" in over.stdout + over.stderr


def test_west_python_without_the_packages_uses_the_project_environment(monkeypatch, capfd):
    mod = load_command().do_run.__globals__  # the extension's module namespace
    monkeypatch.setitem(mod, "missing_modules", lambda: ["numpy"])
    monkeypatch.setenv("TINTIN_PYTHON", sys.executable)  # stands in for the project's .venv
    monkeypatch.setattr(mod["sys"], "prefix", "/usr")  # west's own, other Python
    run(["zephyr-check"])
    assert "zephyr-check: 0 problem(s)" in capfd.readouterr().out


def test_west_python_without_the_packages_and_no_environment_says_how(monkeypatch, capfd):
    mod = load_command().do_run.__globals__
    monkeypatch.setitem(mod, "missing_modules", lambda: ["numpy", "yaml"])
    monkeypatch.setitem(mod, "project_python", lambda: None)
    with pytest.raises(CommandError) as exc:
        run(["plan", "x.yaml"])
    assert exc.value.returncode == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lacks numpy, yaml" in err[0] and "install.sh" in err[0]
