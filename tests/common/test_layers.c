/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Each layer kernel (forward, backward, gradients) against the NumPy reference's values. */

#include <stddef.h>
#include <stdint.h>

#include <tintin/tintin.h>

#include "tt_test.h"
#include "vectors/tt_vec_layers.h"

TT_SUITE(tintin_layers);

/* Big enough for every kernel's int32 output in the vectors. */
static int32_t acc[512];

/* The dot-product kernels (assembly on Armv6-M, SMLAD on Armv7E-M) against a plain loop, and
 * the four-row axpy against four axpys, over lengths that exercise every unrolled and leftover
 * path, misaligned rows and extreme values.
 */
TT_TEST(tintin_layers, test_dot_kernels)
{
	static int8_t buf[5 * 260 + 8]; /* four weight rows, then x */
	static const uint16_t lens[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 255, 257};
	uint32_t h = 2463534242u;

	for (size_t k = 0; k < sizeof(buf); k++) {
		h ^= h << 13;
		h ^= h >> 17;
		h ^= h << 5;
		/* Every 16th byte at an end of the range: -128 * -128 is the largest product. */
		buf[k] = ((k & 15u) == 0u) ? (int8_t)-128 : (int8_t)(h >> 24);
	}
	for (size_t c = 0; c < sizeof(lens) / sizeof(lens[0]); c++) {
		const uint32_t n = lens[c];
		const uint32_t stride = n + (uint32_t)(c % 3u);
		const int8_t *x = buf + 1 + 4 * stride;
		const int8_t *w = buf + (c & 3u);
		int32_t got[4];

		tintin_dot4_s8(x, w, stride, n, got);
		for (uint32_t r = 0; r < 4u; r++) {
			int32_t want = 0;

			for (uint32_t k = 0; k < n; k++) {
				want += (int32_t)x[k] * w[r * stride + k];
			}
			TT_ASSERT_EQ(got[r], want, "dot4 n=%u row %u: got %d, want %d", (unsigned)n,
				     (unsigned)r, (int)got[r], (int)want);
			TT_ASSERT_EQ(tintin_dot_s8(x, w + r * stride, n), want, "dot n=%u row %u",
				     (unsigned)n, (unsigned)r);
		}
		/* axpy4: y += sum_r e[r] * w row r, from a nonzero start, against four axpys. */
		static int32_t y4[260];
		static int32_t y1[260];
		const int32_t e[4] = {-128, 127, (int32_t)(c * 37u) - 300, 5};

		for (uint32_t k = 0; k < n; k++) {
			y4[k] = y1[k] = (int32_t)(k * 7919u) - 1000;
		}
		tintin_axpy4_s8(e, w, stride, y4, n);
		for (uint32_t r = 0; r < 4u; r++) {
			tintin_axpy_s8(e[r], w + r * stride, y1, n);
		}
		TT_ASSERT_ARRAY_EQ(y4, y1, n, "axpy4");
		tintin_scale_s8(e[2], w, y4, n);
		for (uint32_t k = 0; k < n; k++) {
			TT_ASSERT_EQ(y4[k], e[2] * w[k], "scale n=%u at %u", (unsigned)n, (unsigned)k);
		}
	}
}

TT_TEST(tintin_layers, test_dense)
{
	int32_t g[TT_FC_IN];

	tintin_fc_forward_s8(tt_fc_x, tt_fc_w, tt_fc_bias, TT_FC_BIAS_SHIFT, TT_FC_B, TT_FC_IN,
			     TT_FC_OUT, acc, NULL);
	TT_ASSERT_ARRAY_EQ(acc, tt_fc_fwd, TT_FC_B * TT_FC_OUT, "dense forward");
	tintin_fc_backward_s8(tt_fc_err, tt_fc_w, TT_FC_B, TT_FC_IN, TT_FC_OUT, acc);
	TT_ASSERT_ARRAY_EQ(acc, tt_fc_bwd, TT_FC_B * TT_FC_IN, "dense backward");
	for (uint16_t o = 0; o < TT_FC_OUT; o++) {
		tintin_fc_grad_row_s8(tt_fc_err, tt_fc_x, TT_FC_B, TT_FC_IN, TT_FC_OUT, o, g);
		TT_ASSERT_ARRAY_EQ(g, tt_fc_grad + o * TT_FC_IN, TT_FC_IN, "dense weight gradient");
		TT_ASSERT_EQ(tintin_fc_grad_bias_s8(tt_fc_err, TT_FC_B, TT_FC_OUT, o),
			     tt_fc_grad_bias[o], "dense bias gradient %u", o);
	}
}

