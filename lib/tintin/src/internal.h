/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The model layer's internal surface: what its parts (model.c, model_check.c,
 * model_layout.c, model_plan.c, model_forward.c, model_train.c, model_tiles.c) and checkpoint.c
 * share beyond the public API. The small predicates that run inside layer loops are static inline,
 * so that every part inlines them as the single file did; each function declared below
 * belongs to the part named in its comment.
 */

#ifndef TINTIN_INTERNAL_H_
#define TINTIN_INTERNAL_H_

#include <string.h>

#include <tintin/model.h>

/* Per-sample shape of one layer, derived from the table while validating it. */
struct tintin_shape {
	uint16_t in;   /* input elements */
	uint16_t out;  /* output elements */
	uint16_t row;  /* weights per output unit (dense: in; conv: k_h * k_w * in_c) */
	uint16_t rows; /* output units (dense: units; conv: output channels) */
	int32_t recip; /* average pools: round(2^24 / window) */
	struct tintin_geom g;
};

/*
 * The layer families, losses and rules a build compiles in (config.h's TINTIN_OP_*,
 * TINTIN_LOSS_*_ENABLED, TINTIN_RULE_NITI_ENABLED): tintin_check_desc refuses a table that
 * uses a disabled one with -ENOTSUP, so past it every predicate below may answer "no" for
 * them at compile time. Each dispatch site tests through these, and the disabled kernels are
 * then referenced nowhere and left out of the link.
 */
static inline int tintin_is_conv(const struct tintin_layer_desc *l)
{
	return TINTIN_OP_CONV && (l->type == TINTIN_LAYER_CONV2D || l->type == TINTIN_LAYER_CONV1D);
}

static inline int tintin_is_maxpool(const struct tintin_layer_desc *l)
{
	return TINTIN_OP_POOL && l->type == TINTIN_LAYER_MAXPOOL;
}

/* Layers with weights and a bias: dense and convolutions. */
static inline int tintin_has_weights(const struct tintin_layer_desc *l)
{
	return (TINTIN_OP_DENSE && l->type == TINTIN_LAYER_DENSE) || tintin_is_conv(l);
}

static inline int tintin_is_pool(const struct tintin_layer_desc *l)
{
	return TINTIN_OP_POOL && (l->type == TINTIN_LAYER_MAXPOOL ||
				  l->type == TINTIN_LAYER_AVGPOOL || l->type == TINTIN_LAYER_GAP);
}

/* Whether the table trains against MSE (else cross-entropy). */
static inline int tintin_loss_mse(const struct tintin_model_desc *d)
{
	return TINTIN_LOSS_MSE_ENABLED && d->loss == TINTIN_LOSS_MSE;
}

/* Whether the table updates with NITI's rule (else the aligned rule). */
static inline int tintin_rule_niti(const struct tintin_optim_cfg *o)
{
	return TINTIN_RULE_NITI_ENABLED && o->rule == TINTIN_RULE_NITI;
}

/* Layers that write a new tensor (ReLU and flatten work in place). */
static inline int tintin_owns_output(const struct tintin_layer_desc *l)
{
	return tintin_has_weights(l) || tintin_is_pool(l);
}

static inline int tintin_trains_w(const struct tintin_layer_desc *l)
{
	return tintin_has_weights(l) && l->train == TINTIN_TRAIN_FULL;
}

/* Extra fractional bits of a layer's trained weights: TINTIN_BIAS_EXTRA_BITS with int16
 * masters, 0 for int8 weights.
 */
static inline uint8_t tintin_master_bits(const struct tintin_layer_desc *l,
					 const struct tintin_optim_cfg *o)
{
	if (!tintin_trains_w(l) ||
	    (o->upscale_scope == TINTIN_UPSCALE_CONV && l->type == TINTIN_LAYER_DENSE)) {
		return 0u;
	}
	return o->upscale_bits;
}

static inline int tintin_trains_b(const struct tintin_layer_desc *l)
{
	return tintin_has_weights(l) && l->train != TINTIN_TRAIN_FROZEN;
}

static inline int tintin_check_exp(int e, const char *what)
{
	if (e < -TINTIN_EXP_LIMIT || e > TINTIN_EXP_LIMIT) {
		TINTIN_LOG_ERR("tintin: %s exponent %d out of range", what, e);
		(void)what;
		return -ERANGE;
	}
	return 0;
}

static inline int tintin_check_ready(const struct tintin_model *m)
{
	if (m == NULL || m->desc == NULL) {
		TINTIN_LOG_ERR("tintin: model is NULL or not initialised");
		return -EINVAL;
	}
	return 0;
}

/* What of a layer trains (the parts a fleet message or an average carries). */
#define TINTIN_PARAMS_WEIGHTS 1u
#define TINTIN_PARAMS_BIASES  2u

/* TINTIN_PARAMS_WEIGHTS | _BIASES of a layer; 0 when it does not train. */
static inline uint8_t tintin_params_what(const struct tintin_layer_state *s)
{
	return (uint8_t)(((s->w_ram != NULL) ? TINTIN_PARAMS_WEIGHTS : 0u) |
			 ((s->bias_ram != NULL) ? TINTIN_PARAMS_BIASES : 0u));
}

