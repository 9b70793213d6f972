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

#include "tt_models.h"
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

/* F2: a window all at -128 (a sensor at its negative rail) summed to -128 * n and times
 * recip = round(2^24 / n) fell below INT32_MIN for n = 6, 10, 18, 24: the sign flipped.
 */
TT_TEST(tintin_hardening, test_f2_avgpool_at_the_negative_rail_keeps_its_sign)
{
	static const uint8_t windows[] = {6, 10, 18, 24, 255};
	static int8_t x[255];
	int32_t acc[2];

	memset(x, -128, sizeof(x));
	for (size_t i = 0; i < sizeof(windows); i++) {
		uint8_t n = windows[i];
		struct tintin_geom g = {.in_h = 1, .in_w = n, .in_c = 1, .out_h = 1, .out_w = 1,
					.out_c = 1, .k_h = 1, .k_w = n, .stride = n};
		int32_t recip = tintin_pool_recip(n);

		tintin_avgpool_forward_s8(x, 1, &g, recip, acc);
		TT_ASSERT(acc[0] < 0, "window %u: -128 averaged to %d", n, (int)acc[0]);
		/* Within one part in 2^16 of -2^31: -128 at exponent -24 is -2^31. */
		TT_ASSERT(acc[0] <= -INT32_MAX + (INT32_MAX >> 16), "window %u: %d", n, (int)acc[0]);
	}
	/* The top of the range is unchanged: 127 over any window stays exact. */
	memset(x, 127, sizeof(x));
	{
		struct tintin_geom g = {.in_h = 1, .in_w = 6, .in_c = 1, .out_h = 1, .out_w = 1,
					.out_c = 1, .k_h = 1, .k_w = 6, .stride = 6};

		tintin_avgpool_forward_s8(x, 1, &g, tintin_pool_recip(6), acc);
		TT_ASSERT_EQ(acc[0], 127 * 6 * tintin_pool_recip(6), "127 window");
	}
}

/* F3: a convolution's backward sums ran in int32 over batch x map terms (weight gradients)
 * and channels x windows (input errors), and wrapped on large maps and batches; training
 * such a table is refused at plan time, inference still plans.
 */
TT_TEST(tintin_hardening, test_f3_conv_sums_that_could_wrap_are_refused)
{
	static const struct tintin_layer_desc wide[] = {
		{.type = TINTIN_LAYER_CONV1D, .units = 1, .kernel_w = 1, .stride = 1,
		 .weights = th_w, .w_exp = -7},
	};
	struct tintin_layer_desc deep[] = {
		{.type = TINTIN_LAYER_CONV1D, .units = 1, .kernel_w = 1, .stride = 1,
		 .weights = th_w, .w_exp = -7},
		{.type = TINTIN_LAYER_CONV1D, .units = 43691, .kernel_w = 3, .stride = 1,
		 .weights = th_w, .w_exp = -7},
	};
	struct tintin_model_desc d = th_desc(wide, 1, 1u, 512u, 1u);
	size_t need;

	d.loss = TINTIN_LOSS_MSE;
	d.max_batch = 256u; /* 256 x 512 weight-gradient terms of up to 2^14 */
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), -EINVAL, "grad terms");
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_INFER, &need), 0, "inference is fine");
	d.max_batch = 255u; /* 130,560 terms: the last that cannot wrap */
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), 0, "255 x 512");
	/* 3 windows x 43,691 channels of error into each input of the second layer. */
	d = th_desc(deep, 2, 1u, 3u, 1u);
	d.loss = TINTIN_LOSS_MSE;
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), -EINVAL, "error terms");
	deep[0].train = TINTIN_TRAIN_FROZEN; /* nothing below the wide layer runs backward */
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), 0, "no error below");
	deep[0].train = TINTIN_TRAIN_FULL;
	deep[1].units = 43690u;
	TT_ASSERT_EQ(tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need), 0, "131,070 terms");
}

/* Checkpoint storage in RAM whose reads can fail after a byte budget, or answer with the
 * byte count some drivers return instead of 0.
 */
#define TH_SLOT 512u
struct th_store {
	uint8_t mem[2 * TH_SLOT];
	int32_t read_budget; /* bytes left before reads fail with -EIO; -1: never */
	int count_returns;   /* return len instead of 0 */
	uint32_t erases;
};
static struct th_store th_st_mem;
static uint32_t th_arena2[256];
static struct tintin_model th_a;
static struct tintin_model th_b;

static int th_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct th_store *f = ctx;

	if (off > sizeof(f->mem) || len > sizeof(f->mem) - off) {
		return -EINVAL;
	}
	if (f->read_budget >= 0) {
		if ((size_t)f->read_budget < len) {
			return -EIO;
		}
		f->read_budget -= (int32_t)len;
	}
	memcpy(buf, f->mem + off, len);
	return f->count_returns ? (int)len : 0;
}

static int th_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct th_store *f = ctx;

	if (off > sizeof(f->mem) || len > sizeof(f->mem) - off) {
		return -EINVAL;
	}
	memcpy(f->mem + off, buf, len);
	return f->count_returns ? (int)len : 0;
}

