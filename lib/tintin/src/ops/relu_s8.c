/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/ops.h>

void tintin_relu_forward_s8(int8_t *x, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (x[k] < 0) {
			x[k] = 0;
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
