/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Integer loss gradients: softmax cross-entropy (NITI style) and mean squared error.
 *
 * @defgroup tintin_loss Loss gradients
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_LOSS_H_
#define TINTIN_LOSS_H_

#include <stdint.h>

#include <tintin/fixedpoint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest class count the cross-entropy gradient supports (keeps its sums in 32 bits). */
#define TINTIN_XENT_MAX_CLASSES 1024

/**
 * @brief Gradient of the batch-mean softmax cross-entropy w.r.t. int8 logits.
 *
 * Per row: 2^x stands in for e^x (logits scaled by 47274 / 2^15 = log2 e), the row maximum
 * is pinned to 2^10 and the rest are 2^s - 1; logits below 2^-7 use 1 + x + x^2 / 2 in Q15.
 * The probabilities are normalised to Q11 (one divide per class), the label's sum is
 * subtracted, and the result is stochastically rounded by 2^4 with draw b * classes + j.
 *
 * @param[in] z       int8 logits [batch][classes] with exponent e
 * @param[in] labels  [batch] class indices (< classes, checked by the caller)
 * @param[out] err    int8 [batch][classes]
 * @return the exponent of err: -7 - bits(batch - 1) (the mean over the batch, rounded up
 *         to a power of two).
 */
int tintin_xent_grad_s8(const int8_t *z, int e, const uint8_t *labels, uint16_t batch,
			uint16_t classes, const struct tintin_prng *r, int8_t *err);

/**
 * @brief Gradient of 1/2 |y - t|^2 (mean over the batch) w.r.t. int8 outputs y.
 *
 * y and t are aligned to the finer exponent (at most 23 bits apart) in int32, the
 * difference is requantised to int8 with one shift.
 *
 * @param[out] acc  int32 scratch [n]
 * @param[out] err  int8 [n]
 * @param[in,out] sat  saturation counter
 * @return the exponent of err.
 */
int tintin_mse_grad_s8(const int8_t *y, int e_y, const int8_t *t, int e_t, uint32_t n,
		       uint16_t batch, int32_t *acc, int8_t *err, uint32_t *sat);

/**
 * @brief The int32 differences y - t of tintin_mse_grad_s8 before requantisation, for n
 * elements (one sample at a time when the difference is requantised tile by tile).
 * @return their exponent, before the requantisation shift and the batch mean.
 */
int tintin_mse_diff_s8(const int8_t *y, int e_y, const int8_t *t, int e_t, uint32_t n,
		       int32_t *acc);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_LOSS_H_ */
