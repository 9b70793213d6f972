/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Model layer: validates the layer table, lays the model out in the arena (the planner runs
 * the same layout on a counting arena, so planned bytes are exact), and sequences forward,
 * loss, backward and the per-layer update. The arithmetic lives in fixedpoint.c, ops/,
 * loss.c and optim/; scripts/tintin/refmodel.py is its bit-exact executable specification.
 */

#include <string.h>

#include <tintin/loss.h>
#include <tintin/model.h>
#include <tintin/ops.h>
#include <tintin/optim.h>

#include "checked.h"
#include "model_internal.h"
#include "fnv.h"

/* Steps between checks for a layer whose weights fit a grid twice as fine. */
#define TINTIN_GROW_PERIOD 16u

/* Per-sample shape of one layer, derived from the table while validating it. */
struct tintin_shape {
	uint16_t in;   /* input elements */
	uint16_t out;  /* output elements */
	uint16_t row;  /* weights per output unit (dense: in; conv: k_h * k_w * in_c) */
	uint16_t rows; /* output units (dense: units; conv: output channels) */
	int32_t recip; /* average pools: round(2^24 / window) */
	struct tintin_geom g;
};

/* Layers with weights and a bias: dense and convolutions. */
static int tintin_has_weights(const struct tintin_layer_desc *l)
{
	return l->type == TINTIN_LAYER_DENSE || l->type == TINTIN_LAYER_CONV2D ||
	       l->type == TINTIN_LAYER_CONV1D;
}

static int tintin_is_pool(const struct tintin_layer_desc *l)
{
	return l->type == TINTIN_LAYER_MAXPOOL || l->type == TINTIN_LAYER_AVGPOOL ||
	       l->type == TINTIN_LAYER_GAP;
}

/* Layers that write a new tensor (ReLU and flatten work in place). */
static int tintin_owns_output(const struct tintin_layer_desc *l)
{
	return tintin_has_weights(l) || tintin_is_pool(l);
}

static int tintin_trains_w(const struct tintin_layer_desc *l)
{
	return tintin_has_weights(l) && l->train == TINTIN_TRAIN_FULL;
}

/* Extra fractional bits of a layer's trained weights: TINTIN_BIAS_EXTRA_BITS with int16
 * masters, 0 for int8 weights.
 */
static uint8_t tintin_master_bits(const struct tintin_layer_desc *l,
				  const struct tintin_optim_cfg *o)
{
	if (!tintin_trains_w(l) ||
	    (o->upscale_scope == TINTIN_UPSCALE_CONV && l->type == TINTIN_LAYER_DENSE)) {
		return 0u;
	}
	return o->upscale_bits;
}

static int tintin_trains_b(const struct tintin_layer_desc *l)
{
	return tintin_has_weights(l) && l->train != TINTIN_TRAIN_FROZEN;
}

/*
 * Whether the weight update needs a gradient row in the scratch. A dense layer trained one
 * sample at a time updates from the error times the input (tintin_sgd_outer_rows), except
 * under NITI, which first scans the whole layer's gradient.
 */
static int tintin_needs_grad_row(const struct tintin_model_desc *d,
				 const struct tintin_layer_desc *l)
{
	return tintin_trains_w(l) && (l->type != TINTIN_LAYER_DENSE || d->max_batch > 1u ||
				      d->optim.rule == TINTIN_RULE_NITI);
}

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
static int tintin_check_desc(const struct tintin_model_desc *d, struct tintin_shape *sh,
			     uint8_t *first)
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

static size_t tintin_max(size_t a, size_t b)
{
	return (a > b) ? a : b;
}

static int tintin_alloc(struct tintin_arena *a, size_t bytes, size_t align, void **out)
{
	int ret = tintin_arena_alloc(a, bytes, align, out);

	if (ret == 0) {
		return 0;
	}
	if (a->base == NULL) {
		/* Only the planner counts with a NULL base: the model outgrows size_t itself. */
		TINTIN_LOG_ERR("tintin: plan: the model needs more than %u bytes",
			       (unsigned int)(SIZE_MAX > UINT32_MAX ? UINT32_MAX : SIZE_MAX));
		return -E2BIG;
	}
	TINTIN_LOG_ERR("tintin: model: arena of %u bytes is too small", (unsigned int)a->size);
	return ret;
}

static void tintin_copy_shape(struct tintin_layer_state *s, const struct tintin_shape *sh)
{
	s->in = sh->in;
	s->out = sh->out;
	s->row = sh->row;
	s->rows = sh->rows;
	s->recip = sh->recip;
	s->geom = sh->g;
}

/* Two int8 buffers that layers alternate between (errors, or activations that are not kept). */
static int tintin_alloc_pair(struct tintin_arena *a, const size_t bytes[2], int8_t **pair)
{
	void *p;
	int ret;

	for (int k = 0; k < 2; k++) {
		ret = tintin_alloc(a, bytes[k], 1u, &p);
		if (ret != 0) {
			return ret;
		}
		if (pair != NULL) {
			pair[k] = p;
		}
	}
	return 0;
}

/* The int32 scratch, allocated last so that its full use marks the arena's high-water. */
static int tintin_alloc_acc(struct tintin_arena *a, struct tintin_model *m, size_t acc_n)
{
	void *p;
	int ret = tintin_alloc(a, tintin_size_mul(acc_n, sizeof(int32_t)), sizeof(int32_t), &p);

	if (m != NULL) {
		m->acc = p;
	}
	return ret;
}

