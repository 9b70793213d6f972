/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Model blobs on every target: a blob written by the Python tools parses, plans and trains to
 * the reference's outputs; every truncation and every flipped byte is refused; bad arguments
 * give -EINVAL. tests/python/io/test_blob.py and tests/fuzz/fuzz_model_blob.c cover the rest.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tintin/tintin.h>

#include "tt_test.h"
#include "vectors/tt_vec_blob.h"

TT_SUITE(tintin_blob);

static uint32_t tb_copy[(TT_BLOB_LEN + 7u) / 4u];
static uint32_t tb_arena[(TT_BLOB_ARENA_TRAIN + 3u) / 4u];
static struct tintin_model_blob tb_parsed;
static struct tintin_model tb_m;

/* 0 when parse and plan both accept the first n bytes of buf, else the first error. */
static int tb_refused(const void *buf, size_t n)
{
	size_t bytes;
	int ret = tintin_model_blob_parse(&tb_parsed, buf, n);

	return ret != 0 ? ret : tintin_model_plan(&tb_parsed.desc, TINTIN_MODE_TRAIN, &bytes);
}

TT_TEST(tintin_blob, test_blob_trains_like_the_reference)
{
	struct tintin_batch b = {.x = tt_blob_x, .labels = tt_blob_y, .n = 2, .x_exp = -7};
	struct tintin_tensor out;
	size_t bytes = 0u;

	TT_ASSERT_EQ(tintin_model_blob_parse(&tb_parsed, tt_blob, TT_BLOB_LEN), 0, "parse");
	TT_ASSERT_EQ(tintin_model_plan(&tb_parsed.desc, TINTIN_MODE_TRAIN, &bytes), 0, "plan");
	TT_ASSERT_EQ(bytes, TT_BLOB_ARENA_TRAIN, "planned bytes");
	TT_ASSERT_EQ(tintin_model_init(&tb_m, &tb_parsed.desc, TINTIN_MODE_TRAIN, tb_arena,
				       sizeof(tb_arena)),
		     0, "init");
	TT_ASSERT_EQ(tintin_model_forward(&tb_m, tt_blob_x, -7, 2, &out), 0, "forward");
	TT_ASSERT_EQ(out.exp, TT_BLOB_OUT0_EXP, "output exponent");
	TT_ASSERT(memcmp(out.data, tt_blob_out0, sizeof(tt_blob_out0)) == 0, "outputs differ");
	TT_ASSERT_EQ(tintin_model_train_step(&tb_m, &b), 0, "train step");
	TT_ASSERT_EQ(tintin_model_forward(&tb_m, tt_blob_x, -7, 2, &out), 0, "forward");
	TT_ASSERT_EQ(out.exp, TT_BLOB_OUT1_EXP, "output exponent after the step");
	TT_ASSERT(memcmp(out.data, tt_blob_out1, sizeof(tt_blob_out1)) == 0,
		  "outputs after the step differ");
}

TT_TEST(tintin_blob, test_every_truncation_and_flipped_byte_is_refused)
{
	uint8_t *copy = (uint8_t *)tb_copy;

	memcpy(copy, tt_blob, TT_BLOB_LEN);
	TT_ASSERT_EQ(tb_refused(copy, TT_BLOB_LEN), 0, "the blob itself");
	for (size_t n = 0; n < TT_BLOB_LEN; n++) {
		TT_ASSERT_EQ(tb_refused(copy, n), -EINVAL, "%u of %u bytes accepted", (unsigned int)n,
			     (unsigned int)TT_BLOB_LEN);
		TT_ASSERT_EQ(tb_parsed.desc.n_layers, 0, "a refused parse leaves its output zeroed");
	}
	for (size_t pos = 0; pos < TT_BLOB_LEN; pos++) {
		copy[pos] ^= 0x01u;
		TT_ASSERT(tb_refused(copy, TT_BLOB_LEN) != 0, "byte %u flipped accepted",
			  (unsigned int)pos);
		copy[pos] ^= 0x01u;
	}
	TT_PRINT("tintin: blob: %u truncations and %u flipped bytes refused\n",
		 (unsigned int)TT_BLOB_LEN, (unsigned int)TT_BLOB_LEN);
}

TT_TEST(tintin_blob, test_bad_arguments)
{
	uint8_t *copy = (uint8_t *)tb_copy;

	/* The same bytes one byte off a 4-byte boundary: the biases could not be read in place. */
	memmove(copy + 1, tt_blob, TT_BLOB_LEN);
	TT_ASSERT_EQ(tintin_model_blob_parse(&tb_parsed, copy + 1, TT_BLOB_LEN), -EINVAL,
		     "misaligned");
	TT_ASSERT_EQ(tintin_model_blob_parse(&tb_parsed, NULL, TT_BLOB_LEN), -EINVAL, "NULL blob");
	TT_ASSERT_EQ(tintin_model_blob_parse(NULL, tt_blob, TT_BLOB_LEN), -EINVAL, "NULL out");
}
