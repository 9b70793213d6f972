/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Small hand-written models shared by the C tests (tests/common) and the fuzz targets
 * (tests/fuzz), so that both exercise the same tables.
 */

#ifndef TT_MODELS_H_
#define TT_MODELS_H_

#include <stdint.h>

#include <tintin/tintin.h>

/* Dense 6-5-3 with the default optimizer: int8 weights, low-byte planes, int16 and int32
 * momentum, biases; every array a checkpoint carries.
 */
static const int8_t tt_dense_w0[5 * 6] = {
	12, -40, 33, 7, -90, 51, -3, 64, -27, 88, 19, -71, 45, -8, 100, -56, 23, 2,
	-15, 77, -60, 31, 9, -44, 70, -29, 5, 58, -97, 14,
};
static const int32_t tt_dense_b0[5] = {300, -120, 0, 75, -410};
static const int8_t tt_dense_w2[3 * 5] = {-50, 81, 17, -66, 39, 92, -13, -74,
					   28, 6, -35, 47, 110, -21, -88};
static const int32_t tt_dense_b2[3] = {-200, 150, 60};
static const struct tintin_layer_desc tt_dense_layers[] = {
	{.type = TINTIN_LAYER_DENSE, .units = 5, .w_exp = -7, .weights = tt_dense_w0,
	 .bias = tt_dense_b0},
	{.type = TINTIN_LAYER_RELU},
	{.type = TINTIN_LAYER_DENSE, .units = 3, .w_exp = -7, .weights = tt_dense_w2,
	 .bias = tt_dense_b2},
};
static const struct tintin_model_desc tt_dense_desc = {
	.layers = tt_dense_layers,
	.n_layers = 3,
	.loss = TINTIN_LOSS_XENT,
	.max_batch = 2,
	.input = {.h = 1, .w = 1, .c = 6},
	/* The preset with the most state (masters and momentum) to save, restore and corrupt. */
	.optim = TINTIN_OPTIM_MOMENTUM,
	.seed = 7u,
	.magic = TINTIN_DESC_MAGIC,
	.version = TINTIN_DESC_VERSION,
};

#endif /* TT_MODELS_H_ */
