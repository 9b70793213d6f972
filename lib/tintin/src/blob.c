/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Model blobs (layout in tintin/blob.h). The parser trusts nothing: every size is compared
 * with the bytes left before an offset moves, offsets never wrap (all sizes are checked
 * against the remaining length, not added first), reserved bytes must be zero, and the
 * parameter counts a blob claims must equal what the planner derives from its table.
 * scripts/tintin/io/blob.py writes the same layout.
 */

#include <errno.h>
#include <string.h>

#include <tintin/blob.h>
#include <tintin/model.h>

#include "le.h"

#define TINTIN_BLOB_ALIGN 4u

static int tintin_blob_header(struct tintin_model_blob *out, const uint8_t *p, size_t size,
			      uint32_t *total)
{
	struct tintin_model_desc *d = &out->desc;
	uint32_t records;

	if (size < TINTIN_BLOB_HEADER_BYTES) {
		TINTIN_LOG_ERR("tintin: blob: %u bytes, the header alone needs %u (truncated)",
			       (unsigned int)size, TINTIN_BLOB_HEADER_BYTES);
		return -EINVAL;
	}
	if (tintin_get32(p) != TINTIN_BLOB_MAGIC) {
		TINTIN_LOG_ERR("tintin: blob: magic 0x%08x is not a Tin-Tin model blob",
			       (unsigned int)tintin_get32(p));
		return -EINVAL;
	}
	if (tintin_get16(p + 4) != TINTIN_BLOB_VERSION) {
		TINTIN_LOG_ERR("tintin: blob: format %u, this runtime reads %u",
			       tintin_get16(p + 4), TINTIN_BLOB_VERSION);
		return -ENOTSUP;
	}
	d->n_layers = p[6];
	if (d->n_layers == 0u || d->n_layers > TINTIN_MAX_LAYERS) {
		TINTIN_LOG_ERR("tintin: blob: %u layers, need 1..%d (TINTIN_MAX_LAYERS)",
			       d->n_layers, TINTIN_MAX_LAYERS);
		return -EINVAL;
	}
	*total = tintin_get32(p + 32);
	records = TINTIN_BLOB_HEADER_BYTES + (uint32_t)d->n_layers * TINTIN_BLOB_LAYER_BYTES;
	if (*total > size || *total < records) {
		TINTIN_LOG_ERR("tintin: blob: says %u bytes, have %u, its %u layer records need %u",
			       (unsigned int)*total, (unsigned int)size, d->n_layers,
			       (unsigned int)records);
		return -EINVAL;
	}
	d->loss = p[7];
	d->max_batch = tintin_get16(p + 8);
	d->input.h = tintin_get16(p + 10);
	d->input.w = tintin_get16(p + 12);
	d->input.c = tintin_get16(p + 14);
	d->optim.rule = p[16];
	d->optim.lr_shift = p[17];
	d->optim.lr_mult = p[18];
	d->optim.mu = p[19];
	d->optim.momentum_shift = p[20];
	d->optim.upscale_bits = p[21];
	d->optim.rounding = p[22];
	d->optim.upscale_scope = p[23];
	d->seed = tintin_get32(p + 24);
	d->hash = tintin_get32(p + 28);
	if (d->hash == 0u) {
		/* A table without a hash skips init's check; a blob must always be checked. */
		TINTIN_LOG_ERR("tintin: blob: carries no table hash");
		return -EINVAL;
	}
	d->magic = TINTIN_DESC_MAGIC;
	d->version = TINTIN_DESC_VERSION;
	d->layers = out->layers;
	return 0;
}

