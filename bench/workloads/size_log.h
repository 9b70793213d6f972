/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * TINTIN_CONFIG_FILE of the code-size images with the error log on (`tintin codesize`): the
 * log hook goes to a function of the application, as the Zephyr glue sends it to LOG_ERR,
 * so the images keep the call sites and format strings that a logging build keeps.
 */

#ifndef TINTIN_SIZE_LOG_H_
#define TINTIN_SIZE_LOG_H_

void tintin_size_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define TINTIN_LOG_ERR(...) tintin_size_log(__VA_ARGS__)

#endif /* TINTIN_SIZE_LOG_H_ */
