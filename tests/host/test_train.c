/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Host test of the public C API without Python (run by ctest): plan, init, the error paths,
 * and a small model that must learn a linearly separable two-class problem.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tintin/tintin.h>

#define N_IN 4
#define N_HID 8
#define N_OUT 2
#define BATCH 4
#define N_TRAIN 256

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                     \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static uint32_t lcg_state = 12345u;

static int32_t lcg(int32_t lo, int32_t hi)
{
	lcg_state = lcg_state * 1664525u + 1013904223u;
	return lo + (int32_t)((lcg_state >> 8) % (uint32_t)(hi - lo + 1));
}

static int8_t w1[N_HID * N_IN];
static int8_t w2[N_OUT * N_HID];
static int8_t xs[N_TRAIN][N_IN];
static uint8_t ys[N_TRAIN];
static uint32_t arena[1024];

static const struct tintin_layer_desc layers[] = {
	{.type = TINTIN_LAYER_DENSE, .units = N_HID, .w_exp = -7, .weights = w1},
	{.type = TINTIN_LAYER_RELU},
	{.type = TINTIN_LAYER_DENSE, .units = N_OUT, .w_exp = -7, .weights = w2},
};

static const struct tintin_model_desc desc = {
	.layers = layers,
	.n_layers = 3,
	.loss = TINTIN_LOSS_XENT,
	.max_batch = BATCH,
	.input = {.h = 1, .w = 1, .c = N_IN},
	.optim = {.lr_shift = 4, .lr_mult = 1, .momentum_shift = 3, .upscale_bits = 8},
	.seed = 7,
};

static uint32_t accuracy(struct tintin_model *m)
{
	uint32_t correct = 0;

	CHECK(tintin_model_evaluate(m, &xs[0][0], -7, ys, N_TRAIN, &correct) == 0);
	return correct;
}

int main(void)
{
	struct tintin_model m;
	struct tintin_model_desc bad = desc;
	size_t need = 0;
	uint32_t before;
	uint32_t after;

	for (size_t k = 0; k < sizeof(w1); k++) {
		w1[k] = (int8_t)lcg(-127, 127);
	}
	for (size_t k = 0; k < sizeof(w2); k++) {
		w2[k] = (int8_t)lcg(-127, 127);
	}
	/* Class 1 when x0 + x1 > x2 + x3. */
	for (int s = 0; s < N_TRAIN; s++) {
		for (int i = 0; i < N_IN; i++) {
			xs[s][i] = (int8_t)lcg(-100, 100);
		}
		ys[s] = (xs[s][0] + xs[s][1] > xs[s][2] + xs[s][3]) ? 1u : 0u;
	}

	CHECK(tintin_model_plan(&desc, TINTIN_MODE_TRAIN, &need) == 0);
	CHECK(need > 0 && need <= sizeof(arena));
	CHECK(tintin_model_init(&m, &desc, TINTIN_MODE_TRAIN, arena, need - 1) == -ENOMEM);
	CHECK(tintin_model_init(&m, &desc, TINTIN_MODE_TRAIN, (uint8_t *)arena + 1, need) ==
	      -EINVAL);
	bad.n_layers = 0;
	CHECK(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need) == -EINVAL);
	bad = desc;
	bad.optim.lr_shift = 40;
	CHECK(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need) == -ERANGE);
	CHECK(tintin_model_train_step(NULL, NULL) == -EINVAL);

	CHECK(tintin_model_plan(&desc, TINTIN_MODE_TRAIN, &need) == 0);
	CHECK(tintin_model_init(&m, &desc, TINTIN_MODE_TRAIN, arena, sizeof(arena)) == 0);
	CHECK(tintin_model_arena_used(&m) == need);
	before = accuracy(&m);
	for (int epoch = 0; epoch < 20; epoch++) {
		for (int s = 0; s + BATCH <= N_TRAIN; s += BATCH) {
			struct tintin_batch b = {
				.x = &xs[s][0], .labels = &ys[s], .n = BATCH, .x_exp = -7};

			CHECK(tintin_model_train_step(&m, &b) == 0);
		}
	}
	after = accuracy(&m);
	printf("two-class toy: accuracy %u/%d before, %u/%d after training\n",
	       (unsigned int)before, N_TRAIN, (unsigned int)after, N_TRAIN);
	CHECK(after >= (N_TRAIN * 9) / 10);
	CHECK(after > before);
	if (failures != 0) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
