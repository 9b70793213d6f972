/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The planner and init: a table passes validation (model_check.c) and its identity check
 * (magic, format version, FNV-1a hash of its contents), then tintin_model_plan counts the
 * bytes of its layout (model_layout.c) and tintin_model_init lays it out in the caller's
 * arena and copies in the initial parameters. Init and the planner share this file so that
 * the compiler sees init's calls of the planner, as it did in the single file.
 */

#include <string.h>

#include <tintin/model.h>
#include <tintin/ops.h>

#include "fnv.h"
#include "internal.h"

/*
 * FNV-1a over the table as values, little-endian, never as struct memory (no padding, no
 * pointers): the description's fields, then per layer its fields, its int8 weights and its
 * int32 biases. scripts/tintin/io/cgen.py computes the same for generated headers.
 */
uint32_t tintin_desc_hash(const struct tintin_model_desc *d, const struct tintin_shape *sh)
{
	const struct tintin_optim_cfg *o = &d->optim;
	uint32_t h = TINTIN_FNV_BASIS;

	h = tintin_fnv_u32(h, d->n_layers, 1);
	h = tintin_fnv_u32(h, d->loss, 1);
	h = tintin_fnv_u32(h, d->max_batch, 2);
	h = tintin_fnv_u32(h, d->input.h, 2);
	h = tintin_fnv_u32(h, d->input.w, 2);
	h = tintin_fnv_u32(h, d->input.c, 2);
	h = tintin_fnv_u32(h, o->rule | ((uint32_t)o->lr_shift << 8) | ((uint32_t)o->lr_mult << 16) |
				      ((uint32_t)o->mu << 24), 4);
	h = tintin_fnv_u32(h, o->momentum_shift | ((uint32_t)o->upscale_bits << 8) |
				      ((uint32_t)o->rounding << 16) | ((uint32_t)o->upscale_scope << 24),
			   4);
	h = tintin_fnv_u32(h, d->seed, 4);
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];

		h = tintin_fnv_u32(h, l->type | ((uint32_t)l->train << 8), 2);
		h = tintin_fnv_u32(h, l->units, 2);
		h = tintin_fnv_u32(h, l->kernel_h | ((uint32_t)l->kernel_w << 8) |
					      ((uint32_t)l->stride << 16) | ((uint32_t)l->pad << 24), 4);
		h = tintin_fnv_u32(h, (uint8_t)l->w_exp, 1);
		if (tintin_has_weights(l)) {
			h = tintin_fnv_bytes(h, l->weights, (size_t)sh[i].rows * sh[i].row);
			for (uint16_t r = 0; l->bias != NULL && r < sh[i].rows; r++) {
				h = tintin_fnv_u32(h, (uint32_t)l->bias[r], 4);
			}
		}
	}
	return h;
}

/* The table's identity: magic, format version and, when it carries one, its hash. */
static int tintin_check_ident(const struct tintin_model_desc *d, const struct tintin_shape *sh)
{
	uint32_t h;

	if (d->magic != TINTIN_DESC_MAGIC) {
		TINTIN_LOG_ERR("tintin: model: magic 0x%08x is not a Tin-Tin table (corrupt, or not "
			       "made by tintin gen)", (unsigned int)d->magic);
		return -EINVAL;
	}
	if (d->version != TINTIN_DESC_VERSION) {
		TINTIN_LOG_ERR("tintin: model: table format %u, this runtime reads %u", d->version,
			       TINTIN_DESC_VERSION);
		return -EINVAL;
	}
	if (d->hash != 0u) {
		h = tintin_desc_hash(d, sh);
		if (h != d->hash) {
			TINTIN_LOG_ERR("tintin: model: table hash 0x%08x, contents hash to 0x%08x "
				       "(corrupt weights or table)", (unsigned int)d->hash,
				       (unsigned int)h);
			return -EINVAL;
		}
	}
	return 0;
}

static int tintin_plan(const struct tintin_model_desc *desc, enum tintin_mode mode, int ws,
		       size_t *bytes, size_t *parts)
{
	struct tintin_arena count;
	struct tintin_shape sh[TINTIN_MAX_LAYERS];
	uint8_t first;
	int ret;

	if (bytes == NULL) {
		TINTIN_LOG_ERR("tintin: plan: NULL bytes");
		return -EINVAL;
	}
	ret = tintin_check_desc(desc, sh, &first);
	if (ret == 0) {
		ret = tintin_check_ident(desc, sh);
	}
	if (ret != 0) {
		return ret;
	}
	tintin_arena_init_plan(&count);
	ret = tintin_layout(&count, NULL, desc, mode, sh, first, ws, parts);
	if (ret != 0) {
		return ret;
	}
	*bytes = tintin_arena_used(&count);
	return 0;
}

