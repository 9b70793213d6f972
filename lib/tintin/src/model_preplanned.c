/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Layouts computed ahead of time: tintin_model_layout_of reads an initialised model's arena
 * layout (on the host, for tintin gen to write into a model header), and
 * tintin_model_init_layout gives the model tintin_model_init would from it, with none of the
 * validation, planning and layout code: an image that only calls it links none of that. A
 * file of its own, so that `tintin plan` counts it only for the applications that use it.
 */

#include <stddef.h>
#include <string.h>

#include <tintin/model.h>

#include "internal.h"

/* The features this build compiles in, as TINTIN_NEEDS_* bits. */
#define TINTIN_BUILD_HAS                                                                           \
	((TINTIN_OP_DENSE ? TINTIN_NEEDS_DENSE : 0u) | (TINTIN_OP_CONV ? TINTIN_NEEDS_CONV : 0u) | \
	 (TINTIN_OP_POOL ? TINTIN_NEEDS_POOL : 0u) | (TINTIN_OP_RELU ? TINTIN_NEEDS_RELU : 0u) |   \
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
	return (p == NULL) ? TINTIN_LAYOUT_NONE : (uint32_t)((const uint8_t *)p - m->arena.base);
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
static TINTIN_NOINLINE int tintin_lay_ptrs(uint8_t *base, uint32_t bytes, const uint32_t *off,
					   void **p, int n)
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
_Static_assert(TINTIN_SHAPE_END(struct tintin_layer_state) -
				       offsetof(struct tintin_layer_state, in) ==
			       TINTIN_LAYOUT_SHAPE_BYTES &&
		       offsetof(struct tintin_layer_state, recip) -
				       offsetof(struct tintin_layer_state, in) ==
			       offsetof(struct tintin_layout_layer, recip) -
				       offsetof(struct tintin_layout_layer, in) &&
		       offsetof(struct tintin_layer_state, geom) -
				       offsetof(struct tintin_layer_state, in) ==
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
	    lay->n_layers == 0u || lay->n_layers > TINTIN_MAX_LAYERS || lay->layers == NULL ||
	    lay->mode > (uint8_t)TINTIN_MODE_INFER) {
		TINTIN_LOG_ERR("tintin: init_layout: layout of table 0x%08x is not one for this "
			       "table (0x%08x), or either is corrupt",
			       (unsigned int)lay->desc_hash, (unsigned int)desc->hash);
		return -EINVAL;
	}
	n = lay->needs & ~(uint32_t)TINTIN_BUILD_HAS;
	if (n != 0u) {
		TINTIN_LOG_ERR(
			"tintin: init_layout: the table needs features 0x%03x (TINTIN_NEEDS_*) "
			"that this build leaves out",
			(unsigned int)n);
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
		TINTIN_LOG_ERR(
			"tintin: init_layout: a buffer offset lies past the layout's %u bytes",
			(unsigned int)n);
		return -EINVAL;
	}
	m->desc = desc;
	m->outputs = m->layer[lay->n_layers - 1u].out;
	tintin_load_params(m, desc);
	tintin_prng_seed(&m->prng, desc->seed);
	return 0;
}