/*
 * Dense forward with and without its workspace against a plain loop, over shapes that take
 * every path of the Armv7E-M kernel (blocks of four samples and the samples left over; pairs
 * of eight-input groups, a last group of eight, of four, single bytes; word-aligned and
 * misaligned weight rows) and a bias that saturates.
 */
TT_TEST(tintin_layers, test_dense_shapes)
{
	static int8_t buf[9 * 67 + 5 * 67 + 4] __attribute__((aligned(4)));
	static int32_t ws[2 * 67];
	static int32_t got[9 * 5];
	static const uint16_t ins[] = {1, 7, 8, 12, 13, 16, 24, 29, 32, 40, 64, 67};
	static const uint16_t batches[] = {1, 4, 5, 8, 9};
	/* Biases that saturate the sum, and biases at the edge of starting it (|b| <= 2^30). */
	static const int32_t big[5] = {INT32_MAX - 3, -7, 1 << 20, INT32_MIN + 1, 0};
	static const int32_t small[5] = {5, -(1 << 30), 1 << 30, -7, 1 << 20};
	uint32_t h = 88172645u;

	for (size_t k = 0; k < sizeof(buf); k++) {
		h ^= h << 13;
		h ^= h >> 17;
		h ^= h << 5;
		buf[k] = ((k % 11u) == 0u) ? (int8_t)-128 : (int8_t)(h >> 24);
	}
	for (size_t c = 0; c < sizeof(ins) / sizeof(ins[0]); c++) {
		for (size_t d = 0; d < sizeof(batches) / sizeof(batches[0]); d++) {
			const uint16_t in = ins[c];
			const uint16_t nb = batches[d];
			const uint16_t out = (uint16_t)(1u + (c + d) % 5u);
			const int8_t *x = buf;
			const int8_t *w = buf + 9 * 67 + (c + d) % 4u;
			const int32_t *bias = (c % 2u == 0u) ? small : big;

			for (int with_ws = 0; with_ws < 2; with_ws++) {
				tintin_fc_forward_s8(x, w, bias, 0, nb, in, out, got,
						     with_ws ? ws : NULL);
				for (uint16_t b = 0; b < nb; b++) {
					for (uint16_t o = 0; o < out; o++) {
						int32_t want = 0;

						for (uint16_t k = 0; k < in; k++) {
							want += (int32_t)x[b * in + k] * w[o * in + k];
						}
						want = tintin_add_sat32(want, bias[o]);
						TT_ASSERT_EQ(got[b * out + o], want,
							     "dense b%u in%u out%u ws%d [%u][%u]",
							     (unsigned)nb, (unsigned)in,
							     (unsigned)out, with_ws, (unsigned)b,
							     (unsigned)o);
					}
				}
			}
		}
	}
}

static void check_conv(const struct tintin_geom *g, uint16_t nb, uint16_t row, const int8_t *x,
		       const int8_t *w, const int32_t *bias, const int8_t *err, const int32_t *fwd,
		       const int32_t *bwd, const int32_t *grad, const int32_t *grad_bias)
{
	size_t n_y = (size_t)nb * g->out_h * g->out_w * g->out_c;
	size_t n_x = (size_t)nb * g->in_h * g->in_w * g->in_c;
	int32_t gr[64];

	tintin_conv_forward_s8(x, w, bias, 0, nb, g, acc);
	TT_ASSERT_ARRAY_EQ(acc, fwd, n_y, "conv forward");
	tintin_conv_backward_s8(err, w, nb, g, acc);
	TT_ASSERT_ARRAY_EQ(acc, bwd, n_x, "conv backward");
	for (uint16_t oc = 0; oc < g->out_c; oc++) {
		tintin_conv_grad_row_s8(err, x, nb, g, oc, gr);
		TT_ASSERT_ARRAY_EQ(gr, grad + (size_t)oc * row, row, "conv weight gradient");
		TT_ASSERT_EQ(tintin_conv_grad_bias_s8(err, nb, g, oc), grad_bias[oc],
			     "conv bias gradient %u", oc);
	}
}

