/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Convolution (2-D and 1-D) over NHWC int8 tensors with int32 accumulation. Padding is
 * implicit: taps that fall outside the input contribute nothing.
 */

#include <tintin/fixedpoint.h>
#include <tintin/ops.h>

#include "internal.h"

/*
 * The clipped window of output (oy, ox): input rows [y0, y1) and columns [x0, x1). In NHWC
 * the columns of one input row, all channels, are contiguous in x, and the matching taps are
 * contiguous in the weight row, so each window row is one dot product or axpy of
 * (x1 - x0) * in_c elements. *wofs is the weight offset of tap (y0, x0).
 */
struct tintin_span {
	int y0;
	int y1;
	int x0;
	uint32_t len;
	size_t wofs;
};

static struct tintin_span tintin_span_at(const struct tintin_geom *g, int oy, int ox)
{
	struct tintin_span sp;
	int x1;

	tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &sp.y0, &sp.y1);
	tintin_window(ox, g->k_w, g->pad_l, g->in_w, g->stride, &sp.x0, &x1);
	sp.len = (uint32_t)(x1 - sp.x0) * g->in_c;
	sp.wofs = ((size_t)(sp.y0 - (oy * g->stride - g->pad_t)) * g->k_w +
		   (size_t)(sp.x0 - (ox * g->stride - g->pad_l))) *
		  g->in_c;
	return sp;
}

void tintin_conv_forward_row_s8(const int8_t *x, const int8_t *w, const int32_t *bias,
				int bias_shift, const struct tintin_geom *g, uint16_t oy,
				uint16_t ox0, uint16_t nx, int32_t *acc)
{
	const size_t row = (size_t)g->k_h * g->k_w * g->in_c;
	const size_t wstep = (size_t)g->k_w * g->in_c;
	const size_t xstep = (size_t)g->in_w * g->in_c;

	for (int ox = ox0; ox < (int)ox0 + nx; ox++) {
		struct tintin_span sp = tintin_span_at(g, oy, ox);
		const int8_t *x0 = x + ((size_t)sp.y0 * g->in_w + sp.x0) * g->in_c;
		uint16_t oc = 0;

		/* Four output channels share each window row of input. */
		for (; oc + 4u <= g->out_c; oc += 4u) {
			const int8_t *wp = w + oc * row + sp.wofs;
			const int8_t *xp = x0;
			int32_t s[4] = {0, 0, 0, 0};

			for (int iy = sp.y0; iy < sp.y1; iy++) {
				int32_t t[4];

				tintin_dot4_s8(xp, wp, (uint32_t)row, sp.len, t);
				for (int r = 0; r < 4; r++) {
					s[r] += t[r];
				}
				xp += xstep;
				wp += wstep;
			}
			for (uint16_t r = 0; r < 4u; r++) {
				int32_t b0 = tintin_bias_at(bias, bias_shift, oc + r);

				*acc++ = tintin_add_sat32(s[r], b0);
			}
		}
		for (; oc < g->out_c; oc++) {
			const int8_t *wp = w + oc * row + sp.wofs;
			const int8_t *xp = x0;
			int32_t s = 0;

			for (int iy = sp.y0; iy < sp.y1; iy++) {
				s += tintin_dot_s8(xp, wp, sp.len);
				xp += xstep;
				wp += wstep;
			}
			*acc++ = tintin_add_sat32(s, tintin_bias_at(bias, bias_shift, oc));
		}
	}
}

void tintin_conv_forward_s8(const int8_t *x, const int8_t *w, const int32_t *bias, int bias_shift,
			    uint16_t batch, const struct tintin_geom *g, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	const size_t out_row = (size_t)g->out_w * g->out_c;

	for (uint16_t b = 0; b < batch; b++) {
		for (uint16_t oy = 0; oy < g->out_h; oy++) {
			tintin_conv_forward_row_s8(x + b * in_sz, w, bias, bias_shift, g, oy, 0u,
						   g->out_w, acc);
			acc += out_row;
		}
	}
}

