# SPDX-License-Identifier: Apache-2.0
"""`tintin size` against the toolchain's own view of real images built during the test.

The digits sample's model, libtintin.a and a small main are linked for Cortex-M0+ and a
soft-float Cortex-M4 with a map file, and for the host with its libc; sizes must agree with
`size -A`, `nm -S` and the map, every byte must have one owner, and bad input must fail on
one line.
"""

import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sizeimage import ARM_CC, HEADER, TARGETS, build, run

from tintin.target import attribute, size
from tintin.target.elfmap import Region, Section, Symbol, archive_member, read_map

ROOT = Path(__file__).resolve().parents[3]
# The sample model's planned training arena, which the test image allocates.
NEED = int(re.search(r"#define DIGITS_ARENA_TRAIN +(\d+)", HEADER.read_text()).group(1))
SHORT = NEED // 2  # an arena budget too small for it
FLASH_SECTIONS = {".isr_vector", ".text", ".rodata", ".ARM.exidx", ".data"}
RAM_SECTIONS = {".data", ".bss"}
NOT_ALLOC = re.compile(r"^(\.comment|\.ARM\.attributes|\.debug.*|\.stab.*)$")


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, dict[str, Path]]:
    if shutil.which(ARM_CC) is None:
        pytest.skip(
            f"{ARM_CC} not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
        )
    root = tmp_path_factory.mktemp("size")
    targets = ["m0plus", "m4"] + (["host"] if shutil.which("gcc") else [])
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        done = pool.map(lambda t: build(root / t, t), targets)
        return dict(zip(targets, done, strict=True))


@pytest.fixture(params=list(TARGETS))
def arm(request, builds) -> dict[str, Path]:
    return builds[request.param]


@pytest.fixture
def host(builds) -> dict[str, Path]:
    if "host" not in builds:
        pytest.skip("host gcc not found")
    return builds["host"]


def size_a(elf: Path, tool: str = "arm-none-eabi-size") -> dict[str, tuple[int, int]]:
    """name -> (size, addr) as `size -A` prints them."""
    out = {}
    for line in run([tool, "-A", elf]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            out[parts[0]] = (int(parts[1]), int(parts[2]))
    return out


def nm_sizes(elf: Path, tool: str = "arm-none-eabi-nm") -> dict[str, tuple[int, int]]:
    """name -> (address without the Thumb bit, size) of sized symbols, as `nm -S` prints."""
    out = {}
    for line in run([tool, "-S", "--size-sort", elf]).splitlines():
        parts = line.split()
        if len(parts) == 4:
            out[parts[3]] = (int(parts[0], 16) & ~1, int(parts[1], 16))
    return out


def nm_tintin(elf: Path, tool: str = "arm-none-eabi-nm") -> dict[int, int]:
    """address -> size of every sized tintin_* symbol; static functions of two files may share
    a name (an out-of-line copy of a static inline helper), so this is keyed by address."""
    out = {}
    for line in run([tool, "-S", elf]).splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].startswith("tintin_"):
            out[int(parts[0], 16) & ~1] = int(parts[1], 16)
    return out


def map_member_bytes(map_file: Path) -> dict[str, dict[str, int]]:
    """member -> {output kind -> bytes} of libtintin.a input sections, parsed independently."""
    lines = map_file.read_text().split("Linker script and memory map", 1)[1].splitlines()
    out: dict[str, dict[str, int]] = {}
    name = None
    for line in lines:
        m = re.match(r"^ (\.\S+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+))?\s*$", line)
        c = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)\s*$", line)
        if m and m.group(4):
            sec, sz, file = m.group(1), int(m.group(3), 16), m.group(4)
        elif m:
            name = m.group(1)
            continue
        elif c and name:
            sec, sz, file = name, int(c.group(2), 16), c.group(3)
        else:
            name = None
            continue
        name = None
        kind = next((k for k in ("text", "rodata", "data", "bss") if sec.startswith(f".{k}")), "")
        member = re.search(r"libtintin\.a\((.+?)(\.c\.obj|\.o)\)$", file)
        if member and kind and sz:
            per = out.setdefault(member.group(1), {})
            per[kind] = per.get(kind, 0) + sz
    return out


