/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Whole-set loops for training on the PC (host builds only, like storage_file.h).
 *
 * The PC trainer (tintin train, through the Python binding) would otherwise cross from Python
 * into C once per step; these run an epoch's steps, or a held-out pass, in one call, reading
 * the samples where they lie in the set through a list of indices (no copy of the set). They only
 * sequence the public calls: every step is a tintin_model_train_step() on the same samples, so
 * parameters, exponents and counters end exactly as after calling it step by step.
 */

#ifndef TINTIN_HOST_TRAIN_H_
#define TINTIN_HOST_TRAIN_H_

#include <stddef.h>
#include <stdint.h>

#include <tintin/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A data set in memory: count samples, one after the other. */
struct tintin_train_set {
	const int8_t *x;       /**< int8 inputs [count][input size] */
	const uint8_t *labels; /**< cross-entropy: class per sample */
	const int8_t *targets; /**< MSE: int8 targets [count][outputs] */
	uint32_t count;        /**< samples in the set */
	int8_t x_exp;          /**< exponent of x */
	int8_t t_exp;          /**< exponent of targets */
};

/** @brief Bytes of work tintin_train_order() needs: one gathered batch of max_batch samples. */
size_t tintin_train_order_work(const struct tintin_model *m);

/**
 * @brief Train on the samples order[0..n-1] of set, batch at a time.
 *
 * Step k is one tintin_model_train_step() on samples order[k * batch] up to
 * order[min((k + 1) * batch, n) - 1] (the last step may be short), gathered into work.
 * @param work       at least tintin_train_order_work() bytes
 * @param[out] steps steps taken, also when a step fails (the failed one not counted); may be
 *                   NULL
 * @retval 0 on success.
 * @retval -EINVAL bad arguments: batch outside 1..max_batch, an index not below count, a
 *                 missing set array or too little work (nothing trained).
 * @retval the first negative errno a step returned (training stops there).
 */
int tintin_train_order(struct tintin_model *m, const struct tintin_train_set *set,
		       const uint32_t *order, uint32_t n, uint16_t batch, void *work,
		       size_t work_size, uint32_t *steps);

/**
 * @brief Forward passes over the samples order[0..n-1] of set (its first n in turn when order
 * is NULL), max_batch at a time (the last pass may be short), as tintin_model_evaluate() runs
 * them; only set->x, set->count and set->x_exp are read.
 * @param work      as for tintin_train_order() (unused when order is NULL)
 * @param[out] out  int8 outputs [n][outputs]
 * @param[out] exps the exponent of each pass's outputs, ceil(n / max_batch) of them
 * @retval 0 on success, -EINVAL for bad arguments (no pass run), else the first error of a
 * pass.
 */
int tintin_forward_order(struct tintin_model *m, const struct tintin_train_set *set,
			 const uint32_t *order, uint32_t n, void *work, size_t work_size,
			 int8_t *out, int8_t *exps);

/**
 * @brief TINTIN_VECTOR_LOOPS of this build: 1 when the library was built with the
 * branch-free loops a compiler vectorises (built for the host CPU), else 0.
 */
int tintin_host_vector_loops(void);

/**
 * @brief The model's stochastic rounding stream, for bindings that do not mirror struct
 * tintin_model (C callers use &m->prng): a fleet node reseeds it with its own identity,
 * tintin_prng_seed(tintin_host_prng(m), id), so that nodes built from one table do not round
 * alike.
 */
struct tintin_prng *tintin_host_prng(struct tintin_model *m);

#ifdef __cplusplus
}
#endif

#endif /* TINTIN_HOST_TRAIN_H_ */
