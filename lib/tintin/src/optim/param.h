/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Loads and saturating stores of a parameter array in its storage type (int8, int16, int32,
 * or int16 as two int8 planes), shared by the update rules (sgd.c) and the grid rescaling
 * (grid.c). Always inlined: every update loop compiles for one constant type.
 */

#ifndef TINTIN_OPTIM_PARAM_H_
#define TINTIN_OPTIM_PARAM_H_

#include <tintin/optim.h>

static TINTIN_ALWAYS_INLINE int32_t tintin_param_load(const void *base, uint8_t dtype, uint32_t k)
{
	switch (dtype) {
	case TINTIN_DTYPE_S8:
		return ((const int8_t *)base)[k];
	case TINTIN_DTYPE_S16:
		return ((const int16_t *)base)[k];
	default:
		return ((const int32_t *)base)[k];
	}
}

/* Store with saturation to the type's symmetric range, counting a clip in *clipped unless it
 * is NULL: counted in the rare branch, the common path adds nothing.
 */
static TINTIN_ALWAYS_INLINE void tintin_param_store(void *base, uint8_t dtype, uint32_t k,
						    int32_t v, uint32_t *clipped)
{
	int32_t lim = (dtype == TINTIN_DTYPE_S8)    ? 127
		      : (dtype == TINTIN_DTYPE_S16) ? 32767
						    : INT32_MAX;

	/* One unsigned compare for both ends: v + lim is outside [0, 2 lim]. */
	if (TINTIN_UNLIKELY((uint32_t)v + (uint32_t)lim > 2u * (uint32_t)lim)) {
		v = (v > 0) ? lim : -lim;
		if (clipped != NULL) {
			(*clipped)++;
		}
	}
	switch (dtype) {
	case TINTIN_DTYPE_S8:
		((int8_t *)base)[k] = (int8_t)v;
		break;
	case TINTIN_DTYPE_S16:
		((int16_t *)base)[k] = (int16_t)v;
		break;
	default:
		((int32_t *)base)[k] = v;
		break;
	}
}

/*
 * A parameter's type as this build can have it: without CONFIG_TINTIN_OPTIM_UPSCALE no
 * parameter or momentum is int16 (init refuses masters), so the int16 cases of the generic
 * loops fold away, as momentum does without CONFIG_TINTIN_OPTIM_MOMENTUM (tintin_build_mom).
 */
static TINTIN_ALWAYS_INLINE uint8_t tintin_build_dtype(uint8_t dtype)
{
	return (!TINTIN_UPSCALE_ENABLED && dtype != TINTIN_DTYPE_S8) ? TINTIN_DTYPE_S32 : dtype;
}

static TINTIN_ALWAYS_INLINE void *tintin_build_mom(void *mom)
{
	return TINTIN_MOMENTUM_ENABLED ? mom : NULL;
}

/* An update clamped to +-dmax, counting a clamp in *dclip (the rare branch adds it). */
static TINTIN_ALWAYS_INLINE int32_t tintin_update_clamp(int32_t d, int32_t dmax, uint32_t *dclip)
{
	if (TINTIN_UNLIKELY(d > dmax || d < -dmax)) {
		(*dclip)++;
		return (d > 0) ? dmax : -dmax;
	}
	return d;
}

/* TINTIN_DTYPE_S16P: value = 256 * high + low. */
static TINTIN_ALWAYS_INLINE int32_t tintin_planes_load(const int8_t *high, const int8_t *low,
						       uint32_t k)
{
	return (int32_t)high[k] * 256 + low[k];
}

/*
 * Store with saturation to +-TINTIN_S16P_MAX, counting a clip as tintin_param_store() does.
 * The high byte is floor((v + 128) / 256), v rounded to the int8 grid, computed on a
 * non-negative value (v + 128 + 32768 >= 257) so no signed shift is involved; the low byte is
 * what remains.
 */
static TINTIN_ALWAYS_INLINE void tintin_planes_store(int8_t *high, int8_t *low, uint32_t k,
						     int32_t v, uint32_t *clipped)
{
	int32_t h;

	if (TINTIN_UNLIKELY((uint32_t)v + TINTIN_S16P_MAX > 2u * TINTIN_S16P_MAX)) {
		v = (v > 0) ? TINTIN_S16P_MAX : -TINTIN_S16P_MAX;
		if (clipped != NULL) {
			(*clipped)++;
		}
	}
	h = (int32_t)((uint32_t)(v + 128 + 32768) >> 8) - 128;
	high[k] = (int8_t)h;
	low[k] = (int8_t)(v - h * 256);
}

#endif /* TINTIN_OPTIM_PARAM_H_ */
