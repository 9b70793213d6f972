/* SPDX-License-Identifier: Apache-2.0 */
/* The region marker and integer printing helpers of the benchmark harness. */
#include "bench.h"

#include <stdio.h>

__attribute__((noinline, noipa, used)) void bench_mark(uint32_t id)
{
    /* Empty body: the plugin counts hits of this function's first instruction
     * (a single `bx lr`). The asm keeps the call from being treated as pure. */
    (void)id;
    __asm__ volatile("" ::: "memory");
}

void bench_overhead_region(void)
{
    /* Two plain calls, as in a benchmark body: the asm after the second call keeps
     * it from becoming a tail call (b.w), which would change the overhead. */
    bench_mark(0u);
    bench_mark(1u);
    __asm__ volatile("" ::: "memory");
}

static void print_u64_digits(uint64_t v, char *buf)
{
    char tmp[21];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    int i = 0;
    while (n > 0) {
        buf[i++] = tmp[--n];
    }
    buf[i] = '\0';
}

void bench_print_i32(const char *label, int32_t v)
{
    printf("%s = %ld\n", label, (long)v);
}

void bench_print_u32(const char *label, uint32_t v)
{
    printf("%s = %lu\n", label, (unsigned long)v);
}

void bench_print_u64(const char *label, uint64_t v)
{
    char buf[24];
    print_u64_digits(v, buf);
    printf("%s = %s\n", label, buf);
}

void bench_print_i64(const char *label, int64_t v)
{
    char buf[24];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    print_u64_digits(mag, buf);
    printf("%s = %s%s\n", label, v < 0 ? "-" : "", buf);
}
