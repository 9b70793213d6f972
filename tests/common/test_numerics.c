/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Fixed-point primitives and loss gradients against the NumPy reference's values. */

#include <stddef.h>
#include <stdint.h>

#include <tintin/tintin.h>

#include "tt_test.h"
#include "vectors/tt_vec_numerics.h"

TT_SUITE(tintin_numerics);

TT_TEST(tintin_numerics, test_shifts_and_rounding)
{
	for (int k = 0; k < TT_NUM_N; k++) {
		int32_t x = tt_num_x[k];
		int s = tt_num_s[k];

		TT_ASSERT_EQ(tintin_round_shift(x, s), tt_num_round_shift[k],
			     "round_shift(%d, %d)", (int)x, s);
		TT_ASSERT_EQ(tintin_sto_shift(x, s, tt_num_r[k]), tt_num_sto_shift[k],
			     "sto_shift(%d, %d, %u)", (int)x, s, (unsigned int)tt_num_r[k]);
		TT_ASSERT_EQ(tintin_psto_shift(x, s), tt_num_psto_shift[k], "psto_shift(%d, %d)",
			     (int)x, s);
	}
}

TT_TEST(tintin_numerics, test_saturating_arithmetic)
{
	for (int k = 0; k < TT_NUM_N; k++) {
		int32_t x = tt_num_x[k];

		TT_ASSERT_EQ(tintin_rescale_mult(x, (uint8_t)tt_num_mult[k]),
			     tt_num_rescale_mult[k], "rescale_mult(%d, %d)", (int)x,
			     (int)tt_num_mult[k]);
		TT_ASSERT_EQ(tintin_shl_sat32(x, tt_num_shl[k]), tt_num_shl_sat32[k],
			     "shl_sat32(%d, %d)", (int)x, (int)tt_num_shl[k]);
		TT_ASSERT_EQ(tintin_add_sat32(x, tt_num_y[k]), tt_num_add_sat32[k],
			     "add_sat32(%d, %d)", (int)x, (int)tt_num_y[k]);
		TT_ASSERT_EQ(tintin_bits(tintin_abs32(x)), tt_num_bits[k], "bits(|%d|)", (int)x);
	}
}

TT_TEST(tintin_numerics, test_prng_stream)
{
	struct tintin_prng r;

	tintin_prng_seed(&r, TT_PRNG_SEED);
	TT_ASSERT_EQ(r.key, TT_PRNG_KEY, "key of seed %u", (unsigned int)TT_PRNG_SEED);
	for (uint32_t k = 0; k < 32u; k++) {
		TT_ASSERT_EQ(tintin_prng_at(&r, k), tt_prng_stream[k], "draw %u", (unsigned int)k);
	}
}

TT_TEST(tintin_numerics, test_requantize)
{
	int8_t out[TT_NUM_N];
	uint32_t sat = 0u;
	int shift = tintin_requantize_s8(tt_req_acc, TT_NUM_N, out, &sat);

	TT_ASSERT_EQ(shift, TT_REQ_SHIFT, "requantize shift");
	TT_ASSERT_EQ(sat, (uint32_t)TT_REQ_SAT, "requantize saturations");
	TT_ASSERT_ARRAY_EQ(out, tt_req_out, TT_NUM_N, "requantize out");
}

/* Values of mixed magnitudes (a few bits up to 31), so that tiles get different shifts. */
static void tt_mixed(int32_t *v, int n, uint32_t seed)
{
	uint32_t x = seed;

	for (int k = 0; k < n; k++) {
		uint32_t m;

		x = x * 1664525u + 1013904223u;
		m = (x >> 1) >> (x % 31u);
		/* Every fifth value half-way at its bit position, where the rounding bit decides. */
		m = (k % 5 == 0) ? ((m | 1u) << ((x >> 8) % 4u)) | (1u << ((x >> 12) % 8u)) : m;
		m = (m > (uint32_t)INT32_MAX) ? (uint32_t)INT32_MAX : m;
		v[k] = ((x >> 20) & 1u) ? -(int32_t)m : (int32_t)m;
	}
}

/* Tile by tile, with and without a ReLU after, gives what one requantisation gives. */
TT_TEST(tintin_numerics, test_requantize_tiled)
{
	static const uint16_t tilings[][2] = {{64, 64}, {8, 8}, {7, 3}, {13, 13}, {64, 5}, {1, 1}};
	int32_t acc[TT_NUM_N];
	int8_t want[TT_NUM_N];
	int8_t got[TT_NUM_N];
	uint8_t bits[(TT_NUM_N + 7) / 8];
	uint8_t shifts[TT_NUM_N];

	for (uint32_t seed = 0u; seed < 8u; seed++) {
		uint32_t sat_want = 0u;
		int shift;

		if (seed == 0u) {
			for (int k = 0; k < TT_NUM_N; k++) {
				acc[k] = tt_req_acc[k];
			}
		} else {
			tt_mixed(acc, TT_NUM_N, seed);
		}
		shift = tintin_requantize_s8(acc, TT_NUM_N, want, &sat_want);
		for (size_t t = 0; t < sizeof(tilings) / sizeof(tilings[0]); t++) {
			for (int relu = 0; relu < 2; relu++) {
				uint32_t sat = 0u;
				int s = tintin_requantize_tiled_s8(acc, TT_NUM_N, tilings[t][0],
								   tilings[t][1], relu, got, bits,
								   shifts, &sat);

				TT_ASSERT_EQ(s, shift, "seed %u tiling %u: shift", (unsigned int)seed,
					     (unsigned int)t);
				TT_ASSERT_EQ(sat, sat_want, "seed %u tiling %u: saturations",
					     (unsigned int)seed, (unsigned int)t);
				for (int k = 0; k < TT_NUM_N; k++) {
					int8_t w = (relu && want[k] < 0) ? 0 : want[k];
					int8_t g = (relu && got[k] < 0) ? 0 : got[k];

					TT_ASSERT_EQ(g, w, "seed %u tiling %u relu %d: value %d",
						     (unsigned int)seed, (unsigned int)t, relu, k);
				}
			}
		}
	}
}

TT_TEST(tintin_numerics, test_xent_gradient)
{
	struct tintin_prng r;
	int8_t err[TT_XENT_B * TT_XENT_C];
	int e;

	tintin_prng_seed(&r, TT_PRNG_SEED);
	e = tintin_xent_grad_s8(tt_xent_z, -4, tt_xent_labels, TT_XENT_B, TT_XENT_C, &r, err);
	TT_ASSERT_EQ(e, TT_XENT_EXP, "cross-entropy exponent");
	TT_ASSERT_ARRAY_EQ(err, tt_xent_err, TT_XENT_B * TT_XENT_C, "cross-entropy gradient");
}

TT_TEST(tintin_numerics, test_mse_gradient)
{
	int32_t acc[TT_MSE_N];
	int8_t err[TT_MSE_N];
	uint32_t sat = 0u;
	int e = tintin_mse_grad_s8(tt_mse_y, -5, tt_mse_t, -7, TT_MSE_N, TT_MSE_B, acc, err, &sat);

	TT_ASSERT_EQ(e, TT_MSE_EXP, "MSE exponent");
	TT_ASSERT_EQ(sat, (uint32_t)TT_MSE_SAT, "MSE saturations");
	TT_ASSERT_ARRAY_EQ(err, tt_mse_err, TT_MSE_N, "MSE gradient");
}
