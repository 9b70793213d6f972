/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/loss.h>
#include <tintin/ops.h>

/* 47274 / 2^15 = 1.44269 = log2(e): turns e^x into 2^x. */
#define TINTIN_XENT_LOG2E_Q15 47274
/* The row maximum becomes 2^10; smaller logits fall off to 0 below 2^-10 of it. */
#define TINTIN_XENT_PIN 10
/* e^x for |x| < 1 (exponent <= -7) in Q15: 1 + x + x^2 / 2 with x in Q14. */
#define TINTIN_XENT_TAYLOR_EXP (-7)

/* Truncating x / 2^s on the magnitude (NITI's div), s >= 0. */
static int32_t tintin_trunc_shift(int32_t x, int s)
{
	uint32_t m = tintin_abs32(x);

	m = (s >= 32) ? 0u : (m >> s);
	return (x < 0) ? -(int32_t)m : (int32_t)m;
}

/* Logit in units of log2: z * log2(e) * 2^e, truncated like NITI. */
static int32_t tintin_xent_scaled(int32_t z, int e)
{
	int32_t s = tintin_trunc_shift(z * TINTIN_XENT_LOG2E_Q15, 15);

	if (e >= 0) {
		/* |s| <= 183, so 20 bits of headroom keep it in int32; beyond that every
		 * non-maximal logit is pinned to 0 anyway.
		 */
		return tintin_shl_sat32(s, (e > 20) ? 20 : e);
	}
	return tintin_trunc_shift(s, -e);
}

/* Unnormalised softmax weight of one logit; smax is the row maximum of scaled logits. */
static uint32_t tintin_xent_weight(int32_t z, int e, int32_t smax)
{
	int32_t s;

	if (e > TINTIN_XENT_TAYLOR_EXP) {
		s = tintin_xent_scaled(z, e) - (smax - TINTIN_XENT_PIN);
		return (s <= 0) ? 0u : ((1u << s) - 1u);
	}
	/* Taylor branch: x in Q14, |x| < 1, so the weight stays positive. */
	s = (e + 14 >= 0) ? (z * (1 << (e + 14))) : tintin_round_shift(z, -(e + 14));
	return (uint32_t)((1 << 15) + 2 * s + ((s * s) >> 14));
}

int tintin_xent_grad_s8(const int8_t *z, int e, const uint8_t *labels, uint16_t batch,
			uint16_t classes, const struct tintin_prng *r, int8_t *err)
{
	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *zr = z + (size_t)b * classes;
		int8_t *er = err + (size_t)b * classes;
		uint32_t draw = (uint32_t)b * classes;
		int32_t smax = INT32_MIN;
		uint32_t sum = 0u;
		uint32_t qsum = 0u;
		uint32_t qlabel = 0u;

		if (e > TINTIN_XENT_TAYLOR_EXP) {
			for (uint16_t j = 0; j < classes; j++) {
				int32_t s = tintin_xent_scaled(zr[j], e);

				smax = (s > smax) ? s : smax;
			}
		}
		for (uint16_t j = 0; j < classes; j++) {
			sum += tintin_xent_weight(zr[j], e, smax);
		}
		for (uint16_t j = 0; j < classes; j++) {
			/* Q11 probability; one divide per class, outside any MAC loop. */
			uint32_t q = (tintin_xent_weight(zr[j], e, smax) << 11) / sum;

			qsum += q;
			if (j == labels[b]) {
				qlabel = q;
				continue;
			}
			er[j] = tintin_sat8(
				tintin_sto_shift((int32_t)q, 4, tintin_prng_at(r, draw + j)));
		}
		/* The label's gradient is q - sum(q) ~ 2048 (p - 1). */
		er[labels[b]] = tintin_sat8(tintin_sto_shift((int32_t)qlabel - (int32_t)qsum, 4,
							     tintin_prng_at(r, draw + labels[b])));
	}
	return -7 - tintin_bits((uint32_t)batch - 1u);
}

int tintin_mse_diff_s8(const int8_t *y, int e_y, const int8_t *t, int e_t, uint32_t n,
		       int32_t *acc)
{
	int hi = (e_y > e_t) ? e_y : e_t;
	int e = (e_y < e_t) ? e_y : e_t;
	int sy;
	int st;

	/* Both on the finer grid, but at most 23 bits below the coarser one (|y|, |t| <= 128
	 * shifted by 23 stay within int32): past that, the finer operand is rounded onto the
	 * grid instead of the coarser one being shifted short, which scaled it wrongly.
	 */
	e = (hi - e > 23) ? hi - 23 : e;
	sy = e_y - e;
	st = e_t - e;
	for (uint32_t k = 0; k < n; k++) {
		int32_t ya = (sy >= 0) ? tintin_shl_sat32(y[k], sy) : tintin_round_shift(y[k], -sy);
		int32_t ta = (st >= 0) ? tintin_shl_sat32(t[k], st) : tintin_round_shift(t[k], -st);

		acc[k] = ya - ta;
	}
	return e;
}

int tintin_mse_grad_s8(const int8_t *y, int e_y, const int8_t *t, int e_t, uint32_t n,
		       uint16_t batch, int32_t *acc, int8_t *err, uint32_t *sat)
{
	int e = tintin_mse_diff_s8(y, e_y, t, e_t, n, acc);
	int shift = tintin_requantize_s8(acc, n, err, sat);

	return e + shift - tintin_bits((uint32_t)batch - 1u);
}
