/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The model API end to end: exact arena planning and -ENOMEM, refusals of bad input, a CNN
 * training run bit-exact with the reference, and convergence on real digits.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <tintin/tintin.h>

#include "tt_test.h"
#include "tt_digits.h"
#include "vectors/tt_vec_train.h"

TT_SUITE(tintin_train);

#define TT_MAX(a, b) (((a) > (b)) ? (a) : (b))
#define TT_ARENA_MAX                                                                               \
	TT_MAX(TT_MAX(TT_DIGITS_ARENA_TRAIN_DSP, TT_DIGITS_C_ARENA_TRAIN_DSP),                     \
	       TT_CNN_ARENA_TRAIN_DSP)

/* uint32_t storage keeps the arena word-aligned on every target. */
static uint32_t arena[(TT_ARENA_MAX + 3) / 4 + 1];
static struct tintin_model model;

/* Init with exactly size bytes; at the _DSP size an Armv7E-M build must take the workspace. */
static int tt_init(const struct tintin_model_desc *d, size_t size, size_t dsp_size)
{
	int ret = tintin_model_init(&model, d, TINTIN_MODE_TRAIN, arena, size);

	if (ret == 0 && model.fc_ws != ((TINTIN_FC_USES_WS && size >= dsp_size) ? 1u : 0u)) {
		return -1;
	}
	return ret;
}

TT_TEST(tintin_train, test_plan_is_exact_and_small_arena_is_enomem)
{
	size_t need = 0u;
	size_t infer = 0u;

	TT_ASSERT_EQ(tintin_model_plan(&tt_cnn_desc, TINTIN_MODE_TRAIN, &need), 0, "plan");
	TT_ASSERT_EQ(need, (size_t)TT_CNN_ARENA_TRAIN, "planned bytes differ from the generator");
	TT_ASSERT_EQ(tintin_model_plan(&tt_cnn_desc, TINTIN_MODE_INFER, &infer), 0, "plan");
	TT_ASSERT_EQ(infer, (size_t)TT_CNN_ARENA_INFER, "planned inference bytes");
	TT_ASSERT_EQ(tintin_model_init(&model, &tt_cnn_desc, TINTIN_MODE_TRAIN, arena, need - 1u),
		     -ENOMEM, "one byte short must be -ENOMEM");
	TT_ASSERT_EQ(tintin_model_init(&model, &tt_cnn_desc, TINTIN_MODE_TRAIN, arena, 16u),
		     -ENOMEM, "a tiny arena must be -ENOMEM");
	TT_ASSERT_EQ(tintin_model_init(&model, &tt_cnn_desc, TINTIN_MODE_TRAIN, arena, need), 0,
		     "the planned bytes must suffice");
	TT_ASSERT_EQ(tintin_model_arena_used(&model), need, "init used other than planned");
}

TT_TEST(tintin_train, test_bad_input_is_refused)
{
	struct tintin_model_desc bad = tt_cnn_desc;
	uint8_t label = 200u;
	struct tintin_batch b = {.x = tt_cnn_x, .labels = &label, .n = 1, .x_exp = -7};
	size_t need;

	TT_ASSERT_EQ(tintin_model_init(&model, &tt_cnn_desc, TINTIN_MODE_TRAIN,
				       (uint8_t *)arena + 1, sizeof(arena) - 1u),
		     -EINVAL, "misaligned arena");
	bad.n_layers = 0u;
	TT_ASSERT_EQ(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need), -EINVAL, "no layers");
	bad = tt_cnn_desc;
	bad.optim.lr_shift = 40u;
	TT_ASSERT_EQ(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need), -ERANGE, "lr_shift 40");
	bad = tt_cnn_desc;
	bad.max_batch = 0u;
	TT_ASSERT_EQ(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need), -EINVAL, "batch 0");
	TT_ASSERT_EQ(tintin_model_train_step(NULL, &b), -EINVAL, "NULL model");
	TT_ASSERT_EQ(
		tintin_model_init(&model, &tt_cnn_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena)), 0,
		"init");
	TT_ASSERT_EQ(tintin_model_train_step(&model, &b), -EINVAL, "label beyond the classes");
	b.n = 5u;
	label = 0u;
	TT_ASSERT_EQ(tintin_model_train_step(&model, &b), -EINVAL, "batch above max_batch");
	TT_ASSERT_EQ(
		tintin_model_init(&model, &tt_cnn_desc, TINTIN_MODE_INFER, arena, sizeof(arena)), 0,
		"init for inference");
	b.n = 1u;
	TT_ASSERT_EQ(tintin_model_train_step(&model, &b), -EINVAL, "training an inference model");
	bad = tt_cnn_desc;
	bad.optim.rule = TINTIN_RULE_NITI;
	bad.optim.mu = 2u;
	/* Another table now: it needs its own hash. */
	bad.hash = tintin_model_desc_hash(&bad);
	TT_ASSERT_EQ(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need),
		     TINTIN_RULE_NITI_ENABLED ? 0 : -ENOTSUP, "NITI rule per build option");
}