/* New parameters in s: masters restart at 256 w, no momentum from the old weights. */
static inline void tintin_params_restart(struct tintin_layer_state *s)
{
	const size_t n_w = (size_t)s->rows * s->row;

	if (TINTIN_UPSCALE_ENABLED && s->w_lo != NULL) {
		memset(s->w_lo, 0, n_w);
	}
	if (TINTIN_MOMENTUM_ENABLED && s->w_mom != NULL) {
		memset(s->w_mom, 0, n_w * ((s->w_lo != NULL) ? sizeof(int16_t) : 1u));
	}
	if (TINTIN_MOMENTUM_ENABLED && s->b_mom != NULL) {
		memset(s->b_mom, 0, (size_t)s->rows * sizeof(int32_t));
	}
}

/* fedavg.c: bits of m (0 for 0); floor((x + U) / 2^s), U the top s bits of draw d (shifted
 * up when s > 32), 16 <= s < 63: the stochastic rounding of every average.
 */
int tintin_bits64(uint64_t m);
int64_t tintin_fedavg_round(int64_t x, int s, uint32_t d);
/* fedavg.c: the shift from sums at e_min - 16 onto values of `bits` magnitude bits, at least
 * 16 (never finer than e_min) and at most top - e_min + 16 (never coarser than top).
 */
int tintin_fedavg_shift(uint64_t peak, int bits, int e_min, int top);

/* Exponent bound of a layer's weights: its table's w_exp plus dir * TINTIN_W_EXP_SPAN. */
static inline int tintin_w_exp_bound(const struct tintin_layer_desc *l, int dir)
{
	int e = l->w_exp + dir * TINTIN_W_EXP_SPAN;

	return (e > TINTIN_EXP_LIMIT) ? TINTIN_EXP_LIMIT
				      : ((e < -TINTIN_EXP_LIMIT) ? -TINTIN_EXP_LIMIT : e);
}

/*
 * Whether the weight update needs a gradient row in the scratch. A dense layer trained one
 * sample at a time updates from the error times the input (tintin_sgd_outer_rows), except
 * under NITI, which first scans the whole layer's gradient.
 */
static inline int tintin_needs_grad_row(const struct tintin_model_desc *d,
					const struct tintin_layer_desc *l)
{
	return tintin_trains_w(l) &&
	       (l->type != TINTIN_LAYER_DENSE || d->max_batch > 1u || tintin_rule_niti(&d->optim));
}

/* A tensor computed tile by tile: rows of row values cut into tiles of tile values, and the
 * int32 words one step of it needs.
 */
struct tintin_tiling {
	uint16_t row;  /* values per row: tiles never straddle two */
	uint16_t rows; /* rows per sample */
	uint16_t tile;
	size_t words;
};

/* The scratch a layout needs for tiled requantisation (model_tiles.c). */
struct tintin_scratch {
	size_t words;   /* int32 scratch */
	size_t bits;    /* rounding-bit bytes */
	size_t shifts;  /* tile-shift bytes */
	uint16_t chunk; /* values per tile of a dense output or error */
};

/* model_check.c: validates the table and fills the per-layer shapes; returns the first
 * trained layer index in *first (n_layers when nothing trains).
 */
int tintin_check_desc(const struct tintin_model_desc *d, struct tintin_shape *sh, uint8_t *first);

/* model_layout.c: lays the model out in arena a; m may be NULL when only counting bytes
 * (the planner); parts, when not NULL, adds up the bytes per enum tintin_plan_part.
 */
int tintin_layout(struct tintin_arena *a, struct tintin_model *m, const struct tintin_model_desc *d,
		  enum tintin_mode mode, const struct tintin_shape *sh, uint8_t first, int ws,
		  size_t *parts);

/* model_tiles.c: the scratch the layout needs, training (train != 0) or inference. */
void tintin_scratch_plan(const struct tintin_model_desc *d, const struct tintin_shape *sh,
			 uint8_t first, int train, int ws, struct tintin_scratch *sc);

/* model_tiles.c: forward of layer i, which writes a new tensor into dst, tile by tile;
 * returns the exponent it adds.
 */
int tintin_tiles_forward(struct tintin_model *m, uint8_t i, const int8_t *x, int e, uint16_t n,
			 int8_t *dst);

/* model_tiles.c: layer i's error for the layer below into err_in; returns its exponent
 * relative to err's. gate: see tintin_maxpool_backward_direct_s8.
 */
int tintin_tiles_backward(struct tintin_model *m, uint8_t i, const int8_t *err, int8_t *err_in,
			  const int8_t *gate);

/* model_tiles.c: MSE gradient of the last forward pass against targets t into err; returns
 * its exponent.
 */
int tintin_tiles_mse(struct tintin_model *m, const int8_t *t, int e_t, uint16_t n, int8_t *err);

/* model_plan.c: FNV-1a of the table as values (what tintin_model_desc_hash returns). */
uint32_t tintin_desc_hash(const struct tintin_model_desc *d, const struct tintin_shape *sh);

/* Copies a laid-out model's initial parameters from its table (init's last step). */
void tintin_load_params(struct tintin_model *m, const struct tintin_model_desc *d);

/* model.c: 0 when layer i may hold this weight exponent and rate back-off (the window
 * training keeps them in), else -ERANGE with a log line. A checkpoint is checked with it
 * before it loads.
 */
int tintin_layer_state_ok(const struct tintin_model_desc *d, uint8_t i, int w_exp,
			  unsigned int lr_off);

#endif /* TINTIN_INTERNAL_H_ */
