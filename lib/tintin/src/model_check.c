/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Table validation: every field of a layer table is checked before anything is laid out or
 * run, and each layer's per-sample shape (sizes, convolution and pooling geometry) is derived
 * on the way. The planner, init and the table queries start here; nothing after re-checks.
 */

#include <string.h>

#include <tintin/model.h>
#include <tintin/ops.h>

#include "checked.h"
#include "internal.h"

static int tintin_check_optim(const struct tintin_optim_cfg *o)
{
	if (o->rule != TINTIN_RULE_ALIGNED && o->rule != TINTIN_RULE_NITI) {
		TINTIN_LOG_ERR("tintin: optim: unknown rule %u", o->rule);
		return -EINVAL;
	}
	if (o->rule == TINTIN_RULE_NITI && !TINTIN_RULE_NITI_ENABLED) {
		TINTIN_LOG_ERR("tintin: optim: the NITI rule is disabled in this build");
		return -ENOTSUP;
	}
	if (o->momentum_shift != 0u && !TINTIN_MOMENTUM_ENABLED) {
		TINTIN_LOG_ERR("tintin: optim: momentum is disabled in this build");
		return -ENOTSUP;
	}
	if (o->upscale_scope > TINTIN_UPSCALE_CONV ||
	    (o->upscale_scope != TINTIN_UPSCALE_ALL && o->upscale_bits == 0u)) {
		TINTIN_LOG_ERR("tintin: optim: upscale_scope %u, need 0 (all) or 1 (convolutions) "
			       "with upscale_bits 8, 0 without",
			       o->upscale_scope);
		return -EINVAL;
	}
	if (o->rounding != TINTIN_ROUND_STOCHASTIC && o->rounding != TINTIN_ROUND_PSEUDO) {
		TINTIN_LOG_ERR("tintin: optim: unknown rounding %u", o->rounding);
		return -EINVAL;
	}
	if (o->lr_shift > 30 || o->lr_mult == 0u || o->mu > 7 || o->momentum_shift > 7 ||
	    (o->upscale_bits != 0u && o->upscale_bits != TINTIN_BIAS_EXTRA_BITS)) {
		TINTIN_LOG_ERR("tintin: optim: out of range (lr_shift %u <= 30, lr_mult %u >= 1, "
			       "mu %u <= 7, momentum_shift %u <= 7, upscale_bits %u in {0, 8})",
			       o->lr_shift, o->lr_mult, o->mu, o->momentum_shift, o->upscale_bits);
		return -ERANGE;
	}
	return 0;
}

/* Output size and leading padding along one axis; the one divide runs at init only. */
static int tintin_axis(uint16_t in, uint8_t k, uint8_t stride, uint8_t pad, uint16_t *out,
		       uint8_t *lead)
{
	uint32_t o;
	uint32_t total;

	if (pad == TINTIN_PAD_SAME) {
		o = ((uint32_t)in + stride - 1u) / stride;
		total = (o - 1u) * stride + k;
		total = (total > in) ? total - in : 0u;
		*lead = (uint8_t)(total / 2u);
		/* A window wholly in the padding has no input to read. */
		if (*lead >= k || total - *lead >= k) {
			return -EINVAL;
		}
	} else {
		if (k > in) {
			return -EINVAL;
		}
		o = ((uint32_t)in - k) / stride + 1u;
		*lead = 0u;
	}
	*out = (uint16_t)o;
	return 0;
}

