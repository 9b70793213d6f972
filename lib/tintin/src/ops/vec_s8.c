/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The inner loops every layer reduces to: dot products (forward; four weight rows against one
 * input at a time where a layer has them, so each input byte is loaded once per four MACs) and
 * y += e * x (backward errors and weight gradients). Dense rows and contiguous convolution
 * window rows (k_w * in_c bytes in NHWC) both call them, so speeding these up speeds up every
 * layer. Every path computes the same int32 sums; TINTIN_NO_ASM selects the plain C loops.
 */

#include <tintin/ops.h>

#include "internal.h"

/*
 * Armv6-M (Cortex-M0/M0+) has no multiply-accumulate and LDRSB only with a register offset,
 * so the C loop needs about eight instructions per MAC. The four-row kernel below is written
 * in assembly to keep eight low registers (x, four weight rows, the index, two operands) and
 * the four sums in r8-r11: per input byte one load of x, then per row LDRSB, MULS, ADD, i.e.
 * 13 instructions per 4 MACs plus the index step, two bytes per loop iteration (3.6 per MAC).
 */
#if defined(__ARM_ARCH_6M__) && !defined(TINTIN_NO_ASM)
#define TINTIN_V6M 1

/* One input byte: x[i] times the four weight rows' bytes into r8-r11, then i += 1 (sets Z). */
#define TINTIN_V6M_BYTE                                                                            \
	"	ldrsb r6, [r0, r3]\n"                                                               \
	"	ldrsb r7, [r1, r3]\n"                                                               \
	"	muls r7, r6, r7\n"                                                                  \
	"	add r8, r7\n"                                                                       \
	"	ldrsb r7, [r4, r3]\n"                                                               \
	"	muls r7, r6, r7\n"                                                                  \
	"	add r9, r7\n"                                                                       \
	"	ldrsb r7, [r5, r3]\n"                                                               \
	"	muls r7, r6, r7\n"                                                                  \
	"	add r10, r7\n"                                                                      \
	"	ldrsb r7, [r2, r3]\n"                                                               \
	"	muls r7, r6, r7\n"                                                                  \
	"	add r11, r7\n"                                                                      \
	"	adds r3, r3, #1\n"

/* tintin_dot4_s8(x = r0, w = r1, stride = r2, n = r3, out = [sp]) */
__asm__(".syntax unified\n"
	".thumb\n"
	".section .text.tintin_dot4_s8,\"ax\",%progbits\n"
	".global tintin_dot4_s8\n"
	".type tintin_dot4_s8, %function\n"
	".balign 2\n"
	".thumb_func\n"
	"tintin_dot4_s8:\n"
	"	push {r4-r7, lr}\n"
	"	mov r4, r8\n"
	"	mov r5, r9\n"
	"	mov r6, r10\n"
	"	mov r7, r11\n"
	"	push {r4-r7}\n"
	/* Bases at the row ends, index i from -n up to 0: the ADDS that steps i sets Z. */
	"	adds r0, r0, r3\n"
	"	adds r1, r1, r3\n"
	"	adds r4, r1, r2\n"
	"	adds r5, r4, r2\n"
	"	adds r2, r5, r2\n"
	"	movs r6, #0\n"
	"	mov r8, r6\n"
	"	mov r9, r6\n"
	"	mov r10, r6\n"
	"	mov r11, r6\n"
	"	rsbs r3, r3, #0\n"
	"	beq 3f\n"
	"	movs r6, #1\n"
	"	tst r3, r6\n"
	"	beq 1f\n"
	/* odd n: one byte first, then pairs */
	TINTIN_V6M_BYTE
	"	beq 3f\n"
	"1:\n"
	TINTIN_V6M_BYTE
	TINTIN_V6M_BYTE
	"	bne 1b\n"
	"3:\n"
	"	ldr r6, [sp, #36]\n"
	"	mov r7, r8\n"
	"	str r7, [r6, #0]\n"
	"	mov r7, r9\n"
	"	str r7, [r6, #4]\n"
	"	mov r7, r10\n"
	"	str r7, [r6, #8]\n"
	"	mov r7, r11\n"
	"	str r7, [r6, #12]\n"
	"	pop {r4-r7}\n"
	"	mov r8, r4\n"
	"	mov r9, r5\n"
	"	mov r10, r6\n"
	"	mov r11, r7\n"
	"	pop {r4-r7, pc}\n"
	".size tintin_dot4_s8, . - tintin_dot4_s8\n"
	".text\n");
#else
#define TINTIN_V6M 0
#endif

int32_t tintin_dot_s8(const int8_t *a, const int8_t *b, uint32_t n)
{
	int32_t s = 0;
	uint32_t i = 0;

#if TINTIN_DSP
	const int8_t *end = a + (n & ~7u);

	/* Eight MACs per iteration. */
	while (a != end) {
		s = tintin_dot4_dsp(tintin_load32(a), tintin_load32(b), s);
		s = tintin_dot4_dsp(tintin_load32(a + 4), tintin_load32(b + 4), s);
		a += 8;
		b += 8;
	}
	n &= 7u;
#endif

	/* Four independent products per iteration halve the loop overhead per MAC. */
	for (; i + 4u <= n; i += 4u) {
		s += (int32_t)a[i] * b[i] + (int32_t)a[i + 1u] * b[i + 1u] +
		     (int32_t)a[i + 2u] * b[i + 2u] + (int32_t)a[i + 3u] * b[i + 3u];
	}
	for (; i < n; i++) {
		s += (int32_t)a[i] * b[i];
	}
	return s;
}

