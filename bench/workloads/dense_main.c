/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Dense forward kernel alone, for instructions per MAC: region 1 is tintin_fc_forward_s8 on
 * a batch of DENSE_B samples, DENSE_IN inputs, DENSE_OUT outputs (deterministic data), with
 * the workspace a model gives it.
 */

#include <stdint.h>
#include <stdio.h>

#include <tintin/tintin.h>

#include "bench.h"

#ifndef DENSE_B
#define DENSE_B 8
#endif
#ifndef DENSE_IN
#define DENSE_IN 256
#endif
#ifndef DENSE_OUT
#define DENSE_OUT 64
#endif

/* Word-aligned, as a model's arena lays out trainable weights and activations. */
static int8_t x[DENSE_B * DENSE_IN] __attribute__((aligned(4)));
static int8_t w[DENSE_OUT * DENSE_IN] __attribute__((aligned(4)));
static int32_t bias[DENSE_OUT];
static int32_t acc[DENSE_B * DENSE_OUT];
static int32_t ws[TINTIN_FC_WS_WORDS(DENSE_B, DENSE_IN)];

int main(void)
{
	uint32_t h = 12345u;
	int32_t sum = 0;

	for (int k = 0; k < DENSE_B * DENSE_IN; k++) {
		h = h * 1664525u + 1013904223u;
		x[k] = (int8_t)((h >> 24) % 255u) - 127;
	}
	for (int k = 0; k < DENSE_OUT * DENSE_IN; k++) {
		h = h * 1664525u + 1013904223u;
		w[k] = (int8_t)((h >> 24) % 255u) - 127;
	}
	bench_mark(0);
	bench_mark(1);
	bench_mark(2);
	tintin_fc_forward_s8(x, w, bias, 0, DENSE_B, DENSE_IN, DENSE_OUT, acc, ws);
	bench_mark(3);
	for (int k = 0; k < DENSE_B * DENSE_OUT; k++) {
		sum += acc[k];
	}
	printf("dense: checksum %ld\n", (long)sum);
	return 0;
}
