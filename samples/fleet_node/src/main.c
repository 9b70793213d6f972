/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * A fleet node on Zephyr: the environmental anomaly detector learns from its own readings, sends
 * what it learned to the gateway as a fleet message framed in CBOR (zcbor) on one console line,
 * and applies the global model the gateway sends back the same way. A message that fails any
 * check is refused with its errno and the node keeps its model and waits for the next one.
 *
 * Console protocol, one line each way per round:
 *   node -> gateway  "fleet: update <hex of the CBOR frame>"
 *   gateway -> node  "fleet: global <hex of the CBOR frame>"
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>

#include <tintin/tintin.h>
#include <tintin/fleet.h>
#include <tintin/zephyr.h>

#include "env_data.h"
#include "env_model.h"
#include "fleet_cbor.h"
#include "fleet_line.h"

#define FLEET_CBOR_CAP (TINTIN_FLEET_FRAME + FLEET_CBOR_OVERHEAD)
#define FLEET_GLOBAL   "fleet: global "

TINTIN_ARENA_DEFINE(arena, ENV_ARENA_TRAIN);
static struct tintin_model model;
static uint8_t msg[TINTIN_FLEET_FRAME];
static uint8_t cbor[FLEET_CBOR_CAP];
static char line[sizeof(FLEET_GLOBAL) + 2u * FLEET_CBOR_CAP + 1u];

/* One reading k of the replay as the model's inputs: temperature, humidity and their changes
 * since reading k - 1, as the environmental sample computes them.
 */
static void fleet_reading(uint32_t k, int8_t *x)
{
	uint32_t prev = k == 0u ? 0u : k - 1u;
	int32_t raw[ENV_FEATURES];

	raw[0] = env_stream_raw[2u * k];
	raw[1] = env_stream_raw[2u * k + 1u];
	raw[2] = raw[0] - env_stream_raw[2u * prev];
	raw[3] = raw[1] - env_stream_raw[2u * prev + 1u];
	env_quantize(raw, x);
}

static int fleet_train(uint32_t first, uint32_t n)
{
	for (uint32_t k = first; k < first + n; k++) {
		int8_t x[ENV_FEATURES];
		uint8_t y = env_stream_y[k % ENV_STREAM_N];
		struct tintin_batch b = {.x = x, .labels = &y, .n = 1, .x_exp = ENV_INPUT_EXP};
		int ret;

		fleet_reading(k % ENV_STREAM_N, x);
		ret = tintin_model_train_step(&model, &b);
		if (ret != 0) {
			return ret;
		}
	}
	return 0;
}

static int fleet_send_update(uint32_t round, uint32_t samples)
{
	static char hex[2u * FLEET_CBOR_CAP + 1u];
	size_t len, clen;
	int ret = tintin_fleet_export(&model, TINTIN_FLEET_UPDATE, round, samples, msg, sizeof(msg),
				      &len);

	if (ret == 0) {
		ret = fleet_cbor_encode(msg, len, cbor, sizeof(cbor), &clen);
	}
	if (ret != 0) {
		return ret;
	}
	fleet_hex_encode(cbor, clen, hex);
	return fleet_line_write("fleet: update ", hex);
}

/* Wait for a global model and apply it; refusals are reported and waited past. */
static int fleet_receive_global(uint32_t round)
{
	for (;;) {
		struct tintin_fleet_info info;
		const uint8_t *body;
		size_t body_len;
		int n = fleet_line_read(line, sizeof(line));
		int ret;

		if (n == -ENODEV) {
			return n;
		}
		if (n < 0 || strncmp(line, FLEET_GLOBAL, strlen(FLEET_GLOBAL)) != 0) {
			continue; /* not for us, or longer than any frame */
		}
		ret = fleet_hex_decode(line + strlen(FLEET_GLOBAL), cbor, sizeof(cbor));
		if (ret >= 0) {
			ret = fleet_cbor_decode(cbor, (size_t)ret, &body, &body_len);
		}
		if (ret == 0) {
			ret = tintin_fleet_apply(&model, body, body_len, &info);
		}
		if (ret == 0 && (info.kind != TINTIN_FLEET_GLOBAL || info.round != round)) {
			ret = -EINVAL;
		}
		if (ret != 0) {
			printk("fleet: refused a global model (%d)\n", ret);
			continue;
		}
		printk("fleet: applied global round %u (%u samples)\n", info.round, info.samples);
		return 0;
	}
}

int main(void)
{
	const uint32_t n = CONFIG_FLEET_NODE_READINGS;
	int ret = tintin_model_init(&model, &env_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena));

	if (ret != 0) {
		printk("fleet: init failed (%d)\n", ret);
		return 0;
	}
	/* Nodes built from one table would otherwise draw the same rounding stream. */
	tintin_prng_seed(&model.prng, CONFIG_FLEET_NODE_ID);
	printk("fleet: node %d ready, %u-byte messages\n", CONFIG_FLEET_NODE_ID,
	       (unsigned int)tintin_fleet_bytes(&model));
	for (uint32_t round = 1u; round <= CONFIG_FLEET_NODE_ROUNDS; round++) {
		ret = fleet_train((round - 1u) * n, n);
		if (ret == 0) {
			ret = fleet_send_update(round, n);
		}
		if (ret == 0) {
			ret = fleet_receive_global(round);
		}
		if (ret != 0) {
			printk("fleet: round %u failed (%d)\n", round, ret);
			return 0;
		}
	}
	printk("fleet: PASS %d rounds with the gateway\n", CONFIG_FLEET_NODE_ROUNDS);
	return 0;
}
