/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Requantisation of int32 sums to int8 with one shift for the whole tensor: in one go
 * (tintin_requantize_s8), or tile by tile with the rounding deferred until the tensor's shift
 * is known (tintin_rq_*), so that no layer needs its whole output in int32.
 *
 * A tile with shift t = range_shift(its max |v|) keeps u = |v| >> (t - 1) (|v| itself when
 * t = 0): u >> 1 (at most 127) as an int8 code with the sign as one's complement (~(u >> 1)
 * for v < 0, so that -0.5 and +0.5 stay apart), and u & 1 in a bit array. The tensor's shift
 * s = range_shift(max |v|) is the largest t, and floor division nests ((|v| + 2^(s-1)) >> s =
 * (u + 2^(s-t)) >> (s-t+1), as 2^(s-1) is a multiple of 2^(t-1)), so the final pass gives
 * exactly round_shift(v, s); only a tile with t = s can round up to 128 and saturate.
 *
 * A tensor that feeds a ReLU (q->relu) keeps no signs and no rounding bits: a negative value
 * ends at 0 whatever its rounding, so u itself (0..255) is stored, or 0. Only its saturation
 * count needs the negatives: one that would round to -128 has u = 255 in a tile with t = s,
 * so the count of such values is kept for the tiles at the largest shift so far.
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

/* A tile of a tensor that feeds a ReLU: u for positive values, 0 for the others; returns
 * how many negatives would round to -128 if t is the tensor's shift.
 */
static uint32_t tintin_rq_put_relu(uint8_t *out, const int32_t *v, size_t n, int rs)
{
	const int32_t *end = v + n;
	uint32_t neg_sat = 0u;

	for (; v != end; v++, out++) {
		int32_t x = *v;

		if (x > 0) {
			*out = (uint8_t)((uint32_t)x >> rs);
		} else {
			*out = 0u;
			neg_sat += ((tintin_abs32(x) >> rs) == 255u) ? 1u : 0u;
		}
	}
	return neg_sat;
}

/* A tile of any other tensor: f = u >> 1 with the sign as one's complement, r = u & 1. */
static void tintin_rq_put_bits(struct tintin_rq *q, int8_t *out, const int32_t *v, size_t n,
			       int rs)
{
	uint8_t *bp = q->bits + (q->pos >> 3);
	unsigned int bit = q->pos & 7u;
	/* Keep the earlier tile's bits in a shared first byte. */
	unsigned int acc = (bit != 0u) ? (*bp & ((1u << bit) - 1u)) : 0u;

	for (size_t k = 0; k < n; k++) {
		uint32_t u = tintin_abs32(v[k]) >> rs;

		out[k] = (int8_t)((v[k] < 0) ? ~(u >> 1) : (u >> 1));
		acc |= (u & 1u) << bit;
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

void tintin_rq_put(struct tintin_rq *q, const int32_t *v, size_t n)
{
	int8_t *out = q->out + q->pos;
	uint32_t neg_sat = 0u;
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
	/* u = |v| >> (t - 1) <= 255 (|v| < 2^(t+7)); |v| itself when t = 0. */
	if (q->relu) {
		neg_sat = tintin_rq_put_relu((uint8_t *)out, v, n, (t == 0) ? 0 : t - 1);
	} else {
		tintin_rq_put_bits(q, out, v, n, (t == 0) ? 0 : t - 1);
	}
	/* Negatives can saturate only in the tiles at the tensor's shift. */
	if ((uint8_t)t > q->top || q->tiles == 1u) {
		q->neg_sat = neg_sat;
		q->top = (uint8_t)t;
	} else if ((uint8_t)t == q->top) {
		q->neg_sat += neg_sat;
	}
	q->pos += n;
}

/*
 * Final values of one tile with shift t: (u + 2^(sh-1)) >> sh, sh = top - t + 1, signed back.
 * A tile with t = 0 holds u = |v|: sh = top, and when top is 0 too, u is the value.
 */
static void tintin_rq_tile(struct tintin_rq *q, size_t at, size_t n, int t)
{
	int8_t *p = q->out + at;
	const int sh = q->top - ((t == 0) ? 1 : t) + 1;
	const uint32_t half = (sh > 0) ? 1u << (sh - 1) : 0u;
	uint32_t sat = 0u;

	if (q->relu) {
		for (uint8_t *u = (uint8_t *)p, *end = u + n; u != end; u++) {
			uint32_t m = (*u + half) >> sh;

			/* 255 at the tensor's shift: 127.5 rounds to 128. */
			if (m > 127u) {
				sat++;
				m = 127u;
			}
			*u = (uint8_t)m;
		}
	} else {
		const uint8_t *bp = q->bits + (at >> 3);
		unsigned int bit = at & 7u;

		for (size_t j = 0; j < n; j++) {
			int32_t c = p[j];
			uint32_t neg = (c < 0) ? ~0u : 0u;
			uint32_t u = (((uint32_t)c ^ neg) << 1) | ((*bp >> bit) & 1u);
			uint32_t m = (u + half) >> sh;

			if (m > 127u) {
				sat++;
				m = 127u;
			}
			p[j] = (int8_t)((m ^ neg) - neg);
			if (++bit == 8u) {
				bp++;
				bit = 0u;
			}
		}
	}
	*q->sat += sat;
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
			tintin_rq_tile(q, pos, n, q->shifts[t++]);
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
