/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief float32 reference trainer for the benchmarks: the same layers, batch and update as
 * Tin-Tin, in single-precision floating point (soft float on FPU-less cores).
 *
 * Deliberately plain and honest: every layer's output is kept for backward (as a float
 * trainer must), errors ping-pong between two buffers, each layer's update is applied row by
 * row as its gradient appears (no whole-model gradient buffer), SGD with optional momentum
 * v = beta v + lr g; p -= v. Memory comes from a caller-owned buffer, sized by ft_plan().
 */

#ifndef FTRAIN_H_
#define FTRAIN_H_

#include <stddef.h>
#include <stdint.h>

enum ft_layer_type {
	FT_DENSE = 1,
	FT_RELU = 2,
	FT_FLATTEN = 3,
	FT_CONV = 4,    /* conv2d, or conv1d with in_h = k_h = 1 */
	FT_MAXPOOL = 6,
	FT_AVGPOOL = 7, /* also the global average pool (kernel = input) */
};

struct ft_layer {
	uint8_t type;
	uint16_t units;  /* dense outputs or conv output channels */
	uint8_t k_h;
	uint8_t k_w;
	uint8_t stride;
	uint8_t pad_same; /* 1: output = ceil(input / stride) */
	const float *w;   /* initial weights [units][k_h][k_w][in_c] or [units][in] */
	const float *b;   /* initial bias [units] or NULL */
};

struct ft_desc {
	const struct ft_layer *layers;
	uint8_t n_layers;
	uint16_t max_batch;
	uint16_t in_h, in_w, in_c;
	float lr;
	float beta; /* momentum; 0 = plain SGD */
};

#define FT_MAX_LAYERS 16

struct ft_geom {
	uint16_t in_h, in_w, in_c, out_h, out_w, out_c;
	uint8_t k_h, k_w, stride, pad_t, pad_l;
};

struct ft_state {
	struct ft_geom g;
	uint32_t in, out;
	float *w, *b, *vw, *vb; /* parameters and momentum (trainable layers) */
	float *act;             /* output [batch][out] */
};

struct ft_model {
	const struct ft_desc *d;
	struct ft_state l[FT_MAX_LAYERS];
	float *err[2];
	float *row; /* one gradient row */
	uint16_t batch;
	size_t used;
};

/** sizeof(struct ft_model), for bindings. */
size_t ft_model_size(void);
/** Bytes ft_init needs; 0 for an unsupported table. */
size_t ft_plan(const struct ft_desc *d);
int ft_init(struct ft_model *m, const struct ft_desc *d, void *buf, size_t size);
/** Forward pass; returns the output [n][classes]. */
const float *ft_forward(struct ft_model *m, const float *x, uint16_t n);
/** One SGD step of softmax cross-entropy on a batch. */
int ft_train_step(struct ft_model *m, const float *x, const uint8_t *labels, uint16_t n);

#endif /* FTRAIN_H_ */
