/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Regressions of issue 18's hostile-input findings, one test per finding (F1 to F9): each
 * failed before its fix. The fuzz targets in tests/fuzz search the same ground at random.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tintin/tintin.h>

#include "tt_test.h"

TT_SUITE(tintin_hardening);

static const int8_t th_w[64];
static uint32_t th_arena[1024];
static struct tintin_model th_model;

static struct tintin_model_desc th_desc(const struct tintin_layer_desc *layers, uint8_t n,
					uint16_t h, uint16_t w, uint16_t c)
{
	struct tintin_model_desc d = {
		.layers = layers,
		.n_layers = n,
		.max_batch = 1u,
		.loss = TINTIN_LOSS_XENT,
		.input = {.h = h, .w = w, .c = c},
		.optim = TINTIN_OPTIM_DEFAULT,
		.seed = 1u,
		.magic = TINTIN_DESC_MAGIC,
		.version = TINTIN_DESC_VERSION,
	};

	return d;
}

/* F1: an input of 65531 x 60459 x 59673 elements wrapped to 1 in 32-bit arithmetic; plan
 * then sized a one-byte input and the pool walked the real geometry out of the arena.
 */
TT_TEST(tintin_hardening, test_f1_huge_geometry_does_not_wrap)
{
	/* A 1x1 window keeps the wrapped geometry: its output wraps to 1 element as well. */
	static const struct tintin_layer_desc pool[] = {
		{.type = TINTIN_LAYER_MAXPOOL, .kernel_h = 1, .kernel_w = 1},
		{.type = TINTIN_LAYER_FLATTEN},
		{.type = TINTIN_LAYER_DENSE, .units = 2, .weights = th_w, .w_exp = -7},
	};
	static const struct tintin_layer_desc dense[] = {
		{.type = TINTIN_LAYER_DENSE, .units = 2, .weights = th_w, .w_exp = -7},
	};
	struct tintin_model_desc d = th_desc(pool, 3, 65531u, 60459u, 59673u);
	size_t need = 0u;

	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), -EINVAL, "wrapped input");
	TT_ASSERT_EQ(tintin_model_init(&th_model, &d, TINTIN_MODE_INFER, th_arena,
				       sizeof(th_arena)),
		     -EINVAL, "init of a wrapped input");
	/* Products that wrap at every step: h * w alone, then (h * w) * c. */
	d = th_desc(dense, 1, 65535u, 65535u, 1u);
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), -EINVAL, "h * w");
	d = th_desc(dense, 1, 256u, 256u, 65535u);
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), -EINVAL, "(h * w) * c");
	d = th_desc(dense, 1, 1u, 32u, 2u);
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), 0, "a real table plans");
}
