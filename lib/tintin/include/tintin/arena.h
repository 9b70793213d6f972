/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Caller-owned bump arena: every byte the runtime uses comes from here.
 *
 * @defgroup tintin_arena Arena
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_ARENA_H_
#define TINTIN_ARENA_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Alignment of the arena base and of every allocation that needs more than a byte. */
#define TINTIN_ARENA_ALIGN 4

/**
 * A bump allocator over a caller buffer. With base == NULL it only counts: the planner
 * runs the same allocation sequence as init on such an arena, so planned bytes and real
 * bytes cannot disagree.
 */
struct tintin_arena {
	uint8_t *base;
	size_t size;
	size_t used;
};

/**
 * @brief Start an arena over buf.
 * @retval 0 on success.
 * @retval -EINVAL buf is NULL or not TINTIN_ARENA_ALIGN-aligned.
 */
int tintin_arena_init(struct tintin_arena *a, void *buf, size_t size);

/** Start a counting-only arena (no memory behind it, no limit). */
void tintin_arena_init_plan(struct tintin_arena *a);

/**
 * @brief Reserve size bytes aligned to align (a power of two <= TINTIN_ARENA_ALIGN).
 * @param[out] out The block, or NULL on a counting-only arena.
 * @retval 0 on success.
 * @retval -ENOMEM the arena is exhausted.
 */
int tintin_arena_alloc(struct tintin_arena *a, size_t size, size_t align, void **out);

/** Bytes reserved so far (the high-water mark: the arena never frees). */
static inline size_t tintin_arena_used(const struct tintin_arena *a)
{
	return a->used;
}

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_ARENA_H_ */