/* A table's identity: the generator's hash is the runtime's, and a table that is not a
 * Tin-Tin table of this format, or whose contents changed, is refused.
 */
TT_TEST(tintin_train, test_table_identity_is_checked)
{
	struct tintin_model_desc bad = tt_cnn_desc;
	size_t need;

	TT_ASSERT(tt_cnn_desc.hash != 0u, "generated tables carry a hash");
	TT_ASSERT_EQ(tintin_model_desc_hash(&tt_cnn_desc), tt_cnn_desc.hash,
		     "generator and runtime hash the table alike");
	bad.magic ^= 1u;
	TT_ASSERT_EQ(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need), -EINVAL, "magic");
	bad = tt_cnn_desc;
	bad.version = TINTIN_DESC_VERSION + 1u;
	TT_ASSERT_EQ(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need), -EINVAL, "version");
	bad = tt_cnn_desc;
	bad.seed ^= 1u; /* any field: the contents no longer match the hash */
	TT_ASSERT_EQ(tintin_model_init(&model, &bad, TINTIN_MODE_TRAIN, arena, sizeof(arena)),
		     -EINVAL, "contents changed under the hash");
	bad.hash = 0u; /* no hash: hand-written tables are taken as they are */
	TT_ASSERT_EQ(tintin_model_plan(&bad, TINTIN_MODE_TRAIN, &need), 0, "no hash");
}

/* The same integers with and without the dense kernel's workspace. */
static void cnn_run(size_t size)
{
	const int8_t *want_w[] = {tt_cnn_final_w0, tt_cnn_final_w3, tt_cnn_final_w7};
	const int32_t *want_b[] = {tt_cnn_final_b0, tt_cnn_final_b3, tt_cnn_final_b7};
	const uint8_t idx[] = {0u, 3u, 7u};
	const size_t in = TT_CNN_INPUT_SIZE;
	struct tintin_tensor out;

	TT_ASSERT_EQ(tt_init(&tt_cnn_desc, size, TT_CNN_ARENA_TRAIN_DSP), 0, "init %u",
		     (unsigned int)size);
	for (int k = 0; k < TT_CNN_STEPS; k++) {
		struct tintin_batch b = {.x = tt_cnn_x + (size_t)k * 4u * in,
					 .labels = tt_cnn_y + (size_t)k * 4u,
					 .n = 4u,
					 .x_exp = TT_CNN_X_EXP};

		TT_ASSERT_EQ(tintin_model_train_step(&model, &b), 0, "step %d", k);
	}
	for (int j = 0; j < 3; j++) {
		struct tintin_layer_info info;

		TT_ASSERT_EQ(tintin_model_layer_info(&model, idx[j], &info), 0, "layer_info");
		TT_ASSERT_ARRAY_EQ(info.w, want_w[j], info.n_w, "trained weights");
		TT_ASSERT_ARRAY_EQ(info.bias, want_b[j], info.out, "trained bias");
	}
	TT_ASSERT_EQ(tintin_model_forward(&model, tt_cnn_x, TT_CNN_X_EXP, 4u, &out), 0, "forward");
	TT_ASSERT_EQ(out.exp, TT_CNN_OUT_EXP, "output exponent");
	TT_ASSERT_ARRAY_EQ(out.data, tt_cnn_out, 4u * TT_CNN_OUTPUTS, "outputs after training");
}

TT_TEST(tintin_train, test_cnn_run_is_bit_exact)
{
	cnn_run(TT_CNN_ARENA_TRAIN);
	cnn_run(TT_CNN_ARENA_TRAIN_DSP);
}

static int digits_correct(uint32_t *correct)
{
	return tintin_model_evaluate(&model, tt_digits_test_x, TT_DIGITS_TEST_EXP, tt_digits_test_y,
				     TT_DIGITS_TEST_N, correct);
}

