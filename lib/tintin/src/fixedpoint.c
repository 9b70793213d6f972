/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/fixedpoint.h>

#define TINTIN_PRNG_GOLDEN 0x9e3779b9u

/* The external definitions of the header's inline primitives. */
extern inline uint32_t tintin_abs32(int32_t x);
extern inline int32_t tintin_with_sign(int32_t x, uint32_t m);
extern inline uint32_t tintin_prng_mix(uint32_t x);
extern inline uint32_t tintin_prng_draw(uint32_t key, uint32_t i);
extern inline uint32_t tintin_prng_at(const struct tintin_prng *r, uint32_t k);
extern inline int32_t tintin_add_sat32(int32_t a, int32_t b);
extern inline int tintin_shl_saturates(int32_t x, int s);
extern inline int32_t tintin_round_shift_in(int32_t x, int s);
extern inline int32_t tintin_decay_shift(int32_t x, int s);
extern inline int32_t tintin_round_shift(int32_t x, int s);
extern inline int32_t tintin_sto_shift_in(int32_t x, int s, uint32_t r);
extern inline int32_t tintin_sto_shift(int32_t x, int s, uint32_t r);
extern inline int32_t tintin_floor_shift(int32_t x, int s);
extern inline int32_t tintin_sto_floor_in(int32_t x, int s, uint32_t r);
extern inline int32_t tintin_sto_floor(int32_t x, int s, uint32_t r);

void tintin_prng_seed(struct tintin_prng *r, uint32_t seed)
{
	/* Spread small seeds over the key space; the key is never 0. */
	r->key = (seed * TINTIN_PRNG_GOLDEN) ^ 0x6a09e667u;
	r->counter = 0u;
}


int tintin_bits(uint32_t m)
{
	int b = 0;

	/* Binary search: five compare-and-shift steps, no clz needed on Cortex-M0+. */
	if (m >= 0x10000u) {
		m >>= 16;
		b += 16;
	}
	if (m >= 0x100u) {
		m >>= 8;
		b += 8;
	}
	if (m >= 0x10u) {
		m >>= 4;
		b += 4;
	}
	if (m >= 0x4u) {
		m >>= 2;
		b += 2;
	}
	if (m >= 0x2u) {
		m >>= 1;
		b += 1;
	}
	return b + (int)m;
}


int32_t tintin_shl_sat32(int32_t x, int s)
{
	uint32_t m = tintin_abs32(x);

	if (tintin_shl_saturates(x, s)) {
		return (x < 0) ? -INT32_MAX : INT32_MAX;
	}
	if (m == 0u) {
		return 0;
	}
	m <<= s;
	return (x < 0) ? -(int32_t)m : (int32_t)m;
}




int32_t tintin_psto_shift(int32_t x, int s)
{
	uint32_t m;
	uint32_t t;
	uint32_t p;
	uint32_t hi;
	uint32_t lo;
	int h;

	if (s <= 0) {
		return x;
	}
	if (s >= 32) {
		return 0;
	}
	m = tintin_abs32(x);
	t = m >> s;
	p = m & ((1u << s) - 1u);
	h = s >> 1;
	hi = p >> h;
	lo = p & ((1u << h) - 1u);
	if ((s & 1) != 0) {
		lo <<= 1;
	}
	t += (hi > lo) ? 1u : 0u;
	return tintin_with_sign(x, t);
}

int32_t tintin_rescale_mult(int32_t x, uint8_t mult)
{
	int32_t acc = 0;
	int k;

	for (k = 0; k < 8; k++) {
		if ((mult & (1u << k)) != 0u) {
			acc = tintin_add_sat32(acc, tintin_round_shift(x, k));
		}
	}
	return acc;
}
