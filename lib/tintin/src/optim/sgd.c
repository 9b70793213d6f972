/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The update rules: the aligned rule with round-to-nearest or stochastic rounding, momentum,
 * int16 masters (plain or as two int8 planes), the fused error-times-input update of dense
 * rows, and NITI's rule. The parameter grid's doubling and halving is in grid.c.
 */

#include <tintin/ops.h>
#include <tintin/optim.h>

#include "param.h"

/* Momentum (v = beta v + d, beta = 1 - 2^-m) then p -= v, both saturating. dtype is a
 * constant at every call site but the NITI row's, so each loop compiles for one type.
 */
static TINTIN_ALWAYS_INLINE void tintin_param_apply(const struct tintin_sgd_rows *c, uint8_t dtype,
						    uint32_t k, int32_t d, uint32_t *sat)
{
	const uint8_t mdtype = (dtype == TINTIN_DTYPE_S16P) ? TINTIN_DTYPE_S16 : dtype;
	int32_t w;

	if (mdtype != TINTIN_DTYPE_S32) {
		/* |v|, |w| <= 32767, so clamping d to +-65535 keeps every sum exact in 32 bits
		 * and saturates to the same stored values as 32-bit saturating adds would.
		 */
		d = (d > 65535) ? 65535 : ((d < -65535) ? -65535 : d);
		if (TINTIN_MOMENTUM_ENABLED && c->mom != NULL) {
			int32_t v = tintin_param_load(c->mom, mdtype, k);

			if ((v | d) == 0) {
				return; /* nothing moves: the common case of sub-LSB gradients */
			}
			/* mshift is 1..7 for a model's momentum; 0 (a bare kernel call) keeps no
			 * memory, as decay_shift(v, 0) = v.
			 */
			v = v - tintin_decay_shift(v, c->mshift) + d;
			tintin_param_store(c->mom, mdtype, k, v, NULL);
			d = tintin_param_load(c->mom, mdtype, k);
		}
		if (d == 0) {
			return;
		}
		if (dtype == TINTIN_DTYPE_S16P) {
			w = tintin_planes_load(c->high, c->data, k) - d;
			tintin_planes_store(c->high, c->data, k, w, sat);
		} else {
			w = tintin_param_load(c->data, dtype, k) - d;
			tintin_param_store(c->data, dtype, k, w, sat);
		}
		return;
	}
	if (TINTIN_MOMENTUM_ENABLED && c->mom != NULL) {
		int32_t v = tintin_param_load(c->mom, dtype, k);

		v = tintin_add_sat32(v - tintin_decay_shift(v, c->mshift), d);
		tintin_param_store(c->mom, dtype, k, v, NULL);
		d = tintin_param_load(c->mom, dtype, k);
	}
	if (d == 0) {
		return;
	}
	w = tintin_add_sat32(tintin_param_load(c->data, dtype, k), -d);
	tintin_param_store(c->data, dtype, k, w, sat);
}

/*
 * Element j draws number draw counter + idx + j: its own (grid 0), or, for a dense layer at
 * batch 1 (grid 1), that column's number combined with its row's rowr (tintin_grid_draw).
 */
static TINTIN_ALWAYS_INLINE void tintin_aligned_loop(const struct tintin_sgd_rows *cp,
						     uint8_t dtype, uint32_t off, uint32_t idx,
						     uint32_t rowr, int grid, const int32_t *g,
						     uint16_t n, uint32_t *sat)
{
	const struct tintin_sgd_rows c = *cp; /* a local copy stays in registers */
	const uint32_t base = c.counter + idx;
	uint32_t clipped = 0u;
	uint32_t dclip = 0u;

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
				const uint32_t r = tintin_prng_draw(c.key, base + j);

				d = tintin_sto_floor(d, c.s, grid ? tintin_grid_draw(rowr, r) : r);
			} else {
				d = tintin_psto_shift(d, c.s);
			}
			d = tintin_update_clamp(d, c.dmax, &dclip);
		}
		tintin_param_apply(&c, dtype, off + j, d, &clipped);
	}
	*sat += clipped;
	if (dclip != 0u && c.clips != NULL) {
		*c.clips += dclip;
	}
}

#if !TINTIN_VECTOR_LOOPS
/*
 * The optimizers nearly every model runs, with each per-row decision taken once instead of
 * per element: at lr_mult 1, stochastic rounding onto the parameter grid (shifted, 0 < s < 32)
 * or, for a row formed as e * x (outer), no shift at all (s = 0); on int16 masters in planes
 * with or without momentum (TINTIN_OPTIM_MOMENTUM, _COMPACT) or on bare int8 weights
 * (TINTIN_OPTIM_DEFAULT). The same integers as tintin_aligned_loop. Element j draws number
 * idx + j of the update: its own (a row of g), or for the row e * x (outer, a dense layer at
 * batch 1) column idx + j's combined with the row's rowr (tintin_grid_draw).
 */
