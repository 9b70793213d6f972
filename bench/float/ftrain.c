/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <math.h>
#include <string.h>

#include "ftrain.h"

static int ft_axis(uint16_t in, uint8_t k, uint8_t stride, uint8_t same, uint16_t *out,
		   uint8_t *lead)
{
	uint32_t o;

	if (k == 0u || stride == 0u) {
		return -1;
	}
	if (same) {
		uint32_t total;

		o = ((uint32_t)in + stride - 1u) / stride;
		total = (o - 1u) * stride + k;
		total = (total > in) ? total - in : 0u;
		*lead = (uint8_t)(total / 2u);
	} else {
		if (k > in) {
			return -1;
		}
		o = ((uint32_t)in - k) / stride + 1u;
		*lead = 0u;
	}
	*out = (uint16_t)o;
	return 0;
}

/* Shapes of every layer; 0 on success. */
static int ft_shapes(const struct ft_desc *d, struct ft_state *s)
{
	uint16_t h = d->in_h, w = d->in_w, c = d->in_c;

	if (d->n_layers == 0u || d->n_layers > FT_MAX_LAYERS) {
		return -1;
	}
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct ft_layer *l = &d->layers[i];
		struct ft_geom *g = &s[i].g;

		memset(&s[i], 0, sizeof(s[i]));
		g->in_h = h;
		g->in_w = w;
		g->in_c = c;
		s[i].in = (uint32_t)h * w * c;
		switch (l->type) {
		case FT_DENSE:
			h = 1;
			w = 1;
			c = l->units;
			break;
		case FT_CONV:
		case FT_MAXPOOL:
		case FT_AVGPOOL:
			g->k_h = l->k_h;
			g->k_w = l->k_w;
			g->stride = l->stride;
			if (ft_axis(h, l->k_h, l->stride, l->pad_same, &h, &g->pad_t) != 0 ||
			    ft_axis(w, l->k_w, l->stride, l->pad_same, &w, &g->pad_l) != 0) {
				return -1;
			}
			c = (l->type == FT_CONV) ? l->units : c;
			break;
		case FT_FLATTEN:
			c = (uint16_t)(h * w * c);
			h = 1;
			w = 1;
			break;
		case FT_RELU:
			break;
		default:
			return -1;
		}
		g->out_h = h;
		g->out_w = w;
		g->out_c = c;
		s[i].out = (uint32_t)h * w * c;
	}
	return 0;
}

static uint32_t ft_row(const struct ft_layer *l, const struct ft_state *s)
{
	return (l->type == FT_DENSE) ? s->in : (uint32_t)l->k_h * l->k_w * s->g.in_c;
}

/* One layout for the planner (base NULL: counting) and for init. */
static size_t ft_layout(const struct ft_desc *d, struct ft_state *s, float **err, float **row,
			uint8_t *base)
{
	size_t off = 0u;
	uint32_t widest = 0u;
	uint32_t row_max = 0u;
	const int mom = d->beta != 0.0f;

#define FT_TAKE(ptr, n)                                                                            \
	do {                                                                                       \
		(ptr) = (base != NULL) ? (float *)(base + off) : NULL;                             \
		off += (size_t)(n) * sizeof(float);                                                \
	} while (0)

	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct ft_layer *l = &d->layers[i];

		widest = (s[i].in > widest) ? s[i].in : widest;
		widest = (s[i].out > widest) ? s[i].out : widest;
		if (l->type == FT_DENSE || l->type == FT_CONV) {
			uint32_t n_w = (uint32_t)l->units * ft_row(l, &s[i]);

			row_max = (ft_row(l, &s[i]) > row_max) ? ft_row(l, &s[i]) : row_max;
			FT_TAKE(s[i].w, n_w);
			FT_TAKE(s[i].b, l->units);
			if (mom) {
				FT_TAKE(s[i].vw, n_w);
				FT_TAKE(s[i].vb, l->units);
			}
		}
		if (l->type == FT_RELU || l->type == FT_FLATTEN) {
			s[i].act = (i > 0) ? s[i - 1].act : NULL; /* in place */
		} else {
			FT_TAKE(s[i].act, (uint32_t)d->max_batch * s[i].out);
		}
	}
	FT_TAKE(err[0], (uint32_t)d->max_batch * widest);
	FT_TAKE(err[1], (uint32_t)d->max_batch * widest);
	FT_TAKE(*row, row_max);