/* Index of the next layer after i that writes its own output, or n_layers. */
static int tintin_next_owner(const struct tintin_model_desc *d, int i)
{
	int j = i + 1;

	while (j < d->n_layers && !tintin_owns_output(&d->layers[j])) {
		j++;
	}
	return j;
}

/* A layer's output is transient when only the forward pass reads it: it is not the model's
 * output and the next layer that reads it does not train weights (only weight gradients
 * need the input; ReLU and max-pool backward use bit masks instead).
 */
static int tintin_transient(const struct tintin_model_desc *d, int i)
{
	int j = tintin_next_owner(d, i);

	return j < d->n_layers && !tintin_trains_w(&d->layers[j]);
}

/* Sizes of the error/transient pair. Errors only exist during backward and transient
 * outputs only during forward, so both share it.
 */
static void tintin_pair_sizes(const struct tintin_model_desc *d, const struct tintin_shape *sh,
			      uint8_t first, size_t bytes[2])
{
	size_t err_w = 0u;
	int k = 0;

	bytes[0] = 0u;
	bytes[1] = 0u;
	for (int i = 0; i < d->n_layers; i++) {
		if (i >= first) {
			err_w = tintin_max(err_w, sh[i].out);
		}
		if (i > first) {
			err_w = tintin_max(err_w, sh[i].in);
		}
		if (tintin_owns_output(&d->layers[i]) && tintin_transient(d, i)) {
			bytes[k] = tintin_max(bytes[k], sh[i].out);
			k ^= 1;
		}
	}
	for (k = 0; k < 2; k++) {
		bytes[k] = tintin_size_mul(d->max_batch, tintin_max(bytes[k], err_w));
	}
}

/* Bit masks that backward reads instead of a kept input: ReLU signs over a transient output,
 * max-pool window indices. Only layers above the lowest trained one run backward.
 */
static size_t tintin_mask_bytes(const struct tintin_model_desc *d,
				const struct tintin_shape *sh, uint8_t first, int i,
				int prev_transient)
{
	const struct tintin_layer_desc *l = &d->layers[i];
	size_t n = (size_t)d->max_batch * sh[i].out;

	if (i <= first) {
		return 0u;
	}
	if (l->type == TINTIN_LAYER_RELU && prev_transient) {
		return (n + 7u) / 8u;
	}
	if (l->type == TINTIN_LAYER_MAXPOOL) {
		return tintin_maxpool_idx_bytes(&sh[i].g, n);
	}
	return 0u;
}

/* RAM copies of a layer's trainable parameters and their optimizer state. */
static int tintin_alloc_params(struct tintin_arena *a, struct tintin_layer_state *s,
			       const struct tintin_layer_desc *l, const struct tintin_optim_cfg *o)
{
	const size_t n_w = tintin_size_mul(s->rows, s->row);
	const uint8_t masters = tintin_master_bits(l, o);
	const size_t w_el = (masters != 0u) ? sizeof(int16_t) : 1u;
	void *p;
	int ret;

	if (tintin_trains_w(l)) {
		/* Word-aligned rows let the Armv7E-M dense kernel load eight weights at once. */
		ret = tintin_alloc(a, n_w, 4u, &p);
		if (ret != 0) {
			return ret;
		}
		s->w_ram = p;
		s->w = p;
		if (masters != 0u) {
			ret = tintin_alloc(a, n_w, 1u, &p);
			if (ret != 0) {
				return ret;
			}
			s->w_lo = p;
		}
		if (o->momentum_shift != 0u) {
			ret = tintin_alloc(a, tintin_size_mul(n_w, w_el), w_el, &p);
			if (ret != 0) {
				return ret;
			}
			s->w_mom = p;
		}
	}
	if (tintin_trains_b(l)) {
		ret = tintin_alloc(a, (size_t)s->rows * sizeof(int32_t), sizeof(int32_t), &p);
		if (ret != 0) {
			return ret;
		}
		s->bias_ram = p;
		s->bias = p;
		if (o->momentum_shift != 0u) {
			ret = tintin_alloc(a, (size_t)s->rows * sizeof(int32_t), sizeof(int32_t),
					   &p);
			if (ret != 0) {
				return ret;
			}
			s->b_mom = p;
		}
	}
	return 0;
}

/* Int32 scratch a layer's forward needs: its outputs, and behind them (ws) a dense layer's
 * workspace (tintin_fc_forward_s8).
 */
static size_t tintin_forward_acc(const struct tintin_layer_desc *l, const struct tintin_shape *sh,
				 uint16_t nb, int ws)
{
	size_t n = (size_t)nb * sh->out;

	if (l->type == TINTIN_LAYER_MAXPOOL) {
		return 0u; /* copies int8 values: no accumulator */
	}
	if (ws && l->type == TINTIN_LAYER_DENSE) {
		n += TINTIN_FC_WS_WORDS(nb, sh->in);
	}
	return n;
}

/* Training layout: the error/transient pair, then per layer its trainable parameters,
 * optimizer state, bit masks and kept output, then the int32 scratch last. With a NULL-based
 * counting arena this is the planner.
 */