/* Points layer i's weights and bias into the blob at *off, which moves past them. */
static int tintin_blob_layer(struct tintin_model_blob *out, const uint8_t *p, uint32_t total,
			     uint8_t i, uint32_t *off, uint32_t *n_w, uint16_t *n_b)
{
	const uint8_t *r = p + TINTIN_BLOB_HEADER_BYTES + (uint32_t)i * TINTIN_BLOB_LAYER_BYTES;
	struct tintin_layer_desc *l = &out->layers[i];
	uint32_t pad;

	l->type = r[0];
	l->train = r[1];
	l->units = tintin_get16(r + 2);
	l->kernel_h = r[4];
	l->kernel_w = r[5];
	l->stride = r[6];
	l->pad = r[7];
	l->w_exp = (int8_t)r[8];
	*n_b = tintin_get16(r + 10);
	*n_w = tintin_get32(r + 12);
	if (r[9] != 0u) {
		TINTIN_LOG_ERR("tintin: blob: layer %u: reserved byte is %u, must be 0", i, r[9]);
		return -EINVAL;
	}
	if (*n_w > total - *off) {
		TINTIN_LOG_ERR("tintin: blob: layer %u: %u weight bytes run past the end (%u left)",
			       i, (unsigned int)*n_w, (unsigned int)(total - *off));
		return -EINVAL;
	}
	l->weights = *n_w != 0u ? (const int8_t *)(p + *off) : NULL;
	*off += *n_w;
	pad = (TINTIN_BLOB_ALIGN - (*off % TINTIN_BLOB_ALIGN)) % TINTIN_BLOB_ALIGN;
	if (pad > total - *off) {
		TINTIN_LOG_ERR("tintin: blob: layer %u: padding runs past the end", i);
		return -EINVAL;
	}
	for (; pad > 0u; pad--, (*off)++) {
		if (p[*off] != 0u) {
			TINTIN_LOG_ERR("tintin: blob: layer %u: padding byte at %u is not 0", i,
				       (unsigned int)*off);
			return -EINVAL;
		}
	}
	if (*n_b > (total - *off) / sizeof(int32_t)) {
		TINTIN_LOG_ERR("tintin: blob: layer %u: %u biases run past the end (%u bytes left)",
			       i, *n_b, (unsigned int)(total - *off));
		return -EINVAL;
	}
	/* Aligned: the blob is, and weights are padded to 4 bytes. */
	l->bias = *n_b != 0u ? (const int32_t *)(const void *)(p + *off) : NULL;
	*off += (uint32_t)*n_b * sizeof(int32_t);
	return 0;
}

/* The counts the blob claims against what the planner derives from its table. */
static int tintin_blob_counts(const struct tintin_model_desc *d, const uint32_t *n_w,
			      const uint16_t *n_b)
{
	uint32_t want_w[TINTIN_MAX_LAYERS];
	uint16_t rows[TINTIN_MAX_LAYERS];
	int ret = tintin_model_desc_params(d, want_w, rows);

	if (ret != 0) {
		TINTIN_LOG_ERR("tintin: blob: its model table is refused (%d)", ret);
		return ret;
	}
	for (uint8_t i = 0; i < d->n_layers; i++) {
		if (n_w[i] != want_w[i] || (n_b[i] != 0u && n_b[i] != rows[i])) {
			TINTIN_LOG_ERR("tintin: blob: layer %u holds %u weights and %u biases, its "
				       "table needs %u weights and 0 or %u biases",
				       i, (unsigned int)n_w[i], n_b[i], (unsigned int)want_w[i],
				       rows[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int tintin_blob_build(struct tintin_model_blob *out, const uint8_t *p, size_t size)
{
	uint32_t n_w[TINTIN_MAX_LAYERS];
	uint16_t n_b[TINTIN_MAX_LAYERS];
	uint32_t total;
	uint32_t off;
	int ret = tintin_blob_header(out, p, size, &total);

	if (ret != 0) {
		return ret;
	}
	off = TINTIN_BLOB_HEADER_BYTES + (uint32_t)out->desc.n_layers * TINTIN_BLOB_LAYER_BYTES;
	for (uint8_t i = 0; i < out->desc.n_layers; i++) {
		ret = tintin_blob_layer(out, p, total, i, &off, &n_w[i], &n_b[i]);
		if (ret != 0) {
			return ret;
		}
	}
	if (off != total) {
		TINTIN_LOG_ERR("tintin: blob: %u bytes follow the last layer's data",
			       (unsigned int)(total - off));
		return -EINVAL;
	}
	return tintin_blob_counts(&out->desc, n_w, n_b);
}

int tintin_model_blob_parse(struct tintin_model_blob *out, const void *blob, size_t size)
{
	int ret;

	if (out == NULL || blob == NULL) {
		TINTIN_LOG_ERR("tintin: blob: NULL out or blob");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
	/* Biases are read in place as int32. */
	TINTIN_LOG_ERR("tintin: blob: little-endian blobs need a little-endian core");
	return -ENOTSUP;
#endif
	if (((uintptr_t)blob % TINTIN_BLOB_ALIGN) != 0u) {
		TINTIN_LOG_ERR("tintin: blob: at %p, must be %u-byte aligned", blob,
			       TINTIN_BLOB_ALIGN);
		return -EINVAL;
	}
	ret = tintin_blob_build(out, blob, size);
	if (ret != 0) {
		memset(out, 0, sizeof(*out));
	}
	return ret;
}
