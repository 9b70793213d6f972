/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Checkpoint storage in a RAM buffer, for boards without a storage partition (qemu_cortex_m3).
 * In a no-init section it survives a warm reset, not a power cut; use a flash area on a board.
 */

#ifndef ENV_RAM_STORAGE_H_
#define ENV_RAM_STORAGE_H_

#include <stdint.h>

#include <tintin/checkpoint.h>

/** @brief Two slots of slot_size bytes in buf (2 * slot_size bytes). */
void env_ram_storage(struct tintin_storage *st, uint8_t *buf, uint32_t slot_size);

#endif /* ENV_RAM_STORAGE_H_ */
