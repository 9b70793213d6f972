# SPDX-License-Identifier: Apache-2.0
"""What every `tintin` command shares about its command line: one-line usage errors, strict
number arguments, and output paths that are checked before any work and written atomically.

Bad input is one line on stderr and exit code 2, whatever the command; this module is where
the command line's part of that promise is kept (model files: tintin.io.modelfile, data files:
tintin.io.dataset).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn


class UsageError(ValueError):
    """A command-line value or output path that cannot be used; one line, says which."""


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error: `<prog>: error: <message>`, exit 2, no usage block.

    Subcommand parsers inherit the class (add_subparsers uses the parent's type).
    """

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {line} (see --help)\n")


def parser(prog: str, doc: str | None, **kw: object) -> Parser:
    """The parser of one tool: its docstring as --help text, no abbreviated options."""
    fmt = argparse.RawDescriptionHelpFormatter
    return Parser(prog=prog, description=doc, allow_abbrev=False, formatter_class=fmt, **kw)  # type: ignore[arg-type]


# --- numbers ------------------------------------------------------------------------------

_INT = re.compile(r"[+-]?[0-9]+")
_SIZE = re.compile(r"([0-9]+)([kKmM]?)")


def int_in(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a decimal integer in lo..hi (no floats, no '1e3', no '0x')."""

    def parse(text: str) -> int:
        if not _INT.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer")
        v = int(text)
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is outside {lo}..{hi}")
        return v

    parse.__name__ = "integer"
    return parse


def open_fraction(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1 (NaN and infinities refused)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(v) and 0.0 < v < 1.0):
        raise argparse.ArgumentTypeError(f"{text!r} must be strictly between 0 and 1")
    return v


def size_bytes(text: str) -> int:
    """An argparse type: a positive byte count such as 65536, 64K or 1M."""
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 65536, 64K or 1M")
    v = int(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2).lower()]
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a size must be at least 1 byte")
    return v


# --- output paths -------------------------------------------------------------------------


def output_file(path: Path, what: str, *, inputs: tuple[Path | None, ...] = ()) -> Path:
    """Checks, before any work, that path can be written as a file: not a directory, not one
    of the command's inputs, and its folder exists. An existing file is replaced: every
    command that takes an output file documents that (regenerating is their use)."""
    for src in inputs:
        if src is not None and path.exists() and src.exists() and path.samefile(src):
            raise UsageError(f"{what} {path}: is an input of this command; choose another name")
    if path.is_dir():
        raise UsageError(f"{what} {path}: is a directory, need a file name")
    if path.exists() and not path.is_file():
        raise UsageError(f"{what} {path}: exists and is not a regular file")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"{what} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{what} {path}: folder {parent} is not writable")
    return path


def output_dir(path: Path, what: str) -> Path:
    """Checks that path is a directory or can become one (its files are replaced)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{what} {path}: exists and is not a directory")
    up = path
    while not up.exists() and up != up.parent:  # the nearest existing ancestor decides
        up = up.parent
    if not up.is_dir():
        raise UsageError(f"{what} {path}: {up} is not a directory")
    if not os.access(up, os.W_OK):
        raise UsageError(f"{what} {path}: {up} is not writable")
    return path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Writes path through a temporary file in the same folder and a rename: a reader (or an
    error half way) never sees a partial file, and nothing is left behind on failure."""
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(files: dict[Path, str | bytes]) -> None:
    """Writes several files atomically each; a failure removes the ones this call created."""
    done: list[Path] = []
    try:
        for path, data in files.items():
            existed = path.exists()
            write_atomic(path, data)
            if not existed:
                done.append(path)
    except BaseException:
        for p in done:
            p.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fail(prog: str, message: object) -> int:
    """Prints the one line of a refusal and returns exit code 2."""
    print(f"{prog}: {' '.join(str(message).split())}", file=sys.stderr)
    return 2
