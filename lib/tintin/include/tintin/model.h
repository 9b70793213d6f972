/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Model API: plan, init from a caller-owned arena, predict, train, evaluate.
 *
 * A model is described by a static layer table (struct tintin_model_desc). The planner
 * returns the exact arena bytes before anything is allocated; init lays the model out in
 * the caller's buffer and never touches memory outside it. Every function returns 0 or a
 * negative errno and logs the reason through TINTIN_LOG_ERR.
 *
 * @defgroup tintin_model Model
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_MODEL_H_
#define TINTIN_MODEL_H_

#include <stddef.h>
#include <stdint.h>

#include <tintin/arena.h>
#include <tintin/fixedpoint.h>
#include <tintin/ops.h>
#include <tintin/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Stop the build when a model's planned arena exceeds a budget.
 *
 * Generated model headers use it with their planned training bytes (a literal, so that the
 * message shows it) and CONFIG_TINTIN_ARENA_SIZE; the message names the model, the bytes and
 * the option to raise.
 */
#define TINTIN_ARENA_CHECK(model, bytes, budget)                                                   \
	_Static_assert((bytes) <= (budget), "tintin: model " #model " needs " #bytes               \
					    " bytes of training arena, more than " #budget         \
					    "; raise " #budget)

/** Run-time state of one layer; every pointer points into the arena or the layer table. */
struct tintin_layer_state {
	/* The byte fields first: their offsets then fit Thumb's short forms (up to 31). */
	int8_t w_exp;          /**< exponent of w */
	uint8_t lr_off;        /**< rate back-off: the layer's updates are 2^-lr_off smaller */
	int8_t act_exp;        /**< exponent of act after the last forward */
	uint8_t gated;         /**< training, a ReLU: the max-pool right above clears its error
				*   (tintin_maxpool_backward_direct_s8's gate), so it keeps no mask
				*/
	const int8_t *w;       /**< int8 weights used by forward and backward */
	int8_t *w_ram;         /**< RAM copy of w when the weights train, else NULL */
	int8_t *w_lo;          /**< int16 master weights when upscaling: their low bytes (w_ram
				*   holds the high bytes), else NULL
				*/
	void *w_mom;           /**< momentum of the master weights, else NULL */
	const int32_t *bias;   /**< bias (RAM copy when it trains), NULL for zeros */
	int32_t *bias_ram;     /**< RAM copy of the bias when it trains, else NULL */
	int32_t *b_mom;        /**< momentum of the bias, else NULL */
	int8_t *act;           /**< output activations [batch][out] */
	uint8_t *mask;         /**< training: ReLU sign bits or max-pool window indices, when
				*   backward needs them and no copy of the input is kept
				*/
	uint16_t in;           /**< input elements per sample */
	uint16_t out;          /**< output elements per sample */
	uint16_t row;          /**< weights per output unit (dense: in; conv: k_h*k_w*in_c) */
	uint16_t rows;         /**< output units (dense) or channels (conv) */
	int32_t recip;         /**< average pools: round(2^24 / window size) */
	struct tintin_geom geom; /**< conv and pool geometry; zero for dense */
};

/** Saturation counters (TINTIN_STATS): watch these on a long-running device. */
struct tintin_stats {
	uint32_t act_sat;   /**< activations clipped to int8 in forward */
	uint32_t err_sat;   /**< errors clipped to int8 in backward */
	uint32_t param_sat; /**< parameter or momentum updates clipped to their type */
	uint32_t steps;     /**< training steps taken */
	uint32_t rescales;  /**< layer rescales: halved (weights at the limit) or doubled */
	uint32_t update_clips; /**< weight updates clamped to TINTIN_UPDATE_LIMIT (each backs off
				*   its layer's rate)
				*/
};

/** A model instance. Caller-owned (static or on a stack); the big buffers live in the arena. */
struct tintin_model {
	const struct tintin_model_desc *desc;
	/* The small fields before the layer array, bytes first: their offsets then fit Thumb's
	 * short load and store forms, which saves a literal or an add on every access on
	 * Cortex-M0+.
	 */
	uint8_t mode;            /**< enum tintin_mode */
	uint8_t first_trained;   /**< lowest layer index whose parameters train */
	uint8_t fc_ws;           /**< dense layers get their kernel workspace (see plan_dsp) */
	int8_t out_exp;
	uint16_t batch;          /**< batch of the last forward pass */
	uint16_t chunk;          /**< values per tile of a dense layer's output or error */
	uint16_t outputs;        /**< outputs per sample (the last layer's), set by init */
	struct tintin_arena arena;
	int8_t *err[2];          /**< ping-pong error buffers (training) */
	int8_t *ping[2];         /**< ping-pong activation buffers (inference-only) */
	int32_t *acc;            /**< int32 scratch: one tile of a tensor, a gradient row */
	uint8_t *rq_bits;        /**< rounding bits of a tensor requantised tile by tile */
	uint8_t *rq_shifts;      /**< its tiles' shifts */
	const int8_t *out;       /**< output of the last forward pass [batch][outputs] */
	struct tintin_prng prng; /**< stochastic rounding stream, owned by the model */
	struct tintin_stats stats;
	struct tintin_layer_state layer[TINTIN_MAX_LAYERS];
};

/** A batch for train_step. */
struct tintin_batch {
	const int8_t *x;        /**< int8 inputs [n][input size] */
	const uint8_t *labels;  /**< cross-entropy: class per sample */
	const int8_t *targets;  /**< MSE: int8 targets [n][outputs] */
	uint16_t n;             /**< samples, 1..max_batch */
	int8_t x_exp;           /**< exponent of x */
	int8_t t_exp;           /**< exponent of targets */
};

/** Read-only view of one layer's parameters (for tests, checkpoints and export). */
struct tintin_layer_info {
	const int8_t *w;
	const int8_t *w_lo; /**< master weights' low bytes (256 * w + w_lo), else NULL */
	const int32_t *bias;
	const void *w_mom;
	const int32_t *b_mom;
	uint32_t n_w;
	uint16_t in;  /**< weights per output unit (row length) */
	uint16_t out; /**< output units or channels (rows) */
	uint8_t type;
	int8_t w_exp;
	int8_t act_exp;
	uint8_t lr_off; /**< the layer's rate back-off (training) */
};

/**
 * @brief Exact arena bytes a model needs, before anything is allocated.
 * @retval 0 and *bytes set on success.
 * @retval -EINVAL the layer table is inconsistent (the log says where).
 * @retval -ENOTSUP a layer, loss or rule is disabled in this build.
 * @retval -ERANGE an optimizer setting or exponent is out of range.
 * @retval -E2BIG the model needs more bytes than size_t holds (a 32-bit core).
 */
int tintin_model_plan(const struct tintin_model_desc *desc, enum tintin_mode mode, size_t *bytes);

/** What each planned arena byte holds (tintin_model_plan_parts). */
enum tintin_plan_part {
	TINTIN_PART_PARAMS,   /**< RAM copies of trained weights and biases */
	TINTIN_PART_OPTIM,    /**< optimizer state: the masters' low bytes, momentum */
	TINTIN_PART_KEPT,     /**< outputs kept for the weight gradients of the layer above */
	TINTIN_PART_MASKS,    /**< ReLU sign bits and max-pool window indices */
	TINTIN_PART_PAIR,     /**< the two buffers that errors and transient outputs share
			       *   (inference: the two activation buffers)
			       */
	TINTIN_PART_SCRATCH,  /**< int32 scratch: one tile, a gradient row, dense workspace */
	TINTIN_PART_ROUNDING, /**< rounding bits and tile shifts of tiled requantisation */
	TINTIN_PART_ALIGN,    /**< alignment padding */
	TINTIN_PART_COUNT
};

/**
 * @brief The planned arena split by what it holds: parts[k] bytes for each enum
 * tintin_plan_part, summing to tintin_model_plan's bytes (dsp = 0) or
 * tintin_model_plan_dsp's (dsp = 1).
 * @retval as tintin_model_plan.
 */
int tintin_model_plan_parts(const struct tintin_model_desc *desc, enum tintin_mode mode, int dsp,
			    size_t parts[TINTIN_PART_COUNT]);

/**
 * @brief Arena bytes with room for the Armv7E-M dense kernel's workspace (four samples' outputs
 * of a dense layer and TINTIN_FC_WS_WORDS behind them in the int32 scratch), the same on every
 * core.
 *
 * On a core with the DSP extension, init given at least this many bytes lets dense layers
 * run batches of four or more at about 1 instruction per MAC instead of 1.7; with fewer
 * (down to tintin_model_plan's) they keep the four-row kernel and the same sums. Elsewhere
 * the extra bytes stay unused, so only Armv7E-M builds should ask for them.
 * @retval as tintin_model_plan.
 */
int tintin_model_plan_dsp(const struct tintin_model_desc *desc, enum tintin_mode mode,
			  size_t *bytes);

/**
 * @brief The hash a table carries in its hash field (FNV-1a over its fields, weights and
 * biases), or 0 when the table is inconsistent. Generated headers carry it already.
 */
uint32_t tintin_model_desc_hash(const struct tintin_model_desc *desc);

/**
 * @brief Validate a table and report each layer's parameter counts: n_w[i] int8 weights and
 * rows[i] output units or channels (the length of its bias), both 0 for layers without
 * parameters. Entries past desc->n_layers are left alone.
 * @retval 0 on success; -EINVAL, -ENOTSUP, -ERANGE as for tintin_model_plan.
 */
int tintin_model_desc_params(const struct tintin_model_desc *desc,
			     uint32_t n_w[TINTIN_MAX_LAYERS], uint16_t rows[TINTIN_MAX_LAYERS]);

/**
 * @brief Lay out a model in buf and load its initial parameters.
 * @retval 0 on success.
 * @retval -EINVAL, -ENOTSUP, -ERANGE as for tintin_model_plan.
 * @retval -ENOMEM size is smaller than the planned bytes.
 */
int tintin_model_init(struct tintin_model *m, const struct tintin_model_desc *desc,
		      enum tintin_mode mode, void *buf, size_t size);

/**
 * @brief tintin_model_init laid out with room for the Armv7E-M dense kernel's workspace
 * (tintin_model_plan_dsp's bytes) on any core, as init does by itself on a DSP core given
 * that room. The host uses it to compute the layout a DSP build gets (tintin_model_layout_of).
 * @retval as tintin_model_init.
 */
int tintin_model_init_dsp(struct tintin_model *m, const struct tintin_model_desc *desc,
			  enum tintin_mode mode, void *buf, size_t size);

/** struct tintin_model_layout's magic, "TTLY". */
#define TINTIN_LAYOUT_MAGIC 0x594c5454u
/** The offset of a buffer a layout does not have (a NULL pointer after init). */
#define TINTIN_LAYOUT_NONE UINT32_MAX

/** @name What a table needs the build to have (struct tintin_model_layout's needs). */
/** @{ */
#define TINTIN_NEEDS_DENSE    (1u << 0)
#define TINTIN_NEEDS_CONV     (1u << 1)
#define TINTIN_NEEDS_POOL     (1u << 2)
#define TINTIN_NEEDS_RELU     (1u << 3)
#define TINTIN_NEEDS_XENT     (1u << 4)
#define TINTIN_NEEDS_MSE      (1u << 5)
#define TINTIN_NEEDS_NITI     (1u << 6)
#define TINTIN_NEEDS_MOMENTUM (1u << 7)
#define TINTIN_NEEDS_MASTERS  (1u << 8)
/** @} */

/** A layer's buffers in struct tintin_layout_layer's buf[], as struct tintin_layer_state names them. */
enum tintin_layout_layer_buf {
	TINTIN_LBUF_W_RAM,
	TINTIN_LBUF_W_LO,
	TINTIN_LBUF_W_MOM,
	TINTIN_LBUF_BIAS_RAM,
	TINTIN_LBUF_B_MOM,
	TINTIN_LBUF_ACT,
	TINTIN_LBUF_MASK,
	TINTIN_LBUF_COUNT
};

/** A model's buffers in struct tintin_model_layout's buf[], as struct tintin_model names them. */
enum tintin_layout_model_buf {
	TINTIN_MBUF_ERR0,
	TINTIN_MBUF_ERR1,
	TINTIN_MBUF_PING0,
	TINTIN_MBUF_PING1,
	TINTIN_MBUF_ACC,
	TINTIN_MBUF_RQ_BITS,
	TINTIN_MBUF_RQ_SHIFTS,
	TINTIN_MBUF_COUNT
};

/** One layer of a layout: its buffers as arena offsets, its shape as init derives it. */
struct tintin_layout_layer {
	uint8_t gated;
	uint32_t buf[TINTIN_LBUF_COUNT]; /**< arena offsets, or TINTIN_LAYOUT_NONE */
	/* in to geom: as in struct tintin_layer_state, which init copies them to at once */
	uint16_t in;
	uint16_t out;
	uint16_t row;
	uint16_t rows;
	int32_t recip;
	struct tintin_geom geom;
};

/**
 * A model's whole arena layout, computed ahead of time: `tintin gen` writes one per mode into
 * a model header (from tintin_model_layout_of on the host), and tintin_model_init_layout
 * applies it without validating, planning or laying out the table at run time.
 */
struct tintin_model_layout {
	uint32_t magic;        /**< TINTIN_LAYOUT_MAGIC */
	uint8_t mode;          /**< enum tintin_mode */
	uint8_t first_trained;
	uint8_t fc_ws;         /**< laid out with the Armv7E-M dense workspace */
	uint8_t n_layers;
	uint16_t chunk;
	uint32_t desc_hash; /**< the hash field of the table it lays out */
	uint32_t bytes;     /**< arena bytes it uses (the planner's) */
	uint32_t needs;     /**< TINTIN_NEEDS_* the table uses: a build without one refuses it */
	uint32_t buf[TINTIN_MBUF_COUNT]; /**< arena offsets, or TINTIN_LAYOUT_NONE */
	const struct tintin_layout_layer *layers; /**< n_layers entries */
};

/**
 * @brief The layout of an initialised model, as tintin_model_init_layout takes it back.
 * @param[out] layers  desc->n_layers entries, pointed to by lay->layers
 * @retval 0 on success; -EINVAL for a model that is not initialised, NULL arguments or a
 * table without a hash (a layout is tied to its table by the hash).
 */
int tintin_model_layout_of(const struct tintin_model *m, struct tintin_model_layout *lay,
			   struct tintin_layout_layer *layers);

/**
 * @brief tintin_model_init from a layout computed ahead of time (a generated header's
 * <name>_LAYOUT_TRAIN or _INFER): the same model state, without the validation, planner and
 * layout code in the image.
 *
 * The layout and the table are trusted as the code is: both come from the same generated
 * header, and only cheap checks run (magic, the table's hash, the build's switches, the
 * arena's size and alignment, offsets inside the arena). A table that arrives at run time
 * (a blob) must go through tintin_model_init, which validates it.
 * @retval 0 on success.
 * @retval -EINVAL NULL arguments, a bad magic or format, a layout of another table, an
 * offset outside the layout's bytes, a misaligned buffer.
 * @retval -ENOTSUP the table uses a layer family, loss or optimizer this build leaves out.
 * @retval -ENOMEM size is smaller than the layout's bytes.
 */
int tintin_model_init_layout(struct tintin_model *m, const struct tintin_model_desc *desc,
			     const struct tintin_model_layout *lay, void *buf, size_t size);

/**
 * @brief Forward pass of n samples; the output stays valid until the next call.
 * @param[out] out  optional: int8 outputs [n][outputs] and their exponent
 */
int tintin_model_forward(struct tintin_model *m, const int8_t *x, int8_t x_exp, uint16_t n,
			 struct tintin_tensor *out);

/** @brief Forward pass and argmax: classes[k] for each of n samples. */
int tintin_model_predict(struct tintin_model *m, const int8_t *x, int8_t x_exp, uint16_t n,
			 uint8_t *classes);

/**
 * @brief One SGD step on a batch: forward, loss gradient, backward, per-layer update.
 * @retval -EOVERFLOW a parameter saturated and TINTIN_STRICT_OVERFLOW is set.
 */
int tintin_model_train_step(struct tintin_model *m, const struct tintin_batch *batch);

/** @brief Count correct argmax predictions over n samples, max_batch at a time. */
int tintin_model_evaluate(struct tintin_model *m, const int8_t *x, int8_t x_exp,
			  const uint8_t *labels, uint32_t n, uint32_t *correct);

/** @brief Parameters and exponents of layer idx. */
int tintin_model_layer_info(const struct tintin_model *m, uint8_t idx,
			    struct tintin_layer_info *info);

/**
 * @brief Check that every trained layer's weight exponent lies in its training window (the
 * table's w_exp +- TINTIN_W_EXP_SPAN) and its rate back-off is at most
 * TINTIN_LR_BACKOFF_MAX, the only ranges training produces.
 * @retval 0 in range
 * @retval -ERANGE an exponent or back-off outside its range (logged): the state did not come
 * from training this table
 */
int tintin_model_check_exps(const struct tintin_model *m);

/** @brief Copy of the saturation counters and step count. */
int tintin_model_get_stats(const struct tintin_model *m, struct tintin_stats *stats);

/** @brief Arena bytes in use (equal to the planned bytes after init). */
size_t tintin_model_arena_used(const struct tintin_model *m);

/** @brief sizeof(struct tintin_model), for language bindings that allocate it. */
size_t tintin_model_struct_size(void);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_MODEL_H_ */