#undef FT_TAKE
	return off;
}

size_t ft_model_size(void)
{
	return sizeof(struct ft_model);
}

size_t ft_plan(const struct ft_desc *d)
{
	struct ft_state s[FT_MAX_LAYERS];
	float *err[2];
	float *row;

	if (ft_shapes(d, s) != 0 || d->layers[0].type == FT_RELU) {
		return 0u;
	}
	return ft_layout(d, s, err, &row, NULL);
}

int ft_init(struct ft_model *m, const struct ft_desc *d, void *buf, size_t size)
{
	size_t need = ft_plan(d);

	if (need == 0u || size < need || ((uintptr_t)buf & 3u) != 0u) {
		return -1;
	}
	memset(m, 0, sizeof(*m));
	m->d = d;
	(void)ft_shapes(d, m->l);
	m->used = ft_layout(d, m->l, m->err, &m->row, buf);
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct ft_layer *l = &d->layers[i];
		struct ft_state *s = &m->l[i];

		if (s->w != NULL) {
			uint32_t n_w = (uint32_t)l->units * ft_row(l, s);

			memcpy(s->w, l->w, n_w * sizeof(float));
			for (uint16_t o = 0; o < l->units; o++) {
				s->b[o] = (l->b != NULL) ? l->b[o] : 0.0f;
			}
			if (s->vw != NULL) {
				memset(s->vw, 0, n_w * sizeof(float));
				memset(s->vb, 0, l->units * sizeof(float));
			}
		}
	}
	return 0;
}

/* Index of input (iy, ix) inside the window at (oy, ox), or -1 in the padding. */
static long ft_at(const struct ft_geom *g, int oy, int ox, int ky, int kx)
{
	int iy = oy * g->stride - g->pad_t + ky;
	int ix = ox * g->stride - g->pad_l + kx;

	if (iy < 0 || ix < 0 || iy >= g->in_h || ix >= g->in_w) {
		return -1;
	}
	return ((long)iy * g->in_w + ix) * g->in_c;
}

static void ft_layer_forward(const struct ft_layer *l, const struct ft_state *s, const float *x,
			     uint16_t n, float *y)
{
	const struct ft_geom *g = &s->g;

	for (uint16_t b = 0; b < n; b++) {
		const float *xb = x + (size_t)b * s->in;
		float *yb = y + (size_t)b * s->out;

		if (l->type == FT_DENSE) {
			for (uint16_t o = 0; o < l->units; o++) {
				const float *w = s->w + (size_t)o * s->in;
				float acc = s->b[o];

				for (uint32_t i = 0; i < s->in; i++) {
					acc += w[i] * xb[i];
				}
				yb[o] = acc;
			}
			continue;
		}
		for (int oy = 0; oy < g->out_h; oy++) {
			for (int ox = 0; ox < g->out_w; ox++) {
				for (uint16_t oc = 0; oc < g->out_c; oc++) {
					float acc = (l->type == FT_CONV) ? s->b[oc] : 0.0f;
					int first = 1;

					for (int ky = 0; ky < g->k_h; ky++) {
						for (int kx = 0; kx < g->k_w; kx++) {
							long at = ft_at(g, oy, ox, ky, kx);

							if (at < 0) {
								continue;
							}
							if (l->type == FT_CONV) {
								const float *w =
									s->w +
									(((size_t)oc * g->k_h + ky) *
										 g->k_w +
									 kx) * g->in_c;

								for (uint16_t ic = 0; ic < g->in_c;
								     ic++) {
									acc += w[ic] * xb[at + ic];
								}
							} else if (l->type == FT_MAXPOOL) {
								float v = xb[at + oc];

								acc = (first || v > acc) ? v : acc;
								first = 0;
							} else {
								acc += xb[at + oc];
							}
						}
					}
					if (l->type == FT_AVGPOOL) {
						acc /= (float)(g->k_h * g->k_w);
					}
					yb[((size_t)oy * g->out_w + ox) * g->out_c + oc] = acc;
				}
			}
		}
	}
}