static int th_erase(void *ctx, uint32_t off, size_t len)
{
	struct th_store *f = ctx;

	if (off > sizeof(f->mem) || len > sizeof(f->mem) - off) {
		return -EINVAL;
	}
	memset(f->mem + off, 0xff, len);
	f->erases++;
	return f->count_returns ? (int)len : 0;
}

static const struct tintin_storage th_st = {
	.read = th_read,
	.write = th_write,
	.erase = th_erase,
	.ctx = &th_st_mem,
	.slot_size = TH_SLOT,
	.write_block = 8u,
};

static const int8_t th_x[2 * 6] = {90, -30, 12, 64, -100, 5, -20, 47, 88, -61, 33, 70};
static const uint8_t th_y[2] = {0, 2};

static void th_train(struct tintin_model *m, int steps)
{
	struct tintin_batch b = {.x = th_x, .labels = th_y, .n = 2, .x_exp = -7};

	for (int k = 0; k < steps; k++) {
		(void)tintin_model_train_step(m, &b);
	}
}

/* Output of the model on th_x: a fingerprint of its whole trainable state. */
static void th_out(struct tintin_model *m, int8_t out[7])
{
	struct tintin_tensor t;

	memset(out, 0, 7);
	if (tintin_model_forward(m, th_x, -7, 2, &t) == 0) {
		memcpy(out, t.data, 6);
		out[6] = t.exp;
	}
}

static void th_fresh(void)
{
	memset(&th_st_mem, 0xff, sizeof(th_st_mem.mem));
	th_st_mem.read_budget = -1;
	th_st_mem.count_returns = 0;
	th_st_mem.erases = 0u;
}

/* F5: a storage fault in the middle of loading left the model half old, half restored. Now
 * a restore only reads until the slot is known good, and a fault while loading puts the
 * model back to its table's initial state, never a mix.
 */
TT_TEST(tintin_hardening, test_f5_failed_restore_never_leaves_a_mix)
{
	int8_t trained[7];
	int8_t fresh[7];
	int8_t now[7];
	size_t payload;

	th_fresh();
	TT_ASSERT_EQ(tintin_model_init(&th_a, &tt_dense_desc, TINTIN_MODE_TRAIN, th_arena,
				       sizeof(th_arena)),
		     0, "init a");
	th_train(&th_a, 6);
	TT_ASSERT_EQ(tintin_checkpoint_save(&th_a, &th_st, NULL), 0, "save");
	payload = tintin_checkpoint_bytes(&th_a);
	TT_ASSERT_EQ(tintin_model_init(&th_b, &tt_dense_desc, TINTIN_MODE_TRAIN, th_arena2,
				       sizeof(th_arena2)),
		     0, "init b");
	th_out(&th_b, fresh);
	th_train(&th_b, 3); /* b's own progress, different from a's */
	th_out(&th_b, trained);
	/* Fail during validation (before the payload's end): b keeps its own state. */
	th_st_mem.read_budget = (int32_t)(payload / 2u);
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_b, &th_st, NULL), -EIO, "fault while checking");
	th_out(&th_b, now);
	TT_ASSERT(memcmp(now, trained, 7) == 0, "a failed check changed the model");
	/* Fail while loading: slot 0 validates (payload + both headers), then the load faults
	 * half-way. The model is the table's initial one, not half of each.
	 */
	th_st_mem.read_budget = (int32_t)(2u * TINTIN_CKPT_HEADER_BYTES + payload +
					  payload / 2u);
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_b, &th_st, NULL), -EIO, "fault while loading");
	th_out(&th_b, now);
	TT_ASSERT(memcmp(now, fresh, 7) == 0, "a failed load left a mix");
	th_st_mem.read_budget = -1;
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_b, &th_st, NULL), 0, "then it restores");
	th_out(&th_b, now);
	th_out(&th_a, trained);
	TT_ASSERT(memcmp(now, trained, 7) == 0, "restored state");
}

/* F6: callbacks returning a positive byte count were read as slot verdicts: an out-of-bounds
 * log index, -ENOENT with two valid slots, and a save that erased a valid checkpoint.
 */
TT_TEST(tintin_hardening, test_f6_positive_storage_returns_are_errors)
{
	struct tintin_ckpt_info info;

	th_fresh();
	TT_ASSERT_EQ(tintin_model_init(&th_a, &tt_dense_desc, TINTIN_MODE_TRAIN, th_arena,
				       sizeof(th_arena)),
		     0, "init");
	TT_ASSERT_EQ(tintin_checkpoint_save(&th_a, &th_st, NULL), 0, "save 1");
	TT_ASSERT_EQ(tintin_checkpoint_save(&th_a, &th_st, NULL), 0, "save 2");
	th_st_mem.erases = 0u;
	th_st_mem.count_returns = 1;
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_a, &th_st, NULL), -EIO, "restore: count");
	TT_ASSERT_EQ(tintin_checkpoint_save(&th_a, &th_st, NULL), -EIO, "save: count");
	TT_ASSERT_EQ(th_st_mem.erases, 0u, "a save that cannot read erased a slot");
	th_st_mem.count_returns = 0;
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_a, &th_st, &info), 0, "both survive");
	TT_ASSERT(info.valid == 2u && info.seq == 2u, "valid %u seq %u", info.valid,
		  (unsigned int)info.seq);
}

