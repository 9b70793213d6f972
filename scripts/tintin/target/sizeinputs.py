# SPDX-License-Identifier: Apache-2.0
"""What `tintin size` reads besides the ELF: the build directory's files, the Kconfig .config
(memory regions, the arena budget) and the arena macros of generated model headers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tintin.target.elfmap import Region

KIB = 1024
ARENA_MACRO = re.compile(
    r"^[ \t]*#[ \t]*define[ \t]+([A-Z][A-Z0-9_]*)_ARENA_(TRAIN|INFER|PARAMS|OPTIM)"
    r"[ \t]+\(?[ \t]*(\d+)[uUlL]*[ \t]*\)?[ \t]*$",
    re.M,
)
CONFIG_LINE = re.compile(r"^(CONFIG_\w+)=(.*)$", re.M)


class SizeError(Exception):
    """Bad input (missing file, unreadable ELF or map); main prints it on one line, exit 2."""


@dataclass(frozen=True)
class ArenaPlan:
    """Arena macros of one model header (None when the header does not define one)."""

    model: str
    header: Path
    train: int
    infer: int | None
    params: int | None
    optim: int | None


def resolve(
    target: Path, config: Path | None, map_file: Path | None
) -> tuple[Path, Path | None, Path | None]:
    """(elf, config, map): a build directory supplies its own .config and map when present."""
    if not target.exists():
        raise SizeError(f"{target}: no such file or directory")
    if target.is_dir():
        target, config, map_file = _from_build_dir(target, config, map_file)
    for path, what in ((config, "config"), (map_file, "map file")):
        if path is not None and not path.is_file():
            raise SizeError(f"{path}: {what} not found")
    return target, config, map_file


def _from_build_dir(
    build: Path, config: Path | None, map_file: Path | None
) -> tuple[Path, Path | None, Path | None]:
    """zephyr.exe (native targets, where zephyr.elf is only relocatable) or zephyr.elf."""
    for base in (build / "zephyr", build):
        exe, elf = base / "zephyr.exe", base / "zephyr.elf"
        image = exe if exe.is_file() else elf
        if not image.is_file():
            continue
        if config is None and (base / ".config").is_file():
            config = base / ".config"
        # zephyr.map describes the link of zephyr.elf, not of a native zephyr.exe.
        if map_file is None and image == elf and (base / "zephyr.map").is_file():
            map_file = base / "zephyr.map"
        return image, config, map_file
    raise SizeError(f"{build}: no zephyr/zephyr.elf or zephyr/zephyr.exe in this directory")


def read_config(path: Path) -> dict[str, str]:
    """CONFIG_X=value lines of a Kconfig .config (quotes kept)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        raise SizeError(f"{path}: cannot read config: {e.strerror or e}") from None
    config = {m.group(1): m.group(2).strip() for m in CONFIG_LINE.finditer(text)}
    for key in CONFIG_NUMBERS:  # a budget read wrong is a verdict made up: refuse instead
        if key in config and config_int(config, key) is None:
            raise SizeError(f"{path}: {key}={config[key]}: not a non-negative integer")
    return config


# The .config values the verdicts are made from.
CONFIG_NUMBERS = (
    "CONFIG_FLASH_BASE_ADDRESS", "CONFIG_FLASH_SIZE", "CONFIG_SRAM_BASE_ADDRESS",
    "CONFIG_SRAM_SIZE", "CONFIG_TINTIN_ARENA_SIZE",
)  # fmt: skip


def config_int(config: dict[str, str], key: str) -> int | None:
    """A non-negative integer value (decimal or 0x hex), else None."""
    try:
        v = int(config[key], 0) if key in config else None
    except ValueError:
        return None
    return v if v is None or v >= 0 else None


def config_regions(config: dict[str, str]) -> list[Region]:
    """FLASH and RAM from CONFIG_{FLASH,SRAM}_{BASE_ADDRESS,SIZE}; sizes are in KiB."""
    regions = []
    for name, kind, prefix in (("FLASH", "flash", "FLASH"), ("RAM", "ram", "SRAM")):
        base = config_int(config, f"CONFIG_{prefix}_BASE_ADDRESS")
        size = config_int(config, f"CONFIG_{prefix}_SIZE")
        if base is not None and size:
            regions.append(Region(name, base, size * KIB, kind))
    return regions


def read_plans(headers: Sequence[Path]) -> list[ArenaPlan]:
    """Arena macros of generated model headers; each header must plan at least one model."""
    plans = []
    for header in headers:
        try:
            text = header.read_text(errors="replace")
        except FileNotFoundError:
            raise SizeError(f"{header}: header not found") from None
        except OSError as e:
            raise SizeError(f"{header}: cannot read header: {e.strerror or e}") from None
        found: dict[str, dict[str, int]] = {}
        for m in ARENA_MACRO.finditer(text):
            found.setdefault(m.group(1), {})[m.group(2)] = int(m.group(3))
        models = {k: v for k, v in found.items() if "TRAIN" in v}
        if not models:
            raise SizeError(f"{header}: defines no <NAME>_ARENA_TRAIN")
        for name, v in sorted(models.items()):
            plan = ArenaPlan(
                name.lower(), header, v["TRAIN"], v.get("INFER"), v.get("PARAMS"), v.get("OPTIM")
            )
            plans.append(plan)
    return plans
