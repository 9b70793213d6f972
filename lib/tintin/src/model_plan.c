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
 *
 * A layout computed ahead of time (tintin_model_layout_of on the host, written into a model
 * header by tintin gen) gives the same model through tintin_model_init_layout, which needs
 * none of the validation, planning and layout code: an image that only calls it links none.
 */

#include <stddef.h>
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
static void tintin_load_params(struct tintin_model *m, const struct tintin_model_desc *d)
{
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		struct tintin_layer_state *s = &m->layer[i];
		size_t n_w = (size_t)s->rows * s->row;

		if (s->w_ram != NULL) {
			memcpy(s->w_ram, l->weights, n_w);
		}
		/* Masters and momentum exist only where the build has them (model_layout.c). */
		if (TINTIN_UPSCALE_ENABLED && s->w_lo != NULL) {
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

/* The features this build compiles in, as TINTIN_NEEDS_* bits. */
#define TINTIN_BUILD_HAS                                                                           \
	((TINTIN_OP_DENSE ? TINTIN_NEEDS_DENSE : 0u) | (TINTIN_OP_CONV ? TINTIN_NEEDS_CONV : 0u) |  \
	 (TINTIN_OP_POOL ? TINTIN_NEEDS_POOL : 0u) | (TINTIN_OP_RELU ? TINTIN_NEEDS_RELU : 0u) |    \
	 (TINTIN_LOSS_XENT_ENABLED ? TINTIN_NEEDS_XENT : 0u) |                                     \
	 (TINTIN_LOSS_MSE_ENABLED ? TINTIN_NEEDS_MSE : 0u) |                                       \
	 (TINTIN_RULE_NITI_ENABLED ? TINTIN_NEEDS_NITI : 0u) |                                     \
	 (TINTIN_MOMENTUM_ENABLED ? TINTIN_NEEDS_MOMENTUM : 0u) |                                  \
	 (TINTIN_UPSCALE_ENABLED ? TINTIN_NEEDS_MASTERS : 0u))

/* What a checked table uses, as tintin_check_desc tests it against the build's switches. */
static uint32_t tintin_desc_needs(const struct tintin_model_desc *d)
{
	uint32_t needs = (d->loss == TINTIN_LOSS_MSE) ? TINTIN_NEEDS_MSE : TINTIN_NEEDS_XENT;

	needs |= (d->optim.rule == TINTIN_RULE_NITI) ? TINTIN_NEEDS_NITI : 0u;
	needs |= (d->optim.momentum_shift != 0u) ? TINTIN_NEEDS_MOMENTUM : 0u;
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];

		switch (l->type) {
		case TINTIN_LAYER_DENSE:
			needs |= TINTIN_NEEDS_DENSE;
			break;
		case TINTIN_LAYER_CONV2D:
		case TINTIN_LAYER_CONV1D:
			needs |= TINTIN_NEEDS_CONV;
			break;
		case TINTIN_LAYER_MAXPOOL:
		case TINTIN_LAYER_AVGPOOL:
		case TINTIN_LAYER_GAP:
			needs |= TINTIN_NEEDS_POOL;
			break;
		case TINTIN_LAYER_RELU:
			needs |= TINTIN_NEEDS_RELU;
			break;
		default:
			break;
		}
		needs |= (tintin_master_bits(l, &d->optim) != 0u) ? TINTIN_NEEDS_MASTERS : 0u;
	}
	return needs;
}

static uint32_t tintin_lay_off(const struct tintin_model *m, const void *p)
{
	return (p == NULL) ? TINTIN_LAYOUT_NONE
			   : (uint32_t)((const uint8_t *)p - m->arena.base);
}

int tintin_model_layout_of(const struct tintin_model *m, struct tintin_model_layout *lay,
			   struct tintin_layout_layer *layers)
{
	int ret = tintin_check_ready(m);