static TINTIN_ALWAYS_INLINE void tintin_sto_loop(const struct tintin_sgd_rows *cp, uint8_t dtype,
						 int has_mom, int outer, int shifted, uint32_t off,
						 uint32_t idx, uint32_t rowr, const int32_t *g,
						 const int8_t *x, int32_t e, uint16_t n,
						 uint32_t *sat)
{
	const int s = cp->s;
	/* Arrays based at element off: one index register addresses them all. data is the
	 * int8 weights or the low-byte plane.
	 */
	int8_t *const data = (int8_t *)cp->data + off;
	int8_t *const high = (dtype == TINTIN_DTYPE_S16P) ? cp->high + off : NULL;
	int16_t *const mom = has_mom ? (int16_t *)cp->mom + off : NULL;
	const uint8_t mshift = cp->mshift;
	const int32_t dmax = cp->dmax;
	uint32_t clipped = 0u;
	uint32_t dclip = 0u;
	/* Draw counter + idx + j's Weyl state, stepped per element rather than recomputed. */
	uint32_t weyl = (cp->counter + idx) * TINTIN_PRNG_STEP + cp->key;
	uint32_t step = TINTIN_PRNG_STEP;

#if defined(__GNUC__) || defined(__clang__)
	/* Keeps the step in a register: Thumb-2 cannot encode it, and as a constant the compiler
	 * rebuilds it with three instructions per element.
	 */
	__asm__("" : "+r"(step));
#endif
	for (uint16_t j = 0; j < n; j++, weyl += step) {
		/* outer (a constant at each call site): the row is e * x, formed here. */
		int32_t d = outer ? e * x[j] : g[j];

		/* s >= 1 keeps |d| <= 2^30, and unshifted rows are e * x, |e x| <= 2^14, so the
		 * sums below cannot wrap; they saturate to the same stored values as with
		 * tintin_param_apply's clamp of d to +-65535.
		 */
		if (d != 0) {
			if (shifted) {
				const uint32_t r = tintin_prng_mix(weyl);

				d = tintin_sto_floor_in(d, s,
							outer ? tintin_grid_draw(rowr, r) : r);
			}
			d = tintin_update_clamp(d, dmax, &dclip);
		}
		if (has_mom) {
			int32_t v = mom[j];

			if ((v | d) == 0) {
				continue;
			}
			v = v - tintin_decay_shift(v, mshift) + d;
			d = (v > 32767) ? 32767 : ((v < -32767) ? -32767 : v);
			mom[j] = (int16_t)d;
		}
		if (d == 0) {
			continue;
		}
		if (dtype == TINTIN_DTYPE_S16P) {
			tintin_planes_store(high, data, j, tintin_planes_load(high, data, j) - d,
					    &clipped);
		} else {
			tintin_param_store(data, dtype, j, data[j] - d, &clipped);
		}
	}
	*sat += clipped;
	if (dclip != 0u && cp->clips != NULL) {
		*cp->clips += dclip;
	}
}

#define TINTIN_STO_LOOP tintin_sto_loop
#else
/*
 * tintin_sto_loop without branches (TINTIN_VECTOR_LOOPS), for a compiler to vectorise: every
 * element draws its number and goes through the update. An element the branching loop skips
 * ends the same: a zero gradient rounds to 0 and clamps to nothing, a zero velocity stays 0,
 * and a step d = 0 leaves the parameter as it was (the store and its clip count are masked by
 * d != 0, so a table weight of -128 stays -128 as there).
 */
