/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* The checkpoint storage interface over Zephyr's flash map. */

#include <errno.h>

#include <zephyr/drivers/flash.h>
#include <zephyr/logging/log.h>
#include <zephyr/storage/flash_map.h>

#include <tintin/zephyr_storage.h>

LOG_MODULE_DECLARE(tintin, CONFIG_TINTIN_LOG_LEVEL);

static int tintin_flash_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	return flash_area_read(((struct tintin_flash_storage *)ctx)->fa, off, buf, len);
}

static int tintin_flash_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	return flash_area_write(((struct tintin_flash_storage *)ctx)->fa, off, buf, len);
}

static int tintin_flash_erase(void *ctx, uint32_t off, size_t len)
{
	return flash_area_erase(((struct tintin_flash_storage *)ctx)->fa, off, len);
}

#ifdef CONFIG_FLASH_PAGE_LAYOUT
/* Whether off (relative to the area) starts an erase page. */
static bool tintin_page_start(const struct flash_area *fa, uint32_t off)
{
	struct flash_pages_info info;

	if (flash_get_page_info_by_offs(flash_area_get_device(fa), fa->fa_off + off, &info) != 0) {
		return false;
	}
	return info.start_offset == (off_t)(fa->fa_off + off);
}
#endif

int tintin_storage_flash_open(struct tintin_storage *st, struct tintin_flash_storage *fs,
			      uint8_t area_id, uint32_t slot_size)
{
	uint32_t align;
	int ret;

	if (st == NULL || fs == NULL || slot_size == 0u) {
		LOG_ERR("tintin: checkpoint flash: need storage and a slot size");
		return -EINVAL;
	}
	ret = flash_area_open(area_id, &fs->fa);
	if (ret != 0) {
		LOG_ERR("tintin: checkpoint flash: flash area %u: %d", area_id, ret);
		return ret;
	}
	align = flash_area_align(fs->fa);
	if (fs->fa->fa_size / 2u < slot_size || align == 0u ||
	    align > TINTIN_CKPT_WRITE_BLOCK_MAX || (align & (align - 1u)) != 0u) {
		LOG_ERR("tintin: checkpoint flash: area %u of %u bytes, write block %u: cannot "
			"hold two slots of %u bytes", area_id, (unsigned int)fs->fa->fa_size,
			align, slot_size);
		flash_area_close(fs->fa);
		return -EINVAL;
	}
#ifdef CONFIG_FLASH_PAGE_LAYOUT
	if (!tintin_page_start(fs->fa, 0u) || !tintin_page_start(fs->fa, slot_size) ||
	    (2u * slot_size < fs->fa->fa_size && !tintin_page_start(fs->fa, 2u * slot_size))) {
		LOG_ERR("tintin: checkpoint flash: slots of %u bytes are not whole erase pages",
			slot_size);
		flash_area_close(fs->fa);
		return -EINVAL;
	}
#endif
	st->read = tintin_flash_read;
	st->write = tintin_flash_write;
	st->erase = tintin_flash_erase;
	st->ctx = fs;
	st->slot_size = slot_size;
	st->write_block = (uint16_t)align;
	return 0;
}

void tintin_storage_flash_close(struct tintin_flash_storage *fs)
{
	if (fs != NULL && fs->fa != NULL) {
		flash_area_close(fs->fa);
		fs->fa = NULL;
	}
}