static int tintin_layout_train(struct tintin_arena *a, struct tintin_model *m,
			       const struct tintin_model_desc *d, const struct tintin_shape *sh,
			       uint8_t first, int ws)
{
	struct tintin_layer_state tmp;
	const uint16_t nb = d->max_batch;
	size_t acc_n = 0u;
	int8_t *prev_act = NULL;
	int prev_transient = 0;
	int8_t *pair[2];
	size_t pair_bytes[2];
	int k = 0;
	void *p;
	int ret;

	tintin_pair_sizes(d, sh, first, pair_bytes);
	ret = tintin_alloc_pair(a, pair_bytes, pair);
	if (ret != 0) {
		return ret;
	}
	if (m != NULL) {
		m->err[0] = pair[0];
		m->err[1] = pair[1];
	}
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		struct tintin_layer_state *s = (m != NULL) ? &m->layer[i] : &tmp;
		size_t mask = tintin_mask_bytes(d, sh, first, i, prev_transient);

		if (m == NULL) {
			memset(s, 0, sizeof(*s));
		}
		tintin_copy_shape(s, &sh[i]);
		if (tintin_has_weights(l)) {
			/* Frozen parameters stay in the caller's (flash) table. */
			s->w_exp = l->w_exp;
			s->w = l->weights;
			s->bias = l->bias;
			acc_n = tintin_max(acc_n, tintin_needs_grad_row(d, l) ? sh[i].row : 0u);
			acc_n = tintin_max(acc_n, tintin_trains_b(l) ? sh[i].rows : 0u);
			ret = tintin_alloc_params(a, s, l, &d->optim);
			if (ret != 0) {
				return ret;
			}
		}
		if (mask != 0u) {
			ret = tintin_alloc(a, mask, 1u, &p);
			if (ret != 0) {
				return ret;
			}
			s->mask = p;
		}
		if (!tintin_owns_output(l)) {
			s->act = prev_act;
			continue;
		}
		acc_n = tintin_max(acc_n, tintin_forward_acc(l, &sh[i], nb, ws));
		if (i > first) {
			acc_n = tintin_max(acc_n, (size_t)nb * sh[i].in);
		}
		prev_transient = tintin_transient(d, i);
		if (prev_transient) {
			s->act = pair[k];
			k ^= 1;
		} else {
			ret = tintin_alloc(a, (size_t)nb * sh[i].out, 1u, &p);
			if (ret != 0) {
				return ret;
			}
			s->act = p;
		}
		prev_act = s->act;
	}
	if (d->loss == TINTIN_LOSS_MSE) {
		acc_n = tintin_max(acc_n, (size_t)nb * sh[d->n_layers - 1u].out);
	}
	return tintin_alloc_acc(a, m, acc_n);
}

/* Inference layout: two activation buffers that layers alternate between, then the scratch. */
static int tintin_layout_infer(struct tintin_arena *a, struct tintin_model *m,
			       const struct tintin_model_desc *d, const struct tintin_shape *sh, int ws)
{
	struct tintin_layer_state tmp;
	const uint16_t nb = d->max_batch;
	size_t act_w = 0u;
	size_t acc_n = 0u;

	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		struct tintin_layer_state *s = (m != NULL) ? &m->layer[i] : &tmp;

		tintin_copy_shape(s, &sh[i]);
		if (tintin_has_weights(l)) {
			s->w = l->weights;
			s->bias = l->bias;
			s->w_exp = l->w_exp;
		}
		if (tintin_owns_output(l)) {
			act_w = tintin_max(act_w, sh[i].out);
			acc_n = tintin_max(acc_n, tintin_forward_acc(l, &sh[i], nb, ws));
		}
	}
	const size_t bytes[2] = {(size_t)nb * act_w, (size_t)nb * act_w};
	int ret = tintin_alloc_pair(a, bytes, (m != NULL) ? m->ping : NULL);

	return (ret != 0) ? ret : tintin_alloc_acc(a, m, acc_n);
}

/* Lays the model out in arena a; m may be NULL when only counting bytes (the planner). */
/*
 * The backward sums of a convolution accumulate int8 x int8 products (at most 2^14 each) in
 * int32: a weight's gradient over every output position of every sample in the batch, an
 * input's error over every output channel of every window that covers it. Up to
 * TINTIN_SUM_TERMS_MAX terms cannot overflow; a table with more is refused here rather than
 * trained on wrapped gradients. Dense sums stay far below it (batch, or units <= 65535).
 */
#define TINTIN_SUM_TERMS_MAX (INT32_MAX / (128 * 128))

static int tintin_check_sums(const struct tintin_model_desc *d, const struct tintin_shape *sh,
			     uint8_t first)
{
	for (uint8_t i = first; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		const struct tintin_geom *g = &sh[i].g;
		uint32_t grad_terms;
		uint32_t err_terms;

		if (l->type != TINTIN_LAYER_CONV2D && l->type != TINTIN_LAYER_CONV1D) {
			continue;
		}
		/* Each factor is at most 65535 or 256: the products are checked, not wrapped. */
		if (tintin_volume(d->max_batch, g->out_h, g->out_w, UINT32_MAX, &grad_terms) != 0) {
			grad_terms = UINT32_MAX;
		}
		if (tintin_volume((g->k_h + g->stride - 1u) / g->stride,
				  (g->k_w + g->stride - 1u) / g->stride, g->out_c, UINT32_MAX,
				  &err_terms) != 0) {
			err_terms = UINT32_MAX;
		}
		grad_terms = tintin_trains_w(l) ? grad_terms : 0u;
		err_terms = (i > first) ? err_terms : 0u;
		if (grad_terms > TINTIN_SUM_TERMS_MAX || err_terms > TINTIN_SUM_TERMS_MAX) {
			TINTIN_LOG_ERR("tintin: layer %u: a backward sum of %u terms could overflow "
				       "int32 (max %d): lower max_batch, the map or the channels",
				       i, (unsigned int)((grad_terms > err_terms) ? grad_terms
										  : err_terms),
				       (int)TINTIN_SUM_TERMS_MAX);
			return -EINVAL;
		}
	}
	return 0;
}

