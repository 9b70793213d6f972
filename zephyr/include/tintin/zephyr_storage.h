/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Checkpoint storage in a Zephyr flash area (CONFIG_TINTIN_CHECKPOINT_FLASH).
 *
 * The area (for example the devicetree's storage_partition) holds the two slots; each slot
 * starts on an erase-page boundary and is erased as a whole before it is written.
 */

#ifndef TINTIN_ZEPHYR_STORAGE_H_
#define TINTIN_ZEPHYR_STORAGE_H_

#include <zephyr/storage/flash_map.h>

#include <tintin/checkpoint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An open flash area used as checkpoint storage. */
struct tintin_flash_storage {
	const struct flash_area *fa;
};

/**
 * @brief Open flash area area_id (e.g. FIXED_PARTITION_ID(storage_partition)) as two slots
 * of slot_size bytes.
 * @retval 0 and st filled in
 * @retval -EINVAL the area is too small, or slot_size is not a multiple of its erase pages,
 *         or its write block is not a power of two <= TINTIN_CKPT_WRITE_BLOCK_MAX
 * @retval other negative errno from flash_area_open()
 */
int tintin_storage_flash_open(struct tintin_storage *st, struct tintin_flash_storage *fs,
			      uint8_t area_id, uint32_t slot_size);

/** @brief Release the flash area. */
void tintin_storage_flash_close(struct tintin_flash_storage *fs);

#ifdef __cplusplus
}
#endif

#endif /* TINTIN_ZEPHYR_STORAGE_H_ */
