/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Weight averaging (tintin/average.h). A model laid out with TINTIN_MODE_AVERAGE keeps each
 * averaged weight as 16 bits, R at exponent w_exp - 8, in the two planes int16 masters use
 * (TINTIN_DTYPE_S16P: R = 256 w + lo, w = round(R / 256) the int8 weight the forward pass
 * reads). An int8 average re-rounded at every call would carry about 1.5 steps of rounding
 * noise per weight at a share of 2^-5 (each call's noise decays by only 31/32 a call); at 16
 * bits it is 1/256 of that.
 */

#include <errno.h>
#include <stdint.h>

#include <tintin/average.h>
#include <tintin/fedavg.h>

#include "internal.h"

uint32_t tintin_average_share(uint32_t t, uint32_t span, uint8_t floor_shift)
{
	const uint32_t low = (floor_shift >= 16u) ? 1u : (TINTIN_AVERAGE_ALL >> floor_shift);
	uint64_t q;

	if (t == 0u || span == 0u) {
		return TINTIN_AVERAGE_ALL;
	}
	q = ((uint64_t)span << TINTIN_FEDAVG_SHARE_BITS) / ((uint64_t)t + span);
	return (q < low) ? low : (uint32_t)q;
}

static int tintin_average_args(const struct tintin_model *avg, const struct tintin_model *m,
			       uint32_t share)
{
	int ret = tintin_check_ready(avg);

	if (ret == 0) {
		ret = tintin_check_ready(m);
	}
	if (ret != 0) {
		return ret;
	}
	if (avg == m || avg->mode != TINTIN_MODE_AVERAGE || m->mode != TINTIN_MODE_TRAIN ||
	    (avg->desc != m->desc && (m->desc->hash == 0u || avg->desc->hash != m->desc->hash))) {
		TINTIN_LOG_ERR("tintin: average: needs a model initialised to train and another of "
			       "its table initialised with TINTIN_MODE_AVERAGE");
		return -EINVAL;
	}
	if (share == 0u || share > TINTIN_AVERAGE_ALL) {
		TINTIN_LOG_ERR("tintin: average: share %u of 2^16 outside 1..2^16",
			       (unsigned)share);
		return -EINVAL;
	}
	return 0;
}

/* Weight j as 16 bits at w_exp - 8: an average's or a master's 256 w + lo, else 256 w. */
static int32_t tintin_average_r(const struct tintin_layer_state *s, uint32_t j)
{
	return (int32_t)s->w_ram[j] * 256 + ((s->w_lo != NULL) ? (int32_t)s->w_lo[j] : 0);
}

/* sum of the two parts' terms at e_min - 8 - 16; |v| < 2^31, shifts <= 15: within 2^62. */
static int64_t tintin_average_sum(int64_t va, int64_t vm, int da, int dm, uint32_t share)
{
	const int64_t ta = va * (int64_t)(TINTIN_AVERAGE_ALL - share);
	const int64_t tm = vm * (int64_t)share;

	/* The shift is done on the bits of the product, as in fedavg.c: no signed left shift. */
	return (int64_t)((uint64_t)ta << da) + (int64_t)((uint64_t)tm << dm);
}

static void tintin_average_layer(struct tintin_layer_state *a, const struct tintin_layer_state *s,
				 uint32_t n_w, uint16_t rows, uint32_t share, int e_top,
				 const struct tintin_prng *r)
{
	/* All of m (a restart) leaves nothing of a, whatever its exponent. */
	const int ea = (share == TINTIN_AVERAGE_ALL) ? s->w_exp : a->w_exp;
	const int e_min = (ea < s->w_exp) ? ea : s->w_exp;
	const int e_max = (ea > s->w_exp) ? ea : s->w_exp;
	const int da = ea - e_min;
	const int dm = s->w_exp - e_min;
	const int top = (e_top > e_max) ? e_max : e_top;
	uint64_t peak = 0u;
	int shift;

	for (uint32_t j = 0; j < n_w; j++) {
		const int64_t v = tintin_average_sum(tintin_average_r(a, j), tintin_average_r(s, j),
						     da, dm, share);
		const uint64_t mag = (v < 0) ? (uint64_t)-v : (uint64_t)v;

		peak = (mag > peak) ? mag : peak;
	}
	/* The 16-bit values fit 15 bits and a sign; never finer than the finer part, never
	 * coarser than the coarser (an average needs no more range).
	 */
	shift = tintin_fedavg_shift(peak, 15, e_min, top);
	/* R saturates at TINTIN_S16P_MAX, short of 15 bits' 32767. Peaks in between take the
	 * coarser exponent: held at the finer one, a small share's step never crosses 32767, so
	 * weights that outgrow it would stay clamped while the model moves to coarser exponents.
	 */
	if (peak > ((uint64_t)TINTIN_S16P_MAX << shift) &&
	    e_min - TINTIN_FEDAVG_SHARE_BITS + shift < top) {
		shift++;
	}
	for (uint32_t j = 0; j < n_w; j++) {
		int64_t v = tintin_fedavg_round(tintin_average_sum(tintin_average_r(a, j),
								   tintin_average_r(s, j), da, dm,
								   share),
						shift, tintin_prng_at(r, j));

		v = (v > TINTIN_S16P_MAX) ? TINTIN_S16P_MAX
					  : ((v < -TINTIN_S16P_MAX) ? -TINTIN_S16P_MAX : v);
		/* The int8 weight is R / 256 rounded half up, floor((R + 128) / 256). */
		a->w_ram[j] = (int8_t)((v + 128 >= 0) ? (v + 128) / 256 : -((127 - v) / 256));
		a->w_lo[j] = (int8_t)(v - 256 * (int64_t)a->w_ram[j]);
	}
	for (uint16_t o = 0; o < rows; o++) {
		const int64_t v = tintin_fedavg_round(
			tintin_average_sum(a->bias_ram[o], s->bias_ram[o], da, dm, share), shift,
			tintin_prng_at(r, n_w + o));

		a->bias_ram[o] = (int32_t)((v > INT32_MAX) ? INT32_MAX
							   : ((v < -INT32_MAX) ? -INT32_MAX : v));
	}
	a->w_exp = (int8_t)(e_min - TINTIN_FEDAVG_SHARE_BITS + shift);
}

int tintin_model_average(struct tintin_model *avg, const struct tintin_model *m, uint32_t share)
{
	int ret = tintin_average_args(avg, m, share);

	if (ret != 0) {
		return ret;
	}
	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		struct tintin_layer_state *a = &avg->layer[i];
		const struct tintin_layer_state *s = &m->layer[i];
		const uint8_t what = tintin_params_what(s);
		const uint32_t n_w =
			(what & TINTIN_PARAMS_WEIGHTS) ? (uint32_t)s->rows * s->row : 0u;
		const uint16_t rows = (what & TINTIN_PARAMS_BIASES) ? s->rows : 0u;
		const int d = (int)s->w_exp - (int)a->w_exp;
		uint32_t q = share;

		if (what == 0u) {
			continue;
		}
		if (q != TINTIN_AVERAGE_ALL &&
		    (d > TINTIN_FEDAVG_MAX_SPREAD || -d > TINTIN_FEDAVG_MAX_SPREAD)) {
			TINTIN_LOG_ERR(
				"tintin: average: layer %u restarts (exponent %d against %d)", i,
				a->w_exp, s->w_exp);
			q = TINTIN_AVERAGE_ALL;
		}
		tintin_average_layer(a, s, n_w, rows, q, tintin_w_exp_bound(&m->desc->layers[i], 1),
				     &avg->prng);
		tintin_prng_advance(&avg->prng, n_w + rows);
	}
	return 0;
}
