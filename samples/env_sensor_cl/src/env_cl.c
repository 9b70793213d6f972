/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <errno.h>
#include <string.h>

#include "env_cl.h"

#define ENV_PRINT(h, ...)                                                                          \
	do {                                                                                       \
		if ((h)->print != NULL) {                                                          \
			(h)->print(__VA_ARGS__);                                                   \
		}                                                                                  \
	} while (0)

void env_features(struct env_cl *s, const struct env_reading *r, int8_t x[ENV_FEATURES])
{
	int32_t raw[ENV_FEATURES];

	if (!s->have_prev) {
		s->t_prev = r->t;
		s->h_prev = r->h;
		s->have_prev = 1u;
	}
	/* Differences of two readings in hundredths cannot wrap: a sensor's range is far
	 * inside int32.
	 */
	raw[0] = r->t;
	raw[1] = r->h;
	raw[2] = r->t - s->t_prev;
	raw[3] = r->h - s->h_prev;
	env_quantize(raw, x);
	s->t_prev = r->t;
	s->h_prev = r->h;
}

uint32_t env_error_bp(const struct env_score *sc)
{
	uint64_t wrong = (uint64_t)sc->false_alarms + sc->missed;

	return sc->n == 0u ? 0u : (uint32_t)((wrong * 10000u + sc->n / 2u) / sc->n);
}

static void env_score_add(struct env_score *sc, uint8_t predicted, int8_t label)
{
	sc->n++;
	if (predicted != 0u && label == 0) {
		sc->false_alarms++;
	} else if (predicted == 0u && label != 0) {
		sc->missed++;
	}
}

/* The pre-trained models, as after a power-up, then the newest checkpoint if any. */
static int env_cl_boot(struct env_cl *s, const struct env_hooks *hooks)
{
	struct tintin_ckpt_info info;
	struct tintin_stats st;
	int ret;

	ret = tintin_model_init(&s->live, s->desc, TINTIN_MODE_TRAIN, s->arena_live,
				s->arena_live_size);
	if (ret == 0) {
		ret = tintin_model_init(&s->frozen, s->desc, TINTIN_MODE_INFER, s->arena_frozen,
					s->arena_frozen_size);
	}
	if (ret != 0) {
		ENV_PRINT(hooks, "env: model init failed: %d\n", ret);
		return ret;
	}
	s->resumed = 0u;
	s->seen = 0u;
	s->have_prev = 0u;
	if (hooks->storage == NULL) {
		return 0;
	}
	ret = tintin_checkpoint_restore(&s->live, hooks->storage, &info);
	if (ret == -ENOENT) {
		ENV_PRINT(hooks, "env: no checkpoint: starting from the pre-trained model\n");
		return 0;
	}
	if (ret != 0) {
		ENV_PRINT(hooks, "env: checkpoint restore failed: %d\n", ret);
		return ret;
	}
	(void)tintin_model_get_stats(&s->live, &st);
	/* The replay trains on every reading, so the step count is the stream position. */
	s->seen = st.steps;
	s->resumed = 1u;
	ENV_PRINT(hooks, "env: resumed from checkpoint %u (slot %u): %u readings learned\n",
		  (unsigned int)info.seq, info.slot, (unsigned int)st.steps);
	return 0;
}

int env_cl_init(struct env_cl *s, const struct tintin_model_desc *desc, void *arena_live,
		size_t live_size, void *arena_frozen, size_t frozen_size,
		const struct env_hooks *hooks)
{
	memset(s, 0, sizeof(*s));
	s->desc = desc;
	s->arena_live = arena_live;
	s->arena_live_size = live_size;
	s->arena_frozen = arena_frozen;
	s->arena_frozen_size = frozen_size;
	return env_cl_boot(s, hooks);
}

