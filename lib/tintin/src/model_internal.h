/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* What checkpoint.c needs of model.c beyond the public API (internal). */

#ifndef TINTIN_MODEL_INTERNAL_H_
#define TINTIN_MODEL_INTERNAL_H_

#include <tintin/model.h>

/* 0 when layer i may hold this weight exponent and rate back-off (the window training keeps
 * them in), else -ERANGE with a log line. A checkpoint is checked with it before it loads.
 */
int tintin_layer_state_ok(const struct tintin_model_desc *d, uint8_t i, int w_exp,
			  unsigned int lr_off);

#endif /* TINTIN_MODEL_INTERNAL_H_ */
