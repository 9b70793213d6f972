/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* FNV-1a (32-bit), the hash of model tables and of checkpoints' model layouts (internal). */

#ifndef TINTIN_FNV_H_
#define TINTIN_FNV_H_

#include <stddef.h>
#include <stdint.h>

#define TINTIN_FNV_BASIS 2166136261u

static inline uint32_t tintin_fnv_bytes(uint32_t h, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	for (size_t k = 0; k < n; k++) {
		h = (h ^ p[k]) * 16777619u;
	}
	return h;
}

/* The low `bytes` bytes of v, little-endian whatever the core's byte order. */
static inline uint32_t tintin_fnv_u32(uint32_t h, uint32_t v, size_t bytes)
{
	for (size_t k = 0; k < bytes; k++) {
		h = (h ^ (v & 0xffu)) * 16777619u;
		v >>= 8;
	}
	return h;
}

#endif /* TINTIN_FNV_H_ */
