/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/fixedpoint.h>
#include <tintin/ops.h>

int tintin_requantize_s8(const int32_t *acc, size_t n, int8_t *out, uint32_t *sat)
{
	uint32_t maxabs = 0u;
	int shift;

	for (size_t k = 0; k < n; k++) {
		uint32_t m = tintin_abs32(acc[k]);

		if (m > maxabs) {
			maxabs = m;
		}
	}
	shift = tintin_range_shift(maxabs);
	for (size_t k = 0; k < n; k++) {
		int32_t v = tintin_round_shift(acc[k], shift);

		if (v > 127 || v < -127) {
			(*sat)++;
		}
		out[k] = tintin_sat8(v);
	}
	return shift;
}