	if (ret != 0) {
		return ret;
	}
	if (lay == NULL || layers == NULL || m->desc->hash == 0u) {
		TINTIN_LOG_ERR("tintin: layout_of: NULL lay or layers, or a table without a hash "
			       "(the hash ties a layout to its table)");
		return -EINVAL;
	}
	memset(lay, 0, sizeof(*lay));
	lay->magic = TINTIN_LAYOUT_MAGIC;
	lay->desc_hash = m->desc->hash;
	lay->bytes = (uint32_t)m->arena.used;
	lay->needs = tintin_desc_needs(m->desc);
	lay->buf[TINTIN_MBUF_ERR0] = tintin_lay_off(m, m->err[0]);
	lay->buf[TINTIN_MBUF_ERR1] = tintin_lay_off(m, m->err[1]);
	lay->buf[TINTIN_MBUF_PING0] = tintin_lay_off(m, m->ping[0]);
	lay->buf[TINTIN_MBUF_PING1] = tintin_lay_off(m, m->ping[1]);
	lay->buf[TINTIN_MBUF_ACC] = tintin_lay_off(m, m->acc);
	lay->buf[TINTIN_MBUF_RQ_BITS] = tintin_lay_off(m, m->rq_bits);
	lay->buf[TINTIN_MBUF_RQ_SHIFTS] = tintin_lay_off(m, m->rq_shifts);
	lay->chunk = m->chunk;
	lay->mode = m->mode;
	lay->first_trained = m->first_trained;
	lay->fc_ws = m->fc_ws;
	lay->n_layers = m->desc->n_layers;
	lay->layers = layers;
	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		const struct tintin_layer_state *s = &m->layer[i];
		struct tintin_layout_layer *e = &layers[i];

		memset(e, 0, sizeof(*e));
		e->buf[TINTIN_LBUF_W_RAM] = tintin_lay_off(m, s->w_ram);
		e->buf[TINTIN_LBUF_W_LO] = tintin_lay_off(m, s->w_lo);
		e->buf[TINTIN_LBUF_W_MOM] = tintin_lay_off(m, s->w_mom);
		e->buf[TINTIN_LBUF_BIAS_RAM] = tintin_lay_off(m, s->bias_ram);
		e->buf[TINTIN_LBUF_B_MOM] = tintin_lay_off(m, s->b_mom);
		e->buf[TINTIN_LBUF_ACT] = tintin_lay_off(m, s->act);
		e->buf[TINTIN_LBUF_MASK] = tintin_lay_off(m, s->mask);
		e->recip = s->recip;
		e->in = s->in;
		e->out = s->out;
		e->row = s->row;
		e->rows = s->rows;
		e->geom = s->geom;
		e->gated = s->gated;
	}
	return 0;
}

/*
 * n offsets of a layout as pointers into the arena (NULL for TINTIN_LAYOUT_NONE); nonzero
 * when one lies past the layout's bytes.
 */
static TINTIN_NOINLINE int tintin_lay_ptrs(uint8_t *base, uint32_t bytes, const uint32_t *off, void **p, int n)
{
	int bad = 0;

	for (int k = 0; k < n; k++) {
		p[k] = NULL;
		if (off[k] != TINTIN_LAYOUT_NONE) {
			bad |= off[k] > bytes;
			p[k] = base + ((off[k] > bytes) ? 0u : off[k]);
		}
	}
	return bad;
}

_Static_assert((int)TINTIN_MBUF_COUNT == (int)TINTIN_LBUF_COUNT, "one pointer array for both");

/* A layout layer's shape, in to geom, is laid out as the layer state's: one copy moves it. */
#define TINTIN_SHAPE_END(type) (offsetof(type, geom) + sizeof(struct tintin_geom))
#define TINTIN_LAYOUT_SHAPE_BYTES                                                                  \
	(TINTIN_SHAPE_END(struct tintin_layout_layer) - offsetof(struct tintin_layout_layer, in))
_Static_assert(TINTIN_SHAPE_END(struct tintin_layer_state) - offsetof(struct tintin_layer_state, in) ==
		       TINTIN_LAYOUT_SHAPE_BYTES &&
	       offsetof(struct tintin_layer_state, recip) - offsetof(struct tintin_layer_state, in) ==
		       offsetof(struct tintin_layout_layer, recip) -
			       offsetof(struct tintin_layout_layer, in) &&
	       offsetof(struct tintin_layer_state, geom) - offsetof(struct tintin_layer_state, in) ==
		       offsetof(struct tintin_layout_layer, geom) -
			       offsetof(struct tintin_layout_layer, in),
	       "the shape fields of a layout layer and a layer state differ");