int tintin_model_plan(const struct tintin_model_desc *desc, enum tintin_mode mode, size_t *bytes)
{
	return tintin_plan(desc, mode, 0, bytes, NULL);
}

int tintin_model_plan_dsp(const struct tintin_model_desc *desc, enum tintin_mode mode,
			  size_t *bytes)
{
	return tintin_plan(desc, mode, 1, bytes, NULL);
}

int tintin_model_plan_parts(const struct tintin_model_desc *desc, enum tintin_mode mode, int dsp,
			    size_t parts[TINTIN_PART_COUNT])
{
	size_t bytes;

	if (parts == NULL) {
		TINTIN_LOG_ERR("tintin: plan: NULL parts");
		return -EINVAL;
	}
	for (int k = 0; k < TINTIN_PART_COUNT; k++) {
		parts[k] = 0u;
	}
	return tintin_plan(desc, mode, dsp != 0, &bytes, parts);
}

/* Copies the table's initial parameters into the trainable RAM copies. */
void tintin_load_params(struct tintin_model *m, const struct tintin_model_desc *d)
{
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		struct tintin_layer_state *s = &m->layer[i];
		size_t n_w = (size_t)s->rows * s->row;

		if (s->w_ram != NULL) {
			memcpy(s->w_ram, l->weights, n_w);
		}
		/* Masters and momentum exist only where the build has them (model_layout.c), an
		 * average's low bytes in every build.
		 */
		if (s->w_lo != NULL) {
			memset(s->w_lo, 0, n_w); /* master = 256 * w */
		}
		if (TINTIN_MOMENTUM_ENABLED && s->w_mom != NULL) {
			memset(s->w_mom, 0, n_w * ((s->w_lo != NULL) ? sizeof(int16_t) : 1u));
		}
		if (s->bias_ram != NULL) {
			if (l->bias != NULL) {
				memcpy(s->bias_ram, l->bias, (size_t)s->rows * sizeof(int32_t));
			} else {
				memset(s->bias_ram, 0, (size_t)s->rows * sizeof(int32_t));
			}
		}
		if (TINTIN_MOMENTUM_ENABLED && s->b_mom != NULL) {
			memset(s->b_mom, 0, (size_t)s->rows * sizeof(int32_t));
		}
	}
}

/* Init; dsp: with the dense workspace when the core uses it and size has room (0), always (1). */
static int tintin_init(struct tintin_model *m, const struct tintin_model_desc *desc,
		       enum tintin_mode mode, void *buf, size_t size, int dsp)
{
	struct tintin_shape sh[TINTIN_MAX_LAYERS];
	uint8_t first;
	size_t need;
	int ret;

	if (m == NULL) {
		TINTIN_LOG_ERR("tintin: init: NULL model");
		return -EINVAL;
	}
	memset(m, 0, sizeof(*m));
	ret = tintin_plan(desc, mode, dsp, &need, NULL);
	if (ret != 0) {
		return ret;
	}
	if (size < need) {
		TINTIN_LOG_ERR("tintin: init: arena has %u bytes, model needs %u",
			       (unsigned int)size, (unsigned int)need);
		return -ENOMEM;
	}
	ret = tintin_arena_init(&m->arena, buf, size);
	if (ret != 0) {
		return ret;
	}
	/* With room for it, dense layers get the Armv7E-M kernel's workspace. */
	if (dsp || (TINTIN_FC_USES_WS && tintin_plan(desc, mode, 1, &need, NULL) == 0 &&
		    size >= need)) {
		m->fc_ws = 1u;
	}
	(void)tintin_check_desc(desc, sh, &first);
	m->desc = desc;
	m->mode = (uint8_t)mode;
	m->first_trained = first;
	ret = tintin_layout(&m->arena, m, desc, mode, sh, first, m->fc_ws, NULL);
	if (ret != 0) {
		memset(m, 0, sizeof(*m));
		return ret;
	}
	m->outputs = m->layer[desc->n_layers - 1u].out;
	tintin_load_params(m, desc);
	tintin_prng_seed(&m->prng, desc->seed);
	return 0;
}

int tintin_model_init(struct tintin_model *m, const struct tintin_model_desc *desc,
		      enum tintin_mode mode, void *buf, size_t size)
{
	return tintin_init(m, desc, mode, buf, size, 0);
}

int tintin_model_init_dsp(struct tintin_model *m, const struct tintin_model_desc *desc,
			  enum tintin_mode mode, void *buf, size_t size)
{
	return tintin_init(m, desc, mode, buf, size, 1);
}
