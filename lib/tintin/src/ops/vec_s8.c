/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The two inner loops every layer reduces to: a dot product (forward) and y += e * x
 * (backward errors and weight gradients). Dense rows and contiguous convolution window rows
 * (k_w * in_c bytes in NHWC) both call them, so speeding these up speeds up every layer.
 */

#include <string.h>

#include <tintin/ops.h>

/*
 * Armv7E-M (Cortex-M4/M7/M33 with the DSP extension): SXTB16 widens bytes 0 and 2 (or, with
 * ROR #8, bytes 1 and 3) of a word to two int16 lanes and SMLAD adds both lane products to
 * the sum, so four MACs take two loads, four extends and two SMLADs. The sums are the same
 * integers as the plain C loop's; TINTIN_NO_DSP selects the plain loop.
 */
#if defined(__ARM_FEATURE_DSP) && (__ARM_FEATURE_DSP == 1) && !defined(TINTIN_NO_DSP)
#define TINTIN_DSP 1

static inline int32_t tintin_dot4_dsp(uint32_t va, uint32_t vb, int32_t s)
{
	uint32_t a02;
	uint32_t a13;
	uint32_t b02;
	uint32_t b13;

	__asm__("sxtb16 %0, %1" : "=r"(a02) : "r"(va));
	__asm__("sxtb16 %0, %1, ror #8" : "=r"(a13) : "r"(va));
	__asm__("sxtb16 %0, %1" : "=r"(b02) : "r"(vb));
	__asm__("sxtb16 %0, %1, ror #8" : "=r"(b13) : "r"(vb));
	__asm__("smlad %0, %1, %2, %0" : "+r"(s) : "r"(a02), "r"(b02));
	__asm__("smlad %0, %1, %2, %0" : "+r"(s) : "r"(a13), "r"(b13));
	return s;
}
#else
#define TINTIN_DSP 0
#endif

int32_t tintin_dot_s8(const int8_t *a, const int8_t *b, uint32_t n)
{
	int32_t s = 0;
	uint32_t i = 0;

#if TINTIN_DSP
	const int8_t *end = a + (n & ~7u);

	/* Eight MACs per iteration; word loads (Armv7-M allows them unaligned). */
	while (a != end) {
		uint32_t va0;
		uint32_t va1;
		uint32_t vb0;
		uint32_t vb1;

		memcpy(&va0, a, 4u);
		memcpy(&va1, a + 4, 4u);
		memcpy(&vb0, b, 4u);
		memcpy(&vb1, b + 4, 4u);
		s = tintin_dot4_dsp(va0, vb0, s);
		s = tintin_dot4_dsp(va1, vb1, s);
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
