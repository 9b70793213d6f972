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

#include "internal.h"


/* Bits to hold 0..k-1. */
static uint8_t tintin_field_bits(uint8_t k)
{
	uint8_t b = 0u;

	while (b < 8u && (1u << b) < k) {
		b++;
	}
	return b;
}

int tintin_maxpool_idx_bits(const struct tintin_geom *g, uint8_t *dx_bits)
{
	uint8_t dx = tintin_field_bits(g->k_w);
	uint8_t sum = (uint8_t)(tintin_field_bits(g->k_h) + dx);

	*dx_bits = dx;
	if (sum > 8u) {
		return -1;
	}
	return (sum <= 2u) ? sum : ((sum <= 4u) ? 4 : 8);
}

size_t tintin_maxpool_idx_bytes(const struct tintin_geom *g, size_t n)
{
	uint8_t dx;
	int bits = tintin_maxpool_idx_bits(g, &dx);

	return (bits <= 0) ? 0u : (n * (size_t)bits + 7u) / 8u;
}

void tintin_maxpool_forward_s8(const int8_t *x, uint16_t batch, const struct tintin_geom *g,
			       int8_t *y, uint8_t *idx)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	uint8_t dx_bits;
	int bits = tintin_maxpool_idx_bits(g, &dx_bits);
	size_t pos = 0u; /* bit position of the next index */

	if (idx != NULL && bits > 0) {
		size_t bytes = tintin_maxpool_idx_bytes(g, (size_t)batch * g->out_h * g->out_w *
								   g->out_c);

		for (size_t k = 0; k < bytes; k++) {
			idx[k] = 0u;
		}
	}
	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *xb = x + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			int y0;
			int y1;
			int top = oy * g->stride - g->pad_t;

			tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
			for (int ox = 0; ox < g->out_w; ox++) {
				int x0;
				int x1;
				int left = ox * g->stride - g->pad_l;

				tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &x0, &x1);
				for (uint16_t c = 0; c < g->in_c; c++) {
					/* Windows are never empty (init checks), so the first
					 * element seeds the maximum; later ties do not move it.
					 */
					int8_t m = xb[((size_t)y0 * g->in_w + x0) * g->in_c + c];
					unsigned int at = ((unsigned int)(y0 - top) << dx_bits) |
							  (unsigned int)(x0 - left);

					for (int iy = y0; iy < y1; iy++) {
						for (int ix = x0; ix < x1; ix++) {
							int8_t v = xb[((size_t)iy * g->in_w + ix) *
									      g->in_c +
								      c];

							if (v > m) {
								m = v;
								at = ((unsigned int)(iy - top)
								      << dx_bits) |
								     (unsigned int)(ix - left);
							}
						}
					}
					*y++ = m;
					if (idx != NULL && bits > 0) {
						idx[pos >> 3] |= (uint8_t)(at << (pos & 7u));
						pos += (size_t)bits;
					}
				}
			}
		}
	}
}

void tintin_maxpool_backward_s8(const uint8_t *idx, const int8_t *err, uint16_t batch,
				const struct tintin_geom *g, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	uint8_t dx_bits;
	int bits = tintin_maxpool_idx_bits(g, &dx_bits);
	unsigned int field = (bits > 0) ? (1u << bits) - 1u : 0u;
	size_t pos = 0u;

	for (size_t k = 0; k < (size_t)batch * in_sz; k++) {
		acc[k] = 0;
	}
	for (uint16_t b = 0; b < batch; b++) {
		int32_t *ab = acc + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			int top = oy * g->stride - g->pad_t;

			for (int ox = 0; ox < g->out_w; ox++) {
				int left = ox * g->stride - g->pad_l;

				for (uint16_t c = 0; c < g->in_c; c++) {
					unsigned int at = 0u;

					if (bits > 0) {
						at = (idx[pos >> 3] >> (pos & 7u)) & field;
						pos += (size_t)bits;
					}
					int iy = top + (int)(at >> dx_bits);
					int ix = left + (int)(at & ((1u << dx_bits) - 1u));

					ab[((size_t)iy * g->in_w + ix) * g->in_c + c] += *err++;
				}
			}
		}
	}
}

void tintin_avgpool_forward_s8(const int8_t *x, uint16_t batch, const struct tintin_geom *g,
			       int32_t recip, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	/* recip rounds 2^24 / window to nearest, so a window all at -128 can reach
	 * -2^31 - 64 * window: sums below s_min saturate to the symmetric int32 range, as
	 * everywhere else (tintin_add_sat32). Positive sums stop at 127 * window: no overflow.
	 */
	const int32_t s_min = -(INT32_MAX / recip);

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
					*acc++ = (s < s_min) ? -INT32_MAX : s * recip;
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
