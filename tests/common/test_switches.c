/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The build switches (config.h's TINTIN_OP_*, TINTIN_LOSS_MSE_ENABLED, TINTIN_RULE_NITI_ENABLED,
 * TINTIN_MOMENTUM_ENABLED, TINTIN_UPSCALE_ENABLED): a table that uses a feature this build left
 * out is refused with -ENOTSUP by the planner, init and the table queries, and a model whose
 * init was refused refuses every call after it; a table that uses only what the build has
 * trains. The same bodies run against the full library (tintin_tests) and the dense-only one
 * (tintin_tests_dense, lib/tintin/CMakeLists.txt's libtintin_dense), where the digits MLP
 * must still reach the reference's exact held-out counts.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <tintin/tintin.h>

#include "tt_test.h"
#include "tt_digits.h"

TT_SUITE(tintin_switches);

static uint32_t arena[(TT_DIGITS_ARENA_TRAIN_DSP + 3) / 4 + 1];
static struct tintin_model model;

static const int8_t sw_w[64] = {
	12,  -40, 33,  7,   -90, 51, -3,  64,  -27, 88,  19,  -71, 45,  -8,  100, -56,
	23,  2,   -15, 77,  -60, 31, 9,   -44, 70,  -29, 5,   58,  -97, 14,  37,  -11,
	-50, 81,  17,  -66, 39,  92, -13, -74, 28,  6,   -35, 47,  110, -21, -88, 3,
	61,  -19, 8,   -33, 25,  70, -2,  44,  -81, 16,  29,  -7,  53,  -64, 11,  90,
};
static const int32_t sw_b[8] = {300, -120, 0, 75, -410, 20, -5, 64};

#define SW_LEAN                                                                                    \
	{                                                                                          \
		.rule = TINTIN_RULE_ALIGNED, .lr_shift = 5, .lr_mult = 1, .mu = 0,                 \
		.momentum_shift = 0, .upscale_bits = 0, .rounding = TINTIN_ROUND_STOCHASTIC,       \
		.upscale_scope = TINTIN_UPSCALE_ALL                                                \
	}
#define SW_DENSE(n)                                                                                \
	{                                                                                          \
		.type = TINTIN_LAYER_DENSE, .units = (n), .w_exp = -7, .weights = sw_w,            \
		.bias = sw_b                                                                       \
	}

/* Input 1x6x1 (conv2d: 2x3x1) into one layer of each family, then a dense layer of 3. */
static const struct tintin_layer_desc sw_conv1d[] = {
	{.type = TINTIN_LAYER_CONV1D,
	 .units = 2,
	 .kernel_h = 1,
	 .kernel_w = 3,
	 .stride = 1,
	 .w_exp = -7,
	 .weights = sw_w,
	 .bias = sw_b},
	{.type = TINTIN_LAYER_FLATTEN},
	SW_DENSE(3),
};
static const struct tintin_layer_desc sw_conv2d[] = {
	{.type = TINTIN_LAYER_CONV2D,
	 .units = 2,
	 .kernel_h = 2,
	 .kernel_w = 2,
	 .stride = 1,
	 .w_exp = -7,
	 .weights = sw_w,
	 .bias = sw_b},
	{.type = TINTIN_LAYER_RELU},
	{.type = TINTIN_LAYER_FLATTEN},
	SW_DENSE(3),
};
static const struct tintin_layer_desc sw_maxpool[] = {
	{.type = TINTIN_LAYER_MAXPOOL, .kernel_h = 1, .kernel_w = 2},
	{.type = TINTIN_LAYER_FLATTEN},
	SW_DENSE(3),
};
static const struct tintin_layer_desc sw_avgpool[] = {
	{.type = TINTIN_LAYER_AVGPOOL, .kernel_h = 1, .kernel_w = 2},
	{.type = TINTIN_LAYER_FLATTEN},
	SW_DENSE(3),
};
static const struct tintin_layer_desc sw_gap[] = {
	{.type = TINTIN_LAYER_GAP},
	SW_DENSE(3),
};
static const struct tintin_layer_desc sw_mlp[] = {
	SW_DENSE(5),
	{.type = TINTIN_LAYER_RELU},
	SW_DENSE(3),
};

struct sw_case {
	const char *what;
	const struct tintin_layer_desc *layers;
	uint8_t n_layers;
	struct tintin_dims input;
	uint8_t loss;
	struct tintin_optim_cfg optim;
	int enabled; /* what this build has of it */
};

#define SW_ROW(layers) (layers), (uint8_t)(sizeof(layers) / sizeof((layers)[0]))
#define SW_1X6                                                                                     \
	{                                                                                          \
		.h = 1, .w = 6, .c = 1                                                             \
	}

static const struct sw_case sw_cases[] = {
	{"dense", SW_ROW(sw_mlp), SW_1X6, TINTIN_LOSS_XENT, SW_LEAN, 1},
	{"conv1d", SW_ROW(sw_conv1d), SW_1X6, TINTIN_LOSS_XENT, SW_LEAN, TINTIN_OP_CONV},
	{"conv2d",
	 SW_ROW(sw_conv2d),
	 {.h = 2, .w = 3, .c = 1},
	 TINTIN_LOSS_XENT,
	 SW_LEAN,
	 TINTIN_OP_CONV},
	{"maxpool", SW_ROW(sw_maxpool), SW_1X6, TINTIN_LOSS_XENT, SW_LEAN, TINTIN_OP_POOL},
	{"avgpool", SW_ROW(sw_avgpool), SW_1X6, TINTIN_LOSS_XENT, SW_LEAN, TINTIN_OP_POOL},
	{"global average pool", SW_ROW(sw_gap), SW_1X6, TINTIN_LOSS_XENT, SW_LEAN, TINTIN_OP_POOL},
	{"MSE loss", SW_ROW(sw_mlp), SW_1X6, TINTIN_LOSS_MSE, SW_LEAN, TINTIN_LOSS_MSE_ENABLED},
	{"NITI rule",
	 SW_ROW(sw_mlp),
	 SW_1X6,
	 TINTIN_LOSS_XENT,
	 {.rule = TINTIN_RULE_NITI, .lr_mult = 1, .mu = 2, .rounding = TINTIN_ROUND_PSEUDO},
	 TINTIN_RULE_NITI_ENABLED},
	{"momentum",
	 SW_ROW(sw_mlp),
	 SW_1X6,
	 TINTIN_LOSS_XENT,
	 {.rule = TINTIN_RULE_ALIGNED,
	  .lr_shift = 5,
	  .lr_mult = 1,
	  .momentum_shift = 3,
	  .rounding = TINTIN_ROUND_STOCHASTIC},
	 TINTIN_MOMENTUM_ENABLED},
	{"int16 masters", SW_ROW(sw_mlp), SW_1X6, TINTIN_LOSS_XENT, TINTIN_OPTIM_COMPACT,
	 TINTIN_UPSCALE_ENABLED},
	/* The default optimizer keeps masters in convolutions only. */
	{"masters in a convolution", SW_ROW(sw_conv1d), SW_1X6, TINTIN_LOSS_XENT,
	 TINTIN_OPTIM_DEFAULT, TINTIN_OP_CONV &&TINTIN_UPSCALE_ENABLED},
	{"dense, default optimizer", SW_ROW(sw_mlp), SW_1X6, TINTIN_LOSS_XENT, TINTIN_OPTIM_DEFAULT,
	 1},
};

static struct tintin_model_desc sw_desc(const struct sw_case *c)
{
	struct tintin_model_desc d = {
		.layers = c->layers,
		.n_layers = c->n_layers,
		.loss = c->loss,
		.max_batch = 2,
		.input = c->input,
		.optim = c->optim,
		.seed = 5u,
		.magic = TINTIN_DESC_MAGIC,
		.version = TINTIN_DESC_VERSION,
	};

	return d;
}

TT_TEST(tintin_switches, test_disabled_features_are_refused)
{
	const int8_t x[12] = {5, -20, 33, 0, 127, -128, 64, 1, -7, 90, -45, 12};
	const int8_t targets[6] = {10, -3, 0, 7, 7, -100};
	const uint8_t labels[2] = {2u, 0u};

	for (size_t k = 0; k < sizeof(sw_cases) / sizeof(sw_cases[0]); k++) {
		const struct sw_case *c = &sw_cases[k];
		const int want = c->enabled ? 0 : -ENOTSUP;
		struct tintin_model_desc d = sw_desc(c);
		struct tintin_batch b = {.x = x, .n = 2u, .x_exp = -7};
		uint32_t n_w[TINTIN_MAX_LAYERS];
		uint16_t rows[TINTIN_MAX_LAYERS];
		uint8_t cls[2];
		size_t need;

		if (c->loss == TINTIN_LOSS_MSE) {
			b.targets = targets;
			b.t_exp = -7;
		} else {
			b.labels = labels;
		}
		TT_ASSERT_EQ(tintin_model_desc_params(&d, n_w, rows), want, "%s: desc_params",
			     c->what);
		TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_INFER, &need), want,
			     "%s: plan for inference", c->what);
		TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), want,
			     "%s: plan for training", c->what);
		/* A refused table hashes to 0, so tintin gen's hash cannot be checked against it.
		 */
		TT_ASSERT_EQ(tintin_model_desc_hash(&d) != 0u, c->enabled != 0, "%s: hash",
			     c->what);
		TT_ASSERT_EQ(tintin_model_init(&model, &d, TINTIN_MODE_TRAIN, arena, sizeof(arena)),
			     want, "%s: init for training", c->what);
		/* Refused or not, no call crashes or trains a half-made model. */
		TT_ASSERT_EQ(tintin_model_train_step(&model, &b), c->enabled ? 0 : -EINVAL,
			     "%s: training step", c->what);
		TT_ASSERT_EQ(tintin_model_predict(&model, x, -7, 2u, cls), c->enabled ? 0 : -EINVAL,
			     "%s: predict", c->what);
		TT_ASSERT_EQ(tintin_model_init(&model, &d, TINTIN_MODE_INFER, arena, sizeof(arena)),
			     want, "%s: init for inference", c->what);
	}
}

/* The digits MLP with the default optimizer needs nothing a dense-only build leaves out: it
 * reaches the reference's exact held-out counts in every build.
 */
TT_TEST(tintin_switches, test_dense_digits_train_as_the_reference)
{
	uint32_t before = 0u;
	uint32_t after = 0u;

	TT_ASSERT_EQ(
		tintin_model_init(&model, &tt_digits_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena)),
		0, "init");
	TT_ASSERT_EQ(tintin_model_evaluate(&model, tt_digits_test_x, TT_DIGITS_TEST_EXP,
					   tt_digits_test_y, TT_DIGITS_TEST_N, &before),
		     0, "evaluate");
	TT_ASSERT_EQ(tt_digits_train(&model), 0, "training");
	TT_ASSERT_EQ(tintin_model_evaluate(&model, tt_digits_test_x, TT_DIGITS_TEST_EXP,
					   tt_digits_test_y, TT_DIGITS_TEST_N, &after),
		     0, "evaluate");
	TT_ASSERT_EQ(before, (uint32_t)TT_DIGITS_CORRECT_BEFORE, "differs from the reference");
	TT_ASSERT_EQ(after, (uint32_t)TT_DIGITS_CORRECT_AFTER, "differs from the reference");
}
