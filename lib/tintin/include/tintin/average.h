/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Weight averaging: a running average of a training model's weights, for inference.
 *
 * SGD's last iterate moves by a step's noise every epoch; on a small data set the held-out
 * accuracy of the last epoch then scatters points below the best one. An average of the
 * recent iterates (Polyak averaging) keeps what they agree on. The average is a second model
 * of the same table, laid out with TINTIN_MODE_AVERAGE: the node trains one and predicts with
 * the other. Each call blends the
 * trained layers with tintin_fedavg_combine, stochastically rounded from the average's own
 * stream. scripts/tintin/core/average.py is the bit-exact reference; docs/numerics.md,
 * "Weight averaging", has the measurements behind the default schedule.
 *
 * @defgroup tintin_average Weight averaging
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_AVERAGE_H_
#define TINTIN_AVERAGE_H_

#include <stdint.h>

#include <tintin/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A share of 2^16 that is all of the training model: the average restarts from it. */
#define TINTIN_AVERAGE_ALL         65536u
/** The default schedule: the newest weights' share is SPAN / (t + SPAN) at the t-th call... */
#define TINTIN_AVERAGE_SPAN        3u
/** ...and never below 2^-FLOOR_SHIFT, so the average follows a node whose data changes. */
#define TINTIN_AVERAGE_FLOOR_SHIFT 5u

/**
 * @brief The training model's share of 2^16 at the t-th average (t = 1, 2, ...):
 * floor(span 2^16 / (t + span)), at least 2^(16 - floor_shift), and all of it for t = 0 or
 * span = 0. With span c the average weighs the iterate of call s about as (s / t)^(c - 1): it
 * covers roughly the last 1/c of training ("polynomial-decay averaging"), and no more than
 * about 2^floor_shift calls back.
 */
uint32_t tintin_average_share(uint32_t t, uint32_t span, uint8_t floor_shift);

/**
 * @brief avg = (1 - share / 2^16) avg + share / 2^16 m, for every trained layer's weights,
 * biases and exponent (tintin_fedavg_combine, with the layer's training window as the top).
 *
 * avg must be a model of the same table as m (the same table, or one whose nonzero hash is
 * m's), initialised with TINTIN_MODE_AVERAGE (the inference layout plus RAM copies of the
 * trained parameters; tintin_model_plan gives its bytes) or to train, in which case its int16
 * masters restart at 256 w and its momentum at zero, as after tintin_fleet_apply. m must be
 * initialised to train. A layer whose exponent lies more than TINTIN_FEDAVG_MAX_SPREAD from m's
 * restarts from m's (with a log line): the average never refuses to follow the model.
 * @param share m's share of 2^16, 1..TINTIN_AVERAGE_ALL (TINTIN_AVERAGE_ALL copies m)
 * @retval 0 on success; avg's stream advances by the weights and biases it rounded.
 * @retval -EINVAL NULL or uninitialised models, the same model twice, models of different
 * tables, an m that does not train or an avg without RAM parameters (TINTIN_MODE_INFER), a
 * share outside 1..TINTIN_AVERAGE_ALL; avg unchanged.
 */
int tintin_model_average(struct tintin_model *avg, const struct tintin_model *m, uint32_t share);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_AVERAGE_H_ */
