/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Tensors, layer tables and enums shared by every part of the core.
 *
 * @defgroup tintin Tin-Tin integer training
 * @{
 */

#ifndef TINTIN_TYPES_H_
#define TINTIN_TYPES_H_

#include <stddef.h>
#include <stdint.h>

#include <tintin/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Storage type of a parameter array. */
enum tintin_dtype {
	TINTIN_DTYPE_S8 = 0,
	TINTIN_DTYPE_S16 = 1,
	TINTIN_DTYPE_S32 = 2,
	/** int16 values held as two int8 planes: high bytes (what the kernels read as int8
	 *  weights) and low bytes, value = 256 * high + low, within +-TINTIN_S16P_MAX so the high
	 *  byte is the value rounded to the int8 grid. Saves the separate int8 copy.
	 */
	TINTIN_DTYPE_S16P = 3,
};

/** Largest magnitude of a TINTIN_DTYPE_S16P value: 127 * 256 + 127. */
#define TINTIN_S16P_MAX 32639

/** Tensor shape: batch, height, width, channels (NHWC). */
struct tintin_dims {
	uint16_t n;
	uint16_t h;
	uint16_t w;
	uint16_t c;
};

/** An int8 tensor with one exponent: real value = data[i] * 2^exp. */
struct tintin_tensor {
	int8_t *data;
	struct tintin_dims dims;
	int8_t exp;
};

/** Layer types of the layer table. Values are part of the model-table format. */
enum tintin_layer_type {
	TINTIN_LAYER_NONE = 0,
	TINTIN_LAYER_DENSE = 1,
	TINTIN_LAYER_RELU = 2,
	TINTIN_LAYER_FLATTEN = 3,
	TINTIN_LAYER_CONV2D = 4,  /**< NHWC, weights [out_c][k_h][k_w][in_c] */
	TINTIN_LAYER_CONV1D = 5,  /**< conv2d over an input of height 1 (kernel_h ignored) */
	TINTIN_LAYER_MAXPOOL = 6, /**< k_h x k_w windows (1-D: k_h = 1) */
	TINTIN_LAYER_AVGPOOL = 7,
	TINTIN_LAYER_GAP = 8, /**< global average pool: one value per channel */
};

/** Padding of convolutions and pools. */
enum tintin_pad {
	TINTIN_PAD_VALID = 0, /**< no padding: windows stay inside the input */
	TINTIN_PAD_SAME = 1,  /**< zero padding so that output size = ceil(input / stride) */
};

/** What training does to a layer's parameters. */
enum tintin_train_mode {
	TINTIN_TRAIN_FULL = 0,      /**< weights and bias are updated */
	TINTIN_TRAIN_FROZEN = 1,    /**< nothing is updated; weights stay in flash */
	TINTIN_TRAIN_BIAS_ONLY = 2, /**< only the bias is updated; weights stay in flash */
};

/** Loss whose gradient train_step feeds back. */
enum tintin_loss {
	TINTIN_LOSS_XENT = 0, /**< integer softmax cross-entropy on class labels */
	TINTIN_LOSS_MSE = 1,  /**< mean squared error on int8 targets */
};

/** Weight update rule. */
enum tintin_rule {
	TINTIN_RULE_ALIGNED = 0, /**< gradient aligned to the weight grid, learning rate 2^-k */
	TINTIN_RULE_NITI = 1,    /**< NITI: gradient normalised to mu bits, no learning rate */
};

/** Rounding of sub-LSB updates. */
enum tintin_rounding {
	TINTIN_ROUND_STOCHASTIC = 0, /**< true stochastic rounding from the model's PRNG */
	TINTIN_ROUND_PSEUDO = 1,     /**< NITI pseudo-stochastic rounding (no PRNG) */
};

/** Which trainable layers keep int16 master weights when upscale_bits is set. */
enum tintin_upscale_scope {
	TINTIN_UPSCALE_ALL = 0,  /**< every layer whose weights train */
	TINTIN_UPSCALE_CONV = 1, /**< convolutions only; dense layers train their int8 weights */
};

/** Whether a model is set up for training or only for inference. */
enum tintin_mode {
	TINTIN_MODE_TRAIN = 0,
	TINTIN_MODE_INFER = 1,
	/** Inference, with RAM copies of the parameters that train: a weight average's layout
	 *  (tintin/average.h), the inference buffers plus those parameters
	 */
	TINTIN_MODE_AVERAGE = 2,
};

/** Extra fractional bits of the bias (and of int16 master weights) over the int8 weights. */
#define TINTIN_BIAS_EXTRA_BITS 8

/**
 * Every exponent (inputs, targets, tables, activations, errors) stays within +-this; they are
 * carried in int8, and anything beyond means the data or the table is broken (-ERANGE).
 */
#define TINTIN_EXP_LIMIT 120

/** Training moves a layer's weight exponent at most this far from its table's, both ways. */
#define TINTIN_W_EXP_SPAN 8

/** Largest rate back-off of a layer (its updates at most 2^-this smaller). */
#define TINTIN_LR_BACKOFF_MAX 24

/**
 * Largest move of a parameter in one aligned update, in int8 LSBs of its layer (the update is
 * clamped to it): a step far beyond the weights' grid is a divergence, not information.
 */
#define TINTIN_UPDATE_LIMIT 8

/**
 * One row of a static layer table.
 *
 * Dense: weights are int8 [units][fan_in] row-major with exponent w_exp; bias is int32
 * [units] at exponent w_exp - TINTIN_BIAS_EXTRA_BITS, or NULL for zeros.
 * Conv2d/conv1d: units output channels, weights [units][kernel_h][kernel_w][in_c], bias as
 * for dense; stride >= 1; pad is enum tintin_pad.
 * Pools: kernel_h x kernel_w windows, stride 0 means stride = kernel_w; GAP ignores them.
 */
struct tintin_layer_desc {
	uint8_t type;  /**< enum tintin_layer_type */
	uint8_t train; /**< enum tintin_train_mode */
	uint16_t units;
	uint8_t kernel_h;
	uint8_t kernel_w;
	uint8_t stride;
	uint8_t pad;
	int8_t w_exp;
	const int8_t *weights;
	const int32_t *bias;
};

/** Optimizer settings. */
struct tintin_optim_cfg {
	uint8_t rule;           /**< enum tintin_rule */
	uint8_t lr_shift;       /**< aligned rule: learning rate 2^-lr_shift (0..30) */
	uint8_t lr_mult;        /**< multiplier sum of 2^-k over set bits k; 1 = 1.0, 3 = 1.5 */
	uint8_t mu;             /**< NITI rule: update bit-width (0..7) */
	uint8_t momentum_shift; /**< 0 = no momentum, else beta = 1 - 2^-momentum_shift (1..7) */
	uint8_t upscale_bits;   /**< 0 = int8 weights, 8 = int16 master weights (int8 planes) */
	uint8_t rounding;       /**< enum tintin_rounding */
	uint8_t upscale_scope;  /**< enum tintin_upscale_scope (0 with upscale_bits 0) */
};

/**
 * Lean optimizer: gradient-aligned SGD on the int8 weights themselves, learning rate 2^-5 per
 * batch of 8 (smaller batches take proportionally smaller steps), no momentum, true
 * stochastic rounding. One byte of state per weight, the least RAM of any preset; on
 * convolutional models at batch 1 it falls behind float32 (docs/accuracy.md).
 */
#define TINTIN_OPTIM_LEAN                                                                          \
	{                                                                                          \
		.rule = TINTIN_RULE_ALIGNED, .lr_shift = 5, .lr_mult = 1, .mu = 0,                 \
		.momentum_shift = 0, .upscale_bits = 0, .rounding = TINTIN_ROUNDING_DEFAULT,       \
		.upscale_scope = TINTIN_UPSCALE_ALL,                                               \
	}

/**
 * Hybrid optimizer: the lean one, with int16 master weights in convolutions only. A
 * convolution's few shared weights each sum a gradient over every output position, and its
 * updates are mostly finer than an int8 step: masters keep them, for one more byte per conv
 * weight. Dense layers, which hold most weights, train their int8 weights directly. Within
 * float32's accuracy at batch 1 and 8 on the tasks of docs/accuracy.md (docs/numerics.md).
 */
#define TINTIN_OPTIM_HYBRID                                                                        \
	{                                                                                          \
		.rule = TINTIN_RULE_ALIGNED, .lr_shift = 5, .lr_mult = 1, .mu = 0,                 \
		.momentum_shift = 0, .upscale_bits = TINTIN_BIAS_EXTRA_BITS,                       \
		.rounding = TINTIN_ROUNDING_DEFAULT, .upscale_scope = TINTIN_UPSCALE_CONV,         \
	}

/**
 * Default optimizer: the hybrid one. Name a preset instead (TINTIN_OPTIM_HYBRID, _LEAN, ...)
 * to keep its settings whatever a later release makes the default.
 */
#define TINTIN_OPTIM_DEFAULT TINTIN_OPTIM_HYBRID

/**
 * Compact optimizer: int16 master weights without momentum, learning rate 2^-5. Two bytes of
 * state per weight: finer updates than the default for slow drifts, about half the training
 * RAM of a float32 plain-SGD trainer (docs/benchmarks.md).
 */
#define TINTIN_OPTIM_COMPACT                                                                       \
	{                                                                                          \
		.rule = TINTIN_RULE_ALIGNED, .lr_shift = 5, .lr_mult = 1, .mu = 0,                 \
		.momentum_shift = 0, .upscale_bits = TINTIN_BIAS_EXTRA_BITS,                       \
		.rounding = TINTIN_ROUNDING_DEFAULT, .upscale_scope = TINTIN_UPSCALE_ALL,          \
	}

/**
 * Momentum optimizer (the default of Tin-Tin 0.1): learning rate 2^-5 with momentum 1 - 2^-3,
 * int16 master weights. Four bytes of state per weight, for batches of 8 or more. Needs
 * CONFIG_TINTIN_OPTIM_MOMENTUM and _UPSCALE in Zephyr.
 */
#define TINTIN_OPTIM_MOMENTUM                                                                      \
	{                                                                                          \
		.rule = TINTIN_RULE_ALIGNED, .lr_shift = 5, .lr_mult = 1, .mu = 0,                 \
		.momentum_shift = 3, .upscale_bits = TINTIN_BIAS_EXTRA_BITS,                       \
		.rounding = TINTIN_ROUNDING_DEFAULT, .upscale_scope = TINTIN_UPSCALE_ALL,          \
	}

/** A whole model: the static description the planner and init work from. */
struct tintin_model_desc {
	const struct tintin_layer_desc *layers;
	uint8_t n_layers;
	uint8_t loss; /**< enum tintin_loss */
	uint16_t max_batch;
	struct tintin_dims input; /**< per-sample h, w, c; n is ignored */
	struct tintin_optim_cfg optim;
	uint32_t seed;
	uint32_t magic;   /**< TINTIN_DESC_MAGIC: plan and init refuse anything else */
	uint16_t version; /**< TINTIN_DESC_VERSION, the table format this runtime reads */
	uint32_t hash;    /**< tintin_model_desc_hash() of the table, or 0 for none (hand-written
			   *   tables); generated headers carry it, init recomputes and compares
			   */
};

/** "TTMD": the first field a corrupt or foreign table gets wrong. */
#define TINTIN_DESC_MAGIC   0x444d5454u
/** Format version of struct tintin_model_desc and its layer table. */
#define TINTIN_DESC_VERSION 1u

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_TYPES_H_ */
