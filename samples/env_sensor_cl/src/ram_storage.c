/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <errno.h>
#include <string.h>

#include "ram_storage.h"

struct env_ram {
	uint8_t *buf;
	uint32_t size;
};

static struct env_ram env_ram;

static int env_ram_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct env_ram *r = ctx;

	if (off > r->size || len > r->size - off) {
		return -EINVAL;
	}
	memcpy(buf, r->buf + off, len);
	return 0;
}

static int env_ram_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct env_ram *r = ctx;

	if (off > r->size || len > r->size - off) {
		return -EINVAL;
	}
	memcpy(r->buf + off, buf, len);
	return 0;
}

void env_ram_storage(struct tintin_storage *st, uint8_t *buf, uint32_t slot_size)
{
	env_ram.buf = buf;
	env_ram.size = 2u * slot_size;
	st->read = env_ram_read;
	st->write = env_ram_write;
	st->erase = NULL;
	st->ctx = &env_ram;
	st->slot_size = slot_size;
	st->write_block = 1u;
}
