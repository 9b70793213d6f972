/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Size arithmetic that cannot wrap (internal). Every product that sizes a buffer or bounds a
 * loop over a table's geometry goes through these, so a crafted table or blob cannot turn a
 * huge geometry into a small one (size_t is 32 bits on every target).
 */

#ifndef TINTIN_CHECKED_H_
#define TINTIN_CHECKED_H_

#include <stddef.h>
#include <stdint.h>

/* a * b, or SIZE_MAX when it does not fit: the arena refuses a SIZE_MAX request, so a
 * saturated size fails the allocation instead of shrinking it.
 */
static inline size_t tintin_size_mul(size_t a, size_t b)
{
	return (a != 0u && b > SIZE_MAX / a) ? SIZE_MAX : a * b;
}

/* h * w * c when it is at most limit (*out set), else -1 (*out untouched). */
static inline int tintin_volume(uint32_t h, uint32_t w, uint32_t c, uint32_t limit,
				uint32_t *out)
{
	uint32_t hw;

	if (h != 0u && w > limit / h) {
		return -1;
	}
	hw = h * w;
	if (hw != 0u && c > limit / hw) {
		return -1;
	}
	*out = hw * c;
	return 0;
}

#endif /* TINTIN_CHECKED_H_ */