static int tintin_layout(struct tintin_arena *a, struct tintin_model *m,
			 const struct tintin_model_desc *d, enum tintin_mode mode,
			 const struct tintin_shape *sh, uint8_t first, int ws)
{
	if (mode == TINTIN_MODE_TRAIN) {
		int ret;

		if (first == d->n_layers) {
			TINTIN_LOG_ERR("tintin: model: no layer trains (all frozen); use "
				       "TINTIN_MODE_INFER");
			return -EINVAL;
		}
		ret = tintin_check_sums(d, sh, first);
		if (ret != 0) {
			return ret;
		}
		return tintin_layout_train(a, m, d, sh, first, ws);
	}
	if (mode == TINTIN_MODE_INFER) {
		return tintin_layout_infer(a, m, d, sh, ws);
	}
	TINTIN_LOG_ERR("tintin: model: unknown mode %d", (int)mode);
	return -EINVAL;
}

/*
 * FNV-1a over the table as values, little-endian, never as struct memory (no padding, no
 * pointers): the description's fields, then per layer its fields, its int8 weights and its
 * int32 biases. scripts/tintin/cgen.py computes the same for generated headers.
 */
static uint32_t tintin_desc_hash(const struct tintin_model_desc *d, const struct tintin_shape *sh)
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

static int tintin_plan(const struct tintin_model_desc *desc, enum tintin_mode mode, int ws,
		       size_t *bytes)
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
	ret = tintin_layout(&count, NULL, desc, mode, sh, first, ws);
	if (ret != 0) {
		return ret;
	}
	*bytes = tintin_arena_used(&count);
	return 0;
}

int tintin_model_plan(const struct tintin_model_desc *desc, enum tintin_mode mode, size_t *bytes)
{
	return tintin_plan(desc, mode, 0, bytes);
}

int tintin_model_plan_dsp(const struct tintin_model_desc *desc, enum tintin_mode mode,
			  size_t *bytes)
{
	return tintin_plan(desc, mode, 1, bytes);
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
		if (s->w_lo != NULL) {
			memset(s->w_lo, 0, n_w); /* master = 256 * w */
		}
		if (s->w_mom != NULL) {
			memset(s->w_mom, 0, n_w * ((s->w_lo != NULL) ? sizeof(int16_t) : 1u));
		}
		if (s->bias_ram != NULL) {
			if (l->bias != NULL) {
				memcpy(s->bias_ram, l->bias, (size_t)s->rows * sizeof(int32_t));
			} else {
				memset(s->bias_ram, 0, (size_t)s->rows * sizeof(int32_t));
			}
		}
		if (s->b_mom != NULL) {
			memset(s->b_mom, 0, (size_t)s->rows * sizeof(int32_t));
		}
	}
}

int tintin_model_init(struct tintin_model *m, const struct tintin_model_desc *desc,
		      enum tintin_mode mode, void *buf, size_t size)
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
	ret = tintin_model_plan(desc, mode, &need);
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
	if (TINTIN_FC_USES_WS && tintin_plan(desc, mode, 1, &need) == 0 && size >= need) {
		m->fc_ws = 1u;
	}
	(void)tintin_check_desc(desc, sh, &first);
	m->desc = desc;
	m->mode = (uint8_t)mode;
	m->first_trained = first;
	ret = tintin_layout(&m->arena, m, desc, mode, sh, first, m->fc_ws);
	if (ret != 0) {
		memset(m, 0, sizeof(*m));
		return ret;
	}
	tintin_load_params(m, desc);
	tintin_prng_seed(&m->prng, desc->seed);
	return 0;
}

static int tintin_check_exp(int e, const char *what)
{
	if (e < -TINTIN_EXP_LIMIT || e > TINTIN_EXP_LIMIT) {
		TINTIN_LOG_ERR("tintin: %s exponent %d out of range", what, e);
		(void)what;
		return -ERANGE;
	}
	return 0;
}

static int tintin_check_ready(const struct tintin_model *m)
{
	if (m == NULL || m->desc == NULL) {
		TINTIN_LOG_ERR("tintin: model is NULL or not initialised");
		return -EINVAL;
	}
	return 0;
}

/*
 * Biases live at w_exp - TINTIN_BIAS_EXTRA_BITS; on inputs at exponent e below
 * -TINTIN_BIAS_EXTRA_BITS the kernels shift them left, saturating the ones that do not fit.
 * Those count as saturated activations, so such an input scale shows in the stats.
 */
static uint32_t tintin_bias_sat(const struct tintin_layer_state *s, int e)
{
	const int shift = -(e + TINTIN_BIAS_EXTRA_BITS);
	uint32_t k = 0u;

	if (s->bias == NULL || shift <= 0) {
		return 0u;
	}
	for (uint16_t o = 0; o < s->rows; o++) {
		k += tintin_shl_saturates(s->bias[o], shift) ? 1u : 0u;
	}
	return k;
}

