/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Model layer: the queries on a table and on a model (the table's hash and parameter counts,
 * layer info, stats, the exponent window a checkpoint must respect). The work is in its
 * parts: model_check.c validates the table, model_layout.c lays it out in the arena,
 * model_plan.c plans and inits, model_forward.c runs inference and model_train.c the
 * training step; internal.h is what they share. The arithmetic lives in fixedpoint.c, ops/,
 * loss.c and optim/; scripts/tintin/core/refmodel.py is the bit-exact executable specification of
 * the whole layer.
 */

#include <string.h>

#include <tintin/model.h>

#include "internal.h"

uint32_t tintin_model_desc_hash(const struct tintin_model_desc *desc)
{
	struct tintin_shape sh[TINTIN_MAX_LAYERS];
	uint8_t first;

	if (tintin_check_desc(desc, sh, &first) != 0) {
		return 0u;
	}
	return tintin_desc_hash(desc, sh);
}

int tintin_model_desc_params(const struct tintin_model_desc *desc,
			     uint32_t n_w[TINTIN_MAX_LAYERS], uint16_t rows[TINTIN_MAX_LAYERS])
{
	struct tintin_shape sh[TINTIN_MAX_LAYERS];
	uint8_t first;
	int ret;

	if (n_w == NULL || rows == NULL) {
		TINTIN_LOG_ERR("tintin: desc_params: NULL n_w or rows");
		return -EINVAL;
	}
	ret = tintin_check_desc(desc, sh, &first);
	if (ret != 0) {
		return ret;
	}
	for (uint8_t i = 0; i < desc->n_layers; i++) {
		int p = tintin_has_weights(&desc->layers[i]);

		n_w[i] = p ? (uint32_t)sh[i].rows * sh[i].row : 0u;
		rows[i] = p ? sh[i].rows : 0u;
	}
	return 0;
}

int tintin_model_layer_info(const struct tintin_model *m, uint8_t idx,
			    struct tintin_layer_info *info)
{
	const struct tintin_layer_state *s;
	int ret = tintin_check_ready(m);

	if (ret != 0) {
		return ret;
	}
	if (info == NULL || idx >= m->desc->n_layers) {
		TINTIN_LOG_ERR("tintin: layer_info: bad layer %u or NULL info", idx);
		return -EINVAL;
	}
	s = &m->layer[idx];
	memset(info, 0, sizeof(*info));
	info->type = m->desc->layers[idx].type;
	info->in = s->in;
	info->out = s->out;
	info->act_exp = s->act_exp;
	if (tintin_has_weights(&m->desc->layers[idx])) {
		info->in = s->row;
		info->out = s->rows;
		info->w = s->w;
		info->w_lo = s->w_lo;
		info->bias = s->bias;
		info->w_mom = s->w_mom;
		info->b_mom = s->b_mom;
		info->n_w = (uint32_t)s->rows * s->row;
		info->w_exp = s->w_exp;
		info->lr_off = s->lr_off;
	}
	return 0;
}

int tintin_layer_state_ok(const struct tintin_model_desc *d, uint8_t i, int w_exp,
			  unsigned int lr_off)
{
	const struct tintin_layer_desc *l = &d->layers[i];

	if (w_exp < tintin_w_exp_bound(l, -1) || w_exp > tintin_w_exp_bound(l, 1) ||
	    lr_off > TINTIN_LR_BACKOFF_MAX) {
		TINTIN_LOG_ERR("tintin: layer %u: w_exp %d outside %d..%d or back-off %u over %u",
			       i, w_exp, tintin_w_exp_bound(l, -1), tintin_w_exp_bound(l, 1),
			       lr_off, TINTIN_LR_BACKOFF_MAX);
		return -ERANGE;
	}
	return 0;
}

int tintin_model_check_exps(const struct tintin_model *m)
{
	int ret = tintin_check_ready(m);

	for (uint8_t i = 0; ret == 0 && i < m->desc->n_layers; i++) {
		const struct tintin_layer_state *s = &m->layer[i];

		if (s->w_ram != NULL) {
			ret = tintin_layer_state_ok(m->desc, i, s->w_exp, s->lr_off);
		}
	}
	return ret;
}

int tintin_model_get_stats(const struct tintin_model *m, struct tintin_stats *stats)
{
	int ret = tintin_check_ready(m);

	if (ret != 0) {
		return ret;
	}
	if (stats == NULL) {
		TINTIN_LOG_ERR("tintin: get_stats: NULL stats");
		return -EINVAL;
	}
	*stats = m->stats;
	return 0;
}

size_t tintin_model_arena_used(const struct tintin_model *m)
{
	return (m == NULL) ? 0u : tintin_arena_used(&m->arena);
}

size_t tintin_model_struct_size(void)
{
	return sizeof(struct tintin_model);
}
