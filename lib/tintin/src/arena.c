/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/arena.h>
#include <tintin/config.h>

int tintin_arena_init(struct tintin_arena *a, void *buf, size_t size)
{
	if (a == NULL || buf == NULL) {
		TINTIN_LOG_ERR("tintin: arena: NULL %s", (a == NULL) ? "arena" : "buffer");
		return -EINVAL;
	}
	if (((uintptr_t)buf & (TINTIN_ARENA_ALIGN - 1u)) != 0u) {
		TINTIN_LOG_ERR("tintin: arena: buffer %p is not %d-byte aligned", buf,
			       TINTIN_ARENA_ALIGN);
		return -EINVAL;
	}
	a->base = (uint8_t *)buf;
	a->size = size;
	a->used = 0u;
	return 0;
}

void tintin_arena_init_plan(struct tintin_arena *a)
{
	a->base = NULL;
	a->size = SIZE_MAX;
	a->used = 0u;
}

int tintin_arena_alloc(struct tintin_arena *a, size_t size, size_t align, void **out)
{
	size_t off = (a->used + (align - 1u)) & ~(align - 1u);

	/* SIZE_MAX is what tintin_size_mul saturates to: never a real request. */
	if (size == SIZE_MAX || off < a->used || off > a->size || size > a->size - off) {
		*out = NULL;
		return -ENOMEM;
	}
	*out = (a->base != NULL) ? (void *)(a->base + off) : NULL;
	a->used = off + size;
	return 0;
}