/* Forward of a layer that writes a new tensor into dst; returns the exponent it adds. */
static int tintin_forward_layer(struct tintin_model *m, const struct tintin_layer_desc *l,
				const struct tintin_layer_state *s, const int8_t *x, int e,
				uint16_t n, int8_t *dst)
{
	size_t len = (size_t)n * s->out;
	int base;

	if (tintin_has_weights(l)) {
		m->stats.act_sat += tintin_bias_sat(s, e);
	}
	switch (l->type) {
	case TINTIN_LAYER_DENSE:
		tintin_fc_forward_s8(x, s->w, s->bias, e + TINTIN_BIAS_EXTRA_BITS, n, s->in,
				     s->rows, m->acc, m->fc_ws ? m->acc + len : NULL);
		base = s->w_exp;
		break;
	case TINTIN_LAYER_CONV2D:
	case TINTIN_LAYER_CONV1D:
		tintin_conv_forward_s8(x, s->w, s->bias, e + TINTIN_BIAS_EXTRA_BITS, n, &s->geom,
				       m->acc);
		base = s->w_exp;
		break;
	case TINTIN_LAYER_MAXPOOL:
		tintin_maxpool_forward_s8(x, n, &s->geom, dst, s->mask);
		return 0;
	default: /* average and global average pools */
		tintin_avgpool_forward_s8(x, n, &s->geom, s->recip, m->acc);
		base = -24;
		break;
	}
	return base + tintin_requantize_s8(m->acc, len, dst, &m->stats.act_sat);
}

int tintin_model_forward(struct tintin_model *m, const int8_t *x, int8_t x_exp, uint16_t n,
			 struct tintin_tensor *out)
{
	const int8_t *cur = x;
	int e = x_exp;
	int ret = tintin_check_ready(m);
	int k = 0;

	if (ret != 0) {
		return ret;
	}
	if (x == NULL || n == 0u || n > m->desc->max_batch) {
		TINTIN_LOG_ERR("tintin: forward: need x and 1..%u samples, have %u",
			       m->desc->max_batch, n);
		return -EINVAL;
	}
	ret = tintin_check_exp(x_exp, "input");
	if (ret != 0) {
		return ret;
	}
	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		const struct tintin_layer_desc *l = &m->desc->layers[i];
		struct tintin_layer_state *s = &m->layer[i];

		if (l->type == TINTIN_LAYER_RELU) {
			/* The table check guarantees cur is a buffer of ours here. */
			tintin_relu_forward_s8((int8_t *)(uintptr_t)cur, (size_t)n * s->out,
					       s->mask);
		} else if (tintin_owns_output(l)) {
			int8_t *dst = (m->mode == TINTIN_MODE_TRAIN) ? s->act : m->ping[k];

			k ^= 1;
			e += tintin_forward_layer(m, l, s, cur, e, n, dst);
			ret = tintin_check_exp(e, "activation");
			if (ret != 0) {
				return ret;
			}
			cur = dst;
		}
		s->act_exp = (int8_t)e;
	}
	m->batch = n;
	m->out = cur;
	m->out_exp = (int8_t)e;
	if (out != NULL) {
		out->data = (int8_t *)(uintptr_t)cur;
		out->dims.n = n;
		out->dims.h = 1u;
		out->dims.w = 1u;
		out->dims.c = m->layer[m->desc->n_layers - 1u].out;
		out->exp = (int8_t)e;
	}
	return 0;
}

static uint8_t tintin_argmax(const int8_t *v, uint16_t n)
{
	uint8_t best = 0u;

	for (uint16_t j = 1; j < n && j < 256u; j++) {
		if (v[j] > v[best]) {
			best = (uint8_t)j;
		}
	}
	return best;
}

int tintin_model_predict(struct tintin_model *m, const int8_t *x, int8_t x_exp, uint16_t n,
			 uint8_t *classes)
{
	int ret;
	uint16_t c;

	if (classes == NULL) {
		TINTIN_LOG_ERR("tintin: predict: NULL classes");
		return -EINVAL;
	}
	ret = tintin_model_forward(m, x, x_exp, n, NULL);
	if (ret != 0) {
		return ret;
	}
	c = m->layer[m->desc->n_layers - 1u].out;
	for (uint16_t b = 0; b < n; b++) {
		classes[b] = tintin_argmax(m->out + (size_t)b * c, c);
	}
	return 0;
}

int tintin_model_evaluate(struct tintin_model *m, const int8_t *x, int8_t x_exp,
			  const uint8_t *labels, uint32_t n, uint32_t *correct)
{
	int ret = tintin_check_ready(m);
	uint32_t done = 0u;
	uint32_t hits = 0u;

	if (ret != 0) {
		return ret;
	}
	if (x == NULL || labels == NULL || correct == NULL) {
		TINTIN_LOG_ERR("tintin: evaluate: NULL argument");
		return -EINVAL;
	}
	while (done < n) {
		uint32_t left = n - done;
		uint16_t chunk = (left < m->desc->max_batch) ? (uint16_t)left : m->desc->max_batch;
		uint16_t c = m->layer[m->desc->n_layers - 1u].out;
		size_t in = m->layer[0].in;

		ret = tintin_model_forward(m, x + (size_t)done * in, x_exp, chunk, NULL);
		if (ret != 0) {
			return ret;
		}
		for (uint16_t b = 0; b < chunk; b++) {
			hits += (tintin_argmax(m->out + (size_t)b * c, c) == labels[done + b]) ? 1u
												 : 0u;
		}
		done += chunk;
	}
	*correct = hits;
	return 0;
}

