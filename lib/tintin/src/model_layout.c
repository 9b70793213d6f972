/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Arena layout: where every buffer of a checked table goes, for training (an error/transient
 * pair, per layer its RAM parameters, optimizer state, bit masks and kept output, then the
 * scratch: rounding bits and tile shifts, the int32 tile buffer last) or for inference (two
 * activation buffers, the scratch). The planner runs it on a counting arena and init on the
 * real one, so planned bytes are exactly the bytes taken. A training layout first refuses
 * tables whose backward sums could overflow int32.
 */

#include <string.h>

#include <tintin/model.h>
#include <tintin/ops.h>

#include "checked.h"
#include "internal.h"

static size_t tintin_max(size_t a, size_t b)
{
	return (a > b) ? a : b;
}

/* An arena and, when the planner asks for the split, bytes per enum tintin_plan_part. */
struct tintin_lay {
	struct tintin_arena *a;
	size_t *parts;
};

static int tintin_alloc(struct tintin_lay *y, int part, size_t bytes, size_t align, void **out)
{
	const size_t before = y->a->used;
	int ret = tintin_arena_alloc(y->a, bytes, align, out);

	if (ret == 0) {
		if (y->parts != NULL) {
			y->parts[part] += bytes;
			y->parts[TINTIN_PART_ALIGN] += y->a->used - before - bytes;
		}
		return 0;
	}
	if (y->a->base == NULL) {
		/* Only the planner counts with a NULL base: the model outgrows size_t itself. */
		TINTIN_LOG_ERR("tintin: plan: the model needs more than %u bytes",
			       (unsigned int)(SIZE_MAX > UINT32_MAX ? UINT32_MAX : SIZE_MAX));
		return -E2BIG;
	}
	TINTIN_LOG_ERR("tintin: model: arena of %u bytes is too small", (unsigned int)y->a->size);
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
static int tintin_alloc_pair(struct tintin_lay *y, const size_t bytes[2], int8_t **pair)
{
	void *p;
	int ret;

	for (int k = 0; k < 2; k++) {
		ret = tintin_alloc(y, TINTIN_PART_PAIR, bytes[k], 1u, &p);
		if (ret != 0) {
			return ret;
		}
		if (pair != NULL) {
			pair[k] = p;
		}
	}
	return 0;
}

/*
 * The scratch: rounding bits and tile shifts, then the int32 tile buffer last, so that its
 * full use marks the arena's high-water.
 */
static int tintin_alloc_scratch(struct tintin_lay *y, struct tintin_model *m,
				const struct tintin_scratch *sc)
{
	void *bits;
	void *shifts;
	void *acc;
	int ret = tintin_alloc(y, TINTIN_PART_ROUNDING, sc->bits, 1u, &bits);

	if (ret == 0) {
		ret = tintin_alloc(y, TINTIN_PART_ROUNDING, sc->shifts, 1u, &shifts);
	}
	if (ret == 0) {
		ret = tintin_alloc(y, TINTIN_PART_SCRATCH,
				   tintin_size_mul(sc->words, sizeof(int32_t)), sizeof(int32_t),
				   &acc);
	}
	if (ret == 0 && m != NULL) {
		m->rq_bits = bits;
		m->rq_shifts = shifts;
		m->acc = acc;
		m->chunk = sc->chunk;
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

/*
 * Sizes of the error/transient pair. Errors only exist during backward and transient
 * outputs only during forward, so both share it. Each buffer is as large as the tensors that
 * land in it: transient outputs alternate between the two in forward, and in backward the
 * loss gradient goes to the first and each layer's error for the layer below to the other
 * one than its own error, as tintin_model_train_step walks them.
 */
static void tintin_pair_sizes(const struct tintin_model_desc *d, const struct tintin_shape *sh,
			      uint8_t first, size_t bytes[2])
{
	int k = 0;

	bytes[0] = sh[d->n_layers - 1u].out;
	bytes[1] = 0u;
	for (int i = 0; i < d->n_layers; i++) {
		if (tintin_owns_output(&d->layers[i]) && tintin_transient(d, i)) {
			bytes[k] = tintin_max(bytes[k], sh[i].out);
			k ^= 1;
		}
	}
	k = 0;
	for (int i = d->n_layers - 1; i > first; i--) {
		if (tintin_owns_output(&d->layers[i])) {
			k ^= 1;
			bytes[k] = tintin_max(bytes[k], sh[i].in);
		}
	}
	for (k = 0; k < 2; k++) {
		bytes[k] = tintin_size_mul(d->max_batch, bytes[k]);
	}
}

/*
 * A ReLU right below a max-pool with disjoint windows and a kept output needs no mask: its
 * error is nonzero only at window maxima, where its output is the pool's output, so the pool
 * clears the error of each window whose kept maximum is not positive
 * (tintin_maxpool_backward_direct_s8's gate), exactly where the mask would.
 */
static int tintin_relu_gated(const struct tintin_model_desc *d, const struct tintin_shape *sh,
			     int i)
{
	return d->layers[i].type == TINTIN_LAYER_RELU && i + 1 < d->n_layers &&
	       tintin_is_maxpool(&d->layers[i + 1]) && tintin_maxpool_disjoint(&sh[i + 1].g) &&
	       !tintin_transient(d, i + 1);
}

/* Bit masks that backward reads instead of a kept input: ReLU signs over a transient output
 * (unless the pool above gates it), max-pool window indices. Only layers above the lowest
 * trained one run backward.
 */
static size_t tintin_mask_bytes(const struct tintin_model_desc *d, const struct tintin_shape *sh,
				uint8_t first, int i, int prev_transient)
{
	const struct tintin_layer_desc *l = &d->layers[i];
	size_t n = (size_t)d->max_batch * sh[i].out;

	if (i <= first) {
		return 0u;
	}
	if (l->type == TINTIN_LAYER_RELU && prev_transient) {
		return tintin_relu_gated(d, sh, i) ? 0u : (n + 7u) / 8u;
	}
	if (tintin_is_maxpool(l)) {
		return tintin_maxpool_idx_bytes(&sh[i].g, n);
	}
	return 0u;
}

/* RAM copies of a layer's trainable parameters and their optimizer state. */
static int tintin_alloc_params(struct tintin_lay *y, struct tintin_layer_state *s,
			       const struct tintin_layer_desc *l, const struct tintin_optim_cfg *o)
{
	const size_t n_w = tintin_size_mul(s->rows, s->row);
	/* Without TINTIN_UPSCALE_ENABLED the table check refused any layer with masters. */
	const uint8_t masters = TINTIN_UPSCALE_ENABLED ? tintin_master_bits(l, o) : 0u;
	const size_t w_el = (masters != 0u) ? sizeof(int16_t) : 1u;
	const size_t b_sz = (size_t)s->rows * sizeof(int32_t);
	void *p;
	int ret;

	if (tintin_trains_w(l)) {
		/* Word-aligned rows let the Armv7E-M dense kernel load eight weights at once. */
		ret = tintin_alloc(y, TINTIN_PART_PARAMS, n_w, 4u, &p);
		if (ret != 0) {
			return ret;
		}
		s->w_ram = p;
		s->w = p;
		if (masters != 0u) {
			ret = tintin_alloc(y, TINTIN_PART_OPTIM, n_w, 1u, &p);
			if (ret != 0) {
				return ret;
			}
			s->w_lo = p;
		}
		if (TINTIN_MOMENTUM_ENABLED && o->momentum_shift != 0u) {
			ret = tintin_alloc(y, TINTIN_PART_OPTIM, tintin_size_mul(n_w, w_el), w_el,
					   &p);
			if (ret != 0) {
				return ret;
			}
			s->w_mom = p;
		}
	}
	if (tintin_trains_b(l)) {
		ret = tintin_alloc(y, TINTIN_PART_PARAMS, b_sz, sizeof(int32_t), &p);
		if (ret != 0) {
			return ret;
		}
		s->bias_ram = p;
		s->bias = p;
		if (TINTIN_MOMENTUM_ENABLED && o->momentum_shift != 0u) {
			ret = tintin_alloc(y, TINTIN_PART_OPTIM, b_sz, sizeof(int32_t), &p);
			if (ret != 0) {
				return ret;
			}
			s->b_mom = p;
		}
	}
	return 0;
}

/* A weight average's RAM copies of the parameters that train, 16 bits a weight, without
 * optimizer state.
 */
static int tintin_alloc_copies(struct tintin_lay *y, struct tintin_layer_state *s,
			       const struct tintin_layer_desc *l)
{
	void *p = NULL;
	int ret = 0;

	if (tintin_trains_w(l)) {
		const size_t n_w = tintin_size_mul(s->rows, s->row);

		ret = tintin_alloc(y, TINTIN_PART_PARAMS, n_w, 4u, &p);
		s->w_ram = p;
		s->w = p;
		/* The low bytes of the average's 16-bit weights (average.c). */
		if (ret == 0) {
			ret = tintin_alloc(y, TINTIN_PART_PARAMS, n_w, 1u, &p);
			s->w_lo = p;
		}
	}
	if (ret == 0 && tintin_trains_b(l)) {
		ret = tintin_alloc(y, TINTIN_PART_PARAMS, (size_t)s->rows * sizeof(int32_t),
				   sizeof(int32_t), &p);
		s->bias_ram = p;
		s->bias = p;
	}
	return ret;
}

/* Training layout: the error/transient pair, then per layer its trainable parameters,
 * optimizer state, bit masks and kept output, then the scratch last. With a NULL-based
 * counting arena this is the planner.
 */
static int tintin_layout_train(struct tintin_lay *y, struct tintin_model *m,
			       const struct tintin_model_desc *d, const struct tintin_shape *sh,
			       uint8_t first, int ws)
{
	struct tintin_layer_state tmp;
	struct tintin_scratch sc;
	int8_t *prev_act = NULL;
	int prev_transient = 0;
	int8_t *pair[2];
	size_t pair_bytes[2];
	int k = 0;
	void *p;
	int ret;

	tintin_pair_sizes(d, sh, first, pair_bytes);
	ret = tintin_alloc_pair(y, pair_bytes, pair);
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
			ret = tintin_alloc_params(y, s, l, &d->optim);
			if (ret != 0) {
				return ret;
			}
		}
		s->gated = (uint8_t)(i > first && prev_transient && tintin_relu_gated(d, sh, i));
		if (mask != 0u) {
			ret = tintin_alloc(y, TINTIN_PART_MASKS, mask, 1u, &p);
			if (ret != 0) {
				return ret;
			}
			s->mask = p;
		}
		if (!tintin_owns_output(l)) {
			s->act = prev_act;
			continue;
		}
		prev_transient = tintin_transient(d, i);
		if (prev_transient) {
			s->act = pair[k];
			k ^= 1;
		} else {
			ret = tintin_alloc(y, TINTIN_PART_KEPT, (size_t)d->max_batch * sh[i].out,
					   1u, &p);
			if (ret != 0) {
				return ret;
			}
			s->act = p;
		}
		prev_act = s->act;
	}
	tintin_scratch_plan(d, sh, first, 1, ws, &sc);
	return tintin_alloc_scratch(y, m, &sc);
}

/* Inference layout: with copies (a weight average's layout), RAM copies of the parameters that
 * train, layer by layer; then two activation buffers that layers alternate between, each as
 * large as the outputs that land in it, then the scratch.
 */
static int tintin_layout_infer(struct tintin_lay *y, struct tintin_model *m,
			       const struct tintin_model_desc *d, const struct tintin_shape *sh,
			       int ws, int copies)
{
	struct tintin_layer_state tmp;
	struct tintin_scratch sc;
	size_t act_w[2] = {0u, 0u};
	int k = 0;

	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		struct tintin_layer_state *s = (m != NULL) ? &m->layer[i] : &tmp;

		if (m == NULL) {
			memset(s, 0, sizeof(*s));
		}
		tintin_copy_shape(s, &sh[i]);
		if (tintin_has_weights(l)) {
			int err;

			s->w = l->weights;
			s->bias = l->bias;
			s->w_exp = l->w_exp;
			err = copies ? tintin_alloc_copies(y, s, l) : 0;
			if (err != 0) {
				return err;
			}
		}
		if (tintin_owns_output(l)) {
			act_w[k] = tintin_max(act_w[k], sh[i].out);
			k ^= 1;
		}
	}
	const size_t bytes[2] = {tintin_size_mul(d->max_batch, act_w[0]),
				 tintin_size_mul(d->max_batch, act_w[1])};
	int ret = tintin_alloc_pair(y, bytes, (m != NULL) ? m->ping : NULL);

	if (ret != 0) {
		return ret;
	}
	tintin_scratch_plan(d, sh, 0u, 0, ws, &sc);
	return tintin_alloc_scratch(y, m, &sc);
}

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

		if (!tintin_is_conv(l)) {
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
			TINTIN_LOG_ERR(
				"tintin: layer %u: a backward sum of %u terms could overflow "
				"int32 (max %d): lower max_batch, the map or the channels",
				i,
				(unsigned int)((grad_terms > err_terms) ? grad_terms : err_terms),
				(int)TINTIN_SUM_TERMS_MAX);
			return -EINVAL;
		}
	}
	return 0;
}

/* Lays the model out in arena a; m may be NULL when only counting bytes (the planner). */
int tintin_layout(struct tintin_arena *a, struct tintin_model *m, const struct tintin_model_desc *d,
		  enum tintin_mode mode, const struct tintin_shape *sh, uint8_t first, int ws,
		  size_t *parts)
{
	struct tintin_lay y = {.a = a, .parts = parts};

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
		return tintin_layout_train(&y, m, d, sh, first, ws);
	}
	if (mode == TINTIN_MODE_INFER || mode == TINTIN_MODE_AVERAGE) {
		return tintin_layout_infer(&y, m, d, sh, ws, mode == TINTIN_MODE_AVERAGE);
	}
	TINTIN_LOG_ERR("tintin: model: unknown mode %d", (int)mode);
	return -EINVAL;
}
