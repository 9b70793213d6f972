/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Layer outputs and errors computed a tile at a time: a run of columns of an output row of a
 * convolution or a pool (or of an input row of their error), one sample's outputs (or a chunk
 * of them) of a dense layer, one sample's MSE gradient. Each tile goes through the int32 scratch
 * into the int8 destination at once (tintin_rq_*, requantize.c), so no tensor needs its whole size
 * in int32, and the integers are those of requantising the whole tensor with one shift. The planner
 * sizes the scratch here too, with the same tilings, so the two cannot disagree.
 */

#include <tintin/loss.h>
#include <tintin/model.h>
#include <tintin/ops.h>

#include "internal.h"

/* The least dense chunk: smaller ones would pay the kernel's per-call cost too often. */
#define TINTIN_TILE_MIN 64u

static size_t tintin_zmax(size_t a, size_t b)
{
	return (a > b) ? a : b;
}

/* Whether a dense layer runs the Armv7E-M kernel on blocks of four samples. */
static int tintin_blk4(int ws, uint16_t nb)
{
	return ws && nb >= 4u;
}

/*
 * A map row of width columns of ch channels cut into tiles of whole columns, as many as chunk
 * words hold (at least one): a 1-D convolution's row is its whole output, which would
 * otherwise need all of it in int32.
 */
static void tintin_map_tiling(uint16_t height, uint16_t width, uint16_t ch, uint16_t chunk,
			      struct tintin_tiling *t)
{
	uint16_t cols = (uint16_t)(chunk / ch);

	cols = (cols == 0u) ? 1u : ((cols > width) ? width : cols);
	t->row = (uint16_t)(width * ch);
	t->rows = height;
	t->tile = (uint16_t)(cols * ch);
	t->words = t->tile;
}

/*
 * Tiling of the tensor a layer writes in forward (dir 0) or of the error it sends down
 * (dir 1): rows of t->row values cut into tiles of t->tile, and the int32 words one step of
 * it needs (a block of four dense samples and the kernel's workspace included). t->tile == 0:
 * written straight into int8, no scratch.
 */
static void tintin_tiling(const struct tintin_layer_desc *l, uint16_t in, uint16_t out,
			  const struct tintin_geom *g, int dir, uint16_t chunk, int blk4,
			  struct tintin_tiling *t)
{
	t->row = dir ? in : out;
	t->rows = 1u;
	t->tile = 0u;
	t->words = 0u;
	if (!TINTIN_OP_CONV && !TINTIN_OP_POOL) {
		(void)l; /* dense only: the table check let no other layer with a tensor through */
		(void)g;
	} else if (tintin_is_maxpool(l)) {
		if (!dir || tintin_maxpool_disjoint(g)) {
			return; /* forward copies int8; disjoint windows pass errors as they are */
		}
		tintin_map_tiling(g->in_h, g->in_w, g->in_c, chunk, t);
		return;
	} else if (l->type != TINTIN_LAYER_DENSE) {
		/* convolutions and average pools: columns of a row of the map */
		if (dir) {
			tintin_map_tiling(g->in_h, g->in_w, g->in_c, chunk, t);
		} else {
			tintin_map_tiling(g->out_h, g->out_w, g->out_c, chunk, t);
		}
		return;
	}
	if (!dir && blk4) {
		/* Per-sample tiles, computed four at a time with the workspace behind. */
		t->tile = out;
		t->words = 4u * (size_t)out + TINTIN_FC_WS_WORDS(4u, in);
		return;
	}
	t->tile = (t->row < chunk) ? t->row : chunk;
	t->words = t->tile;
}

/* Tiles of a tensor of nb samples; 0 when its first tile holds all of it (tintin_rq_put). */
static size_t tintin_tile_count(const struct tintin_tiling *t, uint16_t nb)
{
	const size_t per_row = ((size_t)t->row + t->tile - 1u) / t->tile;
	const size_t rows = (size_t)nb * t->rows;

	return (rows * t->row == t->tile) ? 0u : rows * per_row;
}

/* Whether layer i's output feeds a ReLU, which needs no rounding bits (tintin_rq). */
static int tintin_feeds_relu(const struct tintin_model_desc *d, int i)
{
	return i + 1 < d->n_layers && d->layers[i + 1].type == TINTIN_LAYER_RELU;
}

