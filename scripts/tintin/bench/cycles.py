# SPDX-License-Identifier: Apache-2.0
"""Offline cycle model for Cortex-M0+/M3/M4 applied to per-PC instruction counts.

Input: the per-PC counts of the QEMU `insncount` plugin (`tintin.bench.qemu.run(..., pcs=True)`,
whole run or one region) and the ELF they came from. Output: estimated cycles in total, per
instruction class and per function (plus the counted instructions of each function).

What is counted and what is estimated:

* COUNTED (exact, from QEMU): how often each instruction address executed, hence every
  instruction total, per-region and per-function instruction counts. Skipped IT-block members
  are counted as executed instructions (QEMU issues them, as the core does).
* COUNTED (exact) when the plugin provides it (its 4th "taken" column, recorded with a callback
  per executed translation block): how often control left an instruction other than by falling
  through to addr + size. That decides conditional branches, CBZ/CBNZ and PC-writing IT-block
  members exactly, and tells how often each instruction was entered by fall-through from its
  sequential predecessor (count(prev) - taken(prev)), which the load-pipelining and
  address-dependency rules below need.
* ESTIMATED when there is no taken column (`taken="estimated"`): for a conditional transfer at
  `pc`, taken ~= max(0, count(pc) - count(pc + size)). That is exact when pc + size is reachable
  only by falling through from pc (not a static target of an executed direct branch, not a
  function entry, not a return address); otherwise it is a lower bound on the taken count.
  `CycleEstimate.taken_bounded` counts the branch executions for which only the bound was
  available.
* ESTIMATED always: the cycles. Each executed instruction is decoded once with capstone,
  classified, and priced from the instruction timing tables of the Technical Reference Manuals,
  assuming zero wait states, no interrupts and no bus contention:

  - Cortex-M0+: ARM DDI 0484C, "Cortex-M0+ instruction summary": ALU/MOV/compare/extend 1;
    MULS 1 (32 with the small iterative multiplier, `small_multiplier=True`); single LDR/STR 2;
    LDM/STM/PUSH/POP 1+N; POP {..,PC} 3+N (N without PC); B<cc> 1 not taken / 2 taken; B 2;
    BL 3; BX/BLX 2; MOV/ADD to PC 2; MSR/MRS/ISB/DSB/DMB 3.
  - Cortex-M3: ARM DDI 0337 (H/I), table 3-1 "Cortex-M3 instruction set summary", and
    Cortex-M4: ARM DDI 0439 (B), table 3-1 "Processor instruction set summary":
    ALU, MOV, SSAT/USAT, bitfield, extend, IT 1; to PC 1+P; MUL 1; MLA/MLS 2 on M3, 1 on M4;
    SMULL/UMULL 3-5 on M3 (model: `m3_mull`=4), SMLAL/UMLAL 4-7 on M3 (`m3_mlal`=5), 1 on M4;
    DSP/SIMD (M4) 1; SDIV/UDIV 2-12 (`div_cycles`=7, operands are not known offline);
    single LDR 2, 1 when pipelined behind a preceding single load/store (not behind a
    register-offset STR, not when its address uses that load's result); STR with immediate
    offset 1, with register offset 2; LDRD/STRD 3; LDM/STM/PUSH/POP 1+N (N counts PC and LR),
    +P when PC is loaded; LDR to PC 2+P; B, BL, BX, BLX 1+P; B<cc>/CBZ/CBNZ 1 not taken, 1+P
    taken; TBB/TBH 2+P; MRS/MSR 2; ISB 1+P; DSB/DMB 1. As in MCU-MEASUREMENT.md §8, a
    load/store whose address register was written by the immediately preceding
    data-processing instruction pays +1 (address-generation interlock).
    P (pipeline refill, 1..3 by the TRMs) is `refill`, default 2.

How far to trust it: M0+ within a few per cent at zero wait states (in-order, table-driven);
M3/M4 +-10-20 % (P varies with target alignment and width, no IT folding, literal-pool fetch
contention and write-buffer stalls not modelled, long multiply and divide timing is data
dependent, skipped IT-block members are priced as if executed). Flash wait states, caches and
accelerators (e.g. STM32 ART) are not modelled. Ratios between kernels are far more robust
than absolute cycles; calibrate against a real board before quoting absolute numbers.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import capstone
from capstone import arm_const as A
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tintin.bench.qemu import PcCounts

CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4")
UNKNOWN_FUNCTION = "?"

_LOADS = {
    A.ARM_INS_LDR,
    A.ARM_INS_LDRB,
    A.ARM_INS_LDRH,
    A.ARM_INS_LDRSB,
    A.ARM_INS_LDRSH,
    A.ARM_INS_LDRT,
    A.ARM_INS_LDRBT,
    A.ARM_INS_LDRHT,
    A.ARM_INS_LDRSBT,
    A.ARM_INS_LDRSHT,
    A.ARM_INS_LDREX,
    A.ARM_INS_LDREXB,
    A.ARM_INS_LDREXH,
}
_STORES = {
    A.ARM_INS_STR,
    A.ARM_INS_STRB,
    A.ARM_INS_STRH,
    A.ARM_INS_STRT,
    A.ARM_INS_STRBT,
    A.ARM_INS_STRHT,
    A.ARM_INS_STREX,
    A.ARM_INS_STREXB,
    A.ARM_INS_STREXH,
}
_DOUBLE = {A.ARM_INS_LDRD, A.ARM_INS_STRD}
_MULTI = {
    A.ARM_INS_LDM,
    A.ARM_INS_LDMDB,
    A.ARM_INS_STM,
    A.ARM_INS_STMDB,
    A.ARM_INS_PUSH,
    A.ARM_INS_POP,
}
_MUL = {A.ARM_INS_MUL}
_MLA = {A.ARM_INS_MLA, A.ARM_INS_MLS}
_MULL = {A.ARM_INS_SMULL, A.ARM_INS_UMULL}
_MLAL = {A.ARM_INS_SMLAL, A.ARM_INS_UMLAL, A.ARM_INS_UMAAL}
_DIV = {A.ARM_INS_SDIV, A.ARM_INS_UDIV}
# ARMv7E-M DSP multiplies (Cortex-M4 only): single cycle in DDI 0439 table 3-1.
_DSP_MUL = {
    getattr(A, f"ARM_INS_{name}")
    for name in (
        "SMLABB SMLABT SMLATB SMLATT SMLAD SMLADX SMLALBB SMLALBT SMLALTB SMLALTT SMLALD "
        "SMLALDX SMLAWB SMLAWT SMLSD SMLSDX SMLSLD SMLSLDX SMMLA SMMLAR SMMLS SMMLSR SMMUL "
        "SMMULR SMUAD SMUADX SMULBB SMULBT SMULTB SMULTT SMULWB SMULWT SMUSD SMUSDX USAD8 USADA8"
    ).split()
}
_COND_BRANCH = {A.ARM_INS_CBZ, A.ARM_INS_CBNZ}
_CALLS = {A.ARM_INS_BL, A.ARM_INS_BLX}
_TABLE = {A.ARM_INS_TBB, A.ARM_INS_TBH}
_SYSREG = {A.ARM_INS_MRS, A.ARM_INS_MSR}
_ISB = {A.ARM_INS_ISB}
_BARRIER = {A.ARM_INS_DSB, A.ARM_INS_DMB}


@dataclass(frozen=True)
class CycleParams:
    """Free parameters of the model (see the module docstring)."""

    refill: int = 2
    small_multiplier: bool = False
    div_cycles: int = 7
    m3_mull: int = 4
    m3_mlal: int = 5


@dataclass(frozen=True)
class Insn:
    """One decoded instruction and its static cost on one core."""

    addr: int
    size: int
    text: str
    kind: str
    base: int  # cycles when it does not transfer control (fall-through / not taken)
    transfer: int  # cycles when it transfers control (taken); == base for non-transfers
    conditional: bool  # a transfer decided at run time (B<cc>, CBZ, PC-writing IT member)
    always_transfers: bool
    writes: frozenset[int] = field(default_factory=frozenset)
    address_regs: frozenset[int] = field(default_factory=frozenset)
    single_load: bool = False
    single_store: bool = False
    store_reg_offset: bool = False
    data_processing: bool = False
    is_call: bool = False
    target: int | None = None  # direct branch target


@dataclass(frozen=True)
class FunctionCost:
    name: str
    instructions: int
    cycles: int


@dataclass(frozen=True)
class CycleEstimate:
    """Counted instructions and estimated cycles of one set of per-PC counts."""

    core: str
    params: CycleParams
    instructions: int
    cycles: int
    taken_source: str  # "counted" (plugin column) or "estimated" (count differences)
    taken_bounded: int  # branch executions priced with a lower-bound taken estimate
    functions: dict[str, FunctionCost]
    by_class: dict[str, tuple[int, int]]  # kind -> (instructions, cycles)

    @property
    def cpi(self) -> float:
        return self.cycles / self.instructions if self.instructions else 0.0


class _Image:
    """Executable bytes and function symbols of an ELF."""

    def __init__(self, elf: Path) -> None:
        self.chunks: list[tuple[int, bytes]] = []
        funcs: list[tuple[int, int, str]] = []
        with open(elf, "rb") as fh:
            ef = ELFFile(fh)
            for sec in ef.iter_sections():
                if sec["sh_flags"] & SH_FLAGS.SHF_EXECINSTR and sec["sh_type"] == "SHT_PROGBITS":
                    self.chunks.append((int(sec["sh_addr"]), sec.data()))
            symtab = ef.get_section_by_name(".symtab")
            if isinstance(symtab, SymbolTableSection):
                for sym in symtab.iter_symbols():
                    if sym["st_info"]["type"] == "STT_FUNC" and sym.name:
                        start = int(sym["st_value"]) & ~1
                        funcs.append((start, int(sym["st_size"]), sym.name))
        funcs.sort()
        self.func_starts = [f[0] for f in funcs]
        self.funcs = funcs
        self.entries = set(self.func_starts)

    def read(self, addr: int, size: int) -> bytes:
        for base, data in self.chunks:
            if base <= addr and addr + size <= base + len(data):
                return data[addr - base : addr - base + size]
        raise ValueError(f"address {addr:#x} is not in an executable section")

    def function(self, addr: int) -> str:
        i = bisect.bisect_right(self.func_starts, addr) - 1
        # Prefer a symbol whose [start, start+size) holds addr; else the nearest preceding one.
        j = i
        while j >= 0 and self.funcs[j][0] == self.funcs[i][0]:
            start, size, name = self.funcs[j]
            if start <= addr < start + size:
                return name
            j -= 1
        return self.funcs[i][2] if i >= 0 else UNKNOWN_FUNCTION


def _disassembler() -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    md.detail = True
    return md


def _classify(ins: capstone.CsInsn, core: str, params: CycleParams, in_it: bool, size: int) -> Insn:
    m0 = core == "cortex-m0plus"
    p = params.refill
    _, writes_list = ins.regs_access()
    writes = frozenset(writes_list)
    writes_pc = A.ARM_REG_PC in writes
    mem_regs: set[int] = set()
    reg_offset = False
    target: int | None = None
    for op in ins.operands:
        if op.type == A.ARM_OP_MEM:
            mem_regs.update(r for r in (op.mem.base, op.mem.index) if r)
            reg_offset = reg_offset or bool(op.mem.index)
        elif op.type == A.ARM_OP_IMM and (
            ins.id in (A.ARM_INS_B, A.ARM_INS_BL) or ins.id in _COND_BRANCH
        ):
            target = op.imm & ~1
    iid = ins.id
    text = f"{ins.mnemonic} {ins.op_str}".strip()
    cond_branch = (iid == A.ARM_INS_B and ins.cc not in (A.ARM_CC_AL, A.ARM_CC_INVALID)) or (
        iid in _COND_BRANCH
    )

    def mk(kind: str, base: int, transfer: int | None = None, **kw: object) -> Insn:
        conditional = cond_branch or (in_it and transfer is not None)
        return Insn(
            addr=ins.address,
            size=size,
            text=text,
            kind=kind,
            base=1 if conditional else base,
            transfer=base if transfer is None else transfer,
            conditional=conditional,
            always_transfers=transfer is not None and not conditional,
            writes=writes,
            address_regs=frozenset(mem_regs),
            target=target,
            **kw,  # type: ignore[arg-type]
        )

    if iid == A.ARM_INS_B or iid in _COND_BRANCH:
        if m0:
            return mk("branch", 1 if cond_branch else 2, 2)
        return mk("branch", 1 if cond_branch else 1 + p, 1 + p)
    if iid in _CALLS:
        m0_cost = 3 if iid == A.ARM_INS_BL else 2  # DDI 0484C: BL 3, BLX Rm 2
        return mk("call", m0_cost if m0 else 1 + p, m0_cost if m0 else 1 + p, is_call=True)
    if iid == A.ARM_INS_BX:
        return mk("branch", 2 if m0 else 1 + p, 2 if m0 else 1 + p)
    if iid in _TABLE:
        return mk("branch", 2 + p, 2 + p)
    if iid in _MULTI:
        regs = [op.reg for op in ins.operands if op.type == A.ARM_OP_REG]
        if iid in (A.ARM_INS_LDM, A.ARM_INS_LDMDB, A.ARM_INS_STM, A.ARM_INS_STMDB):
            regs = regs[1:]  # the base register is not in the list
        n = len(regs)
        if writes_pc and iid in (A.ARM_INS_POP, A.ARM_INS_LDM, A.ARM_INS_LDMDB):
            cost = 3 + (n - 1) if m0 else 1 + n + p
            return mk("return", cost, cost)
        return mk("load_store_multiple", 1 + n)
    if iid in _LOADS and writes_pc:
        return mk("return", 2 + p, 2 + p)
    if iid in _LOADS:
        return mk("load", 2, single_load=True)
    if iid in _STORES:
        if m0:
            return mk("store", 2, single_store=True, store_reg_offset=reg_offset)
        return mk("store", 2 if reg_offset else 1, single_store=True, store_reg_offset=reg_offset)
    if iid in _DOUBLE:
        return mk("load_store_multiple", 3)
    if writes_pc:  # MOV/ADD to PC
        return mk("branch", 2 if m0 else 1 + p, 2 if m0 else 1 + p)
    if iid in _MUL:
        if m0:
            return mk("multiply", 32 if params.small_multiplier else 1, data_processing=True)
        return mk("multiply", 1, data_processing=True)
    if iid in _MLA:
        return mk("multiply", 1 if core == "cortex-m4" else 2, data_processing=True)
    if iid in _MULL:
        cost = 1 if core == "cortex-m4" else params.m3_mull
        return mk("multiply_long", cost, data_processing=True)
    if iid in _MLAL:
        cost = 1 if core == "cortex-m4" else params.m3_mlal
        return mk("multiply_long", cost, data_processing=True)
    if iid in _DSP_MUL:
        return mk("multiply_dsp", 1, data_processing=True)
    if iid in _DIV:
        return mk("divide", params.div_cycles, data_processing=True)
    if iid in _SYSREG:
        return mk("system", 3 if m0 else 2)
    if iid in _ISB:
        return mk("system", 3 if m0 else 1 + p)
    if iid in _BARRIER:
        return mk("system", 3 if m0 else 1)
    if iid == A.ARM_INS_IT:
        return mk("it", 1)
    if iid in (A.ARM_INS_BKPT, A.ARM_INS_SVC, A.ARM_INS_UDF, A.ARM_INS_NOP):
        return mk("other", 1)
    return mk("alu", 1, data_processing=True)


def _it_members(ins: capstone.CsInsn) -> int:
    """Number of instructions an IT instruction covers ("itte" -> 3)."""
    return len(ins.mnemonic) - 1


def decode(
    elf: Path, pcs: PcCounts, core: str, params: CycleParams | None = None
) -> dict[int, Insn]:
    """Decode and price every instruction address that appears in `pcs`."""
    if core not in CORES:
        raise ValueError(f"unknown core {core!r} (known: {', '.join(CORES)})")
    params = params or CycleParams()
    image = _Image(elf)
    md = _disassembler()
    raw: dict[int, capstone.CsInsn | None] = {}
    for addr in sorted(pcs.counts):
        size = pcs.sizes.get(addr, 2)
        try:
            found = list(md.disasm(image.read(addr, size), addr, 1))
        except ValueError:  # not in the ELF's code (e.g. code copied to RAM): kind "unknown"
            found = []
        raw[addr] = found[0] if found else None
    in_it: set[int] = set()
    for addr, ins in raw.items():
        if ins is not None and ins.id == A.ARM_INS_IT:
            nxt = addr + ins.size
            for _ in range(_it_members(ins)):
                in_it.add(nxt)
                nxt += pcs.sizes.get(nxt, 2)
    out: dict[int, Insn] = {}
    for addr, ins in raw.items():
        size = pcs.sizes.get(addr, 2)
        if ins is None:
            out[addr] = Insn(addr, size, "(undecodable)", "unknown", 1, 1, False, False)
        else:
            out[addr] = _classify(ins, core, params, addr in in_it, size)
    return out


def estimate_taken(elf: Path, pcs: PcCounts, insns: dict[int, Insn]) -> tuple[dict[int, int], int]:
    """Taken counts from per-PC counts alone; returns (taken per pc, bounded executions).

    Conditional transfers: max(0, count(pc) - count(pc + size)), exact when pc + size can only
    be entered by falling through from pc, else a lower bound (counted in the second value).
    Unconditional transfers: every execution. Everything else: never.
    """
    image = _Image(elf)
    targets = {i.target for i in insns.values() if i.target is not None}
    return_sites = {a + i.size for a, i in insns.items() if i.is_call}
    taken: dict[int, int] = {}
    bounded = 0
    for addr, ins in insns.items():
        n = pcs.counts.get(addr, 0)
        if ins.always_transfers:
            taken[addr] = n
        elif ins.conditional:
            nxt = addr + ins.size
            taken[addr] = max(0, n - pcs.counts.get(nxt, 0))
            if nxt in targets or nxt in image.entries or nxt in return_sites:
                bounded += n
        else:
            taken[addr] = 0
    return taken, bounded


def model_cycles(
    elf: Path,
    pcs: PcCounts,
    core: str,
    params: CycleParams | None = None,
    taken: str = "counted",
) -> CycleEstimate:
    """Estimate cycles of `pcs` (whole run or one region) on `core`; see the module docstring.

    taken="counted" uses the plugin's taken column; "estimated" ignores it and derives taken
    counts from count differences (for counts that come without the column).
    """
    params = params or CycleParams()
    insns = decode(elf, pcs, core, params)
    bounded = 0
    if taken == "counted":
        taken_n = dict(pcs.taken)
    elif taken == "estimated":
        taken_n, bounded = estimate_taken(elf, pcs, insns)
    else:
        raise ValueError("taken must be 'counted' or 'estimated'")
    prev_of = {a + i.size: a for a, i in insns.items()}
    image = _Image(elf)
    v7m = core != "cortex-m0plus"
    total_cycles = 0
    functions: dict[str, list[int]] = {}
    by_class: dict[str, list[int]] = {}
    for addr, ins in insns.items():
        n = pcs.counts.get(addr, 0)
        t = min(max(taken_n.get(addr, 0), 0), n)
        if ins.always_transfers:
            cycles = n * ins.transfer
        elif ins.conditional:
            cycles = n * ins.base + t * (ins.transfer - ins.base)
        else:
            cycles = n * ins.base
            prev = insns.get(prev_of.get(addr, -1))
            if v7m and prev is not None and (ins.single_load or ins.single_store):
                p_addr = prev.addr
                fall_in = pcs.counts.get(p_addr, 0) - min(
                    taken_n.get(p_addr, 0), pcs.counts.get(p_addr, 0)
                )
                if prev.always_transfers:
                    fall_in = 0
                fall_in = min(max(fall_in, 0), n)
                if (
                    ins.single_load
                    and (prev.single_load or (prev.single_store and not prev.store_reg_offset))
                    and not (prev.single_load and prev.writes & ins.address_regs)
                ):
                    cycles -= fall_in  # pipelined behind the previous load/store
                if prev.data_processing and prev.writes & ins.address_regs:
                    cycles += fall_in  # address-generation interlock
        total_cycles += cycles
        fn = functions.setdefault(image.function(addr), [0, 0])
        fn[0] += n
        fn[1] += cycles
        cls = by_class.setdefault(ins.kind, [0, 0])
        cls[0] += n
        cls[1] += cycles
    return CycleEstimate(
        core=core,
        params=params,
        instructions=pcs.total,
        cycles=total_cycles,
        taken_source=taken,
        taken_bounded=bounded,
        functions={k: FunctionCost(k, v[0], v[1]) for k, v in sorted(functions.items())},
        by_class={k: (v[0], v[1]) for k, v in sorted(by_class.items())},
    )


def format_profile(est: CycleEstimate, top: int = 20) -> str:
    """A small text table of the most expensive functions."""
    rows = sorted(est.functions.values(), key=lambda f: (-f.cycles, f.name))[:top]
    lines = [
        f"{est.core}: {est.instructions} instructions (counted), "
        f"{est.cycles} cycles (estimated, P={est.params.refill}, taken {est.taken_source})",
        f"{'function':32} {'instructions':>12} {'cycles':>10} {'CPI':>5}",
    ]
    for f in rows:
        cpi = f.cycles / f.instructions if f.instructions else 0.0
        lines.append(f"{f.name[:32]:32} {f.instructions:12d} {f.cycles:10d} {cpi:5.2f}")
    return "\n".join(lines)
