/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Integer federated averaging (tintin/fedavg.h): shares of 2^16 by largest remainders, exact
 * int64 sums at the finest exponent (signed shares for a gateway's server momentum), one
 * requantisation shift, stochastic rounding. Two passes over the parts (the peak, then the
 * values), so no int64 buffer is needed.
 */

#include <errno.h>
#include <stddef.h>

#include <tintin/config.h>
#include <tintin/fedavg.h>

#include "internal.h"
#include "le.h"

/* Bits of m (0 for 0), for 64-bit magnitudes. */
int tintin_bits64(uint64_t m)
{
	int n = 0;

	while (m != 0u) {
		m >>= 1;
		n++;
	}
	return n;
}

/* floor((x + U) / 2^s), U the top s bits of draw d (d << (s - 32) when s > 32); 16 <= s < 63. */
int64_t tintin_fedavg_round(int64_t x, int s, uint32_t d)
{
	const int64_t u = (s <= 32) ? (int64_t)(d >> (32 - s)) : (int64_t)d << (s - 32);
	const int64_t v = x + u;

	/* Floor on magnitudes: no signed right shift. */
	return (v >= 0) ? (int64_t)((uint64_t)v >> s)
			: -(int64_t)(((uint64_t)-v + (((uint64_t)1 << s) - 1u)) >> s);
}

int tintin_fedavg_shift(uint64_t peak, int bits, int e_min, int top)
{
	const int most = top - e_min + TINTIN_FEDAVG_SHARE_BITS;
	int shift = tintin_bits64(peak) - bits;

	shift = (shift < TINTIN_FEDAVG_SHARE_BITS) ? TINTIN_FEDAVG_SHARE_BITS : shift;
	return (shift > most) ? most : shift;
}

int tintin_fedavg_shares(const struct tintin_fedavg_part *parts, uint16_t k, int32_t *shares)
{
	uint64_t total = 0u;
	uint32_t left = 1u << TINTIN_FEDAVG_SHARE_BITS;

	if (parts == NULL || shares == NULL || k == 0u) {
		TINTIN_LOG_ERR("tintin: fedavg: NULL argument or no parts");
		return -EINVAL;
	}
	for (uint16_t i = 0; i < k; i++) {
		total += parts[i].samples;
	}
	if (total == 0u || total > UINT32_MAX) {
		TINTIN_LOG_ERR("tintin: fedavg: %u parts with no samples or 2^32 or more in all",
			       k);
		return -EINVAL;
	}
	for (uint16_t i = 0; i < k; i++) {
		shares[i] =
			(int32_t)(((uint64_t)parts[i].samples << TINTIN_FEDAVG_SHARE_BITS) / total);
		left -= (uint32_t)shares[i];
	}
	/* Part i gets one more unit when fewer than `left` parts come before it; marked with
	 * the sign bit first, since the counting below reads the remainders, not the shares.
	 */
	for (uint16_t i = 0; i < k && left != 0u; i++) {
		const uint64_t ri =
			((uint64_t)parts[i].samples << TINTIN_FEDAVG_SHARE_BITS) % total;
		uint32_t before = 0u;

		for (uint16_t j = 0; j < k && before < left; j++) {
			const uint64_t rj =
				((uint64_t)parts[j].samples << TINTIN_FEDAVG_SHARE_BITS) % total;

			before += (rj > ri || (rj == ri && j < i)) ? 1u : 0u;
		}
		shares[i] = (before < left) ? -shares[i] - 1 : shares[i];
	}
	for (uint16_t i = 0; i < k; i++) {
		shares[i] = (shares[i] < 0) ? -shares[i] : shares[i];
	}
	return 0;
}

/* Element j's weighted sum at the finest exponent e_min: biases when b, else weights. */
static int64_t tintin_fedavg_sum(const struct tintin_fedavg_part *parts, uint16_t k,
				 const int32_t *shares, int e_min, uint32_t j, int b)
{
	int64_t s = 0;

	for (uint16_t i = 0; i < k; i++) {
		const int64_t v = b ? (int32_t)tintin_get32(parts[i].bias + 4u * j) : parts[i].w[j];

		/* |v| < 2^31 and sum |q| <= 2^(16 + x) with shifts <= 15 - x: every term and the
		 * sum stay within 2^62 (the shift is done on the magnitude's bits).
		 */
		s += (int64_t)((uint64_t)(v * (int64_t)shares[i]) << (parts[i].w_exp - e_min));
	}
	return s;
}

int tintin_fedavg_combine(const struct tintin_fedavg_part *parts, uint16_t k, const int32_t *shares,
			  uint32_t n_w, uint16_t rows, int e_top, const struct tintin_prng *r,
			  int8_t *w, int32_t *bias, int8_t *w_exp)
{
	const int has_bias = (k != 0u && parts != NULL) ? (parts[0].bias != NULL) : 0;
	int e_min = INT8_MAX;
	int e_max = INT8_MIN;
	uint64_t total = 0u;
	uint64_t peak = 0u;
	int extra;
	int top;
	int shift;

	if (parts == NULL || k == 0u || shares == NULL || r == NULL || w_exp == NULL ||
	    (n_w != 0u && w == NULL) || (has_bias && bias == NULL)) {
		TINTIN_LOG_ERR("tintin: fedavg: NULL argument or no parts");
		return -EINVAL;
	}
	for (uint16_t i = 0; i < k; i++) {
		if ((parts[i].bias != NULL) != has_bias || (n_w != 0u && parts[i].w == NULL)) {
			TINTIN_LOG_ERR(
				"tintin: fedavg: part %u has no weights or differs in biases", i);
			return -EINVAL;
		}
		e_min = (parts[i].w_exp < e_min) ? parts[i].w_exp : e_min;
		e_max = (parts[i].w_exp > e_max) ? parts[i].w_exp : e_max;
		total += (uint64_t)((shares[i] < 0) ? -(int64_t)shares[i] : shares[i]);
	}
	extra = tintin_fedavg_extra_bits(total);
	if (total == 0u || extra > TINTIN_FEDAVG_MAX_EXTRA_BITS) {
		TINTIN_LOG_ERR("tintin: fedavg: shares summing to 0 or over 2^%d in magnitude",
			       TINTIN_FEDAVG_SHARE_BITS + TINTIN_FEDAVG_MAX_EXTRA_BITS);
		return -EINVAL;
	}
	if (e_max - e_min > TINTIN_FEDAVG_MAX_SPREAD - extra) {
		TINTIN_LOG_ERR("tintin: fedavg: weight exponents %d..%d more than %d apart", e_min,
			       e_max, TINTIN_FEDAVG_MAX_SPREAD - extra);
		return -ERANGE;
	}
	for (uint32_t j = 0; j < n_w; j++) {
		const int64_t s = tintin_fedavg_sum(parts, k, shares, e_min, j, 0);
		const uint64_t m = (s < 0) ? (uint64_t)-s : (uint64_t)s;

		peak = (m > peak) ? m : peak;
	}
	/* The runtime's range_shift, never finer than e_min, never coarser than e_max plus the
	 * range the shares can add (none for an average: only a part holding -128 would ask)
	 * nor than the caller's top.
	 */
	top = (e_max + extra < e_top) ? e_max + extra : e_top;
	top = (top < e_max) ? e_max : top;
	shift = tintin_fedavg_shift(peak, 7, e_min, top);
	for (uint32_t j = 0; j < n_w; j++) {
		const int64_t v =
			tintin_fedavg_round(tintin_fedavg_sum(parts, k, shares, e_min, j, 0), shift,
					    tintin_prng_at(r, j));

		w[j] = (int8_t)((v > 127) ? 127 : ((v < -127) ? -127 : v));
	}
	for (uint16_t o = 0; has_bias && o < rows; o++) {
		const int64_t v =
			tintin_fedavg_round(tintin_fedavg_sum(parts, k, shares, e_min, o, 1), shift,
					    tintin_prng_at(r, n_w + o));

		bias[o] = (int32_t)((v > INT32_MAX) ? INT32_MAX
						    : ((v < -INT32_MAX) ? -INT32_MAX : v));
	}
	*w_exp = (int8_t)(e_min - TINTIN_FEDAVG_SHARE_BITS + shift);
	return 0;
}

int tintin_fedavg_layer(const struct tintin_fedavg_part *parts, uint16_t k, uint32_t n_w,
			uint16_t rows, const struct tintin_prng *r, int32_t *shares, int8_t *w,
			int32_t *bias, int8_t *w_exp)
{
	int ret = tintin_fedavg_shares(parts, k, shares);

	return (ret != 0) ? ret
			  : tintin_fedavg_combine(parts, k, shares, n_w, rows, INT8_MAX, r, w, bias,
						  w_exp);
}