/* F8: restore took a CRC-valid slot with w_exp 127 (every later step fails), and a
 * checkpoint of the same layout trained over other frozen weights or another seed.
 */
TT_TEST(tintin_hardening, test_f8_restore_checks_state_and_the_whole_table)
{
	static int8_t w0[5 * 6];
	struct tintin_layer_desc layers[3];
	struct tintin_model_desc other = tt_dense_desc;
	int8_t before[7];
	int8_t now[7];

	th_fresh();
	TT_ASSERT_EQ(tintin_model_init(&th_a, &tt_dense_desc, TINTIN_MODE_TRAIN, th_arena,
				       sizeof(th_arena)),
		     0, "init");
	th_train(&th_a, 2);
	TT_ASSERT_EQ(tintin_checkpoint_save(&th_a, &th_st, NULL), 0, "save");
	/* The same layout under another seed, and with other first-layer weights. */
	other.seed ^= 1u;
	TT_ASSERT_EQ(tintin_model_init(&th_b, &other, TINTIN_MODE_TRAIN, th_arena2,
				       sizeof(th_arena2)),
		     0, "init seed");
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_b, &th_st, NULL), -ENOENT, "other seed");
	memcpy(layers, tt_dense_layers, sizeof(layers));
	memcpy(w0, tt_dense_w0, sizeof(w0));
	w0[3] ^= 1;
	layers[0].weights = w0;
	other = tt_dense_desc;
	other.layers = layers;
	TT_ASSERT_EQ(tintin_model_init(&th_b, &other, TINTIN_MODE_TRAIN, th_arena2,
				       sizeof(th_arena2)),
		     0, "init weights");
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_b, &th_st, NULL), -ENOENT, "other weights");

	/* A crafted slot: w_exp 127 in layer 0 with CRCs recomputed. */
	TT_ASSERT_EQ(tintin_model_init(&th_b, &tt_dense_desc, TINTIN_MODE_TRAIN, th_arena2,
				       sizeof(th_arena2)),
		     0, "init b");
	th_out(&th_b, before);
	{
		struct tintin_layer_info li;
		uint8_t *h = th_st_mem.mem;
		size_t payload = tintin_checkpoint_bytes(&th_a) - TINTIN_CKPT_PAYLOAD_OFFSET;
		/* Layer 0's pieces: w, w_lo, w_mom (int16), bias, b_mom, then w_exp. */
		size_t at;
		uint32_t crc;

		TT_ASSERT_EQ(tintin_model_layer_info(&th_a, 0, &li), 0, "info");
		at = TINTIN_CKPT_PAYLOAD_OFFSET + 4u * li.n_w + 8u * li.out;
		TT_ASSERT_EQ((int8_t)h[at], li.w_exp, "w_exp where the format puts it");
		h[at] = 127u;
		crc = tintin_crc32(0u, h + TINTIN_CKPT_PAYLOAD_OFFSET, payload);
		for (int k = 0; k < 4; k++) {
			h[20 + k] = (uint8_t)(crc >> (8 * k));
		}
		crc = tintin_crc32(0u, h, 28u);
		for (int k = 0; k < 4; k++) {
			h[28 + k] = (uint8_t)(crc >> (8 * k));
		}
	}
	TT_ASSERT_EQ(tintin_checkpoint_restore(&th_b, &th_st, NULL), -ERANGE, "w_exp 127");
	th_out(&th_b, now);
	TT_ASSERT(memcmp(now, before, 7) == 0, "a refused slot changed the model");
}

/* F7: on a 32-bit core a model larger than size_t made the planner return an undocumented
 * -ENOMEM with no log line; it is -E2BIG, documented and logged. 65535 x 65535 weights with
 * int16 masters need 2 x 4,294,836,225 bytes.
 */
TT_TEST(tintin_hardening, test_f7_a_plan_beyond_size_t_is_e2big)
{
	static const struct tintin_layer_desc huge[] = {
		{.type = TINTIN_LAYER_DENSE, .units = 65535, .weights = th_w, .w_exp = -7},
	};
	struct tintin_model_desc d = th_desc(huge, 1, 1u, 1u, 65535u);
	size_t need = 0u;
	int ret;

	d.loss = TINTIN_LOSS_MSE;
	d.optim = (struct tintin_optim_cfg)TINTIN_OPTIM_COMPACT;
	ret = tintin_model_plan(&d, TINTIN_MODE_TRAIN, &need);
	if (sizeof(size_t) <= 4u) {
		TT_ASSERT_EQ(ret, -E2BIG, "32-bit: %d", ret);
	} else {
		TT_ASSERT_EQ(ret, 0, "64-bit: %d", ret);
		TT_ASSERT(need / 2u >= (size_t)65535u * 65535u, "planned %lu", (unsigned long)need);
	}
}