TT_TEST(tintin_layers, test_conv2d_strided_same)
{
	const struct tintin_geom g = TT_CONV2D_GEOM;

	check_conv(&g, TT_CONV2D_B, TT_CONV2D_ROW, tt_conv2d_x, tt_conv2d_w, tt_conv2d_bias,
		   tt_conv2d_err, tt_conv2d_fwd, tt_conv2d_bwd, tt_conv2d_grad, tt_conv2d_grad_bias);
}

TT_TEST(tintin_layers, test_conv1d_valid)
{
	const struct tintin_geom g = TT_CONV1D_GEOM;

	check_conv(&g, TT_CONV1D_B, TT_CONV1D_ROW, tt_conv1d_x, tt_conv1d_w, tt_conv1d_bias,
		   tt_conv1d_err, tt_conv1d_fwd, tt_conv1d_bwd, tt_conv1d_grad, tt_conv1d_grad_bias);
}

TT_TEST(tintin_layers, test_maxpool_first_maximum)
{
	const struct tintin_geom g = TT_MAXPOOL_GEOM;
	size_t n_y = (size_t)TT_MAXPOOL_B * g.out_h * g.out_w * g.out_c;
	int8_t y[128];
	uint8_t idx[64];

	TT_ASSERT(tintin_maxpool_idx_bytes(&g, n_y) <= sizeof(idx), "index buffer too small");
	tintin_maxpool_forward_s8(tt_maxpool_x, TT_MAXPOOL_B, &g, y, idx);
	TT_ASSERT_ARRAY_EQ(y, tt_maxpool_fwd, n_y, "max-pool forward");
	tintin_maxpool_backward_s8(idx, tt_maxpool_err, TT_MAXPOOL_B, &g, acc);
	TT_ASSERT_ARRAY_EQ(acc, tt_maxpool_bwd, (size_t)TT_MAXPOOL_B * g.in_h * g.in_w * g.in_c,
			   "max-pool backward");
}

TT_TEST(tintin_layers, test_average_pools)
{
	const struct tintin_geom a = TT_AVGPOOL_GEOM;
	const struct tintin_geom g = TT_GAP_GEOM;

	tintin_avgpool_forward_s8(tt_avgpool_x, TT_AVGPOOL_B, &a, TT_AVGPOOL_RECIP, acc);
	TT_ASSERT_ARRAY_EQ(acc, tt_avgpool_fwd, (size_t)TT_AVGPOOL_B * a.out_h * a.out_w * a.out_c,
			   "average-pool forward");
	tintin_avgpool_backward_s8(tt_avgpool_err, TT_AVGPOOL_B, &a, TT_AVGPOOL_RECIP, acc);
	TT_ASSERT_ARRAY_EQ(acc, tt_avgpool_bwd, (size_t)TT_AVGPOOL_B * a.in_h * a.in_w * a.in_c,
			   "average-pool backward");
	tintin_avgpool_forward_s8(tt_gap_x, TT_GAP_B, &g, TT_GAP_RECIP, acc);
	TT_ASSERT_ARRAY_EQ(acc, tt_gap_fwd, (size_t)TT_GAP_B * g.out_c, "global pool forward");
	tintin_avgpool_backward_s8(tt_gap_err, TT_GAP_B, &g, TT_GAP_RECIP, acc);
	TT_ASSERT_ARRAY_EQ(acc, tt_gap_bwd, (size_t)TT_GAP_B * g.in_h * g.in_w * g.in_c,
			   "global pool backward");
}

TT_TEST(tintin_layers, test_relu_mask)
{
	int8_t x[19] = {-128, -1, 0, 1, 127, 5, -5, 0, 3, -3, 0, 0, 9, -9, 1, -1, 2, -2, 100};
	int8_t e1[19];
	int8_t e2[19];
	uint8_t mask[3];

	for (int k = 0; k < 19; k++) {
		e1[k] = (int8_t)(k + 1);
		e2[k] = (int8_t)(k + 1);
	}
	tintin_relu_forward_s8(x, 19, mask);
	for (int k = 0; k < 19; k++) {
		TT_ASSERT(x[k] >= 0, "relu output %d negative", k);
		TT_ASSERT_EQ((mask[k >> 3] >> (k & 7)) & 1, x[k] > 0, "mask bit %d", k);
	}
	tintin_relu_backward_s8(x, e1, 19);
	tintin_relu_backward_mask_s8(mask, e2, 19);
	for (int k = 0; k < 19; k++) {
		TT_ASSERT_EQ(e1[k], (x[k] > 0) ? k + 1 : 0, "relu backward %d", k);
		TT_ASSERT_EQ(e2[k], e1[k], "relu backward from mask %d", k);
	}
}

