/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The env_sensor_cl sample on a PC: the same env_cl.c and replay of the embedded readings as
 * on Zephyr, with checkpoints in a file. `tintin demo env` builds and runs it.
 *
 *   env_host [--checkpoint FILE] [--save-every N] [--reboot-at N] [--window N]
 *   env_host --quantize T H DT DH   (prints env_quantize() of raw features in hundredths,
 *                                    for the encoding tests)
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tintin/storage_file.h>

#include "env_cl.h"
#include "env_model.h"
#include "env_reference.h"
#include "replay.h"

static uint8_t arena_live[ENV_ARENA_TRAIN] __attribute__((aligned(8)));
static uint8_t arena_frozen[ENV_ARENA_INFER] __attribute__((aligned(8)));
static struct env_cl cl;

static void host_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
}

/* CRC-32 of the trained parameters (int8 weights, int16 masters, int32 biases, per layer),
 * which the tests compare with the NumPy reference's after the same stream.
 */
static uint32_t host_params_crc(const struct tintin_model *m)
{
	struct tintin_layer_info info;
	uint32_t crc = 0u;

	for (uint8_t i = 0; tintin_model_layer_info(m, i, &info) == 0; i++) {
		if (info.n_w == 0u) {
			continue;
		}
		crc = tintin_crc32(crc, info.w, info.n_w);
		for (uint32_t k = 0; info.w_lo != NULL && k < info.n_w; k++) {
			uint16_t v = (uint16_t)(info.w[k] * 256 + info.w_lo[k]);
			uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

			crc = tintin_crc32(crc, le, sizeof(le));
		}
		crc = tintin_crc32(crc, info.bias, info.out * sizeof(int32_t));
	}
	return crc;
}

static int host_number(const char *arg, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v > UINT32_MAX) {
		fprintf(stderr, "env_host: '%s' is not a count\n", arg);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct env_hooks hooks = {.print = host_print, .save_every = 1000u,
				  .ref_window_bp = env_ref_window_bp, .ref_windows = ENV_REF_WINDOWS};
	struct env_score ref = {.n = ENV_REF_N, .false_alarms = ENV_REF_FALSE_ALARMS,
				.missed = ENV_REF_MISSED};
	struct tintin_storage_file file;
	struct tintin_storage st;
	struct env_replay rp;
	struct env_source src;
	const char *path = NULL;
	int ret;

	if (argc == 2 + ENV_FEATURES && strcmp(argv[1], "--quantize") == 0) {
		int32_t raw[ENV_FEATURES];
		int8_t x[ENV_FEATURES];

		for (int j = 0; j < ENV_FEATURES; j++) {
			raw[j] = (int32_t)strtol(argv[2 + j], NULL, 10);
		}
		env_quantize(raw, x);
		printf("%d %d %d %d\n", x[0], x[1], x[2], x[3]);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--checkpoint") == 0) {
			path = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--save-every") == 0) {
			if (host_number(argv[++i], &hooks.save_every) != 0) {
				return 2;
			}
		} else if (i + 1 < argc && strcmp(argv[i], "--reboot-at") == 0) {
			if (host_number(argv[++i], &hooks.reboot_at) != 0) {
				return 2;
			}
		} else if (i + 1 < argc && strcmp(argv[i], "--window") == 0) {
			if (host_number(argv[++i], &hooks.window) != 0) {
				return 2;
			}
		} else {
			fprintf(stderr, "usage: env_host [--checkpoint FILE] [--save-every N] "
					"[--reboot-at N] [--window N]\n");
			return 2;
		}
	}
	printf("env: environmental sensor continual learning (host): arena %u bytes training, "
	       "%u frozen\n", (unsigned int)ENV_ARENA_TRAIN, (unsigned int)ENV_ARENA_INFER);
	ret = env_cl_init(&cl, &env_desc, arena_live, sizeof(arena_live), arena_frozen,
			  sizeof(arena_frozen), &hooks);
	if (ret == 0 && path != NULL) {
		ret = tintin_storage_file_open(&st, &file, path, 1024u);
		if (ret == 0) {
			hooks.storage = &st;
			/* Boot again now that storage is there, to pick up a checkpoint. */
			ret = env_cl_init(&cl, &env_desc, arena_live, sizeof(arena_live),
					  arena_frozen, sizeof(arena_frozen), &hooks);
		}
	}
	if (ret != 0) {
		fprintf(stderr, "env_host: start failed: %d\n", ret);
		return 1;
	}
	env_replay_source(&src, &rp);
	printf("env: source: %s, %u readings\n", src.name, (unsigned int)env_replay_len());
	ret = env_cl_run(&cl, &src, &hooks);
	if (ret != 0) {
		return 1;
	}
	ret = env_cl_report(&cl, &hooks, &ref);
	printf("env: trained parameters crc32 0x%08x\n", (unsigned int)host_params_crc(&cl.live));
	if (path != NULL) {
		(void)tintin_storage_file_close(&file);
	}
	return ret;
}