/* A tensor's needs: its words, and in the last pass (all) its rounding bits and shifts. */
static void tintin_scratch_add(struct tintin_scratch *sc, const struct tintin_tiling *t,
			       uint16_t nb, int all, int relu)
{
	size_t tiles;

	sc->words = tintin_zmax(sc->words, t->words);
	if (t->tile == 0u || !all) {
		return;
	}
	tiles = tintin_tile_count(t, nb);
	sc->shifts = tintin_zmax(sc->shifts, tiles);
	if (tiles != 0u && !relu) {
		sc->bits = tintin_zmax(sc->bits, ((size_t)nb * t->rows * t->row + 7u) / 8u);
	}
}

void tintin_scratch_plan(const struct tintin_model_desc *d, const struct tintin_shape *sh,
			 uint8_t first, int train, int ws, struct tintin_scratch *sc)
{
	const uint16_t nb = d->max_batch;
	const uint16_t c = sh[d->n_layers - 1u].out;
	struct tintin_tiling t;

	sc->words = 0u;
	sc->bits = 0u;
	sc->shifts = 0u;
	sc->chunk = 0u;
	/*
	 * Pass 0: what does not depend on the chunk (gradient rows, bias gradients); dense
	 * chunks and map tiles then use what the scratch has anyway, at least TINTIN_TILE_MIN
	 * values. Pass 1: every tiled tensor's words, rounding bits and tile shifts.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (uint8_t i = 0; i < d->n_layers; i++) {
			const struct tintin_layer_desc *l = &d->layers[i];

			if (pass == 0 && train && tintin_has_weights(l)) {
				sc->words = tintin_zmax(
					sc->words, tintin_needs_grad_row(d, l) ? sh[i].row : 0u);
				sc->words = tintin_zmax(sc->words,
							tintin_trains_b(l) ? sh[i].rows : 0u);
			}
			if (!tintin_owns_output(l) || pass == 0) {
				continue;
			}
			for (int dir = 0; dir <= (train && i > first); dir++) {
				tintin_tiling(l, sh[i].in, sh[i].out, &sh[i].g, dir, sc->chunk,
					      pass && tintin_blk4(ws, nb), &t);
				tintin_scratch_add(sc, &t, nb, pass,
						   dir == 0 && tintin_feeds_relu(d, i));
			}
		}
		if (train && tintin_loss_mse(d)) {
			t.row = c;
			t.rows = 1u;
			t.tile = c;
			t.words = c;
			tintin_scratch_add(sc, &t, nb, pass, 0);
		}
		if (pass == 0) {
			sc->chunk = (uint16_t)tintin_zmax(sc->words, TINTIN_TILE_MIN);
		}
	}
}

static void tintin_rq_start(struct tintin_model *m, struct tintin_rq *q, int8_t *out, size_t n,
			    const struct tintin_tiling *t, uint32_t *sat)
{
	tintin_rq_begin(q, out, n, t->row, t->tile, m->rq_bits, m->rq_shifts, sat);
}

/* Dense forward: per sample, in chunks of outputs (or four samples at a time). */
static void tintin_dense_forward(struct tintin_model *m, const struct tintin_layer_state *s,
				 const int8_t *x, int bias_shift, uint16_t n, int blk4,
				 struct tintin_rq *q, uint16_t chunk)
{
	uint16_t b = 0;

	if (TINTIN_FC_USES_WS && blk4) {
		for (; b + 4u <= n; b += 4u) {
			tintin_fc_forward_s8(x + (size_t)b * s->in, s->w, s->bias, bias_shift, 4u,
					     s->in, s->out, m->acc, m->acc + 4u * s->out);
			for (uint16_t r = 0; r < 4u; r++) {
				tintin_rq_put(q, m->acc + (size_t)r * s->out, s->out);
			}
		}
	}
	for (; b < n; b++) {
		for (uint32_t o = 0; o < s->out; o += chunk) {
			uint16_t c = (uint16_t)((s->out - o < chunk) ? s->out - o : chunk);

			tintin_fc_forward_s8(x + (size_t)b * s->in, s->w + (size_t)o * s->in,
					     (s->bias != NULL) ? s->bias + o : NULL, bias_shift, 1u,
					     s->in, c, m->acc, NULL);
			tintin_rq_put(q, m->acc, c);
		}
	}
}

/* Forward of layer i through the tiles (tintin_tiles_forward's general case). */
static TINTIN_NOINLINE int tintin_forward_rq(struct tintin_model *m, uint8_t i, const int8_t *x,
					     int bias_shift, uint16_t n, int8_t *dst, int blk4)
{
	const struct tintin_layer_desc *l = &m->desc->layers[i];
	const struct tintin_layer_state *s = &m->layer[i];
	struct tintin_tiling t;
	struct tintin_rq q;
	int base = s->w_exp;
	uint16_t cols;

	tintin_tiling(l, s->in, s->out, &s->geom, 0, m->chunk, blk4, &t);
	tintin_rq_start(m, &q, dst, (size_t)n * s->out, &t, &m->stats.act_sat);
	q.relu = (uint8_t)tintin_feeds_relu(m->desc, i);
	if ((!TINTIN_OP_CONV && !TINTIN_OP_POOL) || l->type == TINTIN_LAYER_DENSE) {
		tintin_dense_forward(m, s, x, bias_shift, n, blk4, &q, t.tile);
		return base + tintin_rq_end(&q);
	}
	cols = (uint16_t)(t.tile / s->geom.out_c);
	for (uint16_t b = 0; b < n; b++) {
		const int8_t *xb = x + (size_t)b * s->in;

		for (uint16_t oy = 0; oy < s->geom.out_h; oy++) {
			for (uint16_t x0 = 0; x0 < s->geom.out_w; x0 = (uint16_t)(x0 + cols)) {
				const uint16_t nx =
					(uint16_t)((s->geom.out_w - x0 < cols) ? s->geom.out_w - x0
									       : cols);

				if (!TINTIN_OP_POOL || tintin_is_conv(l)) {
					tintin_conv_forward_row_s8(xb, s->w, s->bias, bias_shift,
								   &s->geom, oy, x0, nx, m->acc);
				} else {
					tintin_avgpool_forward_row_s8(xb, &s->geom, s->recip, oy,
								      x0, nx, m->acc);
					base = -24;
				}
				tintin_rq_put(&q, m->acc, (size_t)nx * s->geom.out_c);
			}
		}
	}
	return base + tintin_rq_end(&q);
}

int tintin_tiles_forward(struct tintin_model *m, uint8_t i, const int8_t *x, int e, uint16_t n,
			 int8_t *dst)
{
	const struct tintin_layer_state *s = &m->layer[i];
	const struct tintin_layer_desc *l = &m->desc->layers[i];
	/* Only an Armv7E-M build ever has the workspace: elsewhere the block path folds away. */
	const int blk4 = TINTIN_FC_USES_WS && m->fc_ws && tintin_blk4(1, m->desc->max_batch);
	const int bias_shift = e + TINTIN_BIAS_EXTRA_BITS;

	if (tintin_is_maxpool(l)) {
		tintin_maxpool_forward_s8(x, n, &s->geom, dst, s->mask);
		return 0;
	}
	if (l->type == TINTIN_LAYER_DENSE && n == 1u && (blk4 || s->out <= m->chunk)) {
		/* One sample's outputs in one tile: nothing to defer. */
		tintin_fc_forward_s8(x, s->w, s->bias, bias_shift, 1u, s->in, s->out, m->acc, NULL);
		return s->w_exp + tintin_requantize_s8(m->acc, s->out, dst, &m->stats.act_sat);
	}
	return tintin_forward_rq(m, i, x, bias_shift, n, dst, blk4);
}

/* Columns x0 to x0 + nx - 1 of input row iy of sample b's error, into m->acc; the exponent
 * base of its sums (base unchanged for a convolution).
 */
static int tintin_backward_cols(struct tintin_model *m, const struct tintin_layer_desc *l,
				const struct tintin_layer_state *s, uint16_t b, const int8_t *eb,
				uint16_t iy, uint16_t x0, uint16_t nx, int base)
{
	if (!TINTIN_OP_POOL || tintin_is_conv(l)) {
		tintin_conv_backward_row_s8(eb, s->w, &s->geom, iy, x0, nx, m->acc);
		return base;
	}
#if TINTIN_OP_POOL
	if (l->type == TINTIN_LAYER_MAXPOOL) {
		uint8_t dx;
		const size_t idx_bits = (size_t)tintin_maxpool_idx_bits(&s->geom, &dx);

		tintin_maxpool_backward_row_s8(s->mask, (size_t)b * s->out * idx_bits, eb, &s->geom,
					       iy, x0, nx, m->acc);
		return 0;
	}
	/* average and global average pools */
	tintin_avgpool_backward_row_s8(eb, &s->geom, s->recip, iy, x0, nx, m->acc);
#else
	(void)b;
#endif
	return -24;
}

/* Backward of layer i through the tiles (tintin_tiles_backward's general case). */
static TINTIN_NOINLINE int tintin_backward_rq(struct tintin_model *m, uint8_t i, const int8_t *err,
					      int8_t *err_in, const struct tintin_tiling *t)
{
	const struct tintin_layer_desc *l = &m->desc->layers[i];
	const struct tintin_layer_state *s = &m->layer[i];
	const uint16_t n = m->batch;
	struct tintin_rq q;
	int base = s->w_exp;
	/* Columns of the input map per tile (a dense layer has no map). */
	const uint16_t cols =
		(l->type == TINTIN_LAYER_DENSE) ? 0u : (uint16_t)(t->tile / s->geom.in_c);

	tintin_rq_start(m, &q, err_in, (size_t)n * s->in, t, &m->stats.err_sat);
	for (uint16_t b = 0; b < n; b++) {
		const int8_t *eb = err + (size_t)b * s->out;

		if ((!TINTIN_OP_CONV && !TINTIN_OP_POOL) || l->type == TINTIN_LAYER_DENSE) {
			for (uint32_t k = 0; k < s->in; k += t->tile) {
				uint16_t c =
					(uint16_t)((s->in - k < t->tile) ? s->in - k : t->tile);

				tintin_fc_backward_cols_s8(eb, s->w, s->in, s->out, (uint16_t)k, c,
							   m->acc);
				tintin_rq_put(&q, m->acc, c);
			}
			continue;
		}
		for (uint16_t iy = 0; iy < s->geom.in_h; iy++) {
			for (uint16_t x0 = 0; x0 < s->geom.in_w; x0 = (uint16_t)(x0 + cols)) {
				const uint16_t nx =
					(uint16_t)((s->geom.in_w - x0 < cols) ? s->geom.in_w - x0
									      : cols);

				base = tintin_backward_cols(m, l, s, b, eb, iy, x0, nx, base);
				tintin_rq_put(&q, m->acc, (size_t)nx * s->geom.in_c);
			}
		}
	}
	return base + tintin_rq_end(&q);
}

int tintin_tiles_backward(struct tintin_model *m, uint8_t i, const int8_t *err, int8_t *err_in,
			  const int8_t *gate)
{
	const struct tintin_layer_state *s = &m->layer[i];
	const struct tintin_layer_desc *l = &m->desc->layers[i];
	struct tintin_tiling t;

	tintin_tiling(l, s->in, s->out, &s->geom, 1, m->chunk, 0, &t);
	if (TINTIN_OP_POOL && t.tile == 0u) {
		tintin_maxpool_backward_direct_s8(s->mask, err, m->batch, &s->geom, gate, err_in);
		return 0;
	}
	(void)gate;
	if (l->type == TINTIN_LAYER_DENSE && m->batch == 1u && t.tile == s->in) {
		/* One sample's errors in one tile: nothing to defer. */
		tintin_fc_backward_cols_s8(err, s->w, s->in, s->out, 0u, s->in, m->acc);
		return s->w_exp + tintin_requantize_s8(m->acc, s->in, err_in, &m->stats.err_sat);
	}
	return tintin_backward_rq(m, i, err, err_in, &t);
}

#if TINTIN_LOSS_MSE_ENABLED
int tintin_tiles_mse(struct tintin_model *m, const int8_t *t, int e_t, uint16_t n, int8_t *err)
{
	const uint16_t c = m->outputs;
	struct tintin_tiling tl = {.row = c, .rows = 1u, .tile = c, .words = c};
	struct tintin_rq q;
	int e = 0;

	tintin_rq_start(m, &q, err, (size_t)n * c, &tl, &m->stats.err_sat);
	for (uint16_t b = 0; b < n; b++) {
		e = tintin_mse_diff_s8(m->out + (size_t)b * c, m->out_exp, t + (size_t)b * c, e_t,
				       c, m->acc);
		tintin_rq_put(&q, m->acc, c);
	}
	return e + tintin_rq_end(&q) - tintin_bits((uint32_t)n - 1u);
}
#endif