static int tintin_check_batch(const struct tintin_model *m, const struct tintin_batch *bt)
{
	uint16_t c = m->layer[m->desc->n_layers - 1u].out;

	if (m->mode != TINTIN_MODE_TRAIN) {
		TINTIN_LOG_ERR("tintin: train_step: model was initialised for inference only");
		return -EINVAL;
	}
	if (bt == NULL || bt->x == NULL || bt->n == 0u || bt->n > m->desc->max_batch) {
		TINTIN_LOG_ERR("tintin: train_step: need a batch of 1..%u samples",
			       m->desc->max_batch);
		return -EINVAL;
	}
	if (m->desc->loss == TINTIN_LOSS_MSE) {
		if (bt->targets == NULL) {
			TINTIN_LOG_ERR("tintin: train_step: MSE needs targets");
			return -EINVAL;
		}
		return tintin_check_exp(bt->t_exp, "target");
	}
	if (bt->labels == NULL) {
		TINTIN_LOG_ERR("tintin: train_step: cross-entropy needs labels");
		return -EINVAL;
	}
	for (uint16_t b = 0; b < bt->n; b++) {
		if (bt->labels[b] >= c) {
			TINTIN_LOG_ERR("tintin: train_step: label %u of sample %u >= %u classes",
				       bt->labels[b], b, c);
			return -EINVAL;
		}
	}
	return 0;
}

/* One parameter array as the optimizer sees it: int16 master or int8 weights, int32 bias. */
static struct tintin_param tintin_weight_param(const struct tintin_model *m,
					       const struct tintin_layer_state *s)
{
	struct tintin_param p;

	p.mom = s->w_mom;
	p.high = NULL;
	if (s->w_lo != NULL) {
		/* The int8 weights forward and backward use are the masters' high bytes. */
		p.data = s->w_lo;
		p.high = s->w_ram;
		p.dtype = TINTIN_DTYPE_S16P;
		p.exp = (int8_t)(s->w_exp - m->desc->optim.upscale_bits);
	} else {
		p.data = s->w_ram;
		p.dtype = TINTIN_DTYPE_S8;
		p.exp = s->w_exp;
	}
	return p;
}

/* Weight-gradient row o (dense: one output unit; conv: one output channel) into m->acc. */
static void tintin_grad_row(struct tintin_model *m, const struct tintin_layer_state *s,
			    const int8_t *err, const int8_t *x, uint16_t o)
{
	if (s->geom.k_w == 0u) {
		tintin_fc_grad_row_s8(err, x, m->batch, s->in, s->rows, o, m->acc);
	} else {
		tintin_conv_grad_row_s8(err, x, m->batch, &s->geom, o, m->acc);
	}
}

static int32_t tintin_grad_bias(const struct tintin_model *m, const struct tintin_layer_state *s,
				const int8_t *err, uint16_t o)
{
	if (s->geom.k_w == 0u) {
		return tintin_fc_grad_bias_s8(err, m->batch, s->rows, o);
	}
	return tintin_conv_grad_bias_s8(err, m->batch, &s->geom, o);
}

static int tintin_unit_has_err(const int8_t *err, uint16_t batch, uint16_t rows, uint16_t o)
{
	for (uint16_t b = 0; b < batch; b++) {
		if (err[(size_t)b * rows + o] != 0) {
			return 1;
		}
	}
	return 0;
}

static void tintin_update_weights(struct tintin_model *m, struct tintin_layer_state *s,
				  const int8_t *err, int e_err, const int8_t *x, int e_x)
{
	const struct tintin_optim_cfg *cfg = &m->desc->optim;
	struct tintin_param p = tintin_weight_param(m, s);
	struct tintin_sgd_rows u;
	int shift = 0;

	if (cfg->rule == TINTIN_RULE_NITI) {
		/* NITI normalises by the whole layer's gradient range: a first pass finds it. */
		uint32_t maxabs = 0u;

		for (uint16_t o = 0; o < s->rows; o++) {
			tintin_grad_row(m, s, err, x, o);
			for (uint16_t i = 0; i < s->row; i++) {
				uint32_t a = tintin_abs32(m->acc[i]);

				maxabs = (a > maxabs) ? a : maxabs;
			}
		}
		shift = tintin_sgd_niti_shift(maxabs, cfg->mu + ((s->w_lo != NULL) ? cfg->upscale_bits
										    : 0u));
	} else {
		tintin_sgd_rows_init(&u, cfg, &p, e_err + e_x, &m->prng);
		u.clips = &m->stats.update_clips;
		/* At batch 1 a dense unit's gradient row is its error times the input, formed
		 * inside the update: no gradient row is written.
		 */
		if (s->geom.k_w == 0u && m->batch == 1u) {
			tintin_sgd_outer_rows(&u, err, x, s->rows, s->in, &m->stats.param_sat);
			tintin_prng_advance(&m->prng, (uint32_t)s->rows * s->row);
			return;
		}
	}
	for (uint16_t o = 0; o < s->rows; o++) {
		uint32_t off = (uint32_t)o * s->row;

		/* A dense unit with no error in the batch has a zero gradient row; without momentum
		 * nothing of it moves (the draws are counter-based, so skipping keeps the stream).
		 */
		if (p.mom == NULL && s->geom.k_w == 0u &&
		    !tintin_unit_has_err(err, m->batch, s->rows, o)) {
			continue;
		}
		tintin_grad_row(m, s, err, x, o);
		if (cfg->rule == TINTIN_RULE_NITI) {
			tintin_sgd_niti_row(cfg, &p, off, m->acc, s->row, shift,
					    &m->stats.param_sat);
		} else {
			tintin_sgd_row(&u, off, m->acc, s->row, &m->stats.param_sat);
		}
	}
	tintin_prng_advance(&m->prng, (uint32_t)s->rows * s->row);
}

