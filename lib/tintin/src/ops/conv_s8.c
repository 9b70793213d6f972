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

/* Input coordinate of tap k at output position o, or -1 when it falls in the padding. */
static int tintin_tap(int o, int k, const struct tintin_geom *g, int pad, int size)
{
	int i = o * g->stride + k - pad;

	return (i >= 0 && i < size) ? i : -1;
}

void tintin_conv_forward_s8(const int8_t *x, const int8_t *w, const int32_t *bias,
			    int bias_shift, uint16_t batch, const struct tintin_geom *g,
			    int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	const size_t row = (size_t)g->k_h * g->k_w * g->in_c;

	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *xb = x + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			for (int ox = 0; ox < g->out_w; ox++) {
				for (uint16_t oc = 0; oc < g->out_c; oc++) {
					const int8_t *wr = w + oc * row;
					int32_t s = 0;
					int32_t b0 = 0;

					for (int ky = 0; ky < g->k_h; ky++) {
						int iy = tintin_tap(oy, ky, g, g->pad_t, g->in_h);

						if (iy < 0) {
							continue;
						}
						for (int kx = 0; kx < g->k_w; kx++) {
							int ix = tintin_tap(ox, kx, g, g->pad_l, g->in_w);
							const int8_t *xp;
							const int8_t *wp;

							if (ix < 0) {
								continue;
							}
							xp = xb + ((size_t)iy * g->in_w + ix) * g->in_c;
							wp = wr + ((size_t)ky * g->k_w + kx) * g->in_c;
							for (uint16_t ic = 0; ic < g->in_c; ic++) {
								s += (int32_t)xp[ic] * wp[ic];
							}
						}
					}
					if (bias != NULL) {
						b0 = (bias_shift >= 0)
							     ? tintin_round_shift(bias[oc], bias_shift)
							     : tintin_shl_sat32(bias[oc], -bias_shift);
					}
					*acc++ = tintin_add_sat32(s, b0);
				}
			}
		}
	}
}

void tintin_conv_backward_s8(const int8_t *err, const int8_t *w, uint16_t batch,
			     const struct tintin_geom *g, int32_t *acc)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	const size_t row = (size_t)g->k_h * g->k_w * g->in_c;

	for (size_t k = 0; k < (size_t)batch * in_sz; k++) {
		acc[k] = 0;
	}
	for (uint16_t b = 0; b < batch; b++) {
		int32_t *ab = acc + b * in_sz;

		for (int oy = 0; oy < g->out_h; oy++) {
			for (int ox = 0; ox < g->out_w; ox++) {
				for (uint16_t oc = 0; oc < g->out_c; oc++) {
					int32_t e = *err++;

					if (e == 0) {
						continue;
					}
					for (int ky = 0; ky < g->k_h; ky++) {
						int iy = tintin_tap(oy, ky, g, g->pad_t, g->in_h);

						if (iy < 0) {
							continue;
						}
						for (int kx = 0; kx < g->k_w; kx++) {
							int ix = tintin_tap(ox, kx, g, g->pad_l, g->in_w);
							int32_t *ap;
							const int8_t *wp;

							if (ix < 0) {
								continue;
							}
							ap = ab + ((size_t)iy * g->in_w + ix) * g->in_c;
							wp = w + oc * row +
							     ((size_t)ky * g->k_w + kx) * g->in_c;
							for (uint16_t ic = 0; ic < g->in_c; ic++) {
								ap[ic] += e * wp[ic];
							}
						}
					}
				}
			}
		}
	}
}

void tintin_conv_grad_row_s8(const int8_t *err, const int8_t *x, uint16_t batch,
			     const struct tintin_geom *g, uint16_t oc, int32_t *grad)
{
	const size_t in_sz = (size_t)g->in_h * g->in_w * g->in_c;
	const size_t row = (size_t)g->k_h * g->k_w * g->in_c;

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

				if (e == 0) {
					continue;
				}
				for (int ky = 0; ky < g->k_h; ky++) {
					int iy = tintin_tap(oy, ky, g, g->pad_t, g->in_h);

					if (iy < 0) {
						continue;
					}
					for (int kx = 0; kx < g->k_w; kx++) {
						int ix = tintin_tap(ox, kx, g, g->pad_l, g->in_w);
						const int8_t *xp;
						int32_t *gp;

						if (ix < 0) {
							continue;
						}
						xp = xb + ((size_t)iy * g->in_w + ix) * g->in_c;
						gp = grad + ((size_t)ky * g->k_w + kx) * g->in_c;
						for (uint16_t ic = 0; ic < g->in_c; ic++) {
							gp[ic] += e * xp[ic];
						}
					}
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
