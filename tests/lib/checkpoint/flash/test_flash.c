/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Checkpoints in a real Zephyr flash area: save, a fresh model restores the same state. */

#include <errno.h>
#include <string.h>

#include <zephyr/storage/flash_map.h>

#include <tintin/tintin.h>
#include <tintin/zephyr_storage.h>

#include "tt_test.h"

TT_SUITE(tintin_checkpoint_flash);

static const int8_t fl_w[3 * 4] = {40, -22, 90, -7, 13, 66, -81, 5, -34, 27, 58, -99};
static const struct tintin_layer_desc fl_layers[] = {
	{.type = TINTIN_LAYER_DENSE, .units = 3, .w_exp = -7, .weights = fl_w},
};
static const struct tintin_model_desc fl_desc = {
	.layers = fl_layers,
	.n_layers = 1,
	.loss = TINTIN_LOSS_XENT,
	.max_batch = 1,
	.input = {.h = 1, .w = 1, .c = 4},
	/* The preset with the most state (masters and momentum) to save, restore and corrupt. */
	.optim = TINTIN_OPTIM_MOMENTUM,
	.seed = 3u,
	.magic = TINTIN_DESC_MAGIC,
	.version = TINTIN_DESC_VERSION,
};
static const int8_t fl_x[4] = {70, -45, 12, 101};
static const uint8_t fl_y[1] = {2};

static uint32_t fl_arena[128];
static uint32_t fl_arena2[128];
static struct tintin_model fl_a;
static struct tintin_model fl_b;

#define FL_AREA FIXED_PARTITION_ID(storage_partition)
#define FL_SLOT 4096u

TT_TEST(tintin_checkpoint_flash, test_save_and_restore_in_storage_partition)
{
	struct tintin_batch b = {.x = fl_x, .labels = fl_y, .n = 1, .x_exp = -7};
	struct tintin_flash_storage fs;
	struct tintin_storage st;
	struct tintin_layer_info la;
	struct tintin_layer_info lb;
	struct tintin_ckpt_info info;
	uint32_t seq = 0u;

	TT_ASSERT_EQ(tintin_model_init(&fl_a, &fl_desc, TINTIN_MODE_TRAIN, fl_arena,
				       sizeof(fl_arena)),
		     0, "init");
	TT_ASSERT_EQ(tintin_model_train_step(&fl_a, &b), 0, "step");
	TT_ASSERT_EQ(tintin_storage_flash_open(&st, &fs, FL_AREA, FL_SLOT), 0, "open area");
	TT_ASSERT_EQ(tintin_checkpoint_save(&fl_a, &st, &seq), 0, "save");
	TT_ASSERT_EQ(tintin_model_train_step(&fl_a, &b), 0, "step");
	TT_ASSERT_EQ(tintin_checkpoint_save(&fl_a, &st, &seq), 0, "save again");
	TT_ASSERT(seq >= 2u, "sequence %u", (unsigned int)seq);

	/* A reboot: a fresh model from the same table restores what was saved last. */
	TT_ASSERT_EQ(tintin_model_init(&fl_b, &fl_desc, TINTIN_MODE_TRAIN, fl_arena2,
				       sizeof(fl_arena2)),
		     0, "init");
	TT_ASSERT_EQ(tintin_checkpoint_restore(&fl_b, &st, &info), 0, "restore");
	TT_ASSERT_EQ(info.seq, seq, "restored sequence");
	TT_ASSERT_EQ(tintin_model_layer_info(&fl_a, 0, &la), 0, "info");
	TT_ASSERT_EQ(tintin_model_layer_info(&fl_b, 0, &lb), 0, "info");
	TT_ASSERT(memcmp(la.w, lb.w, la.n_w) == 0, "weights differ");
	TT_ASSERT(memcmp(la.w_lo, lb.w_lo, la.n_w) == 0, "master low bytes differ");
	TT_ASSERT(memcmp(la.w_mom, lb.w_mom, 2u * la.n_w) == 0, "momentum differs");
	TT_ASSERT_EQ(fl_b.stats.steps, 2u, "step counter");
	tintin_storage_flash_close(&fs);
}

TT_TEST(tintin_checkpoint_flash, test_slots_must_be_whole_pages)
{
	struct tintin_flash_storage fs;
	struct tintin_storage st;

	TT_ASSERT_EQ(tintin_storage_flash_open(&st, &fs, FL_AREA, 1000u), -EINVAL, "1000 B");
	TT_ASSERT_EQ(tintin_storage_flash_open(&st, &fs, FL_AREA, 1u << 30), -EINVAL, "1 GiB");
}
