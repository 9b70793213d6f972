/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Startup code for bare-metal benchmarks under qemu-system-arm (semihosting).
 * Linked with -nostartfiles: vector table, Reset_Handler, a fault handler that
 * exits QEMU with code 99, and the stack painting helpers of bench.h.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"

extern uint32_t __data_load__;
extern uint32_t __data_start__;
extern uint32_t __data_end__;
extern uint32_t __bss_start__;
extern uint32_t __bss_end__;
extern uint32_t __stack_limit;
extern uint32_t __stack_top;
/* librdimon's _sbrk refuses to grow the heap past __heap_limit (unless it holds its
 * 0xcafedead "unset" value); pointing it at the stack limit keeps malloc out of the
 * painted stack. */
extern uint32_t __heap_limit;

/* main(0, NULL): programs with either form of main see no arguments (AAPCS). */
extern int main(int argc, char **argv);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

void Reset_Handler(void);
void Default_Handler(void);

#define BENCH_FAULT_EXIT_CODE 99u
#define SYS_WRITE0 0x04u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define STACK_PAINT 0xC5A5C5A5u

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t bench_vectors[16] = {
    (vector_t)(uintptr_t)&__stack_top, /* initial SP */
    Reset_Handler,
    Default_Handler, /* NMI */
    Default_Handler, /* HardFault */
    Default_Handler, /* MemManage */
    Default_Handler, /* BusFault */
    Default_Handler, /* UsageFault */
    0,
    0,
    0,
    0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMonitor */
    0,
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
};

static uint32_t semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

__attribute__((noreturn)) void Default_Handler(void)
{
    static const char msg[] = "bench: fault, exiting with code 99\n";
    static const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, BENCH_FAULT_EXIT_CODE};
    (void)semihost_call(SYS_WRITE0, msg);
    for (;;) {
        (void)semihost_call(SYS_EXIT_EXTENDED, block);
    }
}

__attribute__((noreturn)) void Reset_Handler(void)
{
    const uint32_t *src = &__data_load__;
    for (uint32_t *dst = &__data_start__; dst < &__data_end__;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &__bss_start__; dst < &__bss_end__;) {
        *dst++ = 0u;
    }
    __heap_limit = (uint32_t)(uintptr_t)&__stack_limit;
    initialise_monitor_handles();
    __libc_init_array();
    exit(main(0, (char **)0));
}

void _init(void) {}
void _fini(void) {}

__attribute__((noinline)) void bench_stack_paint(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    /* volatile: keeps GCC from turning the loop into a memset call, whose own
     * frame would lie in the area being painted. */
    volatile uint32_t *p = &__stack_limit;
    volatile uint32_t *end = (volatile uint32_t *)(sp & ~(uintptr_t)3u);
    while (p < end) {
        *p++ = STACK_PAINT;
    }
}

uint32_t bench_stack_used(void)
{
    const volatile uint32_t *p = &__stack_limit;
    const volatile uint32_t *top = &__stack_top;
    while (p < top && *p == STACK_PAINT) {
        p++;
    }
    return (uint32_t)((uintptr_t)top - (uintptr_t)p);
}

uint32_t bench_stack_size(void)
{
    return (uint32_t)((uintptr_t)&__stack_top - (uintptr_t)&__stack_limit);
}
