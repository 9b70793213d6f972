/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The two inner loops every layer reduces to: a dot product (forward) and y += e * x
 * (backward errors and weight gradients). Dense rows and contiguous convolution window rows
 * (k_w * in_c bytes in NHWC) both call them, so speeding these up speeds up every layer.
 */

#include <tintin/ops.h>

int32_t tintin_dot_s8(const int8_t *a, const int8_t *b, uint32_t n)
{
	int32_t s = 0;
	uint32_t i = 0;

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
