/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Requantisation of int32 sums to int8 with one shift for the whole tensor: in one go
 * (tintin_requantize_s8), or tile by tile with the rounding deferred until the tensor's shift
 * is known (tintin_rq_*), so that no layer needs its whole output in int32.
 *
 * A tile with shift t = range_shift(its max |v|) keeps f = |v| >> t (at most 127) as an int8
 * code, the sign as one's complement (~f for v < 0, so -0.5 and +0.5 stay apart), and the
 * rounding bit r = bit t - 1 of |v|. The tensor's shift s = range_shift(max |v|) is the largest
 * t, and floor division nests: (|v| + 2^(s-1)) >> s = (f + 2^(s-t-1)) >> (s-t) for s > t, and
 * f + r for s = t. So the final pass gives exactly round_shift(v, s), saturations included.
 *
 * A tensor that feeds a ReLU (q->relu) keeps no signs and no rounding bits: a negative value
 * ends at 0 whatever its rounding, so each value is stored as u = |v| >> (t - 1) (0..255) or
 * 0, and rounds to (u + 2^(s-t)) >> (s-t+1). Only its saturation count needs the negatives:
 * one that would round to -128 does so only in a tile with t = s, so the count of such values
 * is kept for the tiles at the largest shift so far.
 */

#include <tintin/fixedpoint.h>
#include <tintin/ops.h>

static uint32_t tintin_maxabs(const int32_t *v, size_t n)
{
	uint32_t maxabs = 0u;

	for (size_t k = 0; k < n; k++) {
		uint32_t m = tintin_abs32(v[k]);

		if (m > maxabs) {
			maxabs = m;
		}
	}
	return maxabs;
}

int tintin_requantize_s8(const int32_t *acc, size_t n, int8_t *out, uint32_t *sat)
{
	int shift = tintin_range_shift(tintin_maxabs(acc, n));

	for (size_t k = 0; k < n; k++) {
		int32_t v = tintin_round_shift(acc[k], shift);

		if (v > 127 || v < -127) {
			(*sat)++;
		}
		out[k] = tintin_sat8(v);
	}
	return shift;
}

void tintin_rq_begin(struct tintin_rq *q, int8_t *out, size_t n, uint16_t row, uint16_t tile,
		     uint8_t *bits, uint8_t *shifts, uint32_t *sat)
{
	q->out = out;
	q->bits = bits;
	q->shifts = shifts;
	q->sat = sat;
	q->n = n;
	q->pos = 0u;
	q->tiles = 0u;
	q->row = row;
	q->tile = tile;
	q->top = 0u;
	q->whole = 0u;
	q->relu = 0u;
	q->neg_sat = 0u;
}

/* A tile of a tensor that feeds a ReLU, at shift t (see the top of this file). */
static void tintin_rq_put_relu(struct tintin_rq *q, uint8_t *u, const int32_t *v, size_t n,
			       int t)
{
	uint32_t neg_sat = 0u;

	if (t == 0) {
		for (size_t k = 0; k < n; k++) {
			u[k] = (uint8_t)((v[k] > 0) ? (uint32_t)v[k] << 1 : 0u);
		}
	} else {
		/* |v| < 2^(t+7): u <= 255, and 255 rounds to 128 when t is the tensor's shift. */
		const uint32_t edge = 255u << (t - 1);

		for (size_t k = 0; k < n; k++) {
			int32_t x = v[k];

			if (x > 0) {
				u[k] = (uint8_t)((uint32_t)x >> (t - 1));
			} else {
				u[k] = 0u;
				neg_sat += (tintin_abs32(x) >= edge) ? 1u : 0u;
			}
		}
	}
	if ((uint8_t)t > q->top || q->tiles == 1u) {
		q->neg_sat = neg_sat;
	} else if ((uint8_t)t == q->top) {
		q->neg_sat += neg_sat;
	}
}

void tintin_rq_put(struct tintin_rq *q, const int32_t *v, size_t n)
{
	int8_t *out = q->out + q->pos;
	int t;

	if (q->pos == 0u && n == q->n) {
		/* One tile holds the whole tensor: nothing to defer. */
		q->top = (uint8_t)tintin_requantize_s8(v, n, out, q->sat);
		q->whole = 1u;
		q->pos = n;
		return;
	}
	t = tintin_range_shift(tintin_maxabs(v, n));
	q->shifts[q->tiles++] = (uint8_t)t;
	if (q->relu) {
		tintin_rq_put_relu(q, (uint8_t *)out, v, n, t);
	} else if (t == 0) {
		/* Exact already; the final pass reads no rounding bits for this tile. */
		for (size_t k = 0; k < n; k++) {
			out[k] = (int8_t)v[k];
		}
	} else {
		uint8_t *bp = q->bits + (q->pos >> 3);
		unsigned int bit = q->pos & 7u;
		/* Keep the earlier tile's bits of a shared first byte. */
		unsigned int acc = (bit != 0u) ? (*bp & ((1u << bit) - 1u)) : 0u;

		for (size_t k = 0; k < n; k++) {
			uint32_t m = tintin_abs32(v[k]);
			int32_t f = (int32_t)(m >> t);

			out[k] = (int8_t)((v[k] < 0) ? ~f : f);
			acc |= ((m >> (t - 1)) & 1u) << bit;
			if (++bit == 8u) {
				*bp++ = (uint8_t)acc;
				acc = 0u;
				bit = 0u;
			}
		}
		if (bit != 0u) {
			*bp = (uint8_t)acc;
		}
	}
	q->top = ((uint8_t)t > q->top) ? (uint8_t)t : q->top;
	q->pos += n;
}