static void digits_run(size_t size)
{
	uint32_t before = 0u;
	uint32_t after = 0u;

	TT_ASSERT_EQ(tt_init(&tt_digits_desc, size, TT_DIGITS_ARENA_TRAIN_DSP), 0, "init %u",
		     (unsigned int)size);
	TT_ASSERT_EQ(digits_correct(&before), 0, "evaluate");
	TT_ASSERT_EQ(tt_digits_train(&model), 0, "training");
	TT_ASSERT_EQ(digits_correct(&after), 0, "evaluate");
	TT_PRINT("tintin: digits held-out %u/%u correct before, %u/%u after %d epochs\n",
		 (unsigned int)before, TT_DIGITS_TEST_N, (unsigned int)after, TT_DIGITS_TEST_N,
		 TT_DIGITS_EPOCHS);
	TT_ASSERT_EQ(before, (uint32_t)TT_DIGITS_CORRECT_BEFORE, "differs from the reference");
	TT_ASSERT_EQ(after, (uint32_t)TT_DIGITS_CORRECT_AFTER, "differs from the reference");
	TT_ASSERT(after * 10u >= TT_DIGITS_TEST_N * 8u, "below 80%% held-out accuracy");
}

TT_TEST(tintin_train, test_digits_converge)
{
	digits_run(TT_DIGITS_ARENA_TRAIN);
	digits_run(TT_DIGITS_ARENA_TRAIN_DSP);
}

static int tt_same_layer(const struct tintin_layout_layer *a, const struct tintin_layout_layer *b)
{
	const struct tintin_geom *g = &a->geom;
	const struct tintin_geom *h = &b->geom;

	for (int k = 0; k < TINTIN_LBUF_COUNT; k++) {
		if (a->buf[k] != b->buf[k]) {
			return 0;
		}
	}
	return a->in == b->in && a->out == b->out && a->row == b->row && a->rows == b->rows &&
	       a->recip == b->recip && a->gated == b->gated && g->in_h == h->in_h &&
	       g->in_w == h->in_w && g->in_c == h->in_c && g->out_h == h->out_h &&
	       g->out_w == h->out_w && g->out_c == h->out_c && g->k_h == h->k_h &&
	       g->k_w == h->k_w && g->stride == h->stride && g->pad_t == h->pad_t &&
	       g->pad_l == h->pad_l;
}

/*
 * The layout the generator computed on the host is the one this core's init computes, and a
 * model initialised from it trains exactly as the reference.
 */
TT_TEST(tintin_train, test_generated_layout_gives_the_same_model)
{
	static struct tintin_layout_layer own_layers[TINTIN_MAX_LAYERS];
	const struct tintin_model_layout *gen = TT_DIGITS_LAYOUT_TRAIN;
	struct tintin_model_layout own;
	uint32_t before = 0u;
	uint32_t after = 0u;

	TT_ASSERT_EQ(tintin_model_init(&model, &tt_digits_desc, TINTIN_MODE_TRAIN, arena,
				       TT_DIGITS_LAYOUT_TRAIN_ARENA),
		     0, "init");
	TT_ASSERT_EQ(tintin_model_layout_of(&model, &own, own_layers), 0, "layout_of");
	TT_ASSERT(own.magic == gen->magic && own.desc_hash == gen->desc_hash &&
			  own.bytes == gen->bytes && own.needs == gen->needs &&
			  own.chunk == gen->chunk && own.mode == gen->mode &&
			  own.first_trained == gen->first_trained && own.fc_ws == gen->fc_ws &&
			  own.n_layers == gen->n_layers,
		  "the generated layout's header differs from this core's");
	TT_ASSERT_ARRAY_EQ(own.buf, gen->buf, TINTIN_MBUF_COUNT, "the model's buffers");
	for (uint8_t i = 0; i < own.n_layers; i++) {
		TT_ASSERT(tt_same_layer(&own_layers[i], &gen->layers[i]), "layer %u differs", i);
	}
	TT_ASSERT_EQ(tintin_model_init_layout(&model, &tt_digits_desc, gen, arena,
					      TT_DIGITS_LAYOUT_TRAIN_ARENA - 1u),
		     -ENOMEM, "one byte short");
	TT_ASSERT_EQ(tintin_model_init_layout(&model, &tt_digits_c_desc, gen, arena,
					      TT_DIGITS_LAYOUT_TRAIN_ARENA),
		     -EINVAL, "another table's layout");
	TT_ASSERT_EQ(tintin_model_init_layout(&model, &tt_digits_desc, gen, arena,
					      TT_DIGITS_LAYOUT_TRAIN_ARENA),
		     0, "init_layout");
	TT_ASSERT_EQ(digits_correct(&before), 0, "evaluate");
	TT_ASSERT_EQ(tt_digits_train(&model), 0, "training");
	TT_ASSERT_EQ(digits_correct(&after), 0, "evaluate");
	TT_ASSERT_EQ(before, (uint32_t)TT_DIGITS_CORRECT_BEFORE, "differs from the reference");
	TT_ASSERT_EQ(after, (uint32_t)TT_DIGITS_CORRECT_AFTER, "differs from the reference");
}