static TINTIN_ALWAYS_INLINE void
tintin_sto_loop_vec(const struct tintin_sgd_rows *cp, uint8_t dtype, int has_mom, int outer,
		    int shifted, uint32_t off, uint32_t idx, uint32_t rowr, const int32_t *g,
		    const int8_t *x, int32_t e, uint16_t n, uint32_t *sat)
{
	const int s = cp->s;
	int8_t *const data = (int8_t *)cp->data + off;
	int8_t *const high = (dtype == TINTIN_DTYPE_S16P) ? cp->high + off : NULL;
	int16_t *const mom = has_mom ? (int16_t *)cp->mom + off : NULL;
	const int mshift = cp->mshift;
	const uint32_t mround = (1u << mshift) - 1u;
	const int32_t dmax = cp->dmax;
	const int32_t lim = (dtype == TINTIN_DTYPE_S16P) ? TINTIN_S16P_MAX : 127;
	const uint32_t weyl0 = (cp->counter + idx) * TINTIN_PRNG_STEP + cp->key;
	uint32_t clipped = 0u;
	uint32_t dclip = 0u;

	for (uint32_t j = 0; j < n; j++) {
		int32_t d = outer ? e * x[j] : g[j];
		int32_t w;
		int32_t nw;

		if (shifted) {
			const uint32_t r = tintin_prng_mix(weyl0 + j * TINTIN_PRNG_STEP);

			d = tintin_sto_floor_in(d, s, outer ? tintin_grid_draw(rowr, r) : r);
		}
		dclip += (uint32_t)(d > dmax) + (uint32_t)(d < -dmax);
		d = (d > dmax) ? dmax : ((d < -dmax) ? -dmax : d);
		if (has_mom) {
			const int32_t v = mom[j];
			const uint32_t a = tintin_abs32(v);
			const int32_t dec = (int32_t)((a + mround) >> mshift);
			int32_t nv = v - ((v < 0) ? -dec : dec) + d;

			nv = (nv > 32767) ? 32767 : ((nv < -32767) ? -32767 : nv);
			mom[j] = (int16_t)nv;
			d = nv;
		}
		if (dtype == TINTIN_DTYPE_S16P) {
			w = (int32_t)high[j] * 256 + data[j];
		} else {
			w = data[j];
		}
		nw = w - d;
		/* Counted and clamped apart: a count selected by the clamp does not vectorise. */
		clipped += (uint32_t)(d != 0) & ((uint32_t)(nw > lim) | (uint32_t)(nw < -lim));
		nw = (d == 0) ? w : ((nw > lim) ? lim : ((nw < -lim) ? -lim : nw));
		if (dtype == TINTIN_DTYPE_S16P) {
			const int32_t h = (int32_t)((uint32_t)(nw + 128 + 32768) >> 8) - 128;

			/* d = 0 gives back the planes as stored (the split is unique). */
			high[j] = (int8_t)h;
			data[j] = (int8_t)(nw - h * 256);
		} else {
			data[j] = (int8_t)nw;
		}
	}
	*sat += clipped;
	if (dclip != 0u && cp->clips != NULL) {
		*cp->clips += dclip;
	}
}

#define TINTIN_STO_LOOP tintin_sto_loop_vec
#endif

void tintin_sgd_rows_init(struct tintin_sgd_rows *u, const struct tintin_optim_cfg *cfg,
			  const struct tintin_param *p, int e_g, const struct tintin_prng *r,
			  uint16_t row)
{
	const int s = p->exp + cfg->lr_shift - e_g;
	const uint8_t dtype = tintin_build_dtype(p->dtype);
	void *mom = tintin_build_mom(p->mom);

	*u = (struct tintin_sgd_rows){
		.data = p->data,
		.mom = mom,
		.high = p->high,
		.key = r->key,
		.counter = r->counter,
		.s = s,
		/* One step moves a parameter by at most TINTIN_UPDATE_LIMIT int8 LSBs of its layer:
		 * masters and biases carry TINTIN_BIAS_EXTRA_BITS more fractional bits.
		 */
		.dmax = (dtype == TINTIN_DTYPE_S8)
				? TINTIN_UPDATE_LIMIT
				: (int32_t)TINTIN_UPDATE_LIMIT << TINTIN_BIAS_EXTRA_BITS,
		.clips = NULL,
		.dtype = dtype,
		.lr_mult = cfg->lr_mult,
		.mshift = cfg->momentum_shift,
		.stochastic = (cfg->rounding == TINTIN_ROUND_STOCHASTIC) ? 1u : 0u,
		.preset = TINTIN_SGD_GENERAL,
		.row = row,
	};
	/* The preset optimizers' settings get loops with every per-row decision taken: lr_mult 1
	 * and stochastic rounding, or no shift at all (int16 masters without momentum only).
	 */
	if (u->lr_mult != 1u || s < 0 || s >= 32 || (s > 0 && !u->stochastic)) {
		return;
	}
	if (dtype == TINTIN_DTYPE_S16P && mom == NULL) {
		u->preset = TINTIN_SGD_S16P;
	} else if (s == 0) {
		return;
	} else if (dtype == TINTIN_DTYPE_S16P) {
		u->preset = TINTIN_SGD_S16P_MOM;
	} else if (dtype == TINTIN_DTYPE_S8 && mom == NULL) {
		u->preset = TINTIN_SGD_S8;
	}
}

/* Row o's draw at batch 1: every element of a dense row combines it with its column's draw. */
static inline uint32_t tintin_row_draw(const struct tintin_sgd_rows *u, uint16_t o)
{
	return tintin_prng_draw(u->key, u->counter + TINTIN_PRNG_ROWS + o);
}

/*
 * The preset optimizers' loop for u over the gradient row g (elements off onwards, each drawing
 * its own number), or 0 when u needs another.
 */
