/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Integer rescaling primitives: range estimate, rounding shifts, saturation, PRNG.
 *
 * All shifts act on the magnitude and restore the sign, so negative values round exactly
 * like positive ones and no divide instruction is needed. A shift s >= 32 yields 0.
 *
 * @defgroup tintin_fixedpoint Fixed-point primitives
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_FIXEDPOINT_H_
#define TINTIN_FIXEDPOINT_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Counter-based PRNG: draw k of a stream is a hash of (key, counter + k).
 *
 * Being counter-based, a draw depends only on its index, so the C runtime may skip draws
 * (zero gradients) and the NumPy reference can draw whole tensors at once, and both stay
 * bit-exact. Only 32-bit multiplies, shifts and xors: cheap on Cortex-M0+.
 */
struct tintin_prng {
	uint32_t key;
	uint32_t counter;
};

/*
 * The small primitives below are C99 inline definitions, so the kernels that call them per
 * element inline them; fixedpoint.c holds their one external definition (for bindings and
 * for -O0 builds).
 */

/** Seed a PRNG stream; the counter starts at 0. */
void tintin_prng_seed(struct tintin_prng *r, uint32_t seed);

/** Draw number k after the current counter (does not advance). */
/** Draw number i of the stream with this key (i = counter + k). */
#define TINTIN_PRNG_STEP 0x9e3779b9u

/*
 * On Armv6-M the multipliers go through an empty asm as opaque register values: GCC's
 * Thumb-1 cost model builds a multiply by a constant from some twenty shifts and adds, where
 * the single-cycle MULS needs only the constant loaded.
 */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__thumb__) && !defined(__thumb2__)
#define TINTIN_MUL_IN_REG 1
#else
#define TINTIN_MUL_IN_REG 0
#endif

/** murmur3's fmix32 of a Weyl state x = i * TINTIN_PRNG_STEP + key (draw i of the stream). */
inline uint32_t tintin_prng_mix(uint32_t x)
{
	uint32_t c1 = 0x85ebca6bu;
	uint32_t c2 = 0xc2b2ae35u;

#if TINTIN_MUL_IN_REG
	__asm__("" : "+l"(c1), "+l"(c2));
#endif
	x ^= x >> 16;
	x *= c1;
	x ^= x >> 13;
	x *= c2;
	x ^= x >> 16;
	return x;
}

inline uint32_t tintin_prng_draw(uint32_t key, uint32_t i)
{
	uint32_t step = TINTIN_PRNG_STEP;

#if TINTIN_MUL_IN_REG
	__asm__("" : "+l"(step));
#endif
	/* murmur3 fmix32 of a Weyl sequence: full avalanche, two 32-bit multiplies. */
	return tintin_prng_mix(i * step + key);
}

inline uint32_t tintin_prng_at(const struct tintin_prng *r, uint32_t k)
{
	return tintin_prng_draw(r->key, r->counter + k);
}

/**
 * Offset of the row draws of a dense layer's update at batch 1 (tintin_sgd_outer_rows): draw o
 * of a row is draw counter + 2^31 + o of the stream, as far from every column draw as a 32-bit
 * counter allows.
 */
#define TINTIN_PRNG_ROWS 0x80000000u

/**
 * A column draw keeps its top 16 bits (tintin_grid_draw), so a batch-1 pass stores a column's
 * number, its input and its index in one 32-bit word.
 */
#define TINTIN_PRNG_COL_MASK 0xffff0000u

/**
 * Draw of element (o, c) of a dense layer's update at batch 1 from row draw o and column draw
 * c: rowr ^ col ^ (((col << 5) * rowr) >> 4), col being the column draw's top 16 bits. The
 * top 4 bits are the row's xor the column's, by which a pass sorts its columns. Below them the
 * product mixes the row into the column's bits, so that two rows' draws do not differ by one
 * constant xor in every column (which rounds the units of a layer alike); bit p of the product
 * term depends only on column bits below p, so for every row the map from column draw to draw
 * is a bijection and the draw stays uniform (docs/numerics.md).
 */
static inline uint32_t tintin_grid_draw(uint32_t rowr, uint32_t col)
{
	const uint32_t c = col & TINTIN_PRNG_COL_MASK;

	return rowr ^ c ^ (((c << 5) * rowr) >> 4);
}

/** Advance the stream by n draws. */
static inline void tintin_prng_advance(struct tintin_prng *r, uint32_t n)
{
	r->counter += n;
}

/** Number of significant bits of m: 0 for 0, floor(log2 m) + 1 otherwise. */
int tintin_bits(uint32_t m);

/** Magnitude of x as unsigned (INT32_MIN gives 2^31). */
inline uint32_t tintin_abs32(int32_t x)
{
	return (x < 0) ? (0u - (uint32_t)x) : (uint32_t)x;
}

/** Saturate to [-127, 127] (symmetric int8, as NITI). */
static inline int8_t tintin_sat8(int32_t x)
{
	return (int8_t)((x > 127) ? 127 : ((x < -127) ? -127 : x));
}

/** Saturate to [-32767, 32767]. */
static inline int16_t tintin_sat16(int32_t x)
{
	return (int16_t)((x > 32767) ? 32767 : ((x < -32767) ? -32767 : x));
}

/** Add with saturation to [-(2^31 - 1), 2^31 - 1]. */
inline int32_t tintin_add_sat32(int32_t a, int32_t b)
{
	/* Symmetric range: INT32_MIN never appears, so negating a result is always safe. */
	if (b > 0 && a > INT32_MAX - b) {
		return INT32_MAX;
	}
	if (b < 0 && a < -INT32_MAX - b) {
		return -INT32_MAX;
	}
	return a + b;
}

