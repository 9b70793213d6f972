/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* The digits vectors' training run at batch 8, shared by the suites that replay it. */

#ifndef TT_DIGITS_H_
#define TT_DIGITS_H_

#include <stdint.h>

#include <tintin/tintin.h>

#include "vectors/tt_vec_digits.h"

/* TT_DIGITS_EPOCHS epochs of 8-sample steps, as the reference ran them: 0, or the first
 * failing step's error.
 */
static inline int tt_digits_train(struct tintin_model *m)
{
	for (int epoch = 0; epoch < TT_DIGITS_EPOCHS; epoch++) {
		for (uint32_t k = 0; k < TT_DIGITS_TRAIN_N; k += 8u) {
			struct tintin_batch b = {.x = tt_digits_train_x + k * TT_DIGITS_TRAIN_SIZE,
						 .labels = tt_digits_train_y + k,
						 .n = 8u,
						 .x_exp = TT_DIGITS_TRAIN_EXP};
			int ret = tintin_model_train_step(m, &b);

			if (ret != 0) {
				return ret;
			}
		}
	}
	return 0;
}

#endif /* TT_DIGITS_H_ */
