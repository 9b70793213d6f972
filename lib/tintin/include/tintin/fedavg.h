/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Integer federated averaging of one layer's int8 weights and int32 biases.
 *
 * For a gateway (itself possibly an MCU) that averages the copies of a model its nodes
 * trained: no float, no allocation, int64 sums. scripts/tintin/core/fedavg.py is the bit-exact
 * reference; docs/numerics.md explains the arithmetic.
 *
 * @defgroup tintin_fedavg Federated averaging
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_FEDAVG_H_
#define TINTIN_FEDAVG_H_

#include <stdint.h>

#include <tintin/fixedpoint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The parts' weights are shares of 2^TINTIN_FEDAVG_SHARE_BITS of the samples. */
#define TINTIN_FEDAVG_SHARE_BITS     16
/** Parts whose weight exponents lie further apart than this are refused (int64 sums). */
#define TINTIN_FEDAVG_MAX_SPREAD     15
/** A combination's shares sum to at most 2^(16 + this) in magnitude. */
#define TINTIN_FEDAVG_MAX_EXTRA_BITS 2

/** One node's copy of a layer. */
struct tintin_fedavg_part {
	const int8_t *w; /**< int8 weights, value w * 2^w_exp */
	/** int32 biases at w_exp - 8 as little-endian bytes (a fleet message's, or an int32
	 *  array on the little-endian cores), or NULL (then for every part)
	 */
	const uint8_t *bias;
	uint32_t samples; /**< samples the node trained on: the part's weight */
	int8_t w_exp;
};

/**
 * @brief Bits of range beyond its coarsest part that a combination whose shares sum to total
 * in magnitude may need: 0 for an average (total 2^16), more than
 * TINTIN_FEDAVG_MAX_EXTRA_BITS for a total tintin_fedavg_combine refuses. Its parts may lie
 * at most TINTIN_FEDAVG_MAX_SPREAD minus this many exponent steps apart.
 */
static inline int tintin_fedavg_extra_bits(uint64_t total)
{
	int extra = 0;

	while (extra <= TINTIN_FEDAVG_MAX_EXTRA_BITS &&
	       total > ((uint64_t)1 << (TINTIN_FEDAVG_SHARE_BITS + extra))) {
		extra++;
	}
	return extra;
}

/**
 * @brief Each part's share of 2^16 of the samples: floored, the remaining units to the
 * largest remainders, lowest index first, so that they sum to exactly 2^16.
 * @param[out] shares  k entries
 * @retval 0 on success.
 * @retval -EINVAL NULL arguments, k = 0, no samples at all, or 2^32 or more.
 */
int tintin_fedavg_shares(const struct tintin_fedavg_part *parts, uint16_t k, int32_t *shares);

/**
 * @brief sum_i shares[i] / 2^16 * part i of one layer (n_w weights, rows biases): the sums
 * are exact in int64 at the finest exponent; the result takes the exponent the runtime's
 * requantisation would pick for them, never finer than the finest part's, never coarser than
 * the coarsest part's plus tintin_fedavg_extra_bits(sum |shares|) nor than max(e_top, the
 * coarsest part's), and is rounded stochastically with draws r->counter + j for weight j and
 * r->counter + n_w + o for bias o (the caller advances r).
 * @param shares   k signed shares of 2^16, summing to at most 2^18 in magnitude
 * @param e_top    the coarsest exponent the caller can take (its layer's training window)
 * @param[out] w       n_w int8 weights
 * @param[out] bias    rows int32 biases at *w_exp - 8 (NULL when the parts have none)
 * @param[out] w_exp   the result's weight exponent
 * @retval 0 on success; nothing is written otherwise.
 * @retval -EINVAL NULL arguments, k = 0, shares summing to 0 or over 2^18 in magnitude,
 * parts that differ in having biases.
 * @retval -ERANGE weight exponents more than TINTIN_FEDAVG_MAX_SPREAD minus the extra bits
 * apart.
 */
int tintin_fedavg_combine(const struct tintin_fedavg_part *parts, uint16_t k, const int32_t *shares,
			  uint32_t n_w, uint16_t rows, int e_top, const struct tintin_prng *r,
			  int8_t *w, int32_t *bias, int8_t *w_exp);

/**
 * @brief Weighted average of k parts of one layer: tintin_fedavg_combine with each part's
 * tintin_fedavg_shares share of the samples (the result lies between the finest and the
 * coarsest part's exponent).
 * @param[out] shares  k entries: each part's share of 2^16
 * @retval 0 on success; nothing is written otherwise.
 * @retval -EINVAL NULL arguments, k = 0, no samples at all (or 2^32 or more), parts that
 * differ in having biases.
 * @retval -ERANGE weight exponents more than TINTIN_FEDAVG_MAX_SPREAD apart.
 */
int tintin_fedavg_layer(const struct tintin_fedavg_part *parts, uint16_t k, uint32_t n_w,
			uint16_t rows, const struct tintin_prng *r, int32_t *shares, int8_t *w,
			int32_t *bias, int8_t *w_exp);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_FEDAVG_H_ */
