/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Helpers shared by the layer kernels (internal to src/ops). */

#ifndef TINTIN_OPS_INTERNAL_H_
#define TINTIN_OPS_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

#include <tintin/fixedpoint.h>

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

#endif /* TINTIN_OPS_INTERNAL_H_ */
