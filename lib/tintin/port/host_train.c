/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Whole-set loops for the PC trainer: an epoch or a held-out pass in one call. */

#include <errno.h>
#include <string.h>

#include <tintin/host_train.h>

static int tintin_set_ready(const struct tintin_model *m, const char *who)
{
	if (m == NULL || m->desc == NULL) {
		TINTIN_LOG_ERR("tintin: %s: model is NULL or not initialised", who);
		return -EINVAL;
	}
	return 0;
}

static uint16_t tintin_set_outputs(const struct tintin_model *m)
{
	return m->layer[m->desc->n_layers - 1u].out;
}

size_t tintin_train_order_work(const struct tintin_model *m)
{
	if (tintin_set_ready(m, "train_order") != 0) {
		return 0u;
	}
	/* inputs, labels and targets of one batch */
	return (size_t)m->desc->max_batch * ((size_t)m->layer[0].in + 1u + tintin_set_outputs(m));
}

static int tintin_check_indices(const uint32_t *order, uint32_t n, uint32_t count, const char *who)
{
	for (uint32_t k = 0; k < n; k++) {
		if (order[k] >= count) {
			TINTIN_LOG_ERR("tintin: %s: order[%u] = %u, set of %u samples", who,
				       (unsigned int)k, (unsigned int)order[k],
				       (unsigned int)count);
			return -EINVAL;
		}
	}
	return 0;
}

static int tintin_check_order(const struct tintin_model *m, const struct tintin_train_set *set,
			      const uint32_t *order, uint32_t n, uint16_t batch, size_t work_size)
{
	if (set == NULL || set->x == NULL || (set->labels == NULL && set->targets == NULL) ||
	    (order == NULL && n != 0u)) {
		TINTIN_LOG_ERR("tintin: train_order: NULL set, x, labels and targets, or order");
		return -EINVAL;
	}
	if (batch == 0u || batch > m->desc->max_batch) {
		TINTIN_LOG_ERR("tintin: train_order: batch %u, need 1..%u", batch,
			       m->desc->max_batch);
		return -EINVAL;
	}
	if (work_size < tintin_train_order_work(m)) {
		TINTIN_LOG_ERR("tintin: train_order: %u bytes of work, need %u",
			       (unsigned int)work_size, (unsigned int)tintin_train_order_work(m));
		return -EINVAL;
	}
	return tintin_check_indices(order, n, set->count, "train_order");
}

int tintin_train_order(struct tintin_model *m, const struct tintin_train_set *set,
		       const uint32_t *order, uint32_t n, uint16_t batch, void *work,
		       size_t work_size, uint32_t *steps)
{
	int ret = tintin_set_ready(m, "train_order");
	size_t in;
	size_t outs;
	int8_t *gx;
	uint8_t *gl;
	int8_t *gt;
	uint32_t done = 0u;

	if (steps != NULL) {
		*steps = 0u;
	}
	if (ret != 0) {
		return ret;
	}
	if (work == NULL) {
		TINTIN_LOG_ERR("tintin: train_order: NULL work");
		return -EINVAL;
	}
	ret = tintin_check_order(m, set, order, n, batch, work_size);
	if (ret != 0) {
		return ret;
	}
	in = m->layer[0].in;
	outs = tintin_set_outputs(m);
	gx = work;
	gl = (uint8_t *)gx + (size_t)m->desc->max_batch * in;
	gt = (int8_t *)(gl + m->desc->max_batch);
	for (uint32_t k = 0; k < n; k += batch) {
		const uint16_t b = (n - k < batch) ? (uint16_t)(n - k) : batch;
		struct tintin_batch bt = {
			.x = gx,
			.labels = (set->labels != NULL) ? gl : NULL,
			.targets = (set->targets != NULL) ? gt : NULL,
			.n = b,
			.x_exp = set->x_exp,
			.t_exp = set->t_exp,
		};

		for (uint16_t j = 0; j < b; j++) {
			const size_t i = order[k + j];

			memcpy(gx + j * in, set->x + i * in, in);
			if (set->labels != NULL) {
				gl[j] = set->labels[i];
			}
			if (set->targets != NULL) {
				memcpy(gt + j * outs, set->targets + i * outs, outs);
			}
		}
		ret = tintin_model_train_step(m, &bt);
		if (ret != 0) {
			break;
		}
		done++;
	}
	if (steps != NULL) {
		*steps = done;
	}
	return ret;
}

int tintin_forward_order(struct tintin_model *m, const struct tintin_train_set *set,
			 const uint32_t *order, uint32_t n, void *work, size_t work_size,
			 int8_t *out, int8_t *exps)
{
	int ret = tintin_set_ready(m, "forward_order");
	size_t in;
	size_t outs;
	uint16_t mb;

	if (ret != 0) {
		return ret;
	}
	if (set == NULL || set->x == NULL || out == NULL || exps == NULL ||
	    (order != NULL && (work == NULL || work_size < tintin_train_order_work(m)))) {
		TINTIN_LOG_ERR("tintin: forward_order: NULL argument or too little work");
		return -EINVAL;
	}
	if (order == NULL && n > set->count) {
		TINTIN_LOG_ERR("tintin: forward_order: %u samples of a set of %u", (unsigned int)n,
			       (unsigned int)set->count);
		return -EINVAL;
	}
	if (order != NULL) {
		ret = tintin_check_indices(order, n, set->count, "forward_order");
		if (ret != 0) {
			return ret;
		}
	}
	in = m->layer[0].in;
	outs = tintin_set_outputs(m);
	mb = m->desc->max_batch;
	for (uint32_t k = 0; k < n; k += mb) {
		const uint16_t b = (n - k < mb) ? (uint16_t)(n - k) : mb;
		const int8_t *x = set->x + (size_t)k * in;
		struct tintin_tensor t;

		if (order != NULL) {
			for (uint16_t j = 0; j < b; j++) {
				memcpy((int8_t *)work + j * in, set->x + order[k + j] * in, in);
			}
			x = work;
		}
		ret = tintin_model_forward(m, x, set->x_exp, b, &t);
		if (ret != 0) {
			return ret;
		}
		memcpy(out + (size_t)k * outs, t.data, b * outs);
		exps[k / mb] = t.exp;
	}
	return 0;
}

int tintin_host_vector_loops(void)
{
	return TINTIN_VECTOR_LOOPS;
}

struct tintin_prng *tintin_host_prng(struct tintin_model *m)
{
	return m == NULL ? NULL : &m->prng;
}
