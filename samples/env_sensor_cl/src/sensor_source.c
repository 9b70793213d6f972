/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <errno.h>

#include <zephyr/device.h>
#include <zephyr/drivers/sensor.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/atomic.h>

#include "sensor_source.h"

#if DT_NODE_EXISTS(DT_ALIAS(env_sensor))

static const struct device *const env_dev = DEVICE_DT_GET(DT_ALIAS(env_sensor));
static atomic_t env_label = ATOMIC_INIT(ENV_NO_LABEL);
static uint32_t env_period_ms;

/* sensor_value (integer and millionths) to hundredths, truncated towards zero. */
static int32_t env_centi(const struct sensor_value *v)
{
	return v->val1 * 100 + v->val2 / 10000;
}

static int env_sensor_next(void *ctx, struct env_reading *r)
{
	struct sensor_value t;
	struct sensor_value h;
	int ret;

	ARG_UNUSED(ctx);
	k_msleep(env_period_ms);
	ret = sensor_sample_fetch(env_dev);
	if (ret == 0) {
		ret = sensor_channel_get(env_dev, SENSOR_CHAN_AMBIENT_TEMP, &t);
	}
	if (ret == 0) {
		ret = sensor_channel_get(env_dev, SENSOR_CHAN_HUMIDITY, &h);
	}
	if (ret != 0) {
		return ret;
	}
	/* Hundredths, as the replay's readings: env_quantize() encodes both alike. */
	r->t = env_centi(&t);
	r->h = env_centi(&h);
	r->label = (int8_t)atomic_set(&env_label, ENV_NO_LABEL);
	return 0;
}

static int env_sensor_skip(void *ctx, uint32_t readings)
{
	ARG_UNUSED(ctx);
	ARG_UNUSED(readings);
	return -ENOTSUP; /* a live sensor starts from now */
}

int env_sensor_source(struct env_source *src, uint32_t period_ms)
{
	if (!device_is_ready(env_dev)) {
		return -ENODEV;
	}
	env_period_ms = period_ms;
	src->name = env_dev->name;
	src->next = env_sensor_next;
	src->skip = env_sensor_skip;
	src->ctx = NULL;
	return 0;
}

void env_sensor_label(int8_t label)
{
	(void)atomic_set(&env_label, label);
}

#endif /* DT_NODE_EXISTS(DT_ALIAS(env_sensor)) */