def owned_sum(report: attribute.SizeReport) -> attribute.Usage:
    total = attribute.Usage()
    for u in [
        report.tintin,
        report.arena_usage,
        report.stack_usage,
        report.rest,
        *(m.usage for m in report.models.values()),
    ]:
        total.add(u)
    return total


# ---------------------------------------------------------------------------- ARM images


def test_arm_totals_match_size_A(arm):
    report = size.measure(arm["elf"], map_file=arm["map"])
    sections = size_a(arm["elf"])
    alloc = {n for n, (sz, _) in sections.items() if sz and not NOT_ALLOC.match(n)}
    assert alloc <= FLASH_SECTIONS | RAM_SECTIONS, alloc
    flash = sum(sections[n][0] for n in FLASH_SECTIONS if n in sections)
    ram = sum(sections[n][0] for n in RAM_SECTIONS if n in sections)
    assert sections[".data"][0] > 0 and sections[".bss"][0] > 0
    assert (report.totals.flash, report.totals.ram) == (flash, ram)
    regions = {r.region.name: r for r in report.regions}
    assert regions["FLASH"].region == Region("FLASH", 0, 256 * 1024, "flash")
    assert regions["RAM"].region == Region("RAM", 0x20000000, 32 * 1024, "ram")
    assert (regions["FLASH"].used, regions["RAM"].used) == (flash, ram)
    assert report.ok, report.problems


def test_arm_symbols_match_nm(arm):
    nm = nm_sizes(arm["elf"])
    for map_file in (arm["map"], None):
        report = size.measure(arm["elf"], map_file=map_file)
        digits = report.models["digits"]
        assert list(report.models) == ["digits"]
        assert digits.layer_bytes() == {
            0: nm["digits_w0"][1] + nm["digits_b0"][1],
            2: nm["digits_w2"][1] + nm["digits_b2"][1],
        }
        assert digits.table.flash == nm["digits_layers"][1] + nm["digits_desc"][1]
        assert digits.usage.ram == 0
        assert report.arenas == {"arena": nm["arena"][1]} == {"arena": NEED}
        assert report.arena_usage.ram == NEED
        assert owned_sum(report) == report.totals
        assert report.rest.flash > 0 and report.rest.ram >= 0
    # Without a map the library is its tintin_* symbols, each counted once.
    tintin = nm_tintin(arm["elf"])
    assert report.tintin_source == "symbols"
    assert report.tintin == attribute.Usage(sum(tintin.values()), 0)


def test_arm_library_from_map(arm):
    report = size.measure(arm["elf"], map_file=arm["map"])
    expected = map_member_bytes(arm["map"])
    assert report.tintin_source == "map"
    assert set(report.members) == {
        m + (".c" if arm["map"].parent.name == "m4" else "") for m in expected
    }
    flash = sum(v.get(k, 0) for v in expected.values() for k in ("text", "rodata", "data"))
    ram = sum(v.get(k, 0) for v in expected.values() for k in ("data", "bss"))
    assert report.tintin == attribute.Usage(flash, ram)
    assert sum(u.flash for u in report.members.values()) == flash
    # The model layer's parts (src/model*.c) together hold more than a KB of code.
    assert sum(u.flash for m, u in report.members.items() if m.startswith("model")) > 1000
    # The map's sections hold at least every tintin_* function and object nm lists.
    assert flash >= sum(nm_tintin(arm["elf"]).values())


def test_read_map_regions_and_members(builds):
    link = read_map(builds["m4"]["map"])
    assert [r.name for r in link.regions] == ["FLASH", "RAM"]
    members = {archive_member(i.file, "libtintin.a") for i in link.inputs} - {None}
    assert "model_train.c" in members and "sgd.c" in members
    assert archive_member("x/libtintin.a(model.o)", "libtintin.a") == "model"
    assert archive_member("x/libother.a(model.o)", "libtintin.a") is None


# ---------------------------------------------------------------------------- host image