static int tintin_sto_row(const struct tintin_sgd_rows *u, uint32_t off, const int32_t *g,
			  uint16_t n, uint32_t *sat)
{
	if (u->s == 0) {
		return 0;
	}
	switch (u->preset) {
#if TINTIN_UPSCALE_ENABLED
#if TINTIN_MOMENTUM_ENABLED
	case TINTIN_SGD_S16P_MOM:
		TINTIN_STO_LOOP(u, TINTIN_DTYPE_S16P, 1, 0, 1, off, off, 0u, g, NULL, 0, n, sat);
		return 1;
#endif
	case TINTIN_SGD_S16P:
		TINTIN_STO_LOOP(u, TINTIN_DTYPE_S16P, 0, 0, 1, off, off, 0u, g, NULL, 0, n, sat);
		return 1;
#endif
	case TINTIN_SGD_S8:
		TINTIN_STO_LOOP(u, TINTIN_DTYPE_S8, 0, 0, 1, off, off, 0u, g, NULL, 0, n, sat);
		return 1;
	default:
		return 0;
	}
}

/*
 * The same for the row e * x, formed as it goes (batch 1), for int16 masters. The compact
 * preset, which trains one sample at a time (README), also gets a loop for unshifted rows,
 * where a layer with s = 0 spends most of its step; momentum rows with s = 0 take the general
 * path. The default optimizer's int8 rows go by column passes (tintin_outer_passes), or for
 * s = 31 through the general path: no loop of their own here.
 */
static int tintin_sto_outer_row(const struct tintin_sgd_rows *u, uint32_t off, uint32_t rowr,
				int32_t e, const int8_t *x, uint16_t n, uint32_t *sat)
{
	switch (u->preset) {
#if TINTIN_UPSCALE_ENABLED
#if TINTIN_MOMENTUM_ENABLED
	case TINTIN_SGD_S16P_MOM:
		TINTIN_STO_LOOP(u, TINTIN_DTYPE_S16P, 1, 1, 1, off, 0, rowr, NULL, x, e, n, sat);
		return 1;
#endif
	case TINTIN_SGD_S16P:
		if (u->s > 0) {
			TINTIN_STO_LOOP(u, TINTIN_DTYPE_S16P, 0, 1, 1, off, 0, rowr, NULL, x, e, n,
					sat);
		} else {
			TINTIN_STO_LOOP(u, TINTIN_DTYPE_S16P, 0, 1, 0, off, 0, rowr, NULL, x, e, n,
					sat);
		}
		return 1;
#endif
	default:
		(void)u;
		(void)off;
		(void)rowr;
		(void)e;
		(void)x;
		(void)n;
		(void)sat;
		return 0;
	}
}

/* Gradient elements per pass of tintin_sgd_outer_row()'s general path: 64 bytes of stack. */
#define TINTIN_SGD_OUTER_CHUNK 16u

/* Elements off onwards, with tintin_aligned_loop's draws idx onwards (rowr, grid). */
static void tintin_general_row(const struct tintin_sgd_rows *u, uint32_t off, uint32_t idx,
			       uint32_t rowr, int grid, const int32_t *g, uint16_t n, uint32_t *sat)
{
	/* Without CONFIG_TINTIN_OPTIM_UPSCALE no model has int16 parameters (tintin_model_init
	 * refuses them): only int8 weights and int32 biases have a loop.
	 */
	switch (u->dtype) {
	case TINTIN_DTYPE_S8:
		tintin_aligned_loop(u, TINTIN_DTYPE_S8, off, idx, rowr, grid, g, n, sat);
		break;
#if TINTIN_UPSCALE_ENABLED
	case TINTIN_DTYPE_S16:
		tintin_aligned_loop(u, TINTIN_DTYPE_S16, off, idx, rowr, grid, g, n, sat);
		break;
	case TINTIN_DTYPE_S16P:
		tintin_aligned_loop(u, TINTIN_DTYPE_S16P, off, idx, rowr, grid, g, n, sat);
		break;
#endif
	default:
		tintin_aligned_loop(u, TINTIN_DTYPE_S32, off, idx, rowr, grid, g, n, sat);
		break;
	}
}

/* Elements off onwards, element k drawing number k of the update. */
static void tintin_row_at(const struct tintin_sgd_rows *u, uint32_t off, const int32_t *g,
			  uint16_t n, uint32_t *sat)
{
	if (!tintin_sto_row(u, off, g, n, sat)) {
		tintin_general_row(u, off, off, 0u, 0, g, n, sat);
	}
}

void tintin_sgd_row(const struct tintin_sgd_rows *u, uint16_t o, uint16_t c0, const int32_t *g,
		    uint16_t n, uint32_t *sat)
{
	tintin_row_at(u, (uint32_t)o * u->row + c0, g, n, sat);
}

