/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Window arithmetic shared by the convolution and pooling kernels (internal). */

#ifndef TINTIN_OPS_WINDOW_H_
#define TINTIN_OPS_WINDOW_H_

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

#endif /* TINTIN_OPS_WINDOW_H_ */