def test_host_regions_fall_back(host):
    report = size.measure(host["elf"])
    assert report.regions == []
    sections = size_a(host["elf"], "size")
    for s in report.sections:
        assert sections[s.section.name][0] == s.section.size
        assert s.flash + s.ram == s.section.size  # no separate load image on a host
    alloc = sum(sz for n, (sz, addr) in sections.items() if addr and n != ".tbss")
    assert report.totals.flash + report.totals.ram == alloc
    named = {s.section.name: s for s in report.sections}
    assert named[".text"].flash == named[".text"].section.size and named[".text"].ram == 0
    assert named[".bss"].ram == named[".bss"].section.size and named[".bss"].flash == 0
    nm = nm_sizes(host["elf"], "nm")
    assert report.arenas == {"arena": nm["arena"][1]}
    assert report.models["digits"].layer_bytes()[0] == nm["digits_w0"][1] + nm["digits_b0"][1]
    assert report.tintin.flash + report.tintin.ram == sum(nm_tintin(host["elf"], "nm").values())
    assert owned_sum(report) == report.totals

    sized = size.measure(host["elf"], ram=1 << 20, flash=1 << 20)
    assert [(r.region.name, r.region.origin, r.used) for r in sized.regions] == [
        ("FLASH", None, report.totals.flash),
        ("RAM", None, report.totals.ram),
    ]
    assert sized.ok