const float *ft_forward(struct ft_model *m, const float *x, uint16_t n)
{
	const float *cur = x;

	for (uint8_t i = 0; i < m->d->n_layers; i++) {
		const struct ft_layer *l = &m->d->layers[i];
		struct ft_state *s = &m->l[i];

		if (l->type == FT_RELU) {
			float *a = (float *)(uintptr_t)cur;

			for (size_t k = 0; k < (size_t)n * s->out; k++) {
				a[k] = (a[k] > 0.0f) ? a[k] : 0.0f;
			}
			continue;
		}
		if (l->type == FT_FLATTEN) {
			continue;
		}
		ft_layer_forward(l, s, cur, n, s->act);
		cur = s->act;
	}
	m->batch = n;
	return cur;
}

/* Error at the layer's input from the error at its output. */
static void ft_layer_backward(const struct ft_layer *l, const struct ft_state *s, const float *x,
			      const float *e, uint16_t n, float *d)
{
	const struct ft_geom *g = &s->g;

	memset(d, 0, (size_t)n * s->in * sizeof(float));
	for (uint16_t b = 0; b < n; b++) {
		const float *xb = x + (size_t)b * s->in;
		const float *eb = e + (size_t)b * s->out;
		float *db = d + (size_t)b * s->in;

		if (l->type == FT_DENSE) {
			for (uint16_t o = 0; o < l->units; o++) {
				const float *w = s->w + (size_t)o * s->in;

				for (uint32_t i = 0; i < s->in; i++) {
					db[i] += eb[o] * w[i];
				}
			}
			continue;
		}
		for (int oy = 0; oy < g->out_h; oy++) {
			for (int ox = 0; ox < g->out_w; ox++) {
				for (uint16_t oc = 0; oc < g->out_c; oc++) {
					float ev = eb[((size_t)oy * g->out_w + ox) * g->out_c + oc];
					long best = -1;

					for (int ky = 0; ky < g->k_h; ky++) {
						for (int kx = 0; kx < g->k_w; kx++) {
							long at = ft_at(g, oy, ox, ky, kx);

							if (at < 0) {
								continue;
							}
							if (l->type == FT_CONV) {
								const float *w =
									s->w +
									(((size_t)oc * g->k_h + ky) *
										 g->k_w +
									 kx) * g->in_c;

								for (uint16_t ic = 0; ic < g->in_c;
								     ic++) {
									db[at + ic] += ev * w[ic];
								}
							} else if (l->type == FT_MAXPOOL) {
								if (best < 0 ||
								    xb[at + oc] > xb[best]) {
									best = at + oc;
								}
							} else {
								db[at + oc] +=
									ev / (float)(g->k_h * g->k_w);
							}
						}
					}
					if (best >= 0) {
						db[best] += ev;
					}
				}
			}
		}
	}
}

