# SPDX-License-Identifier: Apache-2.0
"""A generated section inside a markdown file that another tool writes too.

`tintin codesize` owns one section of docs/benchmarks.md, which `tintin bench` regenerates
whole: the section sits between two HTML comments, so each tool can replace its own part and
carry the other's over.
"""

from __future__ import annotations

import re


def _begin(name: str) -> str:
    return f"<!-- {name}: generated section, begin -->"


def _end(name: str) -> str:
    return f"<!-- {name}: generated section, end -->"


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(_begin(name)) + r".*?" + re.escape(_end(name)) + r"\n?", re.S)


def section(text: str, name: str) -> str | None:
    """The marked section of text (markers included), or None."""
    m = _pattern(name).search(text)
    return m.group(0) if m else None


def splice(text: str, name: str, body: str) -> str:
    """text with its marked section replaced by body, or body appended when there is none."""
    block = f"{_begin(name)}\n{body.rstrip()}\n{_end(name)}\n"
    if section(text, name) is not None:
        return _pattern(name).sub(lambda _m: block, text, count=1)
    return text.rstrip("\n") + "\n\n" + block


def carry(old: str | None, new: str, name: str) -> str:
    """new, with the marked section of old (if it has one) put back."""
    kept = section(old, name) if old is not None else None
    if kept is None:
        return new
    inner = kept.removeprefix(_begin(name) + "\n")
    inner = inner[: inner.rindex(_end(name))]
    return splice(new, name, inner)
