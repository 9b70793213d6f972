/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The training step: batch checks, forward, loss gradient, then from the top layer down the
 * error for the layer below, the update of the layer's weights and bias, and the weight-grid
 * rescaling and rate back-off that follow it. What the step calls per layer stays static in
 * this file so that the compiler inlines it into tintin_model_train_step (the benchmarks
 * count that step's instructions).
 */

#include <tintin/loss.h>
#include <tintin/model.h>
#include <tintin/ops.h>
#include <tintin/optim.h>

#include "internal.h"

/* Steps between checks for a layer whose weights fit a grid twice as fine. */
#define TINTIN_GROW_PERIOD 16u

static int tintin_check_batch(const struct tintin_model *m, const struct tintin_batch *bt)
{
	uint16_t c = m->outputs;

	if (m->mode != TINTIN_MODE_TRAIN) {
		TINTIN_LOG_ERR("tintin: train_step: model was initialised for inference only");
		return -EINVAL;
	}
	if (bt == NULL || bt->x == NULL || bt->n == 0u || bt->n > m->desc->max_batch) {
		TINTIN_LOG_ERR("tintin: train_step: need a batch of 1..%u samples",
			       m->desc->max_batch);
		return -EINVAL;
	}
#if TINTIN_LOSS_MSE_ENABLED
	if (m->desc->loss == TINTIN_LOSS_MSE) {
		if (bt->targets == NULL) {
			TINTIN_LOG_ERR("tintin: train_step: MSE needs targets");
			return -EINVAL;
		}
		return tintin_check_exp(bt->t_exp, "target");
	}
#endif
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

	/* Only builds with the switches have masters or momentum: the others fold these away. */
	p.mom = TINTIN_MOMENTUM_ENABLED ? s->w_mom : NULL;
	p.high = NULL;
	if (TINTIN_UPSCALE_ENABLED && s->w_lo != NULL) {
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
#if TINTIN_OP_CONV
	if (s->geom.k_w != 0u) {
		tintin_conv_grad_row_s8(err, x, m->batch, &s->geom, o, m->acc);
		return;
	}
#endif
	tintin_fc_grad_row_s8(err, x, m->batch, s->in, s->rows, o, m->acc);
}

static int32_t tintin_grad_bias(const struct tintin_model *m, const struct tintin_layer_state *s,
				const int8_t *err, uint16_t o)
{
#if TINTIN_OP_CONV
	if (s->geom.k_w != 0u) {
		return tintin_conv_grad_bias_s8(err, m->batch, &s->geom, o);
	}
#endif
	return tintin_fc_grad_bias_s8(err, m->batch, s->rows, o);
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
#if TINTIN_RULE_NITI_ENABLED
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
	} else
#endif
	{
		tintin_sgd_rows_init(&u, cfg, &p, e_err + e_x, &m->prng, s->row);
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
		/* A dense unit with no error in the batch has a zero gradient row; without momentum
		 * nothing of it moves (the draws are counter-based, so skipping keeps the stream).
		 */
		if (p.mom == NULL && s->geom.k_w == 0u &&
		    !tintin_unit_has_err(err, m->batch, s->rows, o)) {
			continue;
		}
		tintin_grad_row(m, s, err, x, o);
#if TINTIN_RULE_NITI_ENABLED
		if (cfg->rule == TINTIN_RULE_NITI) {
			tintin_sgd_niti_row(cfg, &p, (uint32_t)o * s->row, m->acc, s->row, shift,
					    &m->stats.param_sat);
		} else
#endif
		{
			tintin_sgd_row(&u, o, 0u, m->acc, s->row, &m->stats.param_sat);
		}
	}
	tintin_prng_advance(&m->prng, (uint32_t)s->rows * s->row);
}

static struct tintin_param tintin_bias_param(const struct tintin_layer_state *s)
{
	struct tintin_param p;

	p.data = s->bias_ram;
	p.mom = TINTIN_MOMENTUM_ENABLED ? s->b_mom : NULL;
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
#if TINTIN_RULE_NITI_ENABLED
	if (cfg->rule == TINTIN_RULE_NITI) {
		tintin_sgd_niti_row(cfg, &p, 0u, m->acc, s->rows,
				    tintin_sgd_niti_shift(maxabs, cfg->mu + TINTIN_BIAS_EXTRA_BITS),
				    &m->stats.param_sat);
	} else
#endif
	{
		tintin_sgd_aligned_row(cfg, &p, 0u, m->acc, s->rows, e_err, &m->prng,
				       &m->stats.param_sat);
	}
	tintin_prng_advance(&m->prng, s->rows);
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

/* Loss gradient of the last forward pass into err[0]; returns its exponent via *e_err. */
static int tintin_loss_grad(struct tintin_model *m, const struct tintin_batch *bt, int *e_err)
{
	uint16_t c = m->outputs;

#if TINTIN_LOSS_MSE_ENABLED
	if (m->desc->loss == TINTIN_LOSS_MSE) {
		*e_err = tintin_tiles_mse(m, bt->targets, bt->t_exp, bt->n, m->err[0]);
	} else
#endif
	{
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
			} else if (!s->gated) {
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
			/* A gated ReLU below (tintin_relu_gated) leaves its error to this pool. */
			const int8_t *gate = m->layer[i - 1].gated ? s->act : NULL;

			shift = tintin_tiles_backward(m, (uint8_t)i, m->err[cur], m->err[cur ^ 1],
						      gate);
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
