/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bare-metal benchmark harness for QEMU (semihosting) on Cortex-M0+/M3/M4.
 *
 * Regions: region k is bracketed by bench_mark(2k) and bench_mark(2k+1). The
 * instruction-count plugin identifies regions by the order of the marker's
 * hits (the QEMU 7.2 plugin API cannot read r0), so every benchmark must call
 * the markers in pairs, in order, starting with the empty region 0, which
 * measures the marker overhead (3 instructions: bx lr, movs r0,#id, bl).
 */
#ifndef TINTIN_BENCH_H
#define TINTIN_BENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marker: never inlined, never cloned, no side effects the compiler may elide. */
void bench_mark(uint32_t id);

/* Convenience: bench_mark(2k) / bench_mark(2k+1). */
#define BENCH_BEGIN(k) bench_mark(2u * (uint32_t)(k))
#define BENCH_END(k) bench_mark(2u * (uint32_t)(k) + 1u)

/* Runs the empty region 0; call once at the start of main(). */
void bench_overhead_region(void);

/* Printing through semihosting (newlib-nano printf has no %f and no %lld). */
void bench_print_i32(const char *label, int32_t v);
void bench_print_u32(const char *label, uint32_t v);
void bench_print_u64(const char *label, uint64_t v);
void bench_print_i64(const char *label, int64_t v);

/* Stack high-water measurement: paint the unused stack below the current SP
 * (down to __stack_limit), run the code, then read how many bytes from the
 * top of the stack (__stack_top) were ever written. */
void bench_stack_paint(void);
uint32_t bench_stack_used(void);
uint32_t bench_stack_size(void);

#ifdef __cplusplus
}
#endif

#endif /* TINTIN_BENCH_H */