static struct tintin_param tintin_bias_param(const struct tintin_layer_state *s)
{
	struct tintin_param p;

	p.data = s->bias_ram;
	p.mom = s->b_mom;
	p.high = NULL;
	p.dtype = TINTIN_DTYPE_S32;
	p.exp = (int8_t)(s->w_exp - TINTIN_BIAS_EXTRA_BITS);
	return p;
}

static void tintin_update_bias(struct tintin_model *m, struct tintin_layer_state *s,
			       const int8_t *err, int e_err)
{
	const struct tintin_optim_cfg *cfg = &m->desc->optim;
	struct tintin_param p = tintin_bias_param(s);
	uint32_t maxabs = 0u;

	for (uint16_t o = 0; o < s->rows; o++) {
		m->acc[o] = tintin_grad_bias(m, s, err, o);
		maxabs = (tintin_abs32(m->acc[o]) > maxabs) ? tintin_abs32(m->acc[o]) : maxabs;
	}
	if (cfg->rule == TINTIN_RULE_NITI) {
		tintin_sgd_niti_row(cfg, &p, 0u, m->acc, s->rows,
				    tintin_sgd_niti_shift(maxabs, cfg->mu + TINTIN_BIAS_EXTRA_BITS),
				    &m->stats.param_sat);
	} else {
		tintin_sgd_aligned_row(cfg, &p, 0u, m->acc, s->rows, e_err, &m->prng,
				       &m->stats.param_sat);
	}
	tintin_prng_advance(&m->prng, s->rows);
}

/* Exponent bound of a layer's weights: its table's w_exp plus dir * TINTIN_W_EXP_SPAN. */
static int tintin_w_exp_bound(const struct tintin_layer_desc *l, int dir)
{
	int e = l->w_exp + dir * TINTIN_W_EXP_SPAN;

	return (e > TINTIN_EXP_LIMIT) ? TINTIN_EXP_LIMIT
				      : ((e < -TINTIN_EXP_LIMIT) ? -TINTIN_EXP_LIMIT : e);
}

/*
 * The weight grid follows the weights, both ways. A weight pinned at the limit of its type no
 * longer follows its gradient, so when a layer's weight update clipped, the layer is halved
 * (weights, momentum, bias, bias momentum) and its exponent raised by one: the same reals, one
 * more bit of headroom. A grid coarser than the weights need adds stochastic-rounding noise
 * to every update, so every TINTIN_GROW_PERIOD steps a layer whose values all fit doubled is
 * doubled and its exponent lowered by one (exact). Both stay within TINTIN_W_EXP_SPAN of the
 * table's exponent: at the top, clipped weights stay clipped (counted in param_sat), so no
 * input scale or label stream can drive an exponent out of range.
 */
static void tintin_rescale_layer(struct tintin_model *m, const struct tintin_layer_desc *l,
				 struct tintin_layer_state *s, int clipped)
{
	struct tintin_param w = tintin_weight_param(m, s);
	struct tintin_param b = tintin_bias_param(s);
	const uint32_t n = (uint32_t)s->rows * s->row;

	if (clipped) {
		if (s->w_exp >= tintin_w_exp_bound(l, 1)) {
			return;
		}
		tintin_param_halve(&w, n);
		tintin_param_halve(&b, s->rows);
		s->w_exp = (int8_t)(s->w_exp + 1);
	} else {
		if ((m->stats.steps % TINTIN_GROW_PERIOD) != 0u ||
		    s->w_exp <= tintin_w_exp_bound(l, -1) || !tintin_param_fits_doubled(&w, n) ||
		    !tintin_param_fits_doubled(&b, s->rows)) {
			return;
		}
		tintin_param_double(&w, n);
		tintin_param_double(&b, s->rows);
		s->w_exp = (int8_t)(s->w_exp - 1);
	}
	m->stats.rescales++;
}

/*
 * A weight update clamped to TINTIN_UPDATE_LIMIT means the rate is far too high for the scale
 * of this layer's inputs and errors (raw sensor codes at exponent 0, a diverging run): each
 * such step halves the layer's rate, and every TINTIN_GROW_PERIOD steps a step without one
 * doubles it back, up to the configured rate, as dynamic loss scaling does for float16.
 */
static void tintin_backoff(struct tintin_model *m, struct tintin_layer_state *s, int clipped)
{
	if (clipped) {
		if (s->lr_off < TINTIN_LR_BACKOFF_MAX) {
			s->lr_off++;
		}
	} else if (s->lr_off > 0u && (m->stats.steps % TINTIN_GROW_PERIOD) == 0u) {
		s->lr_off--;
	}
}

/*
 * Rate offset for a batch of n: the loss gradient is the batch mean (divided by the next power
 * of two), so below 8 samples the step shrinks with the batch and every size up to 8 applies
 * lr * (sum of the samples' gradients) / 8: lr_shift is the rate at batch 8.
 */
static int tintin_lr_batch(uint16_t n)
{
	return (n >= 8u) ? 0 : 3 - tintin_bits((uint32_t)n - 1u);
}

