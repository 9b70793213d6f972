/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * libFuzzer target: model init from a blob of arbitrary bytes. Whatever the parser accepts is
 * planned and initialised as it comes (its hash almost never matches, and init must say so),
 * then once more with the hash the contents have, so that the fuzzer reaches init, a training
 * step and a forward pass with every table the parser lets through. Any errno other than the
 * documented ones, any crash or sanitizer report is a finding.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tintin/tintin.h>

#define FZ_BLOB_MAX 8192u
#define FZ_ARENA 65536u
#define FZ_IO 4096u

static uint32_t fz_blob[FZ_BLOB_MAX / 4u];
static uint32_t fz_arena[FZ_ARENA / 4u];
static int8_t fz_x[FZ_IO];
static int8_t fz_t[FZ_IO];
static struct tintin_model fz_m;

static void fz_expect(int ret, int ok)
{
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE && ret != -ENOTSUP && ret != -ENOMEM &&
	    ret != -EOVERFLOW) {
		abort();
	}
	if (ok && ret != 0) {
		abort();
	}
}

/* A training step and forward passes of one sample built from the blob's own bytes. */
static void fz_run(const struct tintin_model_desc *d, const uint8_t *data, size_t size)
{
	struct tintin_tensor out;
	struct tintin_batch b = {.x = fz_x, .targets = fz_t, .n = 1, .x_exp = -7, .t_exp = -7};
	static const uint8_t label;
	uint32_t in = (uint32_t)d->input.h * d->input.w * d->input.c;
	uint32_t outs;
	size_t need;
	int ret;

	if (in > FZ_IO) {
		return;
	}
	for (uint32_t k = 0; k < in; k++) {
		fz_x[k] = (int8_t)data[k % size];
	}
	for (int mode = TINTIN_MODE_TRAIN; mode <= TINTIN_MODE_INFER; mode++) {
		ret = tintin_model_plan(d, (enum tintin_mode)mode, &need);
		/* A table can be valid yet not trainable (every layer frozen): then the
		 * documented errno, and init must agree.
		 */
		fz_expect(ret, 0);
		if (ret != 0) {
			if (tintin_model_init(&fz_m, d, (enum tintin_mode)mode, fz_arena,
					      sizeof(fz_arena)) != ret) {
				abort();
			}
			continue;
		}
		if (need > FZ_ARENA) {
			continue;
		}
		/* One byte short must be refused, never overrun. */
		if (need > 0u && tintin_model_init(&fz_m, d, (enum tintin_mode)mode, fz_arena,
						   need - 1u) != -ENOMEM) {
			abort();
		}
		fz_expect(tintin_model_init(&fz_m, d, (enum tintin_mode)mode, fz_arena, need), 1);
		fz_expect(tintin_model_forward(&fz_m, fz_x, -7, 1, &out), 0);
		outs = (uint32_t)out.dims.h * out.dims.w * out.dims.c;
		if (mode == TINTIN_MODE_TRAIN && outs <= FZ_IO) {
			b.labels = &label;
			fz_expect(tintin_model_train_step(&fz_m, &b), 0);
			fz_expect(tintin_model_forward(&fz_m, fz_x, -7, 1, &out), 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tintin_model_blob parsed;
	size_t need;

	if (size > FZ_BLOB_MAX) {
		return 0;
	}
	memcpy(fz_blob, data, size); /* aligned, as the parser asks */
	fz_expect(tintin_model_blob_parse(&parsed, fz_blob, size), 0);
	if (parsed.desc.n_layers == 0u) {
		return 0; /* refused: parse zeroes its output */
	}
	/* As given: a parsed blob whose hash disagrees with its contents must not initialise. */
	if (parsed.desc.hash != tintin_model_desc_hash(&parsed.desc)) {
		if (tintin_model_plan(&parsed.desc, TINTIN_MODE_TRAIN, &need) != -EINVAL) {
			abort();
		}
		parsed.desc.hash = tintin_model_desc_hash(&parsed.desc);
	}
	fz_run(&parsed.desc, data, size == 0u ? 1u : size);
	return 0;
}