/* Convolution and pooling geometry from the layer row and the input dims. */
static int tintin_check_geom(const struct tintin_layer_desc *l, uint8_t idx,
			     const struct tintin_dims *in, struct tintin_shape *sh)
{
	struct tintin_geom *g = &sh->g;
	uint32_t n_out;
	uint32_t n_row;
	uint8_t kh = l->kernel_h;
	uint8_t kw = l->kernel_w;
	uint8_t stride = l->stride;

	if (l->type == TINTIN_LAYER_GAP) {
		if (in->h > 255u || in->w > 255u) {
			TINTIN_LOG_ERR("tintin: layer %u: global pool over %ux%u, max 255x255", idx,
				       in->h, in->w);
			return -EINVAL;
		}
		kh = (uint8_t)in->h;
		kw = (uint8_t)in->w;
		stride = 1u;
	}
	if (l->type == TINTIN_LAYER_CONV1D) {
		kh = 1u;
	}
	if (stride == 0u && tintin_is_pool(l)) {
		stride = kw; /* pools default to non-overlapping windows */
	}
	if (kh == 0u || kw == 0u || stride == 0u || l->pad > TINTIN_PAD_SAME ||
	    (l->type == TINTIN_LAYER_CONV1D && in->h != 1u)) {
		TINTIN_LOG_ERR("tintin: layer %u: bad kernel %ux%u, stride %u, pad %u or input "
			       "height %u", idx, kh, kw, stride, l->pad, in->h);
		return -EINVAL;
	}
	g->in_h = in->h;
	g->in_w = in->w;
	g->in_c = in->c;
	g->k_h = kh;
	g->k_w = kw;
	g->stride = stride;
	g->out_c = tintin_has_weights(l) ? l->units : in->c;
	if (tintin_axis(in->h, kh, stride, l->pad, &g->out_h, &g->pad_t) != 0 ||
	    tintin_axis(in->w, kw, stride, l->pad, &g->out_w, &g->pad_l) != 0) {
		TINTIN_LOG_ERR("tintin: layer %u: kernel %ux%u does not fit input %ux%u", idx, kh,
			       kw, in->h, in->w);
		return -EINVAL;
	}
	if (tintin_volume(g->out_h, g->out_w, g->out_c, UINT16_MAX, &n_out) != 0 ||
	    tintin_volume(kh, kw, in->c, UINT16_MAX, &n_row) != 0) {
		TINTIN_LOG_ERR("tintin: layer %u: output %ux%ux%u or kernel %ux%ux%u has more "
			       "than 65535 elements", idx, g->out_h, g->out_w, g->out_c, kh, kw,
			       in->c);
		return -EINVAL;
	}
	if (l->type == TINTIN_LAYER_MAXPOOL) {
		uint8_t dx;

		if (tintin_maxpool_idx_bits(g, &dx) < 0) {
			TINTIN_LOG_ERR("tintin: layer %u: max-pool window %ux%u needs more than 8 "
				       "bits to index", idx, kh, kw);
			return -EINVAL;
		}
	}
	sh->out = (uint16_t)n_out;
	sh->row = (uint16_t)n_row;
	sh->recip = tintin_pool_recip((uint32_t)kh * kw);
	return 0;
}

static int tintin_check_params(const struct tintin_layer_desc *l, uint8_t idx)
{
	if (l->units == 0u || l->weights == NULL) {
		TINTIN_LOG_ERR("tintin: layer %u: needs units > 0 and weights", idx);
		return -EINVAL;
	}
	if (l->train > TINTIN_TRAIN_BIAS_ONLY) {
		TINTIN_LOG_ERR("tintin: layer %u: unknown train mode %u", idx, l->train);
		return -EINVAL;
	}
	if (l->w_exp < -TINTIN_EXP_LIMIT || l->w_exp > TINTIN_EXP_LIMIT) {
		TINTIN_LOG_ERR("tintin: layer %u: w_exp %d out of range", idx, l->w_exp);
		return -ERANGE;
	}
	return 0;
}

/* Checks one layer against its input dims (updated to its output dims). */
static int tintin_check_layer(const struct tintin_layer_desc *l, uint8_t idx,
			      struct tintin_dims *dims, int owns_act, struct tintin_shape *sh)
{
	uint32_t size;
	int ret = 0;

	memset(sh, 0, sizeof(*sh)); /* dense layers keep a zero geometry */
	/* The input and every checked layer keep dims within 65535 elements; this guards it. */
	if (tintin_volume(dims->h, dims->w, dims->c, UINT16_MAX, &size) != 0) {
		TINTIN_LOG_ERR("tintin: layer %u: input %ux%ux%u has more than 65535 elements",
			       idx, dims->h, dims->w, dims->c);
		return -EINVAL;
	}
	sh->in = (uint16_t)size;
	sh->out = (uint16_t)size;
	switch (l->type) {
	case TINTIN_LAYER_DENSE:
		if (!TINTIN_OP_DENSE) {
			TINTIN_LOG_ERR("tintin: layer %u: dense layers are disabled", idx);
			return -ENOTSUP;
		}
		ret = tintin_check_params(l, idx);
		sh->out = l->units;
		sh->row = sh->in;
		sh->rows = l->units;
		dims->h = 1u;
		dims->w = 1u;
		dims->c = l->units;
		return ret;
	case TINTIN_LAYER_CONV2D:
	case TINTIN_LAYER_CONV1D:
		if (!TINTIN_OP_CONV) {
			TINTIN_LOG_ERR("tintin: layer %u: convolutions are disabled", idx);
			return -ENOTSUP;
		}
		ret = tintin_check_params(l, idx);
		break;
	case TINTIN_LAYER_MAXPOOL:
	case TINTIN_LAYER_AVGPOOL:
	case TINTIN_LAYER_GAP:
		if (!TINTIN_OP_POOL) {
			TINTIN_LOG_ERR("tintin: layer %u: pooling is disabled", idx);
			return -ENOTSUP;
		}
		break;
	case TINTIN_LAYER_RELU:
		if (!TINTIN_OP_RELU) {
			TINTIN_LOG_ERR("tintin: layer %u: ReLU is disabled", idx);
			return -ENOTSUP;
		}
		/* ReLU works in place, so it needs an activation buffer of the model's own. */
		if (!owns_act) {
			TINTIN_LOG_ERR("tintin: layer %u: ReLU must follow a layer with an output "
				       "buffer (dense, conv, pool)", idx);
			return -EINVAL;
		}
		return 0;
	case TINTIN_LAYER_FLATTEN:
		dims->h = 1u;
		dims->w = 1u;
		dims->c = sh->in;
		return 0;
	default:
		TINTIN_LOG_ERR("tintin: layer %u: unknown layer type %u", idx, l->type);
		return -EINVAL;
	}
	if (ret != 0) {
		return ret;
	}
	ret = tintin_check_geom(l, idx, dims, sh);
	sh->rows = sh->g.out_c;
	dims->h = sh->g.out_h;
	dims->w = sh->g.out_w;
	dims->c = sh->g.out_c;
	return ret;
}