void tintin_axpy_s8(int32_t e, const int8_t *x, int32_t *y, uint32_t n)
{
	uint32_t i = 0;

	for (; i + 4u <= n; i += 4u) {
		y[i] += e * x[i];
		y[i + 1u] += e * x[i + 1u];
		y[i + 2u] += e * x[i + 2u];
		y[i + 3u] += e * x[i + 3u];
	}
	for (; i < n; i++) {
		y[i] += e * x[i];
	}
}

#if !TINTIN_V6M
void tintin_dot4_s8(const int8_t *x, const int8_t *w, uint32_t stride, uint32_t n, int32_t *out)
{
	const int8_t *w0 = w;
	const int8_t *w1 = w0 + stride;
	const int8_t *w2 = w1 + stride;
	const int8_t *w3 = w2 + stride;
	int32_t s0 = 0;
	int32_t s1 = 0;
	int32_t s2 = 0;
	int32_t s3 = 0;
	uint32_t k = 0;

#if TINTIN_DSP
	/*
	 * x widened once per four bytes, then per row one load, two SXTB16 and two SMLAD: 25
	 * instructions per 16 MACs. In assembly because GCC spills the row pointers to the stack;
	 * rows 1 and 3 are addressed from rows 0 and 2 with a register offset, so 13 registers do.
	 */
	if (n >= 4u) {
		const int8_t *xe = x + (n & ~3u);
		const int8_t *w2p = w2;
		uint32_t t;
		uint32_t a;
		uint32_t b;
		uint32_t c;

		__asm__("1:\n"
			"	ldr %[t], [%[x]], #4\n"
			"	sxtb16 %[a], %[t]\n"
			"	sxtb16 %[b], %[t], ror #8\n"
			"	ldr %[t], [%[w0], %[st]]\n"
			"	sxtb16 %[c], %[t]\n"
			"	sxtb16 %[t], %[t], ror #8\n"
			"	smlad %[s1], %[c], %[a], %[s1]\n"
			"	smlad %[s1], %[t], %[b], %[s1]\n"
			"	ldr %[t], [%[w0]], #4\n"
			"	sxtb16 %[c], %[t]\n"
			"	sxtb16 %[t], %[t], ror #8\n"
			"	smlad %[s0], %[c], %[a], %[s0]\n"
			"	smlad %[s0], %[t], %[b], %[s0]\n"
			"	ldr %[t], [%[w2], %[st]]\n"
			"	sxtb16 %[c], %[t]\n"
			"	sxtb16 %[t], %[t], ror #8\n"
			"	smlad %[s3], %[c], %[a], %[s3]\n"
			"	smlad %[s3], %[t], %[b], %[s3]\n"
			"	ldr %[t], [%[w2]], #4\n"
			"	sxtb16 %[c], %[t]\n"
			"	sxtb16 %[t], %[t], ror #8\n"
			"	smlad %[s2], %[c], %[a], %[s2]\n"
			"	smlad %[s2], %[t], %[b], %[s2]\n"
			"	cmp %[x], %[xe]\n"
			"	bne 1b\n"
			: [x] "+r"(x), [w0] "+r"(w0), [w2] "+r"(w2p), [s0] "+r"(s0), [s1] "+r"(s1),
			  [s2] "+r"(s2), [s3] "+r"(s3), [t] "=&r"(t), [a] "=&r"(a), [b] "=&r"(b),
			  [c] "=&r"(c)
			: [xe] "r"(xe), [st] "r"(stride)
			: "cc", "memory");
		w1 = w0 + stride;
		w2 = w2p;
		w3 = w2 + stride;
		n &= 3u;
	}
#endif
	for (; k < n; k++) {
		int32_t xv = x[k];

		s0 += xv * w0[k];
		s1 += xv * w1[k];
		s2 += xv * w2[k];
		s3 += xv * w3[k];
	}
	out[0] = s0;
	out[1] = s1;
	out[2] = s2;
	out[3] = s3;
}
#endif

void tintin_scale_s8(int32_t e, const int8_t *x, int32_t *y, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		y[i] = e * x[i];
	}
}

void tintin_axpy4_s8(const int32_t *e, const int8_t *x, uint32_t stride, int32_t *y, uint32_t n)
{
	const int8_t *x0 = x;
	const int8_t *x1 = x0 + stride;
	const int8_t *x2 = x1 + stride;
	const int8_t *x3 = x2 + stride;
	const int32_t e0 = e[0];
	const int32_t e1 = e[1];
	const int32_t e2 = e[2];
	const int32_t e3 = e[3];

	/* One load and one store of y per four MACs instead of per MAC. */
	for (uint32_t i = 0; i < n; i++) {
		y[i] += e0 * x0[i] + e1 * x1[i] + e2 * x2[i] + e3 * x3[i];
	}
}