/* Positions the source after s->seen readings, with the last one as the predecessor. */
static int env_cl_seek(struct env_cl *s, struct env_source *src)
{
	struct env_reading r;
	int8_t x[ENV_FEATURES];
	int ret;

	if (s->seen == 0u) {
		return 0;
	}
	ret = src->skip != NULL ? src->skip(src->ctx, s->seen - 1u) : -ENOTSUP;
	if (ret == -ENOTSUP) {
		return 0; /* a live source goes on from now: the learned state is what counts */
	}
	if (ret == 0) {
		ret = src->next(src->ctx, &r);
	}
	if (ret == 0) {
		env_features(s, &r, x);
	}
	return ret;
}

static void env_print_window(const struct env_cl *s, const struct env_hooks *hooks,
			     uint32_t window, const struct env_score *fz, const struct env_score *lv)
{
	uint32_t f = env_error_bp(fz);
	uint32_t l = env_error_bp(lv);
	uint32_t idx = (s->seen - 1u) / window;
	uint32_t r;

	ENV_PRINT(hooks, "env: readings %5u-%5u: error frozen %2u.%02u%%, on-device %2u.%02u%%",
		  (unsigned int)(s->seen - lv->n), (unsigned int)(s->seen - 1u),
		  (unsigned int)(f / 100u), (unsigned int)(f % 100u), (unsigned int)(l / 100u),
		  (unsigned int)(l % 100u));
	if (hooks->ref_window_bp != NULL && window == ENV_WINDOW && idx < hooks->ref_windows) {
		r = hooks->ref_window_bp[idx];
		ENV_PRINT(hooks, ", float32 %2u.%02u%%", (unsigned int)(r / 100u),
			  (unsigned int)(r % 100u));
	}
	ENV_PRINT(hooks, "\n");
}

/* One reading: test both models, then train the live one on the label. */
static int env_cl_reading(struct env_cl *s, const struct env_reading *r, const struct env_hooks *hooks,
			  struct env_score *win_frozen, struct env_score *win_live)
{
	struct tintin_batch b = {.n = 1, .x_exp = ENV_INPUT_EXP};
	int8_t x[ENV_FEATURES];
	uint8_t p_live;
	uint8_t p_frozen;
	uint8_t label;
	uint32_t t0;
	int ret;

	env_features(s, r, x);
	ret = tintin_model_predict(&s->live, x, ENV_INPUT_EXP, 1, &p_live);
	if (ret == 0) {
		ret = tintin_model_predict(&s->frozen, x, ENV_INPUT_EXP, 1, &p_frozen);
	}
	if (ret != 0 || r->label == ENV_NO_LABEL) {
		if (ret == 0 && p_live != 0u) {
			ENV_PRINT(hooks, "env: reading %u: anomaly\n", (unsigned int)s->seen);
		}
		return ret;
	}
	env_score_add(win_frozen, p_frozen, r->label);
	env_score_add(win_live, p_live, r->label);
	env_score_add(&s->total_frozen, p_frozen, r->label);
	env_score_add(&s->total_live, p_live, r->label);
	label = (uint8_t)r->label;
	b.x = x;
	b.labels = &label;
	t0 = hooks->cycles != NULL ? hooks->cycles() : 0u;
	ret = tintin_model_train_step(&s->live, &b);
	if (hooks->cycles != NULL) {
		s->train_cycles += (uint32_t)(hooks->cycles() - t0);
	}
	s->trained++;
	return ret;
}