/* Validates the table and fills the per-layer shapes; returns the first trained layer index
 * in *first (n_layers when nothing trains).
 */
int tintin_check_desc(const struct tintin_model_desc *d, struct tintin_shape *sh, uint8_t *first)
{
	uint32_t size;
	struct tintin_dims dims;
	int owns_act = 0;
	int ret;

	if (d == NULL || d->layers == NULL) {
		TINTIN_LOG_ERR("tintin: model: NULL description or layer table");
		return -EINVAL;
	}
	if (d->n_layers == 0u || d->n_layers > TINTIN_MAX_LAYERS) {
		TINTIN_LOG_ERR("tintin: model: %u layers, need 1..%d (TINTIN_MAX_LAYERS)", d->n_layers,
			       TINTIN_MAX_LAYERS);
		return -EINVAL;
	}
	if (d->max_batch == 0u || d->max_batch > TINTIN_MAX_BATCH) {
		TINTIN_LOG_ERR("tintin: model: max_batch %u, need 1..%d (TINTIN_MAX_BATCH)",
			       d->max_batch, TINTIN_MAX_BATCH);
		return -EINVAL;
	}
	if (tintin_volume(d->input.h, d->input.w, d->input.c, UINT16_MAX, &size) != 0 ||
	    size == 0u) {
		TINTIN_LOG_ERR("tintin: model: input %ux%ux%u, need 1..65535 elements",
			       d->input.h, d->input.w, d->input.c);
		return -EINVAL;
	}
	if (d->loss == TINTIN_LOSS_XENT ? !TINTIN_LOSS_XENT_ENABLED
					: (d->loss == TINTIN_LOSS_MSE ? !TINTIN_LOSS_MSE_ENABLED : 0)) {
		TINTIN_LOG_ERR("tintin: model: loss %u is disabled in this build", d->loss);
		return -ENOTSUP;
	}
	if (d->loss != TINTIN_LOSS_XENT && d->loss != TINTIN_LOSS_MSE) {
		TINTIN_LOG_ERR("tintin: model: unknown loss %u", d->loss);
		return -EINVAL;
	}
	ret = tintin_check_optim(&d->optim);
	if (ret != 0) {
		return ret;
	}
	dims = d->input;
	*first = d->n_layers;
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];

		ret = tintin_check_layer(l, i, &dims, owns_act, &sh[i]);
		if (ret != 0) {
			return ret;
		}
		if (tintin_master_bits(l, &d->optim) != 0u && !TINTIN_UPSCALE_ENABLED) {
			TINTIN_LOG_ERR("tintin: layer %u: int16 master weights are disabled in this "
				       "build (CONFIG_TINTIN_OPTIM_UPSCALE)",
				       i);
			return -ENOTSUP;
		}
		owns_act = owns_act || tintin_owns_output(l);
		if (*first == d->n_layers && tintin_trains_b(l)) {
			*first = i;
		}
		size = sh[i].out;
	}
	if (d->loss == TINTIN_LOSS_XENT && (size < 2u || size > 256u)) {
		TINTIN_LOG_ERR("tintin: model: cross-entropy needs 2..256 outputs, have %u",
			       (unsigned int)size);
		return -EINVAL;
	}
	if (!owns_act) {
		TINTIN_LOG_ERR("tintin: model: no layer with an output buffer");
		return -EINVAL;
	}
	return 0;
}