/* tintin_sgd_outer_row(), inlined into the layer loop where it is called per unit. */
static TINTIN_ALWAYS_INLINE void tintin_outer_row(const struct tintin_sgd_rows *u, uint16_t o,
						  int32_t e, const int8_t *x, uint16_t n,
						  uint32_t *sat)
{
	const uint32_t off = (uint32_t)o * u->row;
	const uint32_t rowr = tintin_row_draw(u, o);
	int32_t g[TINTIN_SGD_OUTER_CHUNK];
	uint16_t c;

	if (tintin_sto_outer_row(u, off, rowr, e, x, n, sat)) {
		return;
	}
	/* Other settings take the row through the general loop a few elements at a time, so
	 * that no arena scratch is needed; column j draws its number whatever the chunk.
	 */
	for (uint16_t j = 0; j < n; j = (uint16_t)(j + c)) {
		c = (uint16_t)(n - j);
		c = (c > TINTIN_SGD_OUTER_CHUNK) ? TINTIN_SGD_OUTER_CHUNK : c;
		tintin_scale_s8(e, x + j, g, c);
		tintin_general_row(u, off + j, j, rowr, 1, g, c, sat);
	}
}

void tintin_sgd_outer_row(const struct tintin_sgd_rows *u, uint16_t o, int32_t e, const int8_t *x,
			  uint16_t n, uint32_t *sat)
{
	tintin_outer_row(u, o, e, x, n, sat);
}

/* Columns per pass of tintin_outer_passes(): 64 words of stack. */
#define TINTIN_SGD_OUTER_COLS    64u
/* A pass sorts its columns by the top 4 bits of their draw, inverted for x < 0: 16 buckets. */
#define TINTIN_SGD_OUTER_BITS    4
#define TINTIN_SGD_OUTER_BUCKETS (1u << TINTIN_SGD_OUTER_BITS)

/*
 * A pass: its nonzero columns sorted into buckets, bucket b ending at col[end[b] - 1]. A
 * column is one word: its draw's top 16 bits (TINTIN_PRNG_COL_MASK), its index in the pass
 * (bits 8 to 15) and its input (bits 0 to 7).
 */
struct tintin_outer_pass {
	uint32_t col[TINTIN_SGD_OUTER_COLS];
	uint8_t end[TINTIN_SGD_OUTER_BUCKETS];
	uint32_t xmax; /**< largest |x| of the pass */
};

/* One unit's update over a pass: what the scan over its columns needs, and its counts. */
struct tintin_outer_unit {
	int8_t *w;    /**< the unit's weight (int16 masters: low byte) of the pass's column 0 */
	int8_t *high; /**< int16 masters: the high byte of the same, else NULL */
	int32_t e;    /**< the unit's error */
	uint32_t rr;  /**< the unit's row draw */
	int32_t s;
	int32_t dmax;
	uint32_t sat;   /**< weights saturated at +-127 (masters: +-TINTIN_S16P_MAX) */
	uint32_t dclip; /**< updates clamped to dmax */
};

/*
 * The weight of column word of row w (and high, for int16 masters) moves by d (nonzero):
 * clamp, saturate, count.
 */
static inline void tintin_outer_move(int8_t *w, int8_t *high, uint32_t word, int32_t d,
				     int32_t dmax, uint32_t *sat, uint32_t *dclip)
{
	const uint32_t j = (word >> 8) & 0xffu;

	d = tintin_update_clamp(d, dmax, dclip);
#if TINTIN_UPSCALE_ENABLED
	if (high != NULL) {
		tintin_planes_store(high, w, j, tintin_planes_load(high, w, j) - d, sat);
		return;
	}
#else
	(void)high;
#endif
	tintin_param_store(w, TINTIN_DTYPE_S8, j, w[j] - d, sat);
}

#if TINTIN_MUL_IN_REG
/*
 * The scan on Armv6-M, from label 1: d = floor((e x + U) / 2^s) for the column word at c, U =
 * tintin_grid_draw(rr, word) >> (32 - s); a column that moves (d != 0) branches to label 2 with
 * c at it, and the loop falls through at c == end with d = 0.
 */
#define TINTIN_SCAN_ASM                                                                            \
	"1:\n\t"                                                                                   \
	"ldr %[w], [%[c]]\n\t"                                                                     \
	"sxtb %[d], %[w]\n\t"                                                                      \
	"muls %[d], %[e], %[d]\n\t"                                                                \
	"lsrs %[w], %[w], #16\n\t"                                                                 \
	"lsls %[m], %[w], #21\n\t"                                                                 \
	"lsls %[w], %[w], #16\n\t"                                                                 \
	"muls %[m], %[rr], %[m]\n\t"                                                               \
	"lsrs %[m], %[m], #4\n\t"                                                                  \
	"eors %[w], %[w], %[m]\n\t"                                                                \
	"eors %[w], %[w], %[rr]\n\t"                                                               \
	"lsrs %[m], %[sl], #8\n\t"                                                                 \
	"lsrs %[w], %[w], %[m]\n\t"                                                                \
	"adds %[d], %[d], %[w]\n\t"                                                                \
	"asrs %[d], %[d], %[sl]\n\t"                                                               \
	"bne 2f\n\t"                                                                               \
	"adds %[c], %[c], #4\n\t"                                                                  \
	"cmp %[c], %[end]\n\t"                                                                     \
	"bne 1b\n\t"
#endif

