/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Writes the seed corpora (tests/fuzz/corpus/<target>/): valid checkpoint images with one and
 * two slots in use, and valid training inputs. Run by scripts/fuzz.sh --seeds.
 */

#include <stdio.h>

#include "fuzz_models.h"

static uint32_t arena[512];
static struct tintin_model m;
static struct fz_ram img;

static int put(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "seeds: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const int8_t x[2 * 6] = {90, -30, 12, 64, -100, 5, -20, 47, 88, -61, 33, 70};
	static const uint8_t y[2] = {0, 2};
	struct tintin_storage st = {
		.read = fz_read, .write = fz_write, .ctx = &img, .slot_size = FZ_SLOT,
		.write_block = 1u,
	};
	struct tintin_batch b = {.x = x, .labels = y, .n = 2, .x_exp = -7};
	uint8_t in[2 + 4 + 4 * FZ_CNN_INPUT];
	int bad = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: seeds CHECKPOINT_DIR TRAIN_DIR\n");
		return 2;
	}
	memset(img.mem, 0xff, sizeof(img.mem));
	if (tintin_model_init(&m, &tt_dense_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena)) != 0 ||
	    tintin_model_train_step(&m, &b) != 0 || tintin_checkpoint_save(&m, &st, NULL) != 0) {
		return 1;
	}
	bad |= put(argv[1], "one_slot", img.mem, sizeof(img.mem));
	if (tintin_model_train_step(&m, &b) != 0 || tintin_checkpoint_save(&m, &st, NULL) != 0) {
		return 1;
	}
	bad |= put(argv[1], "two_slots", img.mem, sizeof(img.mem));
	memset(img.mem, 0xff, sizeof(img.mem));
	bad |= put(argv[1], "erased", img.mem, sizeof(img.mem));
	/* n = 4, x_exp -7, labels 0 1 2 1, samples from a fixed pattern. */
	in[0] = 4u;
	in[1] = 5u;
	in[2] = 0u;
	in[3] = 1u;
	in[4] = 2u;
	in[5] = 1u;
	for (size_t k = 6; k < sizeof(in); k++) {
		in[k] = (uint8_t)(k * 37u + 11u);
	}
	bad |= put(argv[2], "batch4", in, sizeof(in));
	in[0] = 1u;
	bad |= put(argv[2], "batch1", in, 2 + 1 + FZ_CNN_INPUT);
	return bad;
}
