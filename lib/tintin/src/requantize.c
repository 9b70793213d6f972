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
	q->top = ((uint8_t)t > q->top) ? (uint8_t)t : q->top;
	if (t == 0) {
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
	q->pos += n;
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
			tintin_rq_tile(q, q->out + pos, pos, n, q->shifts[t++]);
			pos += n;
		}
	}
	return q->top;
}

int tintin_requantize_tiled_s8(const int32_t *acc, size_t n, uint16_t row, uint16_t tile,
			       int8_t *out, uint8_t *bits, uint8_t *shifts, uint32_t *sat)
{
	struct tintin_rq q;
	size_t pos = 0u;

	tintin_rq_begin(&q, out, n, row, tile, bits, shifts, sat);
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