/*
 * The unit's weights of the k columns from c: d = floor((e x + U) / 2^s) with U =
 * tintin_grid_draw(rr, column draw) >> (32 - s) < 2^s <= 2^30, and most d are 0. Not inlined: one
 * loop with its values in registers, whatever the caller keeps live.
 */
static TINTIN_ALWAYS_INLINE void tintin_outer_scan_as(struct tintin_outer_unit *t,
						      const uint32_t *c, uint32_t k, int planes)
{
	const uint32_t *const end = c + k;
	int8_t *const w = t->w;
	int8_t *const high = planes ? t->high : NULL; /* a constant NULL for int8 weights */
	const int32_t e = t->e;
	const uint32_t rr = t->rr;
	const int s = t->s;
	const int ls = 32 - s;
	const int32_t dmax = t->dmax;
	uint32_t sat = 0u;
	uint32_t dclip = 0u;

#if TINTIN_MUL_IN_REG
	/*
	 * Armv6-M: GCC spills this loop out of the eight low registers. By hand it is 18
	 * instructions a column: the floor is an arithmetic shift whose flags say d = 0
	 * (|e x| <= 2^14, so e x + U cannot wrap). It stops at a column that moves. sl holds
	 * s in its low byte, which is all a shift by register reads, and 32 - s in the next.
	 */
	const uint32_t sl = (uint32_t)s | ((uint32_t)ls << 8);

	while (c != end) {
		uint32_t word;
		uint32_t mix;
		int32_t d;

		/* GCC passes Thumb-1 inline assembly in divided syntax, and restores its own. */
		if (!planes) {
			/*
			 * int8 weights: a step of +-1 that leaves the weight in [-127, 127] is
			 * stored here (16 more instructions), so the loop goes on without a return
			 * to C; any other step stops at its column with d != 0, and the end with
			 * d = 0.
			 */
			__asm__ volatile(
				".syntax unified\n\t" TINTIN_SCAN_ASM "b 3f\n\t"
				"2:\n\t"
				"adds %[w], %[d], #1\n\t"
				"cmp %[w], #2\n\t"
				"bhi 3f\n\t"
				"ldr %[w], [%[c]]\n\t"
				"lsrs %[w], %[w], #8\n\t"
				"uxtb %[w], %[w]\n\t"
				"ldr %[m], %[wb]\n\t"
				"adds %[m], %[m], %[w]\n\t"
				"ldrb %[w], [%[m]]\n\t"
				"sxtb %[w], %[w]\n\t"
				"subs %[w], %[w], %[d]\n\t"
				"adds %[w], %[w], #127\n\t"
				"cmp %[w], #254\n\t"
				"bhi 3f\n\t"
				"subs %[w], %[w], #127\n\t"
				"strb %[w], [%[m]]\n\t"
				"adds %[c], %[c], #4\n\t"
				"cmp %[c], %[end]\n\t"
				"bne 1b\n\t"
				"movs %[d], #0\n\t"
				"3:\n\t"
				: [c] "+l"(c), [w] "=&l"(word), [d] "=&l"(d), [m] "=&l"(mix)
				:
				[e] "l"(e), [rr] "l"(rr), [sl] "l"(sl), [end] "h"(end), [wb] "m"(w)
				: "cc", "memory");
			if (d == 0) {
				break;
			}
		} else {
			__asm__ volatile(
				".syntax unified\n\t" TINTIN_SCAN_ASM "2:\n\t"
				: [c] "+l"(c), [w] "=&l"(word), [d] "=&l"(d), [m] "=&l"(mix)
				: [e] "l"(e), [rr] "l"(rr), [sl] "l"(sl), [end] "h"(end)
				: "cc", "memory");
			if (c == end) {
				break;
			}
		}
		tintin_outer_move(w, high, *c, d, dmax, &sat, &dclip);
		c++;
	}
#else
	/* e x + U + 2^30 is positive and below 2^32: the floor is an unsigned shift minus
	 * kq = 2^(30 - s).
	 */
	const uint32_t kq = (1u << 30) >> s;

	for (; c != end; c++) {
		const uint32_t word = *c;
		const uint32_t u = tintin_grid_draw(rr, word) >> ls;
		/* The low byte as int8, without an implementation-defined conversion. */
		const int32_t x = (int32_t)((word & 0xffu) ^ 0x80u) - 128;
		const int32_t d =
			(int32_t)(((uint32_t)(e * x) + u + (1u << 30)) >> s) - (int32_t)kq;

		if (d != 0) {
			tintin_outer_move(w, high, word, d, dmax, &sat, &dclip);
		}
	}
#endif
	t->sat += sat;
	t->dclip += dclip;
}

/* The scan for int8 weights and, apart, for int16 masters: each loop compiles for one. */
static TINTIN_NOINLINE void tintin_outer_scan_s8(struct tintin_outer_unit *t, const uint32_t *c,
						 uint32_t k)
{
	tintin_outer_scan_as(t, c, k, 0);
}