/* Gradient row o (dense unit or conv channel) into m->row, then the update. */
static void ft_update(struct ft_model *m, const struct ft_layer *l, struct ft_state *s,
		      const float *x, const float *e)
{
	const struct ft_geom *g = &s->g;
	const uint32_t row = ft_row(l, s);
	/* Below 8 samples the rate shrinks with the batch, as the integer rule's (lr * sum / 8). */
	const float lr = m->d->lr * (float)((m->batch < 8u) ? m->batch : 8u) * 0.125f;
	const float beta = m->d->beta;

	for (uint16_t o = 0; o < l->units; o++) {
		float gb = 0.0f;

		memset(m->row, 0, row * sizeof(float));
		for (uint16_t b = 0; b < m->batch; b++) {
			const float *xb = x + (size_t)b * s->in;
			const float *eb = e + (size_t)b * s->out;

			if (l->type == FT_DENSE) {
				for (uint32_t i = 0; i < row; i++) {
					m->row[i] += eb[o] * xb[i];
				}
				gb += eb[o];
				continue;
			}
			for (int oy = 0; oy < g->out_h; oy++) {
				for (int ox = 0; ox < g->out_w; ox++) {
					float ev = eb[((size_t)oy * g->out_w + ox) * g->out_c + o];

					gb += ev;
					for (int ky = 0; ky < g->k_h; ky++) {
						for (int kx = 0; kx < g->k_w; kx++) {
							long at = ft_at(g, oy, ox, ky, kx);
							float *r = m->row +
								   ((size_t)ky * g->k_w + kx) * g->in_c;

							if (at < 0) {
								continue;
							}
							for (uint16_t ic = 0; ic < g->in_c; ic++) {
								r[ic] += ev * xb[at + ic];
							}
						}
					}
				}
			}
		}
		for (uint32_t i = 0; i < row; i++) {
			float step = lr * m->row[i];
			size_t k = (size_t)o * row + i;

			if (s->vw != NULL) {
				s->vw[k] = beta * s->vw[k] + step;
				step = s->vw[k];
			}
			s->w[k] -= step;
		}
		gb *= lr;
		if (s->vb != NULL) {
			s->vb[o] = beta * s->vb[o] + gb;
			gb = s->vb[o];
		}
		s->b[o] -= gb;
	}
}

int ft_train_step(struct ft_model *m, const float *x, const uint8_t *labels, uint16_t n)
{
	const struct ft_desc *d = m->d;
	const struct ft_state *last = &m->l[d->n_layers - 1u];
	const float *z;
	int cur = 0;

	if (n == 0u || n > d->max_batch) {
		return -1;
	}
	z = ft_forward(m, x, n);
	/* Softmax cross-entropy gradient, mean over the batch. */
	for (uint16_t b = 0; b < n; b++) {
		const float *zb = z + (size_t)b * last->out;
		float *eb = m->err[0] + (size_t)b * last->out;
		float mx = zb[0];
		float sum = 0.0f;

		for (uint32_t c = 1; c < last->out; c++) {
			mx = (zb[c] > mx) ? zb[c] : mx;
		}
		for (uint32_t c = 0; c < last->out; c++) {
			eb[c] = expf(zb[c] - mx);
			sum += eb[c];
		}
		for (uint32_t c = 0; c < last->out; c++) {
			eb[c] = (eb[c] / sum - ((c == labels[b]) ? 1.0f : 0.0f)) / (float)n;
		}
	}
	for (int i = d->n_layers - 1; i >= 0; i--) {
		const struct ft_layer *l = &d->layers[i];
		struct ft_state *s = &m->l[i];
		const float *xin = (i == 0) ? x : m->l[i - 1].act;

		if (l->type == FT_FLATTEN) {
			continue;
		}
		if (l->type == FT_RELU) {
			for (size_t k = 0; k < (size_t)n * s->out; k++) {
				if (s->act[k] <= 0.0f) {
					m->err[cur][k] = 0.0f;
				}
			}
			continue;
		}
		if (i > 0) {
			ft_layer_backward(l, s, xin, m->err[cur], n, m->err[cur ^ 1]);
		}
		if (s->w != NULL) {
			ft_update(m, l, s, xin, m->err[cur]);
		}
		cur ^= 1;
	}
	return 0;
}
