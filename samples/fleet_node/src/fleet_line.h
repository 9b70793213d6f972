/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Lines to and from the console UART, polled (native_sim's stdin UART has no interrupts).
 * Frames go straight to the UART rather than through printk, whose console may cut long lines
 * (native_sim's POSIX arch console flushes every 256 bytes).
 */

#ifndef FLEET_LINE_H_
#define FLEET_LINE_H_

#include <stddef.h>

/**
 * @brief Wait for the next line on the console (without its end), NUL-terminated.
 * @retval its length; -ENODEV without a console UART; -EMSGSIZE when it did not fit (the rest
 * of that line is skipped).
 */
int fleet_line_read(char *line, size_t cap);

/**
 * @brief Write prefix, text and a newline to the console UART.
 * @retval 0, or -ENODEV without a console UART.
 */
int fleet_line_write(const char *prefix, const char *text);

#endif /* FLEET_LINE_H_ */