/* Error for the layer below (err_in, int8) from this layer's error; returns its exponent
 * relative to err's.
 */
static int tintin_backward_layer(struct tintin_model *m, const struct tintin_layer_desc *l,
				 const struct tintin_layer_state *s, const int8_t *err,
				 int8_t *err_in)
{
	int base;

	switch (l->type) {
	case TINTIN_LAYER_DENSE:
		tintin_fc_backward_s8(err, s->w, m->batch, s->in, s->rows, m->acc);
		base = s->w_exp;
		break;
	case TINTIN_LAYER_CONV2D:
	case TINTIN_LAYER_CONV1D:
		tintin_conv_backward_s8(err, s->w, m->batch, &s->geom, m->acc);
		base = s->w_exp;
		break;
	case TINTIN_LAYER_MAXPOOL:
		tintin_maxpool_backward_s8(s->mask, err, m->batch, &s->geom, m->acc);
		base = 0;
		break;
	default: /* average and global average pools */
		tintin_avgpool_backward_s8(err, m->batch, &s->geom, s->recip, m->acc);
		base = -24;
		break;
	}
	return base + tintin_requantize_s8(m->acc, (size_t)m->batch * s->in, err_in,
					   &m->stats.err_sat);
}

/* Loss gradient of the last forward pass into err[0]; returns its exponent via *e_err. */
static int tintin_loss_grad(struct tintin_model *m, const struct tintin_batch *bt, int *e_err)
{
	uint16_t c = m->layer[m->desc->n_layers - 1u].out;

	if (m->desc->loss == TINTIN_LOSS_MSE) {
		*e_err = tintin_mse_grad_s8(m->out, m->out_exp, bt->targets, bt->t_exp,
					    (uint32_t)bt->n * c, bt->n, m->acc, m->err[0],
					    &m->stats.err_sat);
	} else {
		*e_err = tintin_xent_grad_s8(m->out, m->out_exp, bt->labels, bt->n, c, &m->prng,
					     m->err[0]);
		tintin_prng_advance(&m->prng, (uint32_t)bt->n * c);
	}
	return tintin_check_exp(*e_err, "loss gradient");
}

int tintin_model_train_step(struct tintin_model *m, const struct tintin_batch *batch)
{
	uint32_t sat0;
	int e_err;
	int lr_b;
	int cur = 0;
	int ret = tintin_check_ready(m);

	if (ret != 0) {
		return ret;
	}
	ret = tintin_check_batch(m, batch);
	if (ret != 0) {
		return ret;
	}
	ret = tintin_model_forward(m, batch->x, batch->x_exp, batch->n, NULL);
	if (ret != 0) {
		return ret;
	}
	ret = tintin_loss_grad(m, batch, &e_err);
	if (ret != 0) {
		return ret;
	}
	sat0 = m->stats.param_sat;
	lr_b = tintin_lr_batch(batch->n);
	for (int i = m->desc->n_layers - 1; i >= m->first_trained; i--) {
		const struct tintin_layer_desc *l = &m->desc->layers[i];
		struct tintin_layer_state *s = &m->layer[i];
		/* A leading flatten has no buffer of its own: its input is the batch. */
		const int8_t *x = (i == 0 || m->layer[i - 1].act == NULL) ? batch->x
									   : m->layer[i - 1].act;
		int e_x = (i == 0) ? batch->x_exp : m->layer[i - 1].act_exp;
		int below = i > m->first_trained;
		int shift = 0;
		uint32_t sat_w;
		uint32_t clips;

		if (l->type == TINTIN_LAYER_RELU) {
			if (s->mask != NULL) {
				tintin_relu_backward_mask_s8(s->mask, m->err[cur],
							     (size_t)m->batch * s->out);
			} else {
				tintin_relu_backward_s8(s->act, m->err[cur],
							(size_t)m->batch * s->out);
			}
			continue;
		}
		if (!tintin_owns_output(l)) {
			continue;
		}
		/* Error for the layer below first, with the weights this forward pass used. */
		if (below) {
			shift = tintin_backward_layer(m, l, s, m->err[cur], m->err[cur ^ 1]);
		}
		/* The updates see the error at e_err - lr_b - lr_off: the batch's rate
		 * (tintin_lr_batch) and the layer's back-off (tintin_backoff).
		 */
		sat_w = m->stats.param_sat;
		clips = m->stats.update_clips;
		if (s->w_ram != NULL) {
			tintin_update_weights(m, s, m->err[cur], e_err - lr_b - s->lr_off, x, e_x);
		}
		sat_w = m->stats.param_sat - sat_w;
		if (s->bias_ram != NULL) {
			tintin_update_bias(m, s, m->err[cur], e_err - lr_b - s->lr_off);
		}
		if (s->w_ram != NULL) {
			tintin_rescale_layer(m, l, s, sat_w != 0u);
			tintin_backoff(m, s, m->stats.update_clips != clips);
		}
		if (below) {
			e_err += shift;
			ret = tintin_check_exp(e_err, "error");
			if (ret != 0) {
				return ret;
			}
			cur ^= 1;
		}
	}
	m->stats.steps++;
	if (TINTIN_STRICT_OVERFLOW && m->stats.param_sat != sat0) {
		TINTIN_LOG_ERR("tintin: train_step: %u parameter updates saturated",
			       (unsigned int)(m->stats.param_sat - sat0));
		return -EOVERFLOW;
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
