/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Writes the seed corpora (tests/fuzz/corpus/<target>/): valid checkpoint images with one and
 * two slots in use, valid training inputs, and layer tables in fuzz_table.c's input format
 * (models of every layer type, and geometries at the type limits). Run by
 * scripts/fuzz.sh --seeds.
 */

#include <stdio.h>

#include "fuzz_models.h"

static uint32_t arena[512];
static struct tintin_model m;
static struct fz_ram img;

static int put(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "seeds: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

/* A layer table as fuzz_table.c decodes it. */
struct fz_seed_layer {
	uint8_t type;
	uint8_t train;
	uint16_t units;
	uint8_t kh;
	uint8_t kw;
	uint8_t stride;
	uint8_t pad;
	uint8_t w_exp; /* minus the exponent: 0..15 */
	uint8_t wsel;  /* weight region and offset: 0x00 random, 0x40 all -128, 0x80 all 127 */
	uint8_t bsel;  /* 0 no bias, 0x40 zeros, 0x80 small random, 0xc0 type limits */
};

struct fz_seed {
	const char *name;
	uint8_t loss;
	uint8_t preset; /* 0 lean, 1 compact, 2 momentum, 3 NITI, 4 hybrid */
	uint16_t batch;
	uint16_t h, w, c;
	uint8_t x_how; /* data: 0 random, 1 all -128, 2 all 127, 3 alternating */
	uint8_t n;
	struct fz_seed_layer l[8];
};

/* conv, pool and dense as in a small CNN; k is the kernel side, s the stride. */
#define FZ_DENSE(u, t)	 {1u - 1u, (t), (u), 0, 0, 0, 0, 7, 0x00, 0x80}
#define FZ_RELU		 {2u - 1u, 0, 0, 0, 0, 0, 0, 0, 0, 0}
#define FZ_FLAT		 {3u - 1u, 0, 0, 0, 0, 0, 0, 0, 0, 0}
#define FZ_CONV(u, kh, kw, s, p, t) {4u - 1u, (t), (u), (kh), (kw), (s), (p), 7, 0x05, 0xc0}
#define FZ_MAXP(kh, kw, s, p) {6u - 1u, 0, 0, (kh), (kw), (s), (p), 0, 0, 0}
#define FZ_AVGP(kh, kw, s, p) {7u - 1u, 0, 0, (kh), (kw), (s), (p), 0, 0, 0}
#define FZ_GAP		 {8u - 1u, 0, 0, 0, 0, 0, 0, 0, 0, 0}

static const struct fz_seed fz_seeds[] = {
	{"mlp", 0, 0, 4, 1, 1, 12, 0, 3, {FZ_DENSE(6, 0), FZ_RELU, FZ_DENSE(3, 0)}},
	{"mlp_frozen_bias_only_niti", 0, 3, 3, 1, 1, 7, 1, 5,
	 {FZ_DENSE(5, 1), FZ_RELU, FZ_DENSE(3, 2), FZ_RELU, FZ_DENSE(2, 0)}},
	{"conv1d_same_s2_maxpool", 0, 1, 2, 1, 13, 3, 3, 5,
	 {FZ_CONV(3, 1, 3, 2, 1, 0), FZ_RELU, FZ_MAXP(1, 2, 0, 1), FZ_FLAT, FZ_DENSE(3, 0)}},
	{"conv2d_same_s2_avgpool_gap_mse", 1, 2, 3, 7, 5, 2, 2, 7,
	 {FZ_CONV(4, 3, 3, 2, 1, 2), FZ_RELU, FZ_AVGP(2, 2, 0, 0), FZ_CONV(3, 1, 1, 1, 0, 0),
	  FZ_GAP, FZ_FLAT, FZ_DENSE(2, 0)}},
	{"conv2d_one_wide", 0, 0, 1, 11, 1, 1, 0, 4,
	 {FZ_CONV(2, 3, 1, 1, 0, 0), FZ_RELU, FZ_FLAT, FZ_DENSE(2, 0)}},
	/* The default: int16 masters in the convolution, int8 weights in the dense layer. */
	{"conv2d_hybrid", 0, 4, 4, 6, 6, 2, 0, 5,
	 {FZ_CONV(3, 3, 3, 1, 1, 0), FZ_RELU, FZ_MAXP(2, 2, 0, 0), FZ_FLAT, FZ_DENSE(3, 0)}},
	/* Geometry at the limits: every product here wraps or passes a type's range. */
	{"f1_wrap_to_one", 0, 0, 1, 65531, 60459, 59673, 0, 2, {FZ_FLAT, FZ_DENSE(2, 0)}},
	{"dense_65535_squared_mse", 1, 0, 1, 1, 1, 65535, 0, 1, {FZ_DENSE(65535, 1)}},
	/* Trained with momentum: 16 GiB of state, more than a 32-bit size_t holds (-E2BIG). */
	{"dense_65535_squared_momentum", 1, 2, 1, 1, 1, 65535, 0, 1, {FZ_DENSE(65535, 0)}},
	{"batch_256", 0, 0, 256, 1, 1, 257, 1, 1, {FZ_DENSE(255, 0)}},
	{"conv_255x257_k255", 1, 2, 1, 255, 257, 1, 0, 3,
	 {FZ_CONV(1, 255, 255, 1, 1, 0), FZ_FLAT, FZ_DENSE(2, 0)}},
	{"conv_256x256", 0, 0, 2, 256, 256, 1, 0, 3,
	 {FZ_CONV(1, 255, 255, 1, 1, 0), FZ_GAP, FZ_DENSE(2, 0)}},
};

/* A 16-bit value as fuzz_table.c's fz_val reads it back. */
static size_t fz_enc(uint8_t *p, uint16_t v)
{
	if (v < 16u) {
		p[0] = (uint8_t)v;
		return 1u;
	}
	if (v < 64u) {
		p[0] = (uint8_t)(0x40u | v);
		return 1u;
	}
	p[0] = 0xf0u;
	p[1] = (uint8_t)v;
	p[2] = (uint8_t)(v >> 8);
	return 3u;
}

static int put_table(const char *dir, const struct fz_seed *s)
{
	uint8_t buf[512];
	size_t n = 0u;

	buf[n++] = (uint8_t)(s->n - 1u);
	buf[n++] = s->loss;
	n += fz_enc(buf + n, s->batch);
	n += fz_enc(buf + n, s->h);
	n += fz_enc(buf + n, s->w);
	n += fz_enc(buf + n, s->c);
	buf[n++] = s->preset;
	buf[n++] = 11u; /* seed */
	buf[n++] = 0u;  /* identity intact */
	for (uint8_t i = 0; i < s->n; i++) {
		const struct fz_seed_layer *l = &s->l[i];

		buf[n++] = l->type;
		buf[n++] = l->train;
		n += fz_enc(buf + n, l->units);
		n += fz_enc(buf + n, l->kh);
		n += fz_enc(buf + n, l->kw);
		n += fz_enc(buf + n, l->stride);
		buf[n++] = l->pad;
		buf[n++] = l->w_exp;
		buf[n++] = l->wsel;
		buf[n++] = l->bsel;
	}
	n += fz_enc(buf + n, 40u); /* the blob byte to change, and how */
	buf[n++] = 0x10u;
	for (int mode = 0; mode < 2; mode++) {
		buf[n++] = 13u; /* x_exp -7 */
		buf[n++] = s->x_how;
		buf[n++] = 3u; /* steps */
		buf[n++] = 0x5au;
		buf[n++] = 0x3cu;
		buf[n++] = 0x99u;
		buf[n++] = 4u; /* t_exp -6 */
	}
	return put(dir, s->name, buf, n);
}

/*
 * fuzz_fleet.c's inputs: a flag byte, then one message of the CNN (a fresh model's, a
 * trained one's) or three to aggregate.
 */
static int put_fleet(const char *dir)
{
	static const int8_t x[4 * FZ_CNN_INPUT] = {90, -30, 12, 64, -100, 5, -20, 47};
	static const uint8_t y[4] = {0, 2, 1, 1};
	static struct tintin_model_desc d;
	static uint8_t in[1 + 3 * 512];
	struct tintin_batch b = {.x = x, .labels = y, .n = 4, .x_exp = -7};
	size_t len = 0u;
	int bad = 0;

	d = fz_cnn;
	d.hash = tintin_model_desc_hash(&fz_cnn);
	if (tintin_model_init(&m, &d, TINTIN_MODE_TRAIN, arena, sizeof(arena)) != 0 ||
	    tintin_fleet_export(&m, TINTIN_FLEET_GLOBAL, 0u, 1u, in + 1, 512u, &len) != 0) {
		return 1;
	}
	in[0] = 0u;
	bad |= put(dir, "fresh", in, 1u + len);
	for (int q = 0; q < 3; q++) {
		if (tintin_model_train_step(&m, &b) != 0 ||
		    tintin_fleet_export(&m, TINTIN_FLEET_UPDATE, 1u, 10u + (uint32_t)q,
					in + 1 + (size_t)q * len, 512u, &len) != 0) {
			return 1;
		}
	}
	in[0] = 1u;
	bad |= put(dir, "trained", in, 1u + len);
	in[0] = 3u;
	bad |= put(dir, "round_of_three", in, 1u + 3u * len);
	return bad;
}

int main(int argc, char **argv)
{
	static const int8_t x[2 * 6] = {90, -30, 12, 64, -100, 5, -20, 47, 88, -61, 33, 70};
	static const uint8_t y[2] = {0, 2};
	struct tintin_storage st = {
		.read = fz_read, .write = fz_write, .ctx = &img, .slot_size = FZ_SLOT,
		.write_block = 1u,
	};
	struct tintin_batch b = {.x = x, .labels = y, .n = 2, .x_exp = -7};
	uint8_t in[2 + 4 + 4 * FZ_CNN_INPUT];
	int bad = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: seeds CHECKPOINT_DIR TRAIN_DIR TABLE_DIR FLEET_DIR\n");
		return 2;
	}
	memset(img.mem, 0xff, sizeof(img.mem));
	if (tintin_model_init(&m, &tt_dense_desc, TINTIN_MODE_TRAIN, arena, sizeof(arena)) != 0 ||
	    tintin_model_train_step(&m, &b) != 0 || tintin_checkpoint_save(&m, &st, NULL) != 0) {
		return 1;
	}
	bad |= put(argv[1], "one_slot", img.mem, sizeof(img.mem));
	if (tintin_model_train_step(&m, &b) != 0 || tintin_checkpoint_save(&m, &st, NULL) != 0) {
		return 1;
	}
	bad |= put(argv[1], "two_slots", img.mem, sizeof(img.mem));
	memset(img.mem, 0xff, sizeof(img.mem));
	bad |= put(argv[1], "erased", img.mem, sizeof(img.mem));
	/* n = 4, x_exp -7, labels 0 1 2 1, samples from a fixed pattern. */
	in[0] = 4u;
	in[1] = 5u;
	in[2] = 0u;
	in[3] = 1u;
	in[4] = 2u;
	in[5] = 1u;
	for (size_t k = 6; k < sizeof(in); k++) {
		in[k] = (uint8_t)(k * 37u + 11u);
	}
	bad |= put(argv[2], "batch4", in, sizeof(in));
	in[0] = 1u;
	bad |= put(argv[2], "batch1", in, 2 + 1 + FZ_CNN_INPUT);
	for (size_t k = 0; k < sizeof(fz_seeds) / sizeof(fz_seeds[0]); k++) {
		bad |= put_table(argv[3], &fz_seeds[k]);
	}
	bad |= put_fleet(argv[4]);
	return bad;
}
