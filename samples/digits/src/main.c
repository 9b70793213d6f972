/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * On-device training of a digits classifier: a 64-32-10 MLP starts from random int8 weights
 * and learns from 512 embedded 8x8 images with integer-only arithmetic; accuracy on 256
 * held-out images is printed before, per epoch and after.
 */

#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>

#include <tintin/tintin.h>
#include <tintin/zephyr.h>

#include "digits_data.h"
#include "digits_model.h"

#define EPOCHS 5
#define BATCH  8

TINTIN_ARENA_DEFINE(arena, DIGITS_ARENA_TRAIN);
static struct tintin_model model;

/* Held-out accuracy in tenths of a percent (no floating point on the device). */
static int held_out_permille(uint32_t *correct)
{
	int ret = tintin_model_evaluate(&model, digits_test_x, DIGITS_TEST_EXP, digits_test_y,
					DIGITS_TEST_N, correct);

	return (ret != 0) ? ret : (int)((*correct * 1000u + DIGITS_TEST_N / 2u) / DIGITS_TEST_N);
}

static void print_acc(const char *what, int permille, uint32_t correct)
{
	printk("tintin: %s: %d.%d%% (%u/%u)\n", what, permille / 10, permille % 10,
	       (unsigned int)correct, (unsigned int)DIGITS_TEST_N);
}

int main(void)
{
	uint32_t correct;
	int before;
	int after;
	int ret;

	printk("tintin: digits sample: %u training images, arena %u bytes (budget %u)\n",
	       (unsigned int)DIGITS_TRAIN_N, (unsigned int)DIGITS_ARENA_TRAIN,
	       (unsigned int)CONFIG_TINTIN_ARENA_SIZE);
	ret = tintin_model_init(&model, &digits_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena));
	if (ret != 0) {
		printk("tintin: init failed: %d\n", ret);
		return 0;
	}
	before = held_out_permille(&correct);
	if (before < 0) {
		printk("tintin: evaluate failed: %d\n", before);
		return 0;
	}
	print_acc("before training", before, correct);
	after = before;
	for (int epoch = 1; epoch <= EPOCHS; epoch++) {
		for (uint32_t k = 0; k + BATCH <= DIGITS_TRAIN_N; k += BATCH) {
			struct tintin_batch b = {
				.x = digits_train_x + k * DIGITS_TRAIN_SIZE,
				.labels = digits_train_y + k,
				.n = BATCH,
				.x_exp = DIGITS_TRAIN_EXP,
			};

			ret = tintin_model_train_step(&model, &b);
			if (ret != 0) {
				printk("tintin: training step failed: %d\n", ret);
				return 0;
			}
		}
		after = held_out_permille(&correct);
		if (after < 0) {
			printk("tintin: evaluate failed: %d\n", after);
			return 0;
		}
		printk("tintin: epoch %d: held-out %d.%d%%\n", epoch, after / 10, after % 10);
	}
	print_acc("after training", after, correct);
	printk("tintin: before %d.%d%%, after %d.%d%%\n", before / 10, before % 10, after / 10,
	       after % 10);
	if (after > before) {
		printk("tintin: PASS on-device training improved held-out accuracy\n");
	} else {
		printk("tintin: FAIL held-out accuracy did not improve\n");
	}
	return 0;
}
