/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The parameter grid: whether a layer's stored values (and momentum) fit once doubled, and
 * doubling or halving them in place when the training step moves the layer's weight
 * exponent (tintin_rescale_layer in model_train.c).
 */

#include <tintin/ops.h>
#include <tintin/optim.h>

#include "param.h"

static int32_t tintin_dtype_limit(uint8_t dtype)
{
	switch (dtype) {
	case TINTIN_DTYPE_S8:
		return 127;
	case TINTIN_DTYPE_S16:
		return 32767;
	case TINTIN_DTYPE_S16P:
		return TINTIN_S16P_MAX;
	default:
		return INT32_MAX;
	}
}

static int32_t tintin_param_value(const struct tintin_param *p, uint32_t k)
{
	return (p->dtype == TINTIN_DTYPE_S16P) ? tintin_planes_load(p->high, p->data, k)
					       : tintin_param_load(p->data, p->dtype, k);
}

int tintin_param_fits_doubled(const struct tintin_param *p, uint32_t n)
{
	const uint8_t mdtype = (p->dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : p->dtype;
	const uint32_t half = (uint32_t)tintin_dtype_limit(p->dtype) / 2u;
	const uint32_t mhalf = (uint32_t)tintin_dtype_limit(mdtype) / 2u;

	for (uint32_t k = 0; k < n; k++) {
		if (tintin_abs32(tintin_param_value(p, k)) > half) {
			return 0;
		}
		if (p->mom != NULL && tintin_abs32(tintin_param_load(p->mom, mdtype, k)) > mhalf) {
			return 0;
		}
	}
	return 1;
}

void tintin_param_double(const struct tintin_param *p, uint32_t n)
{
	const uint8_t mdtype = (p->dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : p->dtype;

	for (uint32_t k = 0; k < n; k++) {
		int32_t w = tintin_param_value(p, k);

		if (p->dtype == TINTIN_DTYPE_S16P) {
			tintin_planes_store(p->high, p->data, k, tintin_shl_sat32(w, 1), NULL);
		} else {
			tintin_param_store(p->data, p->dtype, k, tintin_shl_sat32(w, 1), NULL);
		}
		if (p->mom != NULL) {
			int32_t v = tintin_param_load(p->mom, mdtype, k);

			tintin_param_store(p->mom, mdtype, k, tintin_shl_sat32(v, 1), NULL);
		}
	}
}

void tintin_param_halve(const struct tintin_param *p, uint32_t n)
{
	const uint8_t mdtype = (p->dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : p->dtype;

	for (uint32_t k = 0; k < n; k++) {
		if (p->dtype == TINTIN_DTYPE_S16P) {
			int32_t w = tintin_planes_load(p->high, p->data, k);

			tintin_planes_store(p->high, p->data, k, tintin_round_shift(w, 1), NULL);
		} else {
			int32_t w = tintin_param_load(p->data, p->dtype, k);

			tintin_param_store(p->data, p->dtype, k, tintin_round_shift(w, 1), NULL);
		}
		if (p->mom != NULL) {
			int32_t v = tintin_param_load(p->mom, mdtype, k);

			tintin_param_store(p->mom, mdtype, k, tintin_round_shift(v, 1), NULL);
		}
	}
}
