/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/optim.h>

static TINTIN_ALWAYS_INLINE int32_t tintin_param_load(const void *base, uint8_t dtype,
						     uint32_t k)
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

/* Store with saturation to the type's symmetric range; returns 1 when it clipped. */
static TINTIN_ALWAYS_INLINE int tintin_param_store(void *base, uint8_t dtype, uint32_t k,
						  int32_t v)
{
	int32_t lim = (dtype == TINTIN_DTYPE_S8)    ? 127
		      : (dtype == TINTIN_DTYPE_S16) ? 32767
						    : INT32_MAX;
	int clip = (v > lim || v < -lim) ? 1 : 0;

	v = (v > lim) ? lim : ((v < -lim) ? -lim : v);
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
	return clip;
}

/* TINTIN_DTYPE_S16P: value = 256 * high + low. */
static TINTIN_ALWAYS_INLINE int32_t tintin_planes_load(const int8_t *high, const int8_t *low,
						      uint32_t k)
{
	return (int32_t)high[k] * 256 + low[k];
}

/*
 * Store with saturation to +-TINTIN_S16P_MAX; returns 1 when it clipped. The high byte is
 * floor((v + 128) / 256), v rounded to the int8 grid, computed on a non-negative value
 * (v + 128 + 32768 >= 257) so no signed shift is involved; the low byte is what remains.
 */
static TINTIN_ALWAYS_INLINE int tintin_planes_store(int8_t *high, int8_t *low, uint32_t k,
						   int32_t v)
{
	int clip = (v > TINTIN_S16P_MAX || v < -TINTIN_S16P_MAX) ? 1 : 0;
	int32_t h;

	v = (v > TINTIN_S16P_MAX) ? TINTIN_S16P_MAX : ((v < -TINTIN_S16P_MAX) ? -TINTIN_S16P_MAX : v);
	h = (int32_t)((uint32_t)(v + 128 + 32768) >> 8) - 128;
	high[k] = (int8_t)h;
	low[k] = (int8_t)(v - h * 256);
	return clip;
}

/*
 * What one row update needs, copied out of the config and the parameter once per row: the
 * stores go through int8 pointers, which may alias anything, so the compiler would otherwise
 * reload every field for every element.
 */
struct tintin_rowctx {
	void *data;
	void *mom;
	int8_t *high;
	uint32_t key;  /* PRNG key and the draw index of element 0 */
	uint32_t base;
	int s;         /* gradient-to-parameter shift */
	uint8_t dtype;
	uint8_t lr_mult;
	uint8_t mshift;
	uint8_t stochastic;
};

static struct tintin_rowctx tintin_rowctx_of(const struct tintin_optim_cfg *cfg,
					     const struct tintin_param *p)
{
	struct tintin_rowctx c = {
		.data = p->data,
		.mom = p->mom,
		.high = p->high,
		.dtype = p->dtype,
		.lr_mult = cfg->lr_mult,
		.mshift = cfg->momentum_shift,
		.stochastic = (cfg->rounding == TINTIN_ROUND_STOCHASTIC) ? 1u : 0u,
	};

	return c;
}

/* Momentum (v = beta v + d, beta = 1 - 2^-m) then p -= v, both saturating. dtype is a
 * constant at every call site but the NITI row's, so each loop compiles for one type.
 */