def test_host_ram_limit(host, capsys):
    assert size.main([str(host["elf"]), "--ram", "1024"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^OVER: ram region RAM uses \d+ B > 1024 B$", out, re.M)
    assert out.rstrip().endswith("OVER BUDGET")


# ---------------------------------------------------------------------------- budgets


def config(tmp_path: Path, **values: object) -> Path:
    path = tmp_path / ".config"
    path.write_text("".join(f"CONFIG_{k}={v}\n" for k, v in values.items()))
    return path


def test_arena_over_budget(builds, tmp_path, capsys):
    elf, map_file = builds["m0plus"]["elf"], builds["m0plus"]["map"]
    cfg = config(tmp_path, TINTIN_ARENA_SIZE=SHORT)
    argv = [str(elf), "--map", str(map_file), "--config", str(cfg), "--header", str(HEADER)]
    assert size.main(argv) == 1
    out = capsys.readouterr().out
    assert f"OVER: training arena digits needs {NEED} B > CONFIG_TINTIN_ARENA_SIZE {SHORT} B" in out
    assert f"arena: planned {NEED}, allocated {NEED}, budget {SHORT}, RAM region 32768" in out
    assert out.rstrip().endswith("OVER BUDGET")

    cfg = config(tmp_path, TINTIN_ARENA_SIZE=16384)
    assert size.main([*argv[:3], "--config", str(cfg), "--header", str(HEADER)]) == 0
    out = capsys.readouterr().out
    assert "OVER" not in out and out.rstrip().endswith("OK")


def test_arena_symbol_smaller_than_plan(builds, tmp_path, capsys):
    header = tmp_path / "big_model.h"
    header.write_text(
        "#define DIGITS_ARENA_TRAIN  20000\n#define DIGITS_ARENA_INFER 1536\n"
        "#define DIGITS_ARENA_PARAMS 2536\n#define DIGITS_ARENA_OPTIM 9640\n"
    )
    assert size.main([str(builds["m4"]["elf"]), "--header", str(header)]) == 1
    out = capsys.readouterr().out
    assert f"OVER: arena symbol arena has {NEED} B < planned 20000 B for digits" in out
    assert "digits optimizer state: 9640" in out


def test_ram_region_overflow_from_config(builds, tmp_path, capsys):
    elf = builds["m0plus"]["elf"]
    cfg = config(
        tmp_path,
        SRAM_BASE_ADDRESS="0x20000000",
        SRAM_SIZE=4,
        FLASH_BASE_ADDRESS="0x0",
        FLASH_SIZE=256,
    )
    assert size.main([str(elf), "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    # The arena alone is more than 4 KiB.
    assert re.search(r"^OVER: ram region RAM uses \d+ B > 4096 B$", out, re.M)
    assert "flash region" not in out

    # The linker's regions are fine; an explicit limit still applies.
    assert size.main([str(elf), "--map", str(builds["m0plus"]["map"]), "--ram", "4K"]) == 1
    assert re.search(r"^OVER: RAM used \d+ B > --ram 4096 B$", capsys.readouterr().out, re.M)
    assert size.main([str(elf), "--map", str(builds["m0plus"]["map"]), "--ram", "32K"]) == 0


def test_flash_region_overflow_from_config(builds, tmp_path, capsys):
    cfg = config(tmp_path, FLASH_BASE_ADDRESS="0x0", FLASH_SIZE=4)
    assert size.main([str(builds["m4"]["elf"]), "--config", str(cfg)]) == 1
    assert re.search(
        r"^OVER: flash region FLASH uses \d+ B > 4096 B$", capsys.readouterr().out, re.M
    )


# ---------------------------------------------------------------------------- JSON


def test_json(builds, tmp_path, capsys):
    b = builds["m4"]
    cfg = config(tmp_path, TINTIN_ARENA_SIZE=16384)
    out = tmp_path / "size.json"
    argv = [
        str(b["elf"]),
        "--map",
        str(b["map"]),
        "--config",
        str(cfg),
        "--header",
        str(HEADER),
        "--json",
        str(out),
    ]
    assert size.main(argv) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert set(data) >= {"elf", "regions", "totals", "owners", "budget", "sections"}
    assert set(data["owners"]) == {"tintin", "models", "arena", "stacks", "rest"}
    assert data["budget"] == {"ok": True, "problems": []}
    total = re.search(r"^total\s+(\d+)\s+\S+\s+(\d+)", text, re.M)
    assert [int(total.group(1)), int(total.group(2))] == [
        data["totals"]["flash"],
        data["totals"]["ram"],
    ]
    o = data["owners"]
    for kind in ("flash", "ram"):
        parts = [o["tintin"][kind], o["arena"][kind], o["stacks"][kind], o["rest"][kind]]
        parts += [m[kind] for m in o["models"].values()]
        assert sum(parts) == data["totals"][kind]
        assert (
            sum(r["used"] for r in data["regions"].values() if r["kind"] == kind)
            == data["totals"][kind]
        )
    assert o["tintin"]["source"] == "map"
    assert sum(m["flash"] for m in o["tintin"]["members"].values()) == o["tintin"]["flash"]
    tintin_row = re.search(r"^tintin library code \(map\)\s+(\d+)", text, re.M)
    assert int(tintin_row.group(1)) == o["tintin"]["flash"]
    digits = o["models"]["digits"]
    assert set(digits["layers"]) == {"0", "2"}
    assert digits["flash"] == sum(digits["layers"].values()) + digits["table"]
    assert o["arena"]["symbols"] == {"arena": NEED}
    assert (o["arena"]["planned"], o["arena"]["budget"]) == (NEED, 16384)
    assert data["regions"]["RAM"] == {
        "kind": "ram",
        "origin": 0x20000000,
        "length": 32768,
        "used": data["totals"]["ram"],
    }


# ---------------------------------------------------------------------------- build dirs


def test_zephyr_build_dir_layout(builds, tmp_path, capsys):
    z = tmp_path / "build" / "zephyr"
    z.mkdir(parents=True)
    shutil.copy(builds["m4"]["elf"], z / "zephyr.elf")
    shutil.copy(builds["m4"]["map"], z / "zephyr.map")
    config(z, TINTIN_ARENA_SIZE=16384, SRAM_BASE_ADDRESS="0x20000000", SRAM_SIZE=32)
    assert size.main([str(tmp_path / "build"), "--header", str(HEADER)]) == 0
    out = capsys.readouterr().out
    assert f"map: {z / 'zephyr.map'}" in out and f"config: {z / '.config'}" in out
    assert "tintin library code (map)" in out


def test_native_build_dir_prefers_exe(host, tmp_path, capsys):
    z = tmp_path / "build" / "zephyr"
    z.mkdir(parents=True)
    shutil.copy(host["elf"], z / "zephyr.exe")
    shutil.copy(host["elf"].parent / "main.o", z / "zephyr.elf")  # relocatable, as native_sim
    (z / "zephyr.map").write_text("Linker script and memory map\n")
    assert size.main([str(tmp_path / "build")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{z / 'zephyr.exe'} (X86_64)") and "map:" not in out
    assert "tintin library code (symbols)" in out


# ---------------------------------------------------------------------------- bad input


def one_line_error(capsys, argv: list[str], needle: str) -> None:
    assert size.main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("tintin size: ") and needle in lines[0], lines[0]
    assert captured.out == ""


def test_stripped_elf(builds, tmp_path, capsys):
    stripped = tmp_path / "stripped.elf"
    run(["arm-none-eabi-strip", "-o", stripped, builds["m0plus"]["elf"]])
    one_line_error(capsys, [str(stripped)], "has no symbol table; build without -s/strip")


def test_corrupt_files(builds, tmp_path, capsys):
    data = builds["m0plus"]["elf"].read_bytes()
    cases = {
        "random.elf": (bytes(range(256)) * 7)[::3],
        "empty.elf": b"",
        "header.elf": data[:64],
        "half.elf": data[: len(data) // 2],
        "garbled.elf": data[:52] + bytes(len(data) - 52),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        one_line_error(capsys, [str(path)], str(path))
    one_line_error(capsys, [str(tmp_path / "random.elf")], "not an ELF file")


def test_missing_inputs(builds, tmp_path, capsys):
    elf = str(builds["m0plus"]["elf"])
    one_line_error(capsys, [elf, "--config", str(tmp_path / ".config")], "config not found")
    one_line_error(capsys, [elf, "--map", str(tmp_path / "x.map")], "map file not found")
    one_line_error(capsys, [str(tmp_path / "nope")], "no such file or directory")
    one_line_error(capsys, [str(tmp_path)], "no zephyr/zephyr.elf")
    one_line_error(capsys, [elf, "--header", str(tmp_path / "m.h")], "header not found")
    (tmp_path / "m.h").write_text("#define X 1\n")
    one_line_error(capsys, [elf, "--header", str(tmp_path / "m.h")], "ARENA_TRAIN")
    one_line_error(capsys, [elf, "--map", elf], "not a GNU ld map file")


# ---------------------------------------------------------------------------- unit


def sym(name: str, addr: int, nbytes: int, kind: str = "OBJECT") -> Symbol:
    return Symbol(name, addr, nbytes, kind, local=True, section=1)


def test_models_do_not_steal_library_symbols():
    rodata = Section(1, ".rodata", 0x1000, 0x1000, 0x1000, 0x2, nobits=False)
    owners = attribute.Owners([attribute.place(rodata, [])])
    symbols = [
        sym("tintin_lut_w0", 0x1000, 16),
        sym("tintin_lut_desc", 0x1010, 8),
        sym("tt_cnn_w0", 0x1100, 32),
        sym("tt_cnn_b0", 0x1120, 8),
        sym("tt_cnn_w3", 0x1130, 4),
        sym("tt_cnn_layers", 0x1140, 24),
        sym("orphan_w0", 0x1200, 64),  # no table: not a model
        sym("tt_cnn_w0", 0x1100, 32),  # alias at the same address: counted once
    ]
    lib = attribute.library_from_symbols(owners, symbols)
    found = attribute.models(owners, symbols, skip_tintin=True)
    assert lib == attribute.Usage(24, 0)
    assert list(found) == ["tt_cnn"]
    assert found["tt_cnn"].layer_bytes() == {0: 40, 3: 4}
    assert found["tt_cnn"].usage == attribute.Usage(68, 0)


def test_claims_are_disjoint():
    c = attribute.Claims()
    assert c.claim(10, 10) and c.claim(0, 10) and c.claim(20, 5)
    assert not c.claim(5, 10) and not c.claim(19, 1) and not c.claim(0, 100)


def test_placement_like_size_report():
    flash = Region("FLASH", 0, 0x1000, "flash")
    ram = Region("RAM", 0x2000, 0x1000, "ram")
    data = Section(1, ".data", 0x2000, 0x100, 16, 0x3, nobits=False)
    bss = Section(2, ".bss", 0x2010, 0x2010, 32, 0x3, nobits=True)
    text = Section(3, ".text", 0x0, 0x0, 64, 0x6, nobits=False)
    for regions in ([flash, ram], []):
        assert (attribute.place(data, regions).flash, attribute.place(data, regions).ram) == (
            16,
            16,
        )
        assert (attribute.place(bss, regions).flash, attribute.place(bss, regions).ram) == (0, 32)
        assert (attribute.place(text, regions).flash, attribute.place(text, regions).ram) == (64, 0)