/* One sample at a time: the batch-1 dense update (column passes), bit-exact. */
static void digits_batch1_run(const struct tintin_model_desc *d, size_t size, size_t dsp_size,
			      uint32_t want, int out_exp, const int8_t *want_out)
{
	struct tintin_tensor out;
	uint32_t after = 0u;

	TT_ASSERT_EQ(tt_init(d, size, dsp_size), 0, "init");
	for (uint32_t k = 0; k < TT_DIGITS_TRAIN_N; k++) {
		struct tintin_batch b = {.x = tt_digits_train_x + k * TT_DIGITS_TRAIN_SIZE,
					 .labels = tt_digits_train_y + k,
					 .n = 1u,
					 .x_exp = TT_DIGITS_TRAIN_EXP};

		TT_ASSERT_EQ(tintin_model_train_step(&model, &b), 0, "step %u", (unsigned int)k);
	}
	TT_ASSERT_EQ(digits_correct(&after), 0, "evaluate");
	TT_ASSERT_EQ(after, want, "differs from the reference");
	TT_ASSERT_EQ(tintin_model_forward(&model, tt_digits_test_x, TT_DIGITS_TEST_EXP, 8u, &out),
		     0, "forward");
	TT_ASSERT_EQ(out.exp, out_exp, "output exponent");
	TT_ASSERT_ARRAY_EQ(out.data, want_out, 8u * 10u, "outputs after training");
}

TT_TEST(tintin_train, test_digits_batch1_is_bit_exact)
{
	/* The default optimizer (int8 weights), then the compact one (int16 masters). */
	digits_batch1_run(&tt_digits_desc, TT_DIGITS_ARENA_TRAIN, TT_DIGITS_ARENA_TRAIN_DSP,
			  TT_DIGITS_B1_CORRECT_AFTER, TT_DIGITS_B1_OUT_EXP, tt_digits_b1_out);
	digits_batch1_run(&tt_digits_c_desc, TT_DIGITS_C_ARENA_TRAIN, TT_DIGITS_C_ARENA_TRAIN_DSP,
			  TT_DIGITS_C1_CORRECT_AFTER, TT_DIGITS_C1_OUT_EXP, tt_digits_c1_out);
}

#if defined(__ZEPHYR__) && !defined(CONFIG_ARCH_POSIX)
/* On a real stack (not native_sim's host threads): one training step on a thread whose stack
 * is exactly the Kconfig budget, measured by the kernel's stack painting.
 */
static K_THREAD_STACK_DEFINE(tt_step_stack, CONFIG_TINTIN_STACK_SIZE);
static struct k_thread tt_step_thread;
static int tt_step_ret;

static void tt_step_entry(void *p1, void *p2, void *p3)
{
	struct tintin_batch b = {.x = tt_digits_train_x,
				 .labels = tt_digits_train_y,
				 .n = 8u,
				 .x_exp = TT_DIGITS_TRAIN_EXP};

	ARG_UNUSED(p1);
	ARG_UNUSED(p2);
	ARG_UNUSED(p3);
	tt_step_ret =
		tintin_model_init(&model, &tt_digits_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena));
	if (tt_step_ret == 0) {
		tt_step_ret = tintin_model_train_step(&model, &b);
	}
}

TT_TEST(tintin_train, test_step_fits_stack_budget)
{
	size_t unused = 0u;

	k_thread_create(&tt_step_thread, tt_step_stack, K_THREAD_STACK_SIZEOF(tt_step_stack),
			tt_step_entry, NULL, NULL, NULL, K_PRIO_PREEMPT(1), 0, K_NO_WAIT);
	k_thread_join(&tt_step_thread, K_FOREVER);
	TT_ASSERT_EQ(tt_step_ret, 0, "training step on the budget thread");
	TT_ASSERT_EQ(k_thread_stack_space_get(&tt_step_thread, &unused), 0, "stack info");
	TT_PRINT("tintin: init + training step used %u of %u stack bytes\n",
		 (unsigned int)(K_THREAD_STACK_SIZEOF(tt_step_stack) - unused),
		 (unsigned int)K_THREAD_STACK_SIZEOF(tt_step_stack));
	TT_ASSERT(unused > 0u, "CONFIG_TINTIN_STACK_SIZE exceeded");
}
#endif
