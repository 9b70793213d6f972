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
		size_t bytes =
			tintin_maxpool_idx_bytes(g, (size_t)batch * g->out_h * g->out_w * g->out_c);

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

/* Window index at bit position pos of idx (0 for a 1x1 window). */
static unsigned int tintin_idx_at(const uint8_t *idx, size_t pos, int bits)
{
	if (bits <= 0) {
		return 0u;
	}
	return (idx[pos >> 3] >> (pos & 7u)) & ((1u << bits) - 1u);
}

void tintin_maxpool_backward_row_s8(const uint8_t *idx, size_t bit0, const int8_t *err,
				    const struct tintin_geom *g, uint16_t iy, uint16_t ix0,
				    uint16_t nx, int32_t *acc)
{
	uint8_t dx_bits;
	int bits = tintin_maxpool_idx_bits(g, &dx_bits);

	for (size_t j = 0; j < (size_t)nx * g->in_c; j++) {
		acc[j] = 0;
	}
	/* Windows in order, as the whole-tensor scatter adds them. */
	for (uint16_t oy = 0; oy < g->out_h; oy++) {
		int top = oy * g->stride - g->pad_t;
		size_t k = (size_t)oy * g->out_w * g->in_c; /* pooled output of this sample */
		int y0;
		int y1;

		tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
		if ((int)iy < y0 || (int)iy >= y1) {
			continue;
		}
		for (int ox = 0; ox < g->out_w; ox++) {
			int left = ox * g->stride - g->pad_l;

			for (uint16_t c = 0; c < g->in_c; c++, k++) {
				unsigned int at = tintin_idx_at(idx, bit0 + k * (size_t)bits, bits);
				int ix = left + (int)(at & ((1u << dx_bits) - 1u));

				if (top + (int)(at >> dx_bits) == (int)iy && ix >= (int)ix0 &&
				    ix < (int)ix0 + nx) {
					acc[(size_t)(ix - (int)ix0) * g->in_c + c] += err[k];
				}
			}
		}
	}
}

void tintin_maxpool_backward_s8(const uint8_t *idx, const int8_t *err, uint16_t batch,
				const struct tintin_geom *g, int32_t *acc)
{
	const size_t out_sz = (size_t)g->out_h * g->out_w * g->out_c;
	const size_t in_row = (size_t)g->in_w * g->in_c;
	uint8_t dx_bits;
	int bits = tintin_maxpool_idx_bits(g, &dx_bits);

	for (uint16_t b = 0; b < batch; b++) {
		for (uint16_t iy = 0; iy < g->in_h; iy++) {
			tintin_maxpool_backward_row_s8(idx,
						       b * out_sz * (size_t)((bits > 0) ? bits : 0),
						       err + b * out_sz, g, iy, 0u, g->in_w, acc);
			acc += in_row;
		}
	}
}

int tintin_maxpool_disjoint(const struct tintin_geom *g)
{
	return g->k_h <= g->stride && g->k_w <= g->stride;
}

void tintin_maxpool_backward_direct_s8(const uint8_t *idx, const int8_t *err, uint16_t batch,
				       const struct tintin_geom *g, const int8_t *gate, int8_t *out)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	uint8_t dx_bits;
	int bits = tintin_maxpool_idx_bits(g, &dx_bits);
	size_t pos = 0u;
	size_t k = 0u;

	for (size_t j = 0; j < (size_t)batch * in_sz; j++) {
		out[j] = 0;
	}
	for (uint16_t b = 0; b < batch; b++) {
		int8_t *ob = out + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			int top = oy * g->stride - g->pad_t;

			for (int ox = 0; ox < g->out_w; ox++) {
				int left = ox * g->stride - g->pad_l;

				for (uint16_t c = 0; c < g->in_c; c++, k++) {
					unsigned int at = tintin_idx_at(idx, pos, bits);
					int iy = top + (int)(at >> dx_bits);
					int ix = left + (int)(at & ((1u << dx_bits) - 1u));

					pos += (size_t)((bits > 0) ? bits : 0);
					/* Disjoint windows: each input gets at most one error. */
					if (gate == NULL || gate[k] > 0) {
						ob[((size_t)iy * g->in_w + ix) * g->in_c + c] =
							err[k];
					}
				}
			}
		}
	}
}

