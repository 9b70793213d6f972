/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Zephyr-only helpers.
 */

#ifndef TINTIN_ZEPHYR_H_
#define TINTIN_ZEPHYR_H_

#include <zephyr/toolchain.h>

#include <tintin/tintin.h>

/**
 * @brief Define a static, 8-byte aligned arena of @p size bytes (CONFIG_TINTIN_ARENA_SIZE when
 * the application has no better number).
 */
#define TINTIN_ARENA_DEFINE(name, size) static uint8_t name[size] __aligned(8)

#endif /* TINTIN_ZEPHYR_H_ */
