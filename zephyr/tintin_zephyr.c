/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* The core's error hook (TINTIN_LOG_ERR) as a Zephyr log module named "tintin". */

#include <stdarg.h>

#include <zephyr/logging/log.h>
#include <zephyr/sys/printk.h>

LOG_MODULE_REGISTER(tintin, CONFIG_TINTIN_LOG_LEVEL);

/* Long enough for every message of the core (they name a function, a layer and numbers). */
#define TINTIN_Z_LOG_LINE 128

void tintin_z_log_err(const char *fmt, ...)
{
	char line[TINTIN_Z_LOG_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintk(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* The logger copies strings from RAM, so the stack buffer may go out of scope. */
	LOG_ERR("%s", line);
}