/* Final values of one tile of a tensor that feeds a ReLU: (u + 2^k) >> (k + 1), k = top - t. */
static void tintin_rq_tile_relu(const struct tintin_rq *q, int8_t *p, size_t n, int t)
{
	const int k = q->top - t;
	uint8_t *u = (uint8_t *)p;

	if (k == 0) {
		for (size_t j = 0; j < n; j++) {
			uint32_t m = (u[j] + 1u) >> 1;

			if (m > 127u) {
				(*q->sat)++;
				m = 127u;
			}
			p[j] = (int8_t)m;
		}
	} else if (k < 8) {
		/* u <= 255: at most 64, no saturation. */
		const uint32_t half = 1u << k;

		for (size_t j = 0; j < n; j++) {
			p[j] = (int8_t)((u[j] + half) >> (k + 1));
		}
	} else {
		for (size_t j = 0; j < n; j++) {
			p[j] = 0;
		}
	}
}

/* Final values of one tile with shift t in a tensor with shift top. */
static void tintin_rq_tile(const struct tintin_rq *q, int8_t *p, size_t at, size_t n, int t)
{
	const int k = q->top - t;

	if (k == 0) {
		const uint8_t *bp = q->bits + (at >> 3);
		unsigned int bit = at & 7u;

		if (t == 0) {
			return; /* stored exact */
		}
		for (size_t j = 0; j < n; j++) {
			int32_t c = p[j];
			int32_t neg = (c < 0) ? -1 : 0;
			int32_t m = (c ^ neg) + (int32_t)((*bp >> bit) & 1u);

			if (m > 127) {
				(*q->sat)++;
				m = 127;
			}
			p[j] = (int8_t)((m ^ neg) - neg);
			if (++bit == 8u) {
				bp++;
				bit = 0u;
			}
		}
	} else if (k < 8) {
		/* No saturation: (127 + 2^(k-1)) >> k <= 64. */
		const int32_t half = 1 << (k - 1);

		for (size_t j = 0; j < n; j++) {
			int32_t c = p[j];
			int32_t neg = (c < 0) ? -1 : 0;
			/* A tile stored exact (t = 0) holds v itself, the others the code. */
			int32_t f = (t == 0) ? ((c ^ neg) - neg) : (c ^ neg);
			int32_t m = (f + half) >> k;

			p[j] = (int8_t)((m ^ neg) - neg);
		}
	} else {
		/* f <= 127 < 2^(k-1): everything rounds to 0. */
		for (size_t j = 0; j < n; j++) {
			p[j] = 0;
		}
	}
}

int tintin_rq_end(struct tintin_rq *q)
{
	size_t pos = 0u;
	size_t t = 0u;

	if (q->whole) {
		return q->top;
	}
	/* Tiles cut rows of q->row values into q->tile (the last of a row, or of the tensor,
	 * shorter), as they were put.
	 */
	while (pos < q->pos) {
		for (uint32_t c = 0u; c < q->row && pos < q->pos; c += q->tile) {
			size_t n = q->row - c;

			n = (n > q->tile) ? q->tile : n;
			n = (n > q->pos - pos) ? q->pos - pos : n;
			if (q->relu) {
				tintin_rq_tile_relu(q, q->out + pos, n, q->shifts[t++]);
			} else {
				tintin_rq_tile(q, q->out + pos, pos, n, q->shifts[t++]);
			}
			pos += n;
		}
	}
	*q->sat += q->neg_sat;
	return q->top;
}

int tintin_requantize_tiled_s8(const int32_t *acc, size_t n, uint16_t row, uint16_t tile,
			       int relu, int8_t *out, uint8_t *bits, uint8_t *shifts, uint32_t *sat)
{
	struct tintin_rq q;
	size_t pos = 0u;

	tintin_rq_begin(&q, out, n, row, tile, bits, shifts, sat);
	q.relu = (uint8_t)(relu != 0);
	while (pos < n) {
		for (uint32_t c = 0u; c < row && pos < n; c += tile) {
			size_t k = row - c;

			k = (k > tile) ? tile : k;
			k = (k > n - pos) ? n - pos : k;
			tintin_rq_put(&q, acc + pos, k);
			pos += k;
		}
	}
	return tintin_rq_end(&q);
}
