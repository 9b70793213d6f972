/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include "fleet_line.h"

#include <errno.h>

#include <zephyr/device.h>
#include <zephyr/drivers/uart.h>
#include <zephyr/kernel.h>

static const struct device *fleet_uart(void)
{
	const struct device *uart = DEVICE_DT_GET_OR_NULL(DT_CHOSEN(zephyr_console));

	return (uart != NULL && device_is_ready(uart)) ? uart : NULL;
}

int fleet_line_write(const char *prefix, const char *text)
{
	const struct device *uart = fleet_uart();

	if (uart == NULL) {
		return -ENODEV;
	}
	for (const char *p = prefix; *p != '\0'; p++) {
		uart_poll_out(uart, (unsigned char)*p);
	}
	for (const char *p = text; *p != '\0'; p++) {
		uart_poll_out(uart, (unsigned char)*p);
	}
	uart_poll_out(uart, '\n');
	return 0;
}

int fleet_line_read(char *line, size_t cap)
{
	const struct device *uart = fleet_uart();
	size_t n = 0;
	bool too_long = false;
	unsigned char c;

	if (uart == NULL || cap == 0u) {
		return -ENODEV;
	}
	for (;;) {
		if (uart_poll_in(uart, &c) != 0) {
			k_msleep(1);
			continue;
		}
		if (c == '\r') {
			continue;
		}
		if (c == '\n') {
			break;
		}
		if (n + 1u < cap) {
			line[n++] = (char)c;
		} else {
			too_long = true;
		}
	}
	line[n] = '\0';
	return too_long ? -EMSGSIZE : (int)n;
}
