/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The forward pass and what runs on it: inference, predict (argmax) and evaluate (accuracy
 * over a labelled set, max_batch samples at a time). Each layer that writes a tensor
 * requantizes it to int8 and adds the exponent it took; saturations go to the stats.
 */

#include <tintin/model.h>
#include <tintin/ops.h>

#include "internal.h"

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

/* Forward of layer i, which writes a new tensor into dst; returns the exponent it adds. */
static int tintin_forward_layer(struct tintin_model *m, uint8_t i, const int8_t *x, int e,
				uint16_t n, int8_t *dst)
{
	if (tintin_has_weights(&m->desc->layers[i])) {
		m->stats.act_sat += tintin_bias_sat(&m->layer[i], e);
	}
	return tintin_tiles_forward(m, i, x, e, n, dst);
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
			e += tintin_forward_layer(m, i, cur, e, n, dst);
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
		out->dims.c = m->outputs;
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
	c = m->outputs;
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
		uint16_t c = m->outputs;
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
