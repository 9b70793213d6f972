# SPDX-License-Identifier: Apache-2.0
"""lib/tintin compiles for Cortex-M0+ with no float helper, libm or heap symbol; and the check
itself catches each kind of leak (negative controls)."""

import shutil

import pytest

from tintin.target import floatcheck

pytestmark = pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed"
)
INC = [floatcheck.LIB / "include", floatcheck.LIB / "src"]


def test_runtime_is_integer_only():
    sources, scanned = floatcheck.lib_files()
    assert len(sources) >= 8
    assert floatcheck.check_objects(sources, INC) == []
    assert floatcheck.find_float_tokens(scanned) == []


@pytest.mark.parametrize(
    ("code", "symbol"),
    [
        ("int f(int x) { return (int)((float)x * 0.37f); }", "__aeabi_fmul"),
        ("int f(int x, int y) { return (int)((double)x / y); }", "__aeabi_ddiv"),
        ("#include <stdlib.h>\nvoid *f(void) { return malloc(4); }", "malloc"),
        ("#include <tintin/fixedpoint.h>\nint f(int x) { return (int)(x * 1.5); }", "__aeabi_"),
    ],
)
def test_leaks_are_caught(tmp_path, code, symbol):
    src = tmp_path / "leak.c"
    src.write_text(code + "\n")
    problems = floatcheck.check_objects([src], INC)
    assert len(problems) == 1 and symbol in problems[0], problems


def test_float_keyword_in_header_is_caught(tmp_path):
    bad = tmp_path / "bad.h"
    bad.write_text("/* float is fine\n   in a comment */\nstatic const double k = 1;\n")
    ok = tmp_path / "ok.h"
    ok.write_text('/* float, double */\n#define NAME "float"\nint x;\n')
    assert floatcheck.find_float_tokens([bad]) == [f"{bad}:3: uses 'double'"]
    assert floatcheck.find_float_tokens([ok]) == []


def test_command_line(capsys):
    assert floatcheck.main([]) == 0
    assert "objects clean" in capsys.readouterr().out
