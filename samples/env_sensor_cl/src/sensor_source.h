/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Readings from a temperature/humidity sensor through Zephyr's sensor API: the devicetree
 * alias env-sensor (see the overlays in boards/). Readings carry no label unless the application
 * gives one (a user's feedback, a delayed ground truth) with env_sensor_label().
 */

#ifndef ENV_SENSOR_SOURCE_H_
#define ENV_SENSOR_SOURCE_H_

#include "env_cl.h"

/** @brief A source that reads the env-sensor device every period_ms; -ENODEV if not ready. */
int env_sensor_source(struct env_source *src, uint32_t period_ms);

/** @brief Label the next reading: 1 anomaly, 0 normal. */
void env_sensor_label(int8_t label);

#endif /* ENV_SENSOR_SOURCE_H_ */