int tintin_model_init_layout(struct tintin_model *m, const struct tintin_model_desc *desc,
			     const struct tintin_model_layout *lay, void *buf, size_t size)
{
	void *p[TINTIN_LBUF_COUNT];
	uint32_t n;
	int bad;
	int ret;

	if (m == NULL || desc == NULL || lay == NULL) {
		TINTIN_LOG_ERR("tintin: init_layout: NULL model, table or layout");
		return -EINVAL;
	}
	memset(m, 0, sizeof(*m));
	if (lay->magic != TINTIN_LAYOUT_MAGIC || desc->magic != TINTIN_DESC_MAGIC ||
	    desc->version != TINTIN_DESC_VERSION || desc->hash == 0u ||
	    lay->desc_hash != desc->hash || lay->n_layers != desc->n_layers ||
	    lay->n_layers > TINTIN_MAX_LAYERS || lay->layers == NULL ||
	    lay->mode > (uint8_t)TINTIN_MODE_INFER) {
		TINTIN_LOG_ERR("tintin: init_layout: layout of table 0x%08x is not one for this "
			       "table (0x%08x), or either is corrupt",
			       (unsigned int)lay->desc_hash, (unsigned int)desc->hash);
		return -EINVAL;
	}
	n = lay->needs & ~(uint32_t)TINTIN_BUILD_HAS;
	if (n != 0u) {
		TINTIN_LOG_ERR("tintin: init_layout: the table needs features 0x%03x (TINTIN_NEEDS_*) "
			       "that this build leaves out", (unsigned int)n);
		return -ENOTSUP;
	}
	if (size < lay->bytes) {
		TINTIN_LOG_ERR("tintin: init_layout: arena has %u bytes, model needs %u",
			       (unsigned int)size, (unsigned int)lay->bytes);
		return -ENOMEM;
	}
	ret = tintin_arena_init(&m->arena, buf, size);
	if (ret != 0) {
		return ret;
	}
	n = lay->bytes;
	m->arena.used = n;
	bad = tintin_lay_ptrs(buf, n, lay->buf, p, TINTIN_MBUF_COUNT);
	m->err[0] = p[TINTIN_MBUF_ERR0];
	m->err[1] = p[TINTIN_MBUF_ERR1];
	m->ping[0] = p[TINTIN_MBUF_PING0];
	m->ping[1] = p[TINTIN_MBUF_PING1];
	m->acc = p[TINTIN_MBUF_ACC];
	m->rq_bits = p[TINTIN_MBUF_RQ_BITS];
	m->rq_shifts = p[TINTIN_MBUF_RQ_SHIFTS];
	m->chunk = lay->chunk;
	m->mode = lay->mode;
	m->first_trained = lay->first_trained;
	m->fc_ws = (uint8_t)(lay->fc_ws != 0u);
	for (uint8_t i = 0; i < lay->n_layers; i++) {
		const struct tintin_layout_layer *e = &lay->layers[i];
		const struct tintin_layer_desc *l = &desc->layers[i];
		struct tintin_layer_state *s = &m->layer[i];

		bad |= tintin_lay_ptrs(buf, n, e->buf, p, TINTIN_LBUF_COUNT);
		s->w_ram = p[TINTIN_LBUF_W_RAM];
		s->w_lo = p[TINTIN_LBUF_W_LO];
		s->w_mom = p[TINTIN_LBUF_W_MOM];
		s->bias_ram = p[TINTIN_LBUF_BIAS_RAM];
		s->b_mom = p[TINTIN_LBUF_B_MOM];
		s->act = p[TINTIN_LBUF_ACT];
		s->mask = p[TINTIN_LBUF_MASK];
		memcpy(&s->in, &e->in, TINTIN_LAYOUT_SHAPE_BYTES);
		s->gated = e->gated;
		if (tintin_has_weights(l)) {
			/* Frozen parameters stay in the caller's (flash) table. */
			s->w = (s->w_ram != NULL) ? s->w_ram : l->weights;
			s->bias = (s->bias_ram != NULL) ? s->bias_ram : l->bias;
			s->w_exp = l->w_exp;
		}
	}
	if (bad) {
		memset(m, 0, sizeof(*m));
		TINTIN_LOG_ERR("tintin: init_layout: a buffer offset lies past the layout's %u bytes",
			       (unsigned int)n);
		return -EINVAL;
	}
	m->desc = desc;
	tintin_load_params(m, desc);
	tintin_prng_seed(&m->prng, desc->seed);
	return 0;
}
