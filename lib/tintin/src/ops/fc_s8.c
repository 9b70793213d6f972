/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/fixedpoint.h>
#include <tintin/ops.h>

#include "internal.h"

void tintin_fc_forward_s8(const int8_t *x, const int8_t *w, const int32_t *bias, int bias_shift,
			  uint16_t batch, uint16_t in, uint16_t out, int32_t *acc)
{
	uint16_t o = 0;

	/* Four rows at a time: one pass over each input row feeds four outputs. */
	for (; o + 4u <= out; o += 4u) {
		const int8_t *wr = w + (size_t)o * in;

		for (uint16_t b = 0; b < batch; b++) {
			int32_t s[4];
			int32_t *ar = acc + (size_t)b * out + o;

			tintin_dot4_s8(x + (size_t)b * in, wr, in, in, s);
			for (uint16_t r = 0; r < 4u; r++) {
				int32_t b0 = tintin_bias_at(bias, bias_shift, o + r);

				ar[r] = tintin_add_sat32(s[r], b0);
			}
		}
	}
	for (; o < out; o++) {
		const int8_t *wr = w + (size_t)o * in;
		int32_t b0 = tintin_bias_at(bias, bias_shift, o);

		for (uint16_t b = 0; b < batch; b++) {
			int32_t s = tintin_dot_s8(x + (size_t)b * in, wr, in);

			acc[(size_t)b * out + o] = tintin_add_sat32(s, b0);
		}
	}
}

void tintin_fc_backward_s8(const int8_t *err, const int8_t *w, uint16_t batch, uint16_t in,
			   uint16_t out, int32_t *acc)
{
	for (uint16_t b = 0; b < batch; b++) {
		const int8_t *er = err + (size_t)b * out;
		int32_t *ar = acc + (size_t)b * in;
		uint16_t o = 0;

		for (uint16_t i = 0; i < in; i++) {
			ar[i] = 0;
		}
		/* Four weight rows per pass over the accumulator row; all-zero errors skip. */
		for (; o + 4u <= out; o += 4u) {
			int32_t e[4] = {er[o], er[o + 1u], er[o + 2u], er[o + 3u]};

			if ((e[0] | e[1] | e[2] | e[3]) != 0) {
				tintin_axpy4_s8(e, w + (size_t)o * in, in, ar, in);
			}
		}
		for (; o < out; o++) {
			if (er[o] != 0) {
				tintin_axpy_s8(er[o], w + (size_t)o * in, ar, in);
			}
		}
	}
}

void tintin_fc_grad_row_s8(const int8_t *err, const int8_t *x, uint16_t batch, uint16_t in,
			   uint16_t out, uint16_t o, int32_t *g)
{
	uint16_t b = 0;

	/* The first sample with a nonzero error writes the row (batch 1: no zeroing pass). */
	while (b < batch && err[(size_t)b * out + o] == 0) {
		b++;
	}
	if (b == batch) {
		for (uint16_t i = 0; i < in; i++) {
			g[i] = 0;
		}
		return;
	}
	tintin_scale_s8(err[(size_t)b * out + o], x + (size_t)b * in, g, in);
	b++;
	/* Four samples per pass over the gradient row; all-zero errors skip. */
	for (; b + 4u <= batch; b += 4u) {
		int32_t e[4];

		for (uint16_t r = 0; r < 4u; r++) {
			e[r] = err[(size_t)(b + r) * out + o];
		}
		if ((e[0] | e[1] | e[2] | e[3]) != 0) {
			tintin_axpy4_s8(e, x + (size_t)b * in, in, g, in);
		}
	}
	for (; b < batch; b++) {
		int32_t e = err[(size_t)b * out + o];

		if (e != 0) {
			tintin_axpy_s8(e, x + (size_t)b * in, g, in);
		}
	}
}

int32_t tintin_fc_grad_bias_s8(const int8_t *err, uint16_t batch, uint16_t out, uint16_t o)
{
	int32_t s = 0;

	for (uint16_t b = 0; b < batch; b++) {
		s += err[(size_t)b * out + o];
	}
	return s;
}