int env_cl_run(struct env_cl *s, struct env_source *src, const struct env_hooks *hooks)
{
	struct env_score win_frozen = {0};
	struct env_score win_live = {0};
	struct env_reading r;
	uint32_t window = hooks->window != 0u ? hooks->window : ENV_WINDOW;
	uint32_t seq;
	int ret = env_cl_seek(s, src);

	if (ret != 0) {
		ENV_PRINT(hooks, "env: cannot resume %s at reading %u: %d\n", src->name,
			  (unsigned int)s->seen, ret);
		return ret;
	}
	while ((ret = src->next(src->ctx, &r)) == 0) {
		ret = env_cl_reading(s, &r, hooks, &win_frozen, &win_live);
		if (ret != 0) {
			ENV_PRINT(hooks, "env: reading %u failed: %d\n", (unsigned int)s->seen, ret);
			return ret;
		}
		s->seen++;
		if (s->seen % window == 0u) {
			env_print_window(s, hooks, window, &win_frozen, &win_live);
			memset(&win_frozen, 0, sizeof(win_frozen));
			memset(&win_live, 0, sizeof(win_live));
		}
		if (hooks->storage != NULL && hooks->save_every != 0u &&
		    s->seen % hooks->save_every == 0u) {
			ret = tintin_checkpoint_save(&s->live, hooks->storage, &seq);
			if (ret != 0) {
				ENV_PRINT(hooks, "env: checkpoint save failed: %d\n", ret);
				return ret;
			}
			ENV_PRINT(hooks, "env: checkpoint %u saved after %u readings\n",
				  (unsigned int)seq, (unsigned int)s->seen);
		}
		if (hooks->reboot_at != 0u && s->seen == hooks->reboot_at) {
			/* A power cycle: RAM is gone, the models come back from the table and
			 * the checkpoint, and the stream resumes where the checkpoint was taken.
			 */
			ENV_PRINT(hooks, "env: simulated power cycle after %u readings\n",
				  (unsigned int)s->seen);
			ret = env_cl_boot(s, hooks);
			if (ret == 0) {
				ret = env_cl_seek(s, src);
			}
			if (ret != 0) {
				return ret;
			}
		}
	}
	if (ret != -ENODATA) {
		ENV_PRINT(hooks, "env: %s failed: %d\n", src->name, ret);
		return ret;
	}
	if (win_live.n != 0u) {
		env_print_window(s, hooks, window, &win_frozen, &win_live);
	}
	return 0;
}

static void env_print_score(const struct env_hooks *hooks, const char *who,
			    const struct env_score *sc)
{
	uint32_t e = env_error_bp(sc);

	ENV_PRINT(hooks, "env: %-24s %2u.%02u%% error over %u readings (%u false alarms, %u missed)\n",
		  who, (unsigned int)(e / 100u), (unsigned int)(e % 100u), (unsigned int)sc->n,
		  (unsigned int)sc->false_alarms, (unsigned int)sc->missed);
}

int env_cl_report(const struct env_cl *s, const struct env_hooks *hooks,
		  const struct env_score *reference)
{
	uint32_t f = env_error_bp(&s->total_frozen);
	uint32_t l = env_error_bp(&s->total_live);
	uint32_t r = env_error_bp(reference);

	env_print_score(hooks, "frozen model:", &s->total_frozen);
	env_print_score(hooks, "on-device training:", &s->total_live);
	env_print_score(hooks, "float32 reference (host):", reference);
	if (s->total_live.n != reference->n) {
		ENV_PRINT(hooks, "env: this boot scored %u of %u readings (resumed): no verdict\n",
			  (unsigned int)s->total_live.n, (unsigned int)reference->n);
		return 1;
	}
	ENV_PRINT(hooks, "env: after adaptation: %u.%02u%% error (frozen: %u.%02u%%, float32: "
		  "%u.%02u%%)\n", (unsigned int)(l / 100u), (unsigned int)(l % 100u),
		  (unsigned int)(f / 100u), (unsigned int)(f % 100u), (unsigned int)(r / 100u),
		  (unsigned int)(r % 100u));
	/* Measurably better than frozen, and within 2 points (200 bp) of float32. */
	if (l + 100u <= f && l <= r + 200u) {
		ENV_PRINT(hooks, "env: PASS on-device learning beat the frozen model by %u.%02u "
			  "points and is within 2 points of float32\n",
			  (unsigned int)((f - l) / 100u), (unsigned int)((f - l) % 100u));
		return 0;
	}
	ENV_PRINT(hooks, "env: FAIL on-device learning did not beat the frozen model by 1 point "
		  "within 2 points of float32\n");
	return 1;
}
