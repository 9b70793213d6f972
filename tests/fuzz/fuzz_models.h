/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* The small models the fuzz targets and their seed writer share. */

#ifndef TT_FUZZ_MODELS_H_
#define TT_FUZZ_MODELS_H_

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <tintin/tintin.h>

/* The dense model tt_dense_desc, shared with the C tests. */
#include "tt_models.h"

/* conv1d (k 3, 4 channels, same) - ReLU - max-pool 2 - flatten - dense 3, on 8 x 2 inputs. */
static const int8_t fz_wc[4 * 3 * 2] = {
	33, -12, 90, 5, -47, 61, -8, 77, 25, -99, 14, 40, -66, 3, 58, -21, 71, -35, 9, 84, -50, 18, -3, 44,
};
static const int8_t fz_wd[3 * 16] = {
	22, -61, 5, 90, -14, 37, -80, 11, 48, -3, 66, -29, 7, 101, -55, 19,
	-40, 13, 72, -9, 31, -88, 26, 4, -17, 59, -33, 95, -6, 42, -71, 28,
	64, -25, 1, -47, 83, 16, -58, 35, -2, 76, -19, 50, -91, 8, 39, -12,
};
static const struct tintin_layer_desc fz_cnn_layers[] = {
	{.type = TINTIN_LAYER_CONV1D, .units = 4, .kernel_w = 3, .stride = 1, .pad = TINTIN_PAD_SAME,
	 .w_exp = -7, .weights = fz_wc},
	{.type = TINTIN_LAYER_RELU},
	{.type = TINTIN_LAYER_MAXPOOL, .kernel_h = 1, .kernel_w = 2},
	{.type = TINTIN_LAYER_FLATTEN},
	{.type = TINTIN_LAYER_DENSE, .units = 3, .w_exp = -7, .weights = fz_wd},
};
static const struct tintin_model_desc fz_cnn = {
	.layers = fz_cnn_layers,
	.n_layers = 5,
	.loss = TINTIN_LOSS_XENT,
	.max_batch = 4,
	.input = {.h = 1, .w = 8, .c = 2},
	/* The preset with the most state (masters and momentum) to save, restore and corrupt. */
	.optim = TINTIN_OPTIM_MOMENTUM,
	.seed = 11u,
	.magic = TINTIN_DESC_MAGIC,
	.version = TINTIN_DESC_VERSION,
};
#define FZ_CNN_INPUT 16

/* Checkpoint storage: two slots in RAM, erased to 0xFF. */
#define FZ_SLOT 512u

struct fz_ram {
	uint8_t mem[2 * FZ_SLOT];
};

static int fz_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct fz_ram *r = ctx;

	if (off > sizeof(r->mem) || len > sizeof(r->mem) - off) {
		return -EINVAL;
	}
	memcpy(buf, r->mem + off, len);
	return 0;
}

static int fz_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct fz_ram *r = ctx;

	if (off > sizeof(r->mem) || len > sizeof(r->mem) - off) {
		return -EINVAL;
	}
	memcpy(r->mem + off, buf, len);
	return 0;
}

#endif /* TT_FUZZ_MODELS_H_ */
