/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Max and average pooling (1-D, 2-D, global) over NHWC int8 tensors. Windows are clipped to
 * the input (padding never wins a max and never counts in an average's sum). Backward passes
 * accumulate into int32 because windows may overlap when the stride is below the kernel.
 */

#include <tintin/fixedpoint.h>
#include <tintin/ops.h>

/* First and one-past-last input index of the window at output position o. */
static void tintin_window(int o, int k, int pad, int size, int stride, int *lo, int *hi)
{
	int a = o * stride - pad;
	int b = a + k;

	*lo = (a < 0) ? 0 : a;
	*hi = (b > size) ? size : b;
}

void tintin_maxpool_forward_s8(const int8_t *x, uint16_t batch, const struct tintin_geom *g,
			       int8_t *y)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;

	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *xb = x + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			int y0;
			int y1;

			tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
			for (int ox = 0; ox < g->out_w; ox++) {
				int x0;
				int x1;

				tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &x0, &x1);
				for (uint16_t c = 0; c < g->in_c; c++) {
					int8_t m = -127;

					for (int iy = y0; iy < y1; iy++) {
						for (int ix = x0; ix < x1; ix++) {
							int8_t v = xb[((size_t)iy * g->in_w + ix) *
									      g->in_c +
								      c];

							m = (v > m) ? v : m;
						}
					}
					*y++ = m;
				}
			}
		}
	}
}

void tintin_maxpool_backward_s8(const int8_t *x, const int8_t *err, uint16_t batch,
				const struct tintin_geom *g, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;

	for (size_t k = 0; k < (size_t)batch * in_sz; k++) {
		acc[k] = 0;
	}
	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *xb = x + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			int y0;
			int y1;

			tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
			for (int ox = 0; ox < g->out_w; ox++) {
				int x0;
				int x1;

				tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &x0, &x1);
				for (uint16_t c = 0; c < g->in_c; c++) {
					size_t best = 0;
					int found = 0;
					int8_t m = -127;
					int32_t e = *err++;

					for (int iy = y0; iy < y1; iy++) {
						for (int ix = x0; ix < x1; ix++) {
							size_t k = ((size_t)iy * g->in_w + ix) *
									   g->in_c +
								   c;

							if (!found || xb[k] > m) {
								m = xb[k];
								best = k;
								found = 1;
							}
						}
					}
					if (found) {
						acc[b * in_sz + best] += e;
					}
				}
			}
		}
	}
}

void tintin_avgpool_forward_s8(const int8_t *x, uint16_t batch, const struct tintin_geom *g,
			       int32_t recip, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;

	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *xb = x + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			int y0;
			int y1;

			tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
			for (int ox = 0; ox < g->out_w; ox++) {
				int x0;
				int x1;

				tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &x0, &x1);
				for (uint16_t c = 0; c < g->in_c; c++) {
					int32_t s = 0;

					for (int iy = y0; iy < y1; iy++) {
						for (int ix = x0; ix < x1; ix++) {
							s += xb[((size_t)iy * g->in_w + ix) *
									g->in_c +
								c];
						}
					}
					/* |s| <= 127 * window, recip <= 2^24 / window: no overflow. */
					*acc++ = s * recip;
				}
			}
		}
	}
}

void tintin_avgpool_backward_s8(const int8_t *err, uint16_t batch, const struct tintin_geom *g,
				int32_t recip, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;

	for (size_t k = 0; k < (size_t)batch * in_sz; k++) {
		acc[k] = 0;
	}
	for (uint16_t b = 0; b < batch; b++) {
		int32_t *ab = acc + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			int y0;
			int y1;

			tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
			for (int ox = 0; ox < g->out_w; ox++) {
				int x0;
				int x1;

				tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &x0, &x1);
				for (uint16_t c = 0; c < g->in_c; c++) {
					int32_t d = (int32_t)(*err++) * recip;

					for (int iy = y0; iy < y1; iy++) {
						for (int ix = x0; ix < x1; ix++) {
							size_t k = ((size_t)iy * g->in_w + ix) *
									   g->in_c +
								   c;

							ab[k] = tintin_add_sat32(ab[k], d);
						}
					}
				}
			}
		}
	}
}

int32_t tintin_pool_recip(uint32_t n)
{
	return (int32_t)(((1u << 24) + n / 2u) / n);
}