/** Whether x * 2^s (s >= 0) leaves [-(2^31 - 1), 2^31 - 1]: tintin_shl_sat32 saturates. */
inline int tintin_shl_saturates(int32_t x, int s)
{
	uint32_t m = (x < 0) ? 0u - (uint32_t)x : (uint32_t)x;

	return m != 0u && (s >= 31 || m > ((uint32_t)INT32_MAX >> s));
}

/** x * 2^s with saturation to [-(2^31 - 1), 2^31 - 1], s >= 0. */
int32_t tintin_shl_sat32(int32_t x, int s);

/** Magnitude m with the sign of x. */
inline int32_t tintin_with_sign(int32_t x, uint32_t m)
{
	return (x < 0) ? -(int32_t)m : (int32_t)m;
}

/** round_shift for 0 < s < 32, without the range checks (hot loops with a known shift). */
inline int32_t tintin_round_shift_in(int32_t x, int s)
{
	/* |x| <= 2^31 and the half is <= 2^30, so the sum cannot wrap. */
	return tintin_with_sign(x, (tintin_abs32(x) + (1u << (s - 1))) >> s);
}

/**
 * x / 2^s with the magnitude rounded up, for 0 <= s <= 31 (s = 0 gives x). Momentum decays by
 * it (v -= decay_shift(v, m)), so a velocity no gradient feeds reaches exactly 0; rounding
 * to nearest would leave |v| < 2^(m-1) in place for ever and the weight drifting by it every
 * step.
 */
inline int32_t tintin_decay_shift(int32_t x, int s)
{
	/* |x| <= 2^31 and 2^s - 1 < 2^31, so the sum cannot wrap. */
	return tintin_with_sign(x, (tintin_abs32(x) + ((1u << s) - 1u)) >> s);
}

/** x / 2^s rounded half away from zero (NITI RoundShift without the int8 clip). */
inline int32_t tintin_round_shift(int32_t x, int s)
{
	if (s <= 0) {
		return x;
	}
	if (s >= 32) {
		return 0;
	}
	return tintin_round_shift_in(x, s);
}

/**
 * x / 2^s with true stochastic rounding: rounds away from zero with probability
 * (|x| mod 2^s) / 2^s, using the top s bits of the random word r.
 */
inline int32_t tintin_sto_shift_in(int32_t x, int s, uint32_t r)
{
	/* For 1 <= s <= 31 only (tintin_sto_shift handles the rest). */
	uint32_t m = tintin_abs32(x);
	uint32_t t = m >> s;

	/* The discarded bits f beat the draw's top s bits R exactly when f * 2^(32-s) > r
	 * (f >= R + 1 means f * 2^(32-s) >= (R + 1) * 2^(32-s) > r), and the left shift drops
	 * the kept bits without a mask.
	 */
	t += ((m << (32 - s)) > r) ? 1u : 0u;
	return tintin_with_sign(x, t);
}

inline int32_t tintin_sto_shift(int32_t x, int s, uint32_t r)
{
	if (s <= 0) {
		return x;
	}
	if (s >= 32) {
		return 0;
	}
	return tintin_sto_shift_in(x, s, r);
}

/**
 * floor(x / 2^s) for 1 <= s <= 31 without a signed shift: for x < 0, ~x = -x - 1 >= 0 and
 * floor(x / 2^s) = ~(~x >> s).
 */
inline int32_t tintin_floor_shift(int32_t x, int s)
{
	const uint32_t m = (x < 0) ? 0xffffffffu : 0u;

	return (int32_t)((((uint32_t)x ^ m) >> s) ^ m);
}

/**
 * x / 2^s with stochastic rounding as floor((x + U) / 2^s), U the top s bits of the random
 * word r: rounds up with probability (x mod 2^s) / 2^s, for either sign. The parameter updates
 * round so (docs/numerics.md): a weight's rounding is then an add and a shift, with no
 * magnitude or sign to restore.
 */
inline int32_t tintin_sto_floor_in(int32_t x, int s, uint32_t r)
{
	/* For 1 <= s <= 31. x = q 2^s + f with 0 <= f < 2^s, and f + U < 2^32 cannot wrap. */
	const uint32_t f = (uint32_t)x & ((1u << s) - 1u);

	return tintin_floor_shift(x, s) + (int32_t)((f + (r >> (32 - s))) >> s);
}

/** tintin_sto_floor_in() for any s: s <= 0 gives x, s >= 32 gives 0 (as tintin_sto_shift). */
inline int32_t tintin_sto_floor(int32_t x, int s, uint32_t r)
{
	if (s <= 0) {
		return x;
	}
	if (s >= 32) {
		return 0;
	}
	return tintin_sto_floor_in(x, s, r);
}

/**
 * NITI pseudo-stochastic rounding: the discarded bits themselves act as the random
 * number (upper half against lower half), so no PRNG is needed.
 */
int32_t tintin_psto_shift(int32_t x, int s);

/**
 * Multiply by a non-power-of-two factor as a sum of rounded shifts: the result is
 * sum over the set bits k of mult of round_shift(x, k), saturated. mult = 1 is x,
 * 3 is 1.5 x, 5 is 1.25 x, 6 is 0.75 x.
 */
int32_t tintin_rescale_mult(int32_t x, uint8_t mult);

/** Shift that brings magnitudes up to maxabs into int8: max(0, bits(maxabs) - 7). */
static inline int tintin_range_shift(uint32_t maxabs)
{
	int b = tintin_bits(maxabs);

	return (b > 7) ? (b - 7) : 0;
}

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_FIXEDPOINT_H_ */