static TINTIN_ALWAYS_INLINE void tintin_param_apply(const struct tintin_rowctx *c, uint8_t dtype,
						    uint32_t k, int32_t d, uint32_t *sat)
{
	const uint8_t mdtype = (dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : dtype;
	int32_t w;

	if (mdtype != TINTIN_DTYPE_S32) {
		/* |v|, |w| <= 32767, so clamping d to +-65535 keeps every sum exact in 32 bits
		 * and saturates to the same stored values as 32-bit saturating adds would.
		 */
		d = (d > 65535) ? 65535 : ((d < -65535) ? -65535 : d);
		if (c->mom != NULL) {
			int32_t v = tintin_param_load(c->mom, mdtype, k);

			if ((v | d) == 0) {
				return; /* nothing moves: the common case of sub-LSB gradients */
			}
			/* mshift is 1..7 for a model's momentum; 0 (a bare kernel call) keeps no
			 * memory, as decay_shift(v, 0) = v.
			 */
			(void)tintin_param_store(c->mom, mdtype, k,
						 v - tintin_decay_shift(v, c->mshift) + d);
			d = tintin_param_load(c->mom, mdtype, k);
		}
		if (d == 0) {
			return;
		}
		if (dtype == TINTIN_DTYPE_S16P) {
			w = tintin_planes_load(c->high, c->data, k) - d;
			*sat += (uint32_t)tintin_planes_store(c->high, c->data, k, w);
		} else {
			w = tintin_param_load(c->data, dtype, k) - d;
			*sat += (uint32_t)tintin_param_store(c->data, dtype, k, w);
		}
		return;
	}
	if (c->mom != NULL) {
		int32_t v = tintin_param_load(c->mom, dtype, k);

		v = tintin_add_sat32(v - tintin_decay_shift(v, c->mshift), d);
		(void)tintin_param_store(c->mom, dtype, k, v);
		d = tintin_param_load(c->mom, dtype, k);
	}
	if (d == 0) {
		return;
	}
	w = tintin_add_sat32(tintin_param_load(c->data, dtype, k), -d);
	*sat += (uint32_t)tintin_param_store(c->data, dtype, k, w);
}

static TINTIN_ALWAYS_INLINE void tintin_aligned_loop(const struct tintin_rowctx *cp,
						     uint8_t dtype, uint32_t off,
						     const int32_t *g, uint16_t n, uint32_t *sat)
{
	const struct tintin_rowctx c = *cp; /* a local copy stays in registers */
	uint32_t clipped = 0u;

	for (uint16_t j = 0; j < n; j++) {
		int32_t d = g[j];

		if (d != 0) {
			if (c.lr_mult != 1u) {
				d = tintin_rescale_mult(d, c.lr_mult);
			}
			if (c.s <= 0) {
				d = tintin_shl_sat32(d, -c.s);
			} else if (c.stochastic) {
				/* Counter-based draws: skipping zero gradients keeps the stream. */
				d = tintin_sto_shift(d, c.s, tintin_prng_draw(c.key, c.base + j));
			} else {
				d = tintin_psto_shift(d, c.s);
			}
		}
		tintin_param_apply(&c, dtype, off + j, d, &clipped);
	}
	*sat += clipped;
}

/*
 * The optimizers nearly every model runs, with each per-row decision taken once instead of
 * per element: stochastic rounding onto the parameter grid (0 < s < 32) at lr_mult 1, on int16
 * masters in planes (with or without momentum, TINTIN_OPTIM_DEFAULT) or on bare int8 weights
 * (TINTIN_OPTIM_LEAN). The same integers as tintin_aligned_loop.
 */
static TINTIN_ALWAYS_INLINE void tintin_sto_loop(const struct tintin_rowctx *cp, uint8_t dtype,
						 int has_mom, uint32_t off, const int32_t *g,
						 uint16_t n, uint32_t *sat)
{
	const struct tintin_rowctx c = *cp;
	uint32_t clipped = 0u;
	/* Draw base + j's Weyl state, stepped per element rather than recomputed. */
	uint32_t weyl = c.base * TINTIN_PRNG_STEP + c.key;
	uint32_t step = TINTIN_PRNG_STEP;

#if defined(__GNUC__) || defined(__clang__)
	/* Keeps the step in a register: Thumb-2 cannot encode it, and as a constant the compiler
	 * rebuilds it with three instructions per element.
	 */
	__asm__("" : "+r"(step));
#endif
	for (uint16_t j = 0; j < n; j++, weyl += step) {
		const uint32_t k = off + j;
		int32_t d = g[j];

		/* s >= 1 keeps |d| <= 2^30, so the sums below cannot wrap; they saturate to the
		 * same stored values as with tintin_param_apply's clamp of d to +-65535.
		 */
		if (d != 0) {
			d = tintin_sto_shift_in(d, c.s, tintin_prng_mix(weyl));
		}
		if (has_mom) {
			int32_t v = ((const int16_t *)c.mom)[k];

			if ((v | d) == 0) {
				continue;
			}
			v = v - tintin_decay_shift(v, c.mshift) + d;
			d = (v > 32767) ? 32767 : ((v < -32767) ? -32767 : v);
			((int16_t *)c.mom)[k] = (int16_t)d;
		}
		if (d == 0) {
			continue;
		}
		if (dtype == TINTIN_DTYPE_S16P) {
			clipped += (uint32_t)tintin_planes_store(
				c.high, c.data, k, tintin_planes_load(c.high, c.data, k) - d);
		} else {
			clipped += (uint32_t)tintin_param_store(
				c.data, dtype, k, tintin_param_load(c.data, dtype, k) - d);
		}
	}
	*sat += clipped;
}

void tintin_sgd_aligned_row(const struct tintin_optim_cfg *cfg, const struct tintin_param *p,
			    uint32_t off, const int32_t *g, uint16_t n, int e_g,
			    const struct tintin_prng *r, uint32_t *sat)
{
	struct tintin_rowctx c = tintin_rowctx_of(cfg, p);

	c.s = p->exp + cfg->lr_shift - e_g;
	c.key = r->key;
	c.base = r->counter + off;
	if (c.stochastic && c.s > 0 && c.s < 32 && c.lr_mult == 1u) {
		if (c.dtype == TINTIN_DTYPE_S16P && c.mom != NULL) {
			tintin_sto_loop(&c, TINTIN_DTYPE_S16P, 1, off, g, n, sat);
			return;
		}
		if (c.dtype == TINTIN_DTYPE_S16P) {
			tintin_sto_loop(&c, TINTIN_DTYPE_S16P, 0, off, g, n, sat);
			return;
		}
		if (c.dtype == TINTIN_DTYPE_S8 && c.mom == NULL) {
			tintin_sto_loop(&c, TINTIN_DTYPE_S8, 0, off, g, n, sat);
			return;
		}
	}
	switch (p->dtype) {
	case TINTIN_DTYPE_S8:
		tintin_aligned_loop(&c, TINTIN_DTYPE_S8, off, g, n, sat);
		break;
	case TINTIN_DTYPE_S16:
		tintin_aligned_loop(&c, TINTIN_DTYPE_S16, off, g, n, sat);
		break;
	case TINTIN_DTYPE_S16P:
		tintin_aligned_loop(&c, TINTIN_DTYPE_S16P, off, g, n, sat);
		break;
	default:
		tintin_aligned_loop(&c, TINTIN_DTYPE_S32, off, g, n, sat);
		break;
	}
}

int tintin_sgd_niti_shift(uint32_t maxabs, int mu)
{
	if (maxabs == 0u) {
		return -1;
	}
	return tintin_bits(maxabs) - mu;
}

void tintin_sgd_niti_row(const struct tintin_optim_cfg *cfg, const struct tintin_param *p,
			 uint32_t off, const int32_t *g, uint16_t n, int shift, uint32_t *sat)
{
	const struct tintin_rowctx c = tintin_rowctx_of(cfg, p);

	for (uint16_t j = 0; j < n; j++) {
		int32_t d = (shift < 1) ? g[j] : tintin_psto_shift(g[j], shift);

		tintin_param_apply(&c, c.dtype, off + j, d, sat);
	}
}

void tintin_param_halve(const struct tintin_param *p, uint32_t n)
{
	const uint8_t mdtype = (p->dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : p->dtype;

	for (uint32_t k = 0; k < n; k++) {
		if (p->dtype == TINTIN_DTYPE_S16P) {
			int32_t w = tintin_planes_load(p->high, p->data, k);

			(void)tintin_planes_store(p->high, p->data, k, tintin_round_shift(w, 1));
		} else {
			int32_t w = tintin_param_load(p->data, p->dtype, k);

			(void)tintin_param_store(p->data, p->dtype, k, tintin_round_shift(w, 1));
		}
		if (p->mom != NULL) {
			int32_t v = tintin_param_load(p->mom, mdtype, k);

			(void)tintin_param_store(p->mom, mdtype, k, tintin_round_shift(v, 1));
		}
	}
}