#if TINTIN_UPSCALE_ENABLED
static TINTIN_NOINLINE void tintin_outer_scan_s16p(struct tintin_outer_unit *t, const uint32_t *c,
						   uint32_t k)
{
	tintin_outer_scan_as(t, c, k, 1);
}
#endif

/*
 * The bucket of a column's word: its draw's top bits, inverted for x < 0 (bit 7). Then the
 * columns whose weight can move in a unit are one run of buckets, for either sign of x.
 */
static inline uint32_t tintin_outer_word_bucket(uint32_t word)
{
	return (((word & 0x80u) != 0u) ? ~word : word) >> (32 - TINTIN_SGD_OUTER_BITS);
}

/*
 * Gather columns c0 to c0 + n - 1 into pass p, sorted by bucket: each nonzero column's word
 * is made once, then placed by a counting sort; the number of nonzero columns.
 */
static uint16_t tintin_outer_gather(const struct tintin_sgd_rows *u, const int8_t *x, uint16_t c0,
				    uint16_t n, struct tintin_outer_pass *p)
{
	uint32_t words[TINTIN_SGD_OUTER_COLS];
	uint8_t next[TINTIN_SGD_OUTER_BUCKETS];
	uint32_t weyl = (u->counter + c0) * TINTIN_PRNG_STEP + u->key;
	uint32_t step = TINTIN_PRNG_STEP;
	uint32_t xmax = 0u;
	uint32_t k = 0u;
	uint8_t at = 0;

#if defined(__GNUC__) || defined(__clang__)
	__asm__("" : "+r"(step)); /* as in tintin_sto_loop */
#endif
	for (uint32_t b = 0; b < TINTIN_SGD_OUTER_BUCKETS; b++) {
		p->end[b] = 0;
	}
	for (uint32_t j = 0; j < n; j++, weyl += step) {
		const int8_t xv = x[c0 + j];

		if (xv != 0) {
			const uint32_t a = tintin_abs32(xv);
			const uint32_t word = (tintin_prng_mix(weyl) & TINTIN_PRNG_COL_MASK) |
					      (j << 8) | (uint8_t)xv;

			words[k++] = word;
			p->end[tintin_outer_word_bucket(word)]++;
			xmax = (a > xmax) ? a : xmax;
		}
	}
	for (uint32_t b = 0; b < TINTIN_SGD_OUTER_BUCKETS; b++) {
		next[b] = at;
		at = (uint8_t)(at + p->end[b]);
		p->end[b] = at;
	}
	for (uint32_t m = 0; m < k; m++) {
		p->col[next[tintin_outer_word_bucket(words[m])]++] = words[m];
	}
	p->xmax = xmax;
	return (uint16_t)k;
}

/*
 * The default optimizer's dense update at batch 1 (int8 weights, stochastic, 1 <= s <= 30):
 * the same integers as unit after unit through tintin_sto_loop, by columns. A pass gathers
 * its nonzero inputs with their column draws once, sorted by the top bits of the draw; a unit
 * with an error then visits only the columns whose weight can move, at a few instructions
 * each. Zero inputs and units without error move nothing, and the draws are
 * counter-based, so skipping them keeps the stream.
 *
 * Which columns can move: with |e x| < 2^(s - b) over the pass, a positive e x rounds up only
 * when U >= 2^s - 2^(s - b), the top b bits of U all ones, and a negative one rounds down only
 * when U < 2^(s - b), those bits all zeros. U's top 4 bits are the row draw's xor the column
 * draw's (tintin_grid_draw), so with x < 0's bits inverted in the bucket one run of buckets holds
 * every column that can move: 2^-b of the pass (docs/numerics.md).
 */
