/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Environmental sensor continual learning on Zephyr: an anomaly detector pre-trained indoors
 * keeps learning on the node after it is moved outdoors. Readings come from the env-sensor
 * devicetree alias when the board has one, else from the embedded replay of a real mote;
 * checkpoints go to the storage partition when there is one, else to no-init RAM. The logic
 * is env_cl.c, shared with the host runner.
 */

#include <zephyr/devicetree.h>
#include <zephyr/kernel.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/printk.h>

#include <tintin/tintin.h>
#include <tintin/zephyr.h>

#include "env_cl.h"
#include "env_model.h"
#include "env_reference.h"
#include "ram_storage.h"
#include "replay.h"

#if DT_NODE_EXISTS(DT_ALIAS(env_sensor))
#include "sensor_source.h"
#define ENV_LIVE_SENSOR 1
#else
#define ENV_LIVE_SENSOR 0
#endif

#if defined(CONFIG_TINTIN_CHECKPOINT_FLASH) && FIXED_PARTITION_EXISTS(storage_partition)
#include <tintin/zephyr_storage.h>
#define ENV_FLASH 1
static struct tintin_flash_storage flash;
#else
#define ENV_FLASH 0
static __noinit uint8_t ram_slots[2u * CONFIG_ENV_SLOT_SIZE] __aligned(4);
#endif

TINTIN_ARENA_DEFINE(arena_live, ENV_ARENA_TRAIN);
TINTIN_ARENA_DEFINE(arena_frozen, ENV_ARENA_INFER);
static struct env_cl cl;
static struct tintin_storage storage;

static void env_printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

static uint32_t env_cycles(void)
{
	return k_cycle_get_32();
}

static int env_open_storage(void)
{
#if ENV_FLASH
	printk("env: checkpoints in flash (storage_partition)\n");
	return tintin_storage_flash_open(&storage, &flash, FIXED_PARTITION_ID(storage_partition),
					 CONFIG_ENV_SLOT_SIZE);
#else
	printk("env: checkpoints in no-init RAM (no storage partition on this board)\n");
	env_ram_storage(&storage, ram_slots, CONFIG_ENV_SLOT_SIZE);
	return 0;
#endif
}

static int env_open_source(struct env_source *src)
{
#if ENV_LIVE_SENSOR
	return env_sensor_source(src, CONFIG_ENV_SENSOR_PERIOD_MS);
#else
	static struct env_replay rp;

	env_replay_source(src, &rp);
	return 0;
#endif
}

static void env_print_instructions(void)
{
#if defined(CONFIG_QEMU_ICOUNT)
	/* Under icount QEMU runs one instruction every 2^shift ns of virtual time. */
	uint64_t ns = cl.train_cycles * 1000000000ull / (uint64_t)sys_clock_hw_cycles_per_sec();
	uint64_t instr = ns >> CONFIG_QEMU_ICOUNT_SHIFT;

	if (cl.trained != 0u) {
		printk("env: %u instructions per training step (QEMU icount, mean of %u steps)\n",
		       (unsigned int)(instr / cl.trained), (unsigned int)cl.trained);
	}
#else
	printk("env: instructions per training step are counted under QEMU with icount only\n");
#endif
}

int main(void)
{
	struct env_hooks hooks = {
		.print = env_printk,
		.cycles = env_cycles,
		.storage = &storage,
		.save_every = CONFIG_ENV_SAVE_EVERY,
		.reboot_at = CONFIG_ENV_REBOOT_AT,
		.ref_window_bp = env_ref_window_bp,
		.ref_windows = ENV_REF_WINDOWS,
	};
	struct env_score ref = {.n = ENV_REF_N, .false_alarms = ENV_REF_FALSE_ALARMS,
				.missed = ENV_REF_MISSED};
	struct env_source src;
	int ret;

	printk("env: environmental sensor continual learning: arena %u bytes training, %u frozen "
	       "(budget %u)\n", (unsigned int)ENV_ARENA_TRAIN, (unsigned int)ENV_ARENA_INFER,
	       (unsigned int)CONFIG_TINTIN_ARENA_SIZE);
	ret = env_open_storage();
	if (ret != 0) {
		printk("env: checkpoint storage failed: %d; running without\n", ret);
		hooks.storage = NULL;
	}
	ret = env_cl_init(&cl, &env_desc, arena_live, sizeof(arena_live), arena_frozen,
			  sizeof(arena_frozen), &hooks);
	if (ret == 0) {
		ret = env_open_source(&src);
	}
	if (ret != 0) {
		printk("env: start failed: %d\n", ret);
		return 0;
	}
	printk("env: source: %s\n", src.name);
	ret = env_cl_run(&cl, &src, &hooks);
	if (ret != 0) {
		return 0;
	}
	env_print_instructions();
	(void)env_cl_report(&cl, &hooks, &ref);
	return 0;
}