/*
 * The default's batch-1 dense update (column passes; on Armv6-M an assembly scan that stores
 * steps of +-1 itself) against its definition, element by element: floor((e x + U) / 2^s),
 * U = tintin_grid_draw(row draw, column draw) >> (32 - s), clamped to TINTIN_UPDATE_LIMIT,
 * the int8 weight saturating at +-127 (a table's -128 included). s runs from 1 (steps of
 * many LSBs, clamped) to 14 (steps below one LSB, most columns skipped); a layer of 70 inputs
 * takes two passes.
 */
TT_TEST(tintin_layers, test_outer_rows_by_element)
{
	enum {
		ROWS = 12,
		IN = 70
	};
	static int8_t w[ROWS * IN];
	static int8_t want[ROWS * IN];
	int8_t err[ROWS];
	int8_t x[IN];
	const struct tintin_optim_cfg cfg = {.rule = TINTIN_RULE_ALIGNED, .lr_mult = 1u};
	uint32_t h = 88172645u;

	for (int s = 1; s <= 14; s++) {
		struct tintin_param p = {.data = w, .dtype = TINTIN_DTYPE_S8, .exp = -7};
		struct tintin_prng r = {.key = h, .counter = h * 2654435761u};
		struct tintin_sgd_rows u;
		uint32_t sat = 0u;
		uint32_t clips = 0u;
		uint32_t want_sat = 0u;
		uint32_t want_clips = 0u;

		for (uint32_t k = 0; k < ROWS * IN + ROWS + IN; k++) {
			int8_t v;

			h ^= h << 13;
			h ^= h >> 17;
			h ^= h << 5;
			/* Weights at the limits often, -128 sometimes; zero errors and inputs. */
			v = (int8_t)(h >> 24);
			v = ((h & 7u) == 0u) ? 127 : (((h & 7u) == 1u) ? -127 : v);
			v = ((h & 63u) == 2u) ? -128 : v;
			if (k < ROWS * IN) {
				w[k] = v;
				want[k] = v;
			} else if (k < ROWS * IN + ROWS) {
				err[k - ROWS * IN] = ((h & 3u) == 3u) ? 0 : v;
			} else {
				x[k - ROWS * IN - ROWS] = ((h & 3u) == 3u) ? 0 : v;
			}
		}
		tintin_sgd_rows_init(&u, &cfg, &p, -7 - s, &r, IN);
		u.clips = &clips;
		tintin_sgd_outer_rows(&u, err, x, ROWS, IN, &sat);
		for (uint32_t o = 0; o < ROWS; o++) {
			const uint32_t rowr =
				tintin_prng_draw(r.key, r.counter + TINTIN_PRNG_ROWS + o);

			for (uint32_t c = 0; c < IN; c++) {
				const uint32_t col = tintin_prng_draw(r.key, r.counter + c);
				const uint32_t un = tintin_grid_draw(rowr, col) >> (32 - s);
				/* e x + U is at least -2^14: floor by an offset that keeps it >= 0.
				 */
				int32_t d =
					(int32_t)(((uint32_t)(err[o] * x[c]) + un + (1u << 30)) >>
						  s) -
					(int32_t)((1u << 30) >> s);
				int32_t v;

				if (d > TINTIN_UPDATE_LIMIT || d < -TINTIN_UPDATE_LIMIT) {
					d = (d > 0) ? TINTIN_UPDATE_LIMIT : -TINTIN_UPDATE_LIMIT;
					want_clips++;
				}
				if (d == 0) {
					continue;
				}
				v = want[o * IN + c] - d;
				if (v > 127 || v < -127) {
					v = (v > 0) ? 127 : -127;
					want_sat++;
				}
				want[o * IN + c] = (int8_t)v;
			}
		}
		for (uint32_t k = 0; k < ROWS * IN; k++) {
			TT_ASSERT_EQ(w[k], want[k], "weight %u at s = %d", (unsigned int)k, s);
		}
		TT_ASSERT_EQ(sat, want_sat, "saturations at s = %d", s);
		TT_ASSERT_EQ(clips, want_clips, "clamps at s = %d", s);
	}
}
