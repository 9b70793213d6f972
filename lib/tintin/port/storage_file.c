/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Checkpoint storage in a host file: the portable core's storage interface over stdio. */

#if defined(__unix__) || defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>
#endif

#include <errno.h>
#include <string.h>

#include <tintin/storage_file.h>

static int tintin_file_seek(FILE *f, uint32_t off)
{
	return (fseek(f, (long)off, SEEK_SET) == 0) ? 0 : -EIO;
}

static int tintin_file_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct tintin_storage_file *file = ctx;

	if (tintin_file_seek(file->f, off) != 0 || fread(buf, 1, len, file->f) != len) {
		TINTIN_LOG_ERR("tintin: checkpoint file: read of %u bytes at %u failed",
			       (unsigned int)len, (unsigned int)off);
		return -EIO;
	}
	return 0;
}

static int tintin_file_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct tintin_storage_file *file = ctx;

	if (tintin_file_seek(file->f, off) != 0 || fwrite(buf, 1, len, file->f) != len ||
	    fflush(file->f) != 0) {
		TINTIN_LOG_ERR("tintin: checkpoint file: write of %u bytes at %u failed",
			       (unsigned int)len, (unsigned int)off);
		return -EIO;
	}
#if defined(__unix__) || defined(__APPLE__)
	if (fsync(fileno(file->f)) != 0) {
		return -EIO;
	}
#endif
	return 0;
}

int tintin_storage_file_open(struct tintin_storage *st, struct tintin_storage_file *file,
			     const char *path, uint32_t slot_size)
{
	static const uint8_t erased[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	long size;

	if (st == NULL || file == NULL || path == NULL || slot_size == 0u ||
	    slot_size > 0x3fffffffu) {
		TINTIN_LOG_ERR("tintin: checkpoint file: need storage, a path and a slot size");
		return -EINVAL;
	}
	file->f = fopen(path, "r+b");
	if (file->f == NULL) {
		file->f = fopen(path, "w+b");
	}
	if (file->f == NULL || fseek(file->f, 0, SEEK_END) != 0 || (size = ftell(file->f)) < 0) {
		TINTIN_LOG_ERR("tintin: checkpoint file: cannot open %s", path);
		if (file->f != NULL) {
			(void)fclose(file->f);
			file->f = NULL;
		}
		return -EIO;
	}
	/* Extend a new or short file with the erased state. */
	while ((unsigned long)size < 2ul * slot_size) {
		size_t n = 2ul * slot_size - (unsigned long)size;

		n = (n < sizeof(erased)) ? n : sizeof(erased);
		if (fwrite(erased, 1, n, file->f) != n) {
			(void)tintin_storage_file_close(file);
			TINTIN_LOG_ERR("tintin: checkpoint file: cannot extend %s", path);
			return -EIO;
		}
		size += (long)n;
	}
	if (fflush(file->f) != 0) {
		(void)tintin_storage_file_close(file);
		return -EIO;
	}
	memset(st, 0, sizeof(*st));
	st->read = tintin_file_read;
	st->write = tintin_file_write;
	st->erase = NULL;
	st->ctx = file;
	st->slot_size = slot_size;
	st->write_block = 1u;
	return 0;
}

int tintin_storage_file_close(struct tintin_storage_file *file)
{
	int ret = 0;

	if (file != NULL && file->f != NULL) {
		ret = (fclose(file->f) == 0) ? 0 : -EIO;
		file->f = NULL;
	}
	return ret;
}