void tintin_avgpool_forward_row_s8(const int8_t *x, const struct tintin_geom *g, int32_t recip,
				   uint16_t oy, uint16_t ox0, uint16_t nx, int32_t *acc)
{
	/* recip rounds 2^24 / window to nearest, so a window all at -128 can reach
	 * -2^31 - 64 * window: sums below s_min saturate to the symmetric int32 range, as
	 * everywhere else (tintin_add_sat32). Positive sums stop at 127 * window: no overflow.
	 */
	const int32_t s_min = -(INT32_MAX / recip);
	int y0;
	int y1;

	tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
	for (int ox = ox0; ox < (int)ox0 + nx; ox++) {
		int x0;
		int x1;

		tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &x0, &x1);
		for (uint16_t c = 0; c < g->in_c; c++) {
			int32_t s = 0;

			for (int iy = y0; iy < y1; iy++) {
				for (int ix = x0; ix < x1; ix++) {
					s += x[((size_t)iy * g->in_w + ix) * g->in_c + c];
				}
			}
			*acc++ = (s < s_min) ? -INT32_MAX : s * recip;
		}
	}
}

void tintin_avgpool_forward_s8(const int8_t *x, uint16_t batch, const struct tintin_geom *g,
			       int32_t recip, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	const size_t out_row = (size_t)g->out_w * g->out_c;

	for (uint16_t b = 0; b < batch; b++) {
		for (uint16_t oy = 0; oy < g->out_h; oy++) {
			tintin_avgpool_forward_row_s8(x + b * in_sz, g, recip, oy, 0u, g->out_w,
						      acc);
			acc += out_row;
		}
	}
}

void tintin_avgpool_backward_row_s8(const int8_t *err, const struct tintin_geom *g, int32_t recip,
				    uint16_t iy, uint16_t ix0, uint16_t nx, int32_t *acc)
{
	const int ix1 = (int)ix0 + nx;

	for (size_t k = 0; k < (size_t)nx * g->in_c; k++) {
		acc[k] = 0;
	}
	/* Windows in order: the saturating sums add in the whole-tensor order. */
	for (uint16_t oy = 0; oy < g->out_h; oy++) {
		int y0;
		int y1;

		tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
		if ((int)iy < y0 || (int)iy >= y1) {
			continue;
		}
		for (int ox = 0; ox < g->out_w; ox++) {
			const int8_t *e = err + ((size_t)oy * g->out_w + ox) * g->out_c;
			int x0;
			int x1;

			tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &x0, &x1);
			/* The window's columns clipped to the tile's [ix0, ix1). */
			x0 = (x0 > (int)ix0) ? x0 : (int)ix0;
			x1 = (x1 < ix1) ? x1 : ix1;
			for (uint16_t c = 0; c < g->in_c && x0 < x1; c++) {
				int32_t d = (int32_t)e[c] * recip;

				for (int ix = x0; ix < x1; ix++) {
					int32_t *a = &acc[(size_t)(ix - (int)ix0) * g->in_c + c];

					*a = tintin_add_sat32(*a, d);
				}
			}
		}
	}
}

void tintin_avgpool_backward_s8(const int8_t *err, uint16_t batch, const struct tintin_geom *g,
				int32_t recip, int32_t *acc)
{
	const size_t out_sz = (size_t)g->out_h * g->out_w * g->out_c;
	const size_t in_row = (size_t)g->in_w * g->in_c;

	for (uint16_t b = 0; b < batch; b++) {
		for (uint16_t iy = 0; iy < g->in_h; iy++) {
			tintin_avgpool_backward_row_s8(err + b * out_sz, g, recip, iy, 0u, g->in_w,
						       acc);
			acc += in_row;
		}
	}
}

int32_t tintin_pool_recip(uint32_t n)
{
	return (int32_t)(((1u << 24) + n / 2u) / n);
}
