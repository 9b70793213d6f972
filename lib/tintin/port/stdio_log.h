/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Host configuration: error log lines go to stderr. Selected by the host CMake build with
 * -DTINTIN_CONFIG_FILE=<tintin/../../port/stdio_log.h>; never used on a device, where the
 * Zephyr glue maps TINTIN_LOG_ERR to LOG_ERR.
 */

#ifndef TINTIN_PORT_STDIO_LOG_H_
#define TINTIN_PORT_STDIO_LOG_H_

#include <stdio.h>

#define TINTIN_LOG_ERR(...) ((void)fprintf(stderr, __VA_ARGS__), (void)fputc('\n', stderr))

#endif /* TINTIN_PORT_STDIO_LOG_H_ */
