/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/ops.h>

void tintin_relu_forward_s8(int8_t *x, size_t n, uint8_t *mask)
{
	uint8_t bits = 0u;

	for (size_t k = 0; k < n; k++) {
		if (x[k] < 0) {
			x[k] = 0;
		}
		if (mask != NULL) {
			bits |= (uint8_t)((x[k] > 0) ? 1u << (k & 7u) : 0u);
			/* Whole bytes are written, so the mask needs no clearing first. */
			if ((k & 7u) == 7u || k + 1u == n) {
				mask[k >> 3] = bits;
				bits = 0u;
			}
		}
	}
}

void tintin_relu_backward_s8(const int8_t *y, int8_t *err, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (y[k] <= 0) {
			err[k] = 0;
		}
	}
}

void tintin_relu_backward_mask_s8(const uint8_t *mask, int8_t *err, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if ((mask[k >> 3] & (1u << (k & 7u))) == 0u) {
			err[k] = 0;
		}
	}
}