void tintin_conv_backward_row_s8(const int8_t *err, const int8_t *w, const struct tintin_geom *g,
				 uint16_t iy, uint16_t ix0, uint16_t nx, int32_t *acc)
{
	const size_t row = (size_t)g->k_h * g->k_w * g->in_c;
	const size_t wstep = (size_t)g->k_w * g->in_c;
	const int ix1 = (int)ix0 + nx;

	for (size_t k = 0; k < (size_t)nx * g->in_c; k++) {
		acc[k] = 0;
	}
	/* Output rows in order, as the whole-tensor scatter adds them: the same sums. */
	for (uint16_t oy = 0; oy < g->out_h; oy++) {
		int y0;
		int y1;

		tintin_window(oy, g->k_h, g->pad_t, g->in_h, g->stride, &y0, &y1);
		if ((int)iy < y0 || (int)iy >= y1) {
			continue;
		}
		for (int ox = 0; ox < g->out_w; ox++) {
			const int8_t *e = err + ((size_t)oy * g->out_w + ox) * g->out_c;
			struct tintin_span sp = tintin_span_at(g, oy, ox);
			/* The window's columns [x0, x1) clipped to the tile's [ix0, ix1). */
			const int x1 = sp.x0 + (int)(sp.len / g->in_c);
			const int a = (sp.x0 > (int)ix0) ? sp.x0 : (int)ix0;
			const int b = (x1 < ix1) ? x1 : ix1;
			const int8_t *wp;
			int32_t *ap;
			uint32_t len;

			if (a >= b) {
				continue;
			}
			wp = w + sp.wofs + (size_t)(iy - sp.y0) * wstep +
			     (size_t)(a - sp.x0) * g->in_c;
			ap = acc + (size_t)(a - (int)ix0) * g->in_c;
			len = (uint32_t)(b - a) * g->in_c;
			for (uint16_t oc = 0; oc < g->out_c; oc++) {
				if (e[oc] != 0) {
					tintin_axpy_s8(e[oc], wp + oc * row, ap, len);
				}
			}
		}
	}
}

void tintin_conv_backward_s8(const int8_t *err, const int8_t *w, uint16_t batch,
			     const struct tintin_geom *g, int32_t *acc)
{
	const size_t out_sz = (size_t)g->out_h * g->out_w * g->out_c;
	const size_t in_row = (size_t)g->in_w * g->in_c;

	for (uint16_t b = 0; b < batch; b++) {
		for (uint16_t iy = 0; iy < g->in_h; iy++) {
			tintin_conv_backward_row_s8(err + b * out_sz, w, g, iy, 0u, g->in_w, acc);
			acc += in_row;
		}
	}
}

void tintin_conv_grad_row_s8(const int8_t *err, const int8_t *x, uint16_t batch,
			     const struct tintin_geom *g, uint16_t oc, int32_t *grad)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	const size_t row = (size_t)g->k_h * g->k_w * g->in_c;
	const size_t wstep = (size_t)g->k_w * g->in_c;
	const size_t xstep = (size_t)g->in_w * g->in_c;

	for (size_t k = 0; k < row; k++) {
		grad[k] = 0;
	}
	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *xb = x + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			for (int ox = 0; ox < g->out_w; ox++) {
				int32_t e = err[(((size_t)b * g->out_h + oy) * g->out_w + ox) *
							g->out_c +
						oc];
				struct tintin_span sp;
				const int8_t *xp;
				int32_t *gp;

				if (e == 0) {
					continue;
				}
				sp = tintin_span_at(g, oy, ox);
				xp = xb + ((size_t)sp.y0 * g->in_w + sp.x0) * g->in_c;
				gp = grad + sp.wofs;
				for (int iy = sp.y0; iy < sp.y1; iy++) {
					tintin_axpy_s8(e, xp, gp, sp.len);
					xp += xstep;
					gp += wstep;
				}
			}
		}
	}
}

int32_t tintin_conv_grad_bias_s8(const int8_t *err, uint16_t batch, const struct tintin_geom *g,
				 uint16_t oc)
{
	const size_t pos = (size_t)batch * g->out_h * g->out_w;
	int32_t s = 0;

	for (size_t p = 0; p < pos; p++) {
		s += err[p * g->out_c + oc];
	}
	return s;
}
