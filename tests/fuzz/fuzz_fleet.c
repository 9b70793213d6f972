/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * libFuzzer target: fleet messages from arbitrary bytes, applied to a node's model or
 * aggregated by a gateway. The first byte chooses: bit 0 rewrites each message's CRC-32 so
 * that the checks behind it are reached, bit 1 aggregates up to four messages instead of
 * applying one, bit 2 (with bit 1 and three or more messages) takes the last two as the
 * server momentum's global models, with beta from the second byte, bit 3 (without bit 1)
 * reads the first message as a sparse update against the model's own global message (bit 0
 * then also writes that base's CRC-32 into it). A refusal must leave the model as it was;
 * an accepted message must leave a model that trains and exports again. Sanitizers watch
 * every access.
 */

#include <stdlib.h>

#include "fuzz_models.h"

#define FZ_MSGS 4

static uint32_t fz_arena[512];
static struct tintin_model fz_m;
static struct tintin_model_desc fz_desc;
static uint32_t fz_msg[FZ_MSGS][128];
static uint8_t fz_base[512];
static uint8_t fz_before[4096];
static uint8_t fz_after[4096];

/* The trainable state as bytes, through the public layer view. */
static size_t fz_snap(uint8_t *out)
{
	size_t n = 0u;

	for (uint8_t i = 0; i < fz_m.desc->n_layers; i++) {
		struct tintin_layer_info li;

		if (tintin_model_layer_info(&fz_m, i, &li) != 0 || li.w == NULL) {
			continue;
		}
		memcpy(out + n, li.w, li.n_w);
		n += li.n_w;
		memcpy(out + n, li.bias, 4u * li.out);
		n += 4u * li.out;
		out[n++] = (uint8_t)li.w_exp;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int8_t x[4 * FZ_CNN_INPUT] = {90, -30, 12, 64, -100, 5, -20, 47};
	static const uint8_t y[4] = {0, 2, 1, 1};
	struct tintin_batch b = {.x = x, .labels = y, .n = 4, .x_exp = -7};
	const uint8_t *msgs[FZ_MSGS];
	size_t lens[FZ_MSGS];
	struct tintin_fedavg_part parts[FZ_MSGS];
	int32_t shares[FZ_MSGS];
	struct tintin_fleet_momentum mom;
	struct tintin_prng r = {.key = 5u, .counter = 0u};
	uint8_t out[sizeof(fz_msg[0])];
	size_t len;
	size_t n;
	uint16_t k = 1u;
	int ret;

	if (size < 1u) {
		return 0;
	}
	fz_desc = fz_cnn;
	fz_desc.hash = tintin_model_desc_hash(&fz_cnn);
	if (tintin_model_init(&fz_m, &fz_desc, TINTIN_MODE_TRAIN, fz_arena, sizeof(fz_arena)) !=
	    0) {
		abort();
	}
	len = tintin_fleet_bytes(&fz_m);
	if (len == 0u || len > sizeof(fz_msg[0])) {
		abort();
	}
	memset(fz_msg, 0, sizeof(fz_msg));
	if (data[0] & 2u) {
		k = (uint16_t)((size - 1u) / len);
		k = (k == 0u) ? 1u : ((k > FZ_MSGS) ? FZ_MSGS : k);
	}
	for (uint16_t q = 0; q < k; q++) {
		const size_t at = 1u + q * len;
		size_t m = (size > at) ? size - at : 0u;

		/* The last message takes what is left: a truncated or overlong one too. */
		m = (q + 1u < k && m > len) ? len
					    : ((m > sizeof(fz_msg[q])) ? sizeof(fz_msg[q]) : m);
		memcpy(fz_msg[q], data + at, m);
		if ((data[0] & 9u) == 9u && q == 0u && m >= 24u) {
			size_t blen;

			if (tintin_fleet_export(&fz_m, TINTIN_FLEET_GLOBAL, 0u, 0u, fz_base,
						sizeof(fz_base), &blen) != 0) {
				abort();
			}
			memcpy((uint8_t *)fz_msg[0] + 20, fz_base + blen - 4u, 4u);
		}
		if ((data[0] & 1u) && m >= 4u) {
			uint32_t crc = tintin_crc32(0u, fz_msg[q], m - 4u);
			uint8_t *p = (uint8_t *)fz_msg[q] + m - 4u;

			p[0] = (uint8_t)crc;
			p[1] = (uint8_t)(crc >> 8);
			p[2] = (uint8_t)(crc >> 16);
			p[3] = (uint8_t)(crc >> 24);
		}
		msgs[q] = (const uint8_t *)fz_msg[q];
		lens[q] = m;
	}
	n = fz_snap(fz_before);
	if ((data[0] & 6u) == 6u && k >= 3u) {
		mom.last = msgs[k - 2u];
		mom.before = msgs[k - 1u];
		mom.beta = (uint16_t)((size > 1u) ? data[1] << 8 : 0u);
		/* Read as tintin_fleet_bytes long: the buffers are, zeros after the input. */
		ret = tintin_fleet_aggregate(&fz_m, msgs, lens, k - 2u, &mom, &r, parts, shares);
	} else if (data[0] & 2u) {
		ret = tintin_fleet_aggregate(&fz_m, msgs, lens, k, NULL, &r, parts, shares);
	} else if (data[0] & 8u) {
		size_t blen;

		if (tintin_fleet_export(&fz_m, TINTIN_FLEET_GLOBAL, 0u, 0u, fz_base,
					sizeof(fz_base), &blen) != 0) {
			abort();
		}
		ret = tintin_fleet_apply_sparse(&fz_m, fz_base, blen, msgs[0], lens[0], NULL);
	} else {
		ret = tintin_fleet_apply(&fz_m, msgs[0], lens[0], NULL);
	}
	if (ret != 0) {
		if ((ret != -EINVAL && ret != -ERANGE) || fz_snap(fz_after) != n ||
		    memcmp(fz_before, fz_after, n) != 0) {
			abort(); /* refused, but not cleanly */
		}
		return 0;
	}
	if (tintin_model_check_exps(&fz_m) != 0 || tintin_model_train_step(&fz_m, &b) != 0 ||
	    tintin_fleet_export(&fz_m, TINTIN_FLEET_GLOBAL, 1u, 1u, out, sizeof(out), &len) != 0 ||
	    tintin_fleet_apply(&fz_m, out, len, NULL) != 0) {
		abort(); /* an accepted message must leave a model that trains and exports */
	}
	return 0;
}
