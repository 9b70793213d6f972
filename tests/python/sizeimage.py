# SPDX-License-Identifier: Apache-2.0
"""A small real image for the sizer's tests (tintin size, tintin plan, west tintin size): the
digits sample's model, libtintin.a and a main, linked for Cortex-M0+, a soft-float Cortex-M4
(with a map file) or the host."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tintin.native.tree import CORE as LIB
from tintin.native.tree import REPO as ROOT
from tintin.native.tree import core_sources

HEADER = ROOT / "samples" / "digits" / "src" / "digits_model.h"
ARM_CC = "arm-none-eabi-gcc"
CFLAGS = ["-std=c11", "-Os", "-ffunction-sections", "-fdata-sections", f"-I{LIB / 'include'}"]
TARGETS = {
    "m0plus": ["-mcpu=cortex-m0plus", "-mthumb"],
    "m4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"],
}
# Members named as plain CMake (model.c.obj, Zephyr) and as make would (model.o).
MEMBER_SUFFIX = {"m0plus": ".o", "m4": ".c.obj", "host": ".o"}
MAIN_C = r"""
#include <stdint.h>
#include "digits_model.h"

static uint8_t arena[DIGITS_ARENA_TRAIN] __attribute__((aligned(8)));
static struct tintin_model model;
static int8_t input_x[8 * DIGITS_INPUT_SIZE] = {1, -2, 3, -4, 5, -6, 7, -8};
static uint8_t labels[8] = {1, 2, 3, 4, 5, 6, 7, 8};
volatile int result;

int main(void)
{
	struct tintin_batch b = {.x = input_x, .labels = labels, .n = 8, .x_exp = -7};
	int ret = tintin_model_init(&model, &digits_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena));

	if (ret == 0) {
		ret = tintin_model_train_step(&model, &b);
	}
	result = ret;
	return 0;
}

#ifdef __arm__
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void)
{
	uint32_t *src = &_sidata;
	uint32_t *dst = &_sdata;

	while (dst < &_edata) {
		*dst++ = *src++;
	}
	for (dst = &_sbss; dst < &_ebss;) {
		*dst++ = 0;
	}
	main();
	for (;;) {
	}
}

__attribute__((section(".isr_vector"), used)) void (*const vectors[])(void) = {
	(void (*)(void))&_estack,
	Reset_Handler,
};
#endif
"""

LINKER_SCRIPT = """
ENTRY(Reset_Handler)
MEMORY
{
	FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 256K
	RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 32K
}
_estack = ORIGIN(RAM) + LENGTH(RAM);
SECTIONS
{
	.isr_vector : { KEEP(*(.isr_vector)) } > FLASH
	.text : { *(.text*) } > FLASH
	.rodata : { *(.rodata*) . = ALIGN(4); } > FLASH
	.ARM.exidx : { *(.ARM.exidx* .gnu.linkonce.armexidx.*) } > FLASH
	.data : { _sdata = .; *(.data*) . = ALIGN(4); _edata = .; } > RAM AT> FLASH
	_sidata = LOADADDR(.data);
	.bss (NOLOAD) : { _sbss = .; *(.bss*) *(COMMON) . = ALIGN(4); _ebss = .; } > RAM
}
"""


def run(cmd: list[str], **kw) -> str:
    cp = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert cp.returncode == 0, f"{' '.join(map(str, cmd))}\n{cp.stderr}"
    return cp.stdout


def build(out: Path, target: str) -> dict[str, Path]:
    """libtintin.a, main.c and (for ARM) the linker script -> ELF (+ map)."""
    out.mkdir(parents=True)
    host = target == "host"
    cc = "gcc" if host else ARM_CC
    ar = "ar" if host else "arm-none-eabi-ar"
    flags = CFLAGS + ([] if host else TARGETS[target])
    objs = [out / f"{src.stem}{MEMBER_SUFFIX[target]}" for src in core_sources()]
    jobs = [
        [cc, *flags, f"-I{LIB / 'src'}", "-c", src, "-o", obj]
        for src, obj in zip(core_sources(), objs, strict=True)
    ]
    (out / "main.c").write_text(MAIN_C)
    jobs.append([cc, *flags, f"-I{HEADER.parent}", "-c", out / "main.c", "-o", out / "main.o"])
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        list(pool.map(run, jobs))
    run([ar, "rcs", out / "libtintin.a", *objs])
    elf, map_file = out / "app.elf", out / "app.map"
    if host:
        run([cc, out / "main.o", out / "libtintin.a", "-Wl,--gc-sections", "-o", elf])
        return {"elf": elf}
    (out / "app.ld").write_text(LINKER_SCRIPT)
    run(
        [
            cc,
            *flags,
            "-nostartfiles",
            "--specs=nano.specs",
            "--specs=nosys.specs",
            f"-T{out / 'app.ld'}",
            "-Wl,--gc-sections",
            f"-Wl,-Map={map_file}",
            out / "main.o",
            out / "libtintin.a",
            "-o",
            elf,
        ]
    )
    return {"elf": elf, "map": map_file}
