/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Integer SGD: gradient-aligned updates (default) and the NITI mu-bit rule.
 *
 * Gradients arrive one row at a time (an output neuron's weights) so that no whole-layer
 * gradient buffer is ever needed.
 *
 * @defgroup tintin_optim Optimizer
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_OPTIM_H_
#define TINTIN_OPTIM_H_

#include <stdint.h>

#include <tintin/fixedpoint.h>
#include <tintin/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A trainable parameter array: storage, optional momentum, LSB exponent. For
 * TINTIN_DTYPE_S16P, data is the low-byte plane, high the high-byte plane and the momentum is
 * int16; otherwise the momentum has the data's type and high is unused.
 */
struct tintin_param {
	void *data;
	void *mom;
	int8_t *high;  /**< TINTIN_DTYPE_S16P: high bytes (the int8 weights), else NULL */
	uint8_t dtype; /**< enum tintin_dtype */
	int8_t exp;    /**< real value of one LSB is 2^exp */
};

/**
 * @brief Gradient-aligned update of elements [off, off + n) from a gradient row.
 *
 * The gradient g (exponent e_g) is multiplied by the learning rate 2^-lr_shift * lr_mult and
 * shifted onto the parameter's grid: s = exp + lr_shift - e_g. For s > 0 the shift rounds
 * stochastically or pseudo-stochastically, so sub-LSB updates survive in expectation; for
 * s <= 0 it is a saturating left shift. Then optional momentum, then a saturating subtract.
 * Element off + j rounds with draw off + j of r, its own number.
 *
 * @param[in] g  int32 gradient [n]
 * @param[in,out] sat  incremented per saturated element
 */
void tintin_sgd_aligned_row(const struct tintin_optim_cfg *cfg, const struct tintin_param *p,
			    uint32_t off, const int32_t *g, uint16_t n, int e_g,
			    const struct tintin_prng *r, uint32_t *sat);

/** Which loop a prepared update runs (tintin_sgd_rows_init() decides). */
enum tintin_sgd_preset {
	TINTIN_SGD_GENERAL = 0, /**< any setting: tintin_sgd_aligned_row()'s full rule */
	TINTIN_SGD_S16P_MOM,    /**< lr_mult 1, stochastic 0 < s < 32: int16 planes, momentum */
	/** the same without momentum, and s = 0 for e * x rows */
	TINTIN_SGD_S16P,
	TINTIN_SGD_S8, /**< lr_mult 1, stochastic 0 < s < 32: int8 weights, no momentum */
};

/**
 * One parameter's aligned update for one step, prepared once and then applied row by row,
 * so a row costs only its loop. Copied out of the config and the parameter because the
 * stores go through int8 pointers, which may alias anything: the compiler would otherwise
 * reload every field for every element.
 *
 * The parameter is [rows, row] (a bias is one row). Stochastic rounding of element (o, c)
 * uses draw counter + o * row + c, its own number (tintin_sgd_row()), except in a dense
 * layer's update at batch 1 (tintin_sgd_outer_row(), tintin_sgd_outer_rows()), where it uses
 * tintin_grid_draw() of draw counter + TINTIN_PRNG_ROWS + o and draw counter + c: that update
 * computes each column's number once for all its units instead of one per weight.
 */
struct tintin_sgd_rows {
	/* Bytes first: Thumb's short load forms reach byte offsets up to 31 only. */
	uint8_t dtype;
	uint8_t lr_mult;
	uint8_t mshift;
	uint8_t stochastic;
	uint8_t preset; /**< enum tintin_sgd_preset */
	uint16_t row;   /**< elements per row */
	void *data;
	void *mom;
	int8_t *high;
	uint32_t key;     /**< PRNG key */
	uint32_t counter; /**< draw index of element 0 */
	int32_t s;        /**< gradient-to-parameter shift */
	int32_t dmax;     /**< largest update magnitude, in the parameter's LSBs */
	uint32_t *clips;  /**< counts updates clamped to dmax, or NULL */
};

/**
 * @brief Prepare tintin_sgd_aligned_row()'s update of p for gradients of exponent e_g. The
 * draws are numbered from r's counter as it is now: apply the rows before advancing r.
 */
void tintin_sgd_rows_init(struct tintin_sgd_rows *u, const struct tintin_optim_cfg *cfg,
			  const struct tintin_param *p, int e_g, const struct tintin_prng *r,
			  uint16_t row);

/**
 * @brief tintin_sgd_aligned_row() with a prepared update, of columns c0 to c0 + n - 1 of
 * row o (elements o * row + c0 onwards).
 */
void tintin_sgd_row(const struct tintin_sgd_rows *u, uint16_t o, uint16_t c0, const int32_t *g,
		    uint16_t n, uint32_t *sat);

/**
 * @brief The update of row o, columns 0 to n - 1, for the gradient g[j] = e * x[j]: one
 * sample's error times its inputs, a dense unit's whole gradient when only that sample has an
 * error for it. Element (o, j) rounds with tintin_grid_draw() of row draw o and column draw j
 * (struct tintin_sgd_rows), not with its own number as in tintin_sgd_row().
 *
 * The row is never written out: the preset loops form the products as they go, and other
 * settings pass them to the general loop 16 at a time in a 64-byte stack buffer. So a dense
 * layer trained at batch 1 needs no gradient row in the arena.
 */
void tintin_sgd_outer_row(const struct tintin_sgd_rows *u, uint16_t o, int32_t e, const int8_t *x,
			  uint16_t n, uint32_t *sat);

/**
 * @brief A dense layer's weight update at batch 1: unit o's row (elements o * in to
 * o * in + in - 1) is tintin_sgd_outer_row() of err[o] and the layer's input x.
 *
 * With the default optimizer's settings the layer goes 64 columns at a time: the nonzero
 * inputs and their column draws are gathered once, sorted by the draws' top bits (about 550
 * bytes of stack), and every unit with an error visits only the columns whose weight can move,
 * at a multiply, an add and a shift each (docs/numerics.md).
 */
void tintin_sgd_outer_rows(const struct tintin_sgd_rows *u, const int8_t *err, const int8_t *x,
			   uint16_t rows, uint16_t in, uint32_t *sat);

/**
 * @brief NITI update of elements [off, off + n): delta = g / 2^shift (pseudo-stochastic),
 * where shift = bits(max |G|) - mu over the whole layer gradient, so |delta| <= 2^mu LSB.
 * Pass mu + 8 for int16 master weights and int32 biases (8 more fractional bits).
 */
void tintin_sgd_niti_row(const struct tintin_optim_cfg *cfg, const struct tintin_param *p,
			 uint32_t off, const int32_t *g, uint16_t n, int shift, uint32_t *sat);

/**
 * @brief Halve n parameters and their momentum (round half away from zero): with the
 * exponent raised by one they stand for the same reals with one more bit of headroom.
 */
void tintin_param_halve(const struct tintin_param *p, uint32_t n);

/**
 * @brief Whether n parameters and their momentum all fit their type when doubled (every
 * magnitude at most half the type's limit), so tintin_param_double() is exact.
 */
int tintin_param_fits_doubled(const struct tintin_param *p, uint32_t n);

/**
 * @brief Double n parameters and their momentum (exact when tintin_param_fits_doubled()):
 * with the exponent lowered by one they stand for the same reals on a grid twice as fine.
 */
void tintin_param_double(const struct tintin_param *p, uint32_t n);

/** @brief NITI shift for a gradient whose largest magnitude is maxabs, or -1 for no update. */
int tintin_sgd_niti_shift(uint32_t maxabs, int mu);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_OPTIM_H_ */
