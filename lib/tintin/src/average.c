/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Weight averaging (tintin/average.h): a second model of the same table holds a running
 * average of the training model's trained layers, blended by tintin_fedavg_combine.
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
	if (avg == m || (avg->mode != TINTIN_MODE_AVERAGE && avg->mode != TINTIN_MODE_TRAIN) ||
	    m->mode != TINTIN_MODE_TRAIN ||
	    (avg->desc != m->desc && (m->desc->hash == 0u || avg->desc->hash != m->desc->hash))) {
		TINTIN_LOG_ERR("tintin: average: needs a model initialised to train and another of "
			       "its table initialised to average (or to train)");
		return -EINVAL;
	}
	if (share == 0u || share > TINTIN_AVERAGE_ALL) {
		TINTIN_LOG_ERR("tintin: average: share %u of 2^16 outside 1..2^16",
			       (unsigned)share);
		return -EINVAL;
	}
	return 0;
}

int tintin_model_average(struct tintin_model *avg, const struct tintin_model *m, uint32_t share)
{
	static const int32_t all[1] = {(int32_t)TINTIN_AVERAGE_ALL};
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
		/* Biases are read as little-endian bytes: every core this runs on is one. */
		const struct tintin_fedavg_part parts[2] = {
			{s->w_ram, rows ? (const uint8_t *)s->bias_ram : NULL, 0u, s->w_exp},
			{a->w_ram, rows ? (const uint8_t *)a->bias_ram : NULL, 0u, a->w_exp},
		};
		const int32_t shares[2] = {(int32_t)share, (int32_t)(TINTIN_AVERAGE_ALL - share)};
		const int d = (int)s->w_exp - (int)a->w_exp;
		uint16_t k = (share == TINTIN_AVERAGE_ALL) ? 1u : 2u;
		int8_t w_exp;

		if (what == 0u) {
			continue;
		}
		if (k == 2u && (d > TINTIN_FEDAVG_MAX_SPREAD || -d > TINTIN_FEDAVG_MAX_SPREAD)) {
			TINTIN_LOG_ERR(
				"tintin: average: layer %u restarts (exponent %d against %d)", i,
				a->w_exp, s->w_exp);
			k = 1u;
		}
		/* Within the spread, shares of 2^16 and the window's top: this cannot fail. */
		(void)tintin_fedavg_combine(parts, k, (k == 1u) ? all : shares, n_w, rows,
					    tintin_w_exp_bound(&m->desc->layers[i], 1), &avg->prng,
					    a->w_ram, rows ? a->bias_ram : NULL, &w_exp);
		a->w_exp = w_exp;
		tintin_params_restart(a);
		tintin_prng_advance(&avg->prng, n_w + rows);
	}
	return 0;
}
