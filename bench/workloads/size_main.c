/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * One code-size image (`tintin codesize`): an application that calls only what a build of its
 * kind needs, so that --gc-sections leaves exactly the library code such a build links.
 *   SIZE_TRAIN 0: inference only (init in TINTIN_MODE_INFER, predict);
 *   SIZE_TRAIN 1: on-device training (init in TINTIN_MODE_TRAIN, a training step on
 *                 SIZE_BATCH samples, the model's max_batch, and one on a single sample, predict);
 *   SIZE_EMPTY:   no Tin-Tin call at all (the image's baseline: harness, libc, libgcc);
 *   SIZE_LAYOUT:  init from the header's layout (tintin_model_init_layout) instead of
 *                 tintin_model_init, so that the planner, layout and validation drop out.
 * size_model.h is the generated model; the image exits 0 when every call returned 0, so a
 * configuration whose switches refuse its model is noticed instead of measured.
 */

#include <stdint.h>

#include <tintin/tintin.h>

#if !defined(SIZE_EMPTY)
#include "size_model.h"
#endif

#if defined(SIZE_LOG)
/* The library's error log hook (size_config.h): kept out of line, so the call sites and
 * their format strings stay in the image as they do with a real logger.
 */
__attribute__((noinline)) void tintin_size_log(const char *fmt, ...)
{
	__asm__ volatile("" : : "r"(fmt) : "memory");
}
#endif

#if !defined(SIZE_EMPTY)
#if defined(SIZE_LAYOUT) && SIZE_TRAIN
#define SIZE_ARENA SIZE_LAYOUT_TRAIN_ARENA
#define SIZE_INIT(m, buf)                                                                          \
	tintin_model_init_layout(m, &size_desc, SIZE_LAYOUT_TRAIN, buf, sizeof(buf))
#elif defined(SIZE_LAYOUT)
#define SIZE_ARENA SIZE_LAYOUT_INFER_ARENA
#define SIZE_INIT(m, buf)                                                                          \
	tintin_model_init_layout(m, &size_desc, SIZE_LAYOUT_INFER, buf, sizeof(buf))
#elif SIZE_TRAIN
#define SIZE_MODE TINTIN_MODE_TRAIN
#if TINTIN_FC_USES_WS
#define SIZE_ARENA SIZE_ARENA_TRAIN_DSP
#else
#define SIZE_ARENA SIZE_ARENA_TRAIN
#endif
#else
#define SIZE_MODE TINTIN_MODE_INFER
#if TINTIN_FC_USES_WS
#define SIZE_ARENA SIZE_ARENA_INFER_DSP
#else
#define SIZE_ARENA SIZE_ARENA_INFER
#endif
#endif

#ifndef SIZE_INIT
#define SIZE_INIT(m, buf) tintin_model_init(m, &size_desc, SIZE_MODE, buf, sizeof(buf))
#endif

static uint8_t arena[SIZE_ARENA] __attribute__((aligned(8)));
static struct tintin_model model;
static int8_t x[SIZE_BATCH * SIZE_INPUT_SIZE];
static uint8_t labels[SIZE_BATCH];
static uint8_t cls;

#if SIZE_TRAIN
static int train(uint16_t n)
{
	struct tintin_batch b = {.x = x, .labels = labels, .n = n, .x_exp = -7};

	return tintin_model_train_step(&model, &b);
}
#endif
#endif

int main(void)
{
#if defined(SIZE_EMPTY)
	return 0;
#else
	int ret;

	for (uint32_t k = 0; k < SIZE_BATCH * SIZE_INPUT_SIZE; k++) {
		x[k] = (int8_t)((k * 37u + 11u) & 0x7fu); /* deterministic, non-zero inputs */
	}
	for (uint32_t k = 0; k < SIZE_BATCH; k++) {
		labels[k] = (uint8_t)((3u + k) % SIZE_OUTPUTS);
	}
	ret = SIZE_INIT(&model, arena);
#if SIZE_TRAIN
	/* A whole batch, then one sample: a dense layer's update at batch 1 has its own path. */
	ret = (ret != 0) ? ret : train(SIZE_BATCH);
	ret = (ret != 0) ? ret : train(1u);
#endif
	if (ret == 0) {
		ret = tintin_model_predict(&model, x, -7, 1, &cls);
	}
	return (ret != 0) ? 1 : 0;
#endif
}