static TINTIN_NOINLINE void tintin_outer_passes(const struct tintin_sgd_rows *u, const int8_t *err,
						const int8_t *x, uint16_t rows, uint16_t in,
						uint32_t *sat)
{
	struct tintin_outer_pass pass;
	const int s = u->s;
	struct tintin_outer_unit t = {.s = s, .dmax = u->dmax};
#if TINTIN_UPSCALE_ENABLED
	void (*const scan)(struct tintin_outer_unit *, const uint32_t *, uint32_t) =
		(u->high != NULL) ? tintin_outer_scan_s16p : tintin_outer_scan_s8;
#else
	void (*const scan)(struct tintin_outer_unit *, const uint32_t *, uint32_t) =
		tintin_outer_scan_s8;
#endif

	/* A 32-bit column index: a uint16_t one wraps past 65,535 and never ends (the table
	 * fuzzer found it with a layer of 65,535 inputs).
	 */
	for (uint32_t c0 = 0; c0 < in; c0 += TINTIN_SGD_OUTER_COLS) {
		const uint32_t left = (uint32_t)in - c0;
		const uint16_t n =
			(uint16_t)((left > TINTIN_SGD_OUTER_COLS) ? TINTIN_SGD_OUTER_COLS : left);
		const uint16_t k = tintin_outer_gather(u, x, (uint16_t)c0, n, &pass);

		if (k == 0u) {
			continue;
		}
		for (uint16_t o = 0; o < rows; o++) {
			const int32_t e = err[o];
			uint32_t maxv;
			int b = 0;

			if (e == 0) {
				continue;
			}
			t.rr = tintin_row_draw(u, o);
			t.w = (int8_t *)u->data + (uint32_t)o * in + c0;
			t.high = (u->high != NULL) ? u->high + (uint32_t)o * in + c0 : NULL;
			t.e = e;
			/* The largest b <= 4 with |e x| < 2^(s - b) over the pass (maxv >= 1, so
			 * the shift reaches 0 only to stop).
			 */
			maxv = tintin_abs32(e) * pass.xmax;
			while (b < TINTIN_SGD_OUTER_BITS && (maxv >> (s - 1 - b)) == 0u) {
				b++;
			}
			if (b == 0) {
				scan(&t, pass.col, k);
			} else {
				/* e x > 0 needs U's top b bits all ones, so a column's top bits
				 * ~pat (x > 0) or pat (x < 0); e x < 0 needs them all zeros: pat (x
				 * > 0) or ~pat (x < 0). With x < 0's bits inverted in the bucket,
				 * that is the run of buckets whose top b bits are q.
				 */
				const uint32_t q = ((e > 0) ? ~t.rr : t.rr) >> (32 - b);
				const uint32_t width = 1u << (TINTIN_SGD_OUTER_BITS - b);
				const uint32_t lo = q * width;
				const uint8_t first = (lo == 0u) ? 0u : pass.end[lo - 1u];

				scan(&t, &pass.col[first],
				     (uint32_t)pass.end[lo + width - 1u] - first);
			}
		}
	}
	*sat += t.sat;
	if (t.dclip != 0u && u->clips != NULL) {
		*u->clips += t.dclip;
	}
}

/* Unit after unit (the other settings), apart so its row buffer is no frame of the passes. */
static TINTIN_NOINLINE void tintin_outer_units(const struct tintin_sgd_rows *u, const int8_t *err,
					       const int8_t *x, uint16_t rows, uint16_t in,
					       uint32_t *sat)
{
	for (uint16_t o = 0; o < rows; o++) {
		/* Without momentum a unit without error moves nothing (the draws are
		 * counter-based, so skipping keeps the stream).
		 */
		if (err[o] != 0 || tintin_build_mom(u->mom) != NULL) {
			tintin_outer_row(u, o, err[o], x, in, sat);
		}
	}
}

void tintin_sgd_outer_rows(const struct tintin_sgd_rows *u, const int8_t *err, const int8_t *x,
			   uint16_t rows, uint16_t in, uint32_t *sat)
{
	/* The default's int8 weights, and the compact preset's int16 masters in layers of 8
	 * inputs and 8 units or more: on masters nearly every weight moves, so the passes gain
	 * only the per-weight draw, which a smaller layer does not repay (the env sample's 4-16-2
	 * network steps 14% slower by passes on the M3). Not momentum, whose every unit moves.
	 * s >= 1 is the presets', s <= 30 keeps e x + U in range.
	 */
	const int masters =
		TINTIN_UPSCALE_ENABLED && u->preset == TINTIN_SGD_S16P && rows >= 8u && in >= 8u;

	if ((u->preset == TINTIN_SGD_S8 || masters) && u->s >= 1 && u->s <= 30 && u->row == in) {
		tintin_outer_passes(u, err, x, rows, in, sat);
	} else {
		tintin_outer_units(u, err, x, rows, in, sat);
	}
}

void tintin_sgd_aligned_row(const struct tintin_optim_cfg *cfg, const struct tintin_param *p,
			    uint32_t off, const int32_t *g, uint16_t n, int e_g,
			    const struct tintin_prng *r, uint32_t *sat)
{
	struct tintin_sgd_rows u;

	tintin_sgd_rows_init(&u, cfg, p, e_g, r, n);
	tintin_row_at(&u, off, g, n, sat);
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
	static const struct tintin_prng unused;
	struct tintin_sgd_rows u;
	uint32_t clipped = 0u;

	/* Only the storage and momentum fields matter here. */
	tintin_sgd_rows_init(&u, cfg, p, 0, &unused, n);

	/* A copy whose address never leaves this function stays in registers; u's fields would
	 * be reloaded after every store through an int8 pointer.
	 */
	const struct tintin_sgd_rows c = u;

	for (uint16_t j = 0; j < n; j++) {
		int32_t d = (shift < 1) ? g[j] : tintin_psto_shift(g[j], shift);

		tintin_param_apply(&c, c.dtype, off + j, d, &clipped);
	}
	*sat += clipped;
}
