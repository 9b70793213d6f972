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

/* Momentum (v = beta v + d, beta = 1 - 2^-m) then p -= v, both saturating. dtype is a
 * constant at every call site, so each row loop below compiles for one element type.
 */
static TINTIN_ALWAYS_INLINE void tintin_param_apply(const struct tintin_optim_cfg *cfg,
						    const struct tintin_param *p, uint8_t dtype,
						    uint32_t k, int32_t d, uint32_t *sat)
{
	int32_t w;

	if (dtype != TINTIN_DTYPE_S32) {
		/* |v|, |w| <= 32767, so clamping d to +-65535 keeps every sum exact in 32 bits
		 * and saturates to the same stored values as 32-bit saturating adds would.
		 */
		d = (d > 65535) ? 65535 : ((d < -65535) ? -65535 : d);
		if (p->mom != NULL) {
			int32_t v = tintin_param_load(p->mom, dtype, k);

			(void)tintin_param_store(p->mom, dtype, k,
						 v - tintin_round_shift(v, cfg->momentum_shift) + d);
			d = tintin_param_load(p->mom, dtype, k);
		}
		if (d == 0) {
			return;
		}
		*sat += (uint32_t)tintin_param_store(p->data, dtype, k,
						     tintin_param_load(p->data, dtype, k) - d);
		if (p->view != NULL) {
			w = tintin_param_load(p->data, dtype, k);
			p->view[k] = tintin_sat8(tintin_round_shift(w, p->view_shift));
		}
		return;
	}
	if (p->mom != NULL) {
		int32_t v = tintin_param_load(p->mom, dtype, k);

		v = tintin_add_sat32(v - tintin_round_shift(v, cfg->momentum_shift), d);
		(void)tintin_param_store(p->mom, dtype, k, v);
		d = tintin_param_load(p->mom, dtype, k);
	}
	if (d == 0) {
		return;
	}
	w = tintin_add_sat32(tintin_param_load(p->data, dtype, k), -d);
	*sat += (uint32_t)tintin_param_store(p->data, dtype, k, w);
}

static TINTIN_ALWAYS_INLINE void tintin_aligned_loop(const struct tintin_optim_cfg *cfg,
						     const struct tintin_param *p, uint8_t dtype,
						     uint32_t off, const int32_t *g, uint16_t n,
						     int s, const struct tintin_prng *r,
						     uint32_t *sat)
{
	for (uint16_t j = 0; j < n; j++) {
		int32_t d = g[j];

		if (d != 0) {
			if (cfg->lr_mult != 1u) {
				d = tintin_rescale_mult(d, cfg->lr_mult);
			}
			if (s <= 0) {
				d = tintin_shl_sat32(d, -s);
			} else if (cfg->rounding == TINTIN_ROUND_STOCHASTIC) {
				/* Counter-based draws: skipping zero gradients keeps the stream. */
				d = tintin_sto_shift(d, s, tintin_prng_at(r, off + j));
			} else {
				d = tintin_psto_shift(d, s);
			}
		}
		tintin_param_apply(cfg, p, dtype, off + j, d, sat);
	}
}

void tintin_sgd_aligned_row(const struct tintin_optim_cfg *cfg, const struct tintin_param *p,
			    uint32_t off, const int32_t *g, uint16_t n, int e_g,
			    const struct tintin_prng *r, uint32_t *sat)
{
	int s = p->exp + cfg->lr_shift - e_g;

	switch (p->dtype) {
	case TINTIN_DTYPE_S8:
		tintin_aligned_loop(cfg, p, TINTIN_DTYPE_S8, off, g, n, s, r, sat);
		break;
	case TINTIN_DTYPE_S16:
		tintin_aligned_loop(cfg, p, TINTIN_DTYPE_S16, off, g, n, s, r, sat);
		break;
	default:
		tintin_aligned_loop(cfg, p, TINTIN_DTYPE_S32, off, g, n, s, r, sat);
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
	for (uint16_t j = 0; j < n; j++) {
		int32_t d = (shift < 1) ? g[j] : tintin_psto_shift(g[j], shift);

		tintin_param_apply(cfg, p, p->dtype, off + j, d, sat);
	}
}
