/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The environmental sensor's continual learning, without Zephyr: readings from a source,
 * integer features, test-then-train (prequential) error of the frozen and the on-device
 * trained model, checkpoints. main.c runs it on Zephyr, host/main.c on a PC.
 */

#ifndef ENV_CL_H_
#define ENV_CL_H_

#include <stdint.h>

#include <tintin/tintin.h>

/* ENV_FEATURES, ENV_INPUT_EXP and env_quantize(), the input quantiser fitted with the model. */
#include "env_model.h"

/** A reading without ground truth: predicted, never trained on. */
#define ENV_NO_LABEL (-1)
/** Readings per reported window, unless the hooks say otherwise. */
#define ENV_WINDOW 500u

/** One reading as a sensor driver gives it (scripts/tintin/tasks/envdata.py). */
struct env_reading {
	int32_t t;    /**< temperature, hundredths of a degree Celsius */
	int32_t h;    /**< relative humidity, hundredths of a percent */
	int8_t label; /**< 1 anomaly, 0 normal, ENV_NO_LABEL */
};

/** Where readings come from: the embedded replay or a sensor. */
struct env_source {
	const char *name;
	/** Next reading: 0, -ENODATA at the end, or another negative errno. */
	int (*next)(void *ctx, struct env_reading *r);
	/** Continue after `readings` readings (a resumed run); -ENOTSUP for live sensors. */
	int (*skip)(void *ctx, uint32_t readings);
	void *ctx;
};

/** Errors of one model over some readings. */
struct env_score {
	uint32_t n;            /**< labelled readings scored */
	uint32_t false_alarms; /**< predicted anomaly, was normal */
	uint32_t missed;       /**< predicted normal, was an anomaly */
};

/** What the board offers the loop; every pointer may be NULL. */
struct env_hooks {
	void (*print)(const char *fmt, ...);
	/** A free-running cycle counter, to count training-step cycles. */
	uint32_t (*cycles)(void);
	const struct tintin_storage *storage; /**< checkpoints; NULL: none */
	uint32_t save_every;                  /**< readings between checkpoints */
	uint32_t reboot_at; /**< 0, or simulate a power cycle after this many readings */
	uint32_t window;    /**< readings per reported window; 0: ENV_WINDOW */
	/** float32 reference's error per ENV_WINDOW readings (hundredths of a percent), printed
	 *  beside the window lines when window is ENV_WINDOW; NULL for none
	 */
	const uint16_t *ref_window_bp;
	uint32_t ref_windows;
};

struct env_cl {
	struct tintin_model live;
	struct tintin_model frozen;
	const struct tintin_model_desc *desc;
	void *arena_live;
	size_t arena_live_size;
	void *arena_frozen;
	size_t arena_frozen_size;
	struct env_score total_frozen;
	struct env_score total_live;
	uint64_t train_cycles;
	uint32_t trained;
	uint32_t seen;
	int32_t t_prev;
	int32_t h_prev;
	uint8_t have_prev; /**< 0: the next reading is its own predecessor */
	uint8_t resumed;
};

/**
 * @brief The model's inputs for a reading, given the previous one (kept in s): env_quantize()
 * of its raw features {t, h, t - t_prev, h - h_prev}.
 */
void env_features(struct env_cl *s, const struct env_reading *r, int8_t x[ENV_FEATURES]);

/**
 * @brief Models from one table: the live one in arena_live (training), the frozen one in
 * arena_frozen (inference), then the newest checkpoint when storage holds one.
 */
int env_cl_init(struct env_cl *s, const struct tintin_model_desc *desc, void *arena_live,
		size_t live_size, void *arena_frozen, size_t frozen_size,
		const struct env_hooks *hooks);

/** @brief The whole stream: windows, totals and checkpoints reported through hooks->print. */
int env_cl_run(struct env_cl *s, struct env_source *src, const struct env_hooks *hooks);

/**
 * @brief Totals of both models and the float32 reference, then a PASS line only when on-device
 * learning beat the frozen model by at least 1 point and is within 2 points of float32.
 * @retval 0 PASS, 1 otherwise
 */
int env_cl_report(const struct env_cl *s, const struct env_hooks *hooks,
		  const struct env_score *reference);

/** @brief Errors in hundredths of a percent of the readings scored. */
uint32_t env_error_bp(const struct env_score *sc);

#endif /* ENV_CL_H_ */
