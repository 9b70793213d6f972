/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Host checkpoint storage in a file (host builds only: it uses stdio).
 *
 * The file holds the two slots, 2 * slot_size bytes; a new or short file is extended with
 * 0xFF, like erased flash. Every write is flushed and, on POSIX systems, synced, so a killed
 * process or a power cut leaves at most the slot being written incomplete.
 */

#ifndef TINTIN_STORAGE_FILE_H_
#define TINTIN_STORAGE_FILE_H_

#include <stdio.h>

#include <tintin/checkpoint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An open checkpoint file. */
struct tintin_storage_file {
	FILE *f;
};

/**
 * @brief Open (or create) path as checkpoint storage with two slots of slot_size bytes.
 * @retval 0 and st filled in; close with tintin_storage_file_close()
 * @retval -EINVAL bad arguments
 * @retval -EIO the file cannot be opened, created or extended
 */
int tintin_storage_file_open(struct tintin_storage *st, struct tintin_storage_file *file,
			     const char *path, uint32_t slot_size);

/** @brief Close the file; 0 or -EIO. */
int tintin_storage_file_close(struct tintin_storage_file *file);

#ifdef __cplusplus
}
#endif

#endif /* TINTIN_STORAGE_FILE_H_ */
