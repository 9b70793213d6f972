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

/* Element k of an array of type dtype (high: the high-byte plane of TINTIN_DTYPE_S16P). Out of
 * line: the grid moves rarely, and one copy of each type switch keeps it small.
 */
static TINTIN_NOINLINE int32_t tintin_grid_load(const void *base, const int8_t *high, uint8_t dtype,
						uint32_t k)
{
	return (dtype == TINTIN_DTYPE_S16P) ? tintin_planes_load(high, base, k)
					    : tintin_param_load(base, dtype, k);
}

/* Store v saturated to the type's range, counting nothing. Out of line, as the load. */
static TINTIN_NOINLINE void tintin_grid_store(void *base, int8_t *high, uint8_t dtype, uint32_t k,
					      int32_t v)
{
	if (dtype == TINTIN_DTYPE_S16P) {
		tintin_planes_store(high, base, k, v, NULL);
	} else {
		tintin_param_store(base, dtype, k, v, NULL);
	}
}

int tintin_param_fits_doubled(const struct tintin_param *p, uint32_t n)
{
	const uint8_t dtype = tintin_build_dtype(p->dtype);
	const uint8_t mdtype = (dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : dtype;
	const uint32_t half = (uint32_t)tintin_dtype_limit(dtype) / 2u;
	const uint32_t mhalf = (uint32_t)tintin_dtype_limit(mdtype) / 2u;
	const void *mom = tintin_build_mom(p->mom);

	if (dtype == TINTIN_DTYPE_S8 && mom == NULL) {
		/* int8 weights without momentum, the default's dense layers: a loop of their own,
		 * as a LeNet-5 layer is 48,000 of them.
		 */
		const int8_t *w = p->data;

		for (uint32_t k = 0; k < n; k++) {
			if (tintin_abs32(w[k]) > half) {
				return 0;
			}
		}
		return 1;
	}
	for (uint32_t k = 0; k < n; k++) {
		if (tintin_abs32(tintin_grid_load(p->data, p->high, dtype, k)) > half) {
			return 0;
		}
		if (mom != NULL && tintin_abs32(tintin_grid_load(mom, NULL, mdtype, k)) > mhalf) {
			return 0;
		}
	}
	return 1;
}

/* Doubles (up) or halves, rounding half away from zero, n parameters and their momentum. */
static void tintin_param_rescale(const struct tintin_param *p, uint32_t n, int up)
{
	const uint8_t dtype = tintin_build_dtype(p->dtype);
	const uint8_t mdtype = (dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : dtype;
	void *mom = tintin_build_mom(p->mom);

	if (dtype == TINTIN_DTYPE_S8 && mom == NULL) {
		/* As in tintin_param_fits_doubled(); |v| <= 128, so neither way leaves int32. The
		 * clamp is written out: through tintin_param_store() the loop costs a LeNet-5 step
		 * 143,000 more instructions on Cortex-M0+.
		 */
		int8_t *w = p->data;

		for (uint32_t k = 0; k < n; k++) {
			int32_t v = up ? 2 * w[k] : tintin_round_shift_in(w[k], 1);

			w[k] = (int8_t)((v > 127) ? 127 : ((v < -127) ? -127 : v));
		}
		return;
	}
	for (uint32_t k = 0; k < n; k++) {
		for (int m = 0; m < 2; m++) {
			void *base = m ? mom : p->data;
			int8_t *high = m ? NULL : p->high;
			uint8_t t = m ? mdtype : dtype;
			int32_t v;

			if (base == NULL) {
				break;
			}
			v = tintin_grid_load(base, high, t, k);
			v = up ? tintin_shl_sat32(v, 1) : tintin_round_shift(v, 1);
			tintin_grid_store(base, high, t, k, v);
		}
	}
}

void tintin_param_double(const struct tintin_param *p, uint32_t n)
{
	tintin_param_rescale(p, n, 1);
}

void tintin_param_halve(const struct tintin_param *p, uint32_t n)
{
	tintin_param_rescale(p, n, 0);
}
