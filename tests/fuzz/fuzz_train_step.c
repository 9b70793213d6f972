/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * libFuzzer target: a training step, forward and evaluation of a small CNN on arbitrary
 * input bytes: sample count, input exponent, labels and int8 samples all come from the
 * fuzzer, including out-of-range ones that must be refused with -EINVAL.
 */

#include <stdlib.h>

#include "fuzz_models.h"

static uint32_t fz_arena[1024];
static struct tintin_model fz_m;
static int fz_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int8_t x[5 * FZ_CNN_INPUT];
	uint8_t labels[5];
	struct tintin_batch b;
	struct tintin_tensor out;
	uint16_t n;
	int ret;

	if (size < 3u) {
		return 0;
	}
	/* One model for the whole run, as on a device: state carries from input to input. */
	if (!fz_ready || (data[0] & 0x80u) != 0u) {
		if (tintin_model_init(&fz_m, &fz_cnn, TINTIN_MODE_TRAIN, fz_arena, sizeof(fz_arena)) !=
		    0) {
			abort();
		}
		fz_ready = 1;
	}
	n = (uint16_t)(data[0] % 6u); /* 0..5: 0 and 5 are out of range */
	/* Input exponents -12..3; the far ends push activations to the clip limits. */
	b.x_exp = (int8_t)((data[1] & 0x0fu) - 12);
	memset(x, 0, sizeof(x));
	memset(labels, 0, sizeof(labels));
	data += 2;
	size -= 2u;
	for (uint16_t k = 0; k < 4u && size > 0u; k++, data++, size--) {
		labels[k] = (uint8_t)(*data % 4u); /* 3 is not a class */
	}
	memcpy(x, data, size < sizeof(x) ? size : sizeof(x));
	b.x = x;
	b.labels = labels;
	b.targets = NULL;
	b.n = n;
	b.t_exp = 0;
	ret = tintin_model_train_step(&fz_m, &b);
	if (ret != 0 && ret != -EINVAL && ret != -EOVERFLOW && ret != -ERANGE) {
		abort();
	}
	if (n >= 1u && n <= 4u) {
		ret = tintin_model_forward(&fz_m, x, b.x_exp, n, &out);
		if (ret != 0 && ret != -ERANGE) {
			abort();
		}
	}
	return 0;
}
