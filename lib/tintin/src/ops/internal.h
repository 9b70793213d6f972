/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Helpers shared by the layer kernels (internal to src/ops). */

#ifndef TINTIN_OPS_INTERNAL_H_
#define TINTIN_OPS_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tintin/fixedpoint.h>
#include <tintin/ops.h>

/* Bias of output o at the accumulator's scale: round_shift(bias, shift), or a saturating left
 * shift when shift < 0 (see tintin_fc_forward_s8); 0 without a bias.
 */
static inline int32_t tintin_bias_at(const int32_t *bias, int shift, uint16_t o)
{
	if (bias == NULL) {
		return 0;
	}
	return (shift >= 0) ? tintin_round_shift(bias[o], shift) : tintin_shl_sat32(bias[o], -shift);
}

/*
 * The window of output position o starts at input index o * stride - pad (its tap 0); this
 * gives the first and one-past-last input index of it that lie inside the input.
 */
static inline void tintin_window(int o, int k, int pad, int size, int stride, int *lo, int *hi)
{
	int a = o * stride - pad;
	int b = a + k;

	*lo = (a < 0) ? 0 : a;
	*hi = (b > size) ? size : b;
}

/*
 * Armv7E-M (Cortex-M4/M7/M33 with the DSP extension): SXTB16 widens bytes 0 and 2 (or, with
 * ROR #8, bytes 1 and 3) of a word to two int16 lanes and SMLAD adds both lane products to
 * the sum, so four MACs take two loads, four extends and two SMLADs. The build condition is
 * ops.h's TINTIN_FC_USES_WS, so the planner and the kernels cannot disagree.
 */
#if TINTIN_FC_USES_WS
#define TINTIN_DSP 1

static inline uint32_t tintin_sxtb16(uint32_t v)
{
	uint32_t r;

	__asm__("sxtb16 %0, %1" : "=r"(r) : "r"(v));
	return r;
}

static inline uint32_t tintin_sxtb16_ror8(uint32_t v)
{
	uint32_t r;

	__asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
	return r;
}

static inline int32_t tintin_smlad(uint32_t a, uint32_t b, int32_t s)
{
	__asm__("smlad %0, %1, %2, %0" : "+r"(s) : "r"(a), "r"(b));
	return s;
}

static inline int32_t tintin_dot4_dsp(uint32_t va, uint32_t vb, int32_t s)
{
	s = tintin_smlad(tintin_sxtb16(va), tintin_sxtb16(vb), s);
	return tintin_smlad(tintin_sxtb16_ror8(va), tintin_sxtb16_ror8(vb), s);
}

/* Four MACs of one weight word against an input word already widened to x02 and x13. */
static inline int32_t tintin_row4_dsp(uint32_t wv, uint32_t x02, uint32_t x13, int32_t s)
{
	return tintin_smlad(tintin_sxtb16_ror8(wv), x13, tintin_smlad(tintin_sxtb16(wv), x02, s));
}

static inline uint32_t tintin_load32(const int8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4u); /* Armv7-M allows unaligned word loads */
	return v;
}
#else
#define TINTIN_DSP 0
#endif

#endif /* TINTIN_OPS_INTERNAL_H_ */
