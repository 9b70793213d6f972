/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * libFuzzer target: checkpoint restore from an arbitrary storage image (a hostile or
 * half-written flash). A restore either fails with -ENOENT and leaves the model as it was, or
 * succeeds; then the model must train and save again. Sanitizers watch every access.
 */

#include <stdlib.h>

#include "fuzz_models.h"

static uint32_t fz_arena[512];
static struct tintin_model fz_m;
static struct fz_ram fz_img;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int8_t x[2 * 6] = {90, -30, 12, 64, -100, 5, -20, 47, 88, -61, 33, 70};
	static const uint8_t y[2] = {0, 2};
	struct tintin_storage st = {
		.read = fz_read,
		.write = fz_write,
		.ctx = &fz_img,
		.slot_size = FZ_SLOT,
		.write_block = 1u,
	};
	struct tintin_batch b = {.x = x, .labels = y, .n = 2, .x_exp = -7};
	struct tintin_ckpt_info info;
	int ret;

	memset(fz_img.mem, 0xff, sizeof(fz_img.mem));
	memcpy(fz_img.mem, data, size < sizeof(fz_img.mem) ? size : sizeof(fz_img.mem));
	if (tintin_model_init(&fz_m, &tt_dense_desc, TINTIN_MODE_TRAIN, fz_arena, sizeof(fz_arena)) != 0) {
		abort();
	}
	ret = tintin_checkpoint_restore(&fz_m, &st, &info);
	if (ret != 0 && ret != -ENOENT) {
		abort(); /* RAM storage cannot fail: only "no valid checkpoint" is possible */
	}
	if (ret == 0 && (info.valid == 0u || info.slot > 1u)) {
		abort();
	}
	if (tintin_model_train_step(&fz_m, &b) != 0 && ret != 0) {
		abort(); /* the initial model must always train */
	}
	(void)tintin_checkpoint_save(&fz_m, &st, NULL);
	return 0;
}
