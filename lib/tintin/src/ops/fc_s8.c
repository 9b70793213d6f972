/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <tintin/fixedpoint.h>
#include <tintin/ops.h>

#include "internal.h"

#if TINTIN_DSP
/*
 * Armv7E-M, one weight row against four samples: the weights are widened once per row and
 * used four times, the inputs once per block of four samples into ws, laid out per group of
 * eight inputs as [sample][x0x2, x1x3, x4x6, x5x7] (int16 lane pairs, as SXTB16 gives them),
 * then any group of four as [sample][x0x2, x1x3]. Per 32 inputs: 4 weight loads, 16 extends,
 * 32 input loads and 64 SMLADs for 128 MACs, about 0.92 instructions per MAC.
 */

/* Widens sample x's groups of eight into every fourth 16-byte slot of ws, from q. */
static void tintin_fc_widen_row(const int8_t *x, uint32_t groups, uint32_t *q)
{
	const uint32_t *qe = q + 16u * groups;
	uint32_t a, b, c, d;

	if (groups != 0u) {
		/* volatile: the stores through q are its only effect, with no output used. */
		__asm__ volatile("1:\n"
			"	ldr %[b], [%[x], #4]\n"
			"	ldr %[a], [%[x]], #8\n"
			"	sxtb16 %[c], %[a], ror #8\n"
			"	sxtb16 %[a], %[a]\n"
			"	sxtb16 %[d], %[b], ror #8\n"
			"	sxtb16 %[b], %[b]\n"
			"	strd %[b], %[d], [%[q], #8]\n"
			"	strd %[a], %[c], [%[q]], #64\n"
			"	cmp %[q], %[qe]\n"
			"	bne 1b\n"
			: [x] "+r"(x), [q] "+r"(q), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c),
			  [d] "=&r"(d)
			: [qe] "r"(qe)
			: "cc", "memory");
	}
}

static void tintin_fc_widen4(const int8_t *x, uint16_t in, uint32_t *ws)
{
	const uint32_t g8 = in / 8u;

	for (uint32_t s = 0; s < 4u; s++) {
		tintin_fc_widen_row(x + (size_t)s * in, g8, ws + 4u * s);
	}
	if ((in & 4u) != 0u) {
		ws += 16u * g8;
		for (uint32_t s = 0; s < 4u; s++) {
			const uint32_t a = tintin_load32(x + (size_t)s * in + 8u * g8);

			ws[0] = tintin_sxtb16(a);
			ws[1] = tintin_sxtb16_ror8(a);
			ws += 2;
		}
	}
}

/* Weights of one group of eight into wa..wd (w0w2, w1w3, w4w6, w5w7), then four samples. */
#define TINTIN_FC_GROUP(load)                                                                      \
	load "	sxtb16 %[wc], %[wa], ror #8\n"                                                        \
	     "	sxtb16 %[wa], %[wa]\n"                                                                \
	     "	sxtb16 %[wd], %[wb], ror #8\n"                                                        \
	     "	sxtb16 %[wb], %[wb]\n" TINTIN_FC_SAMPLE("s0") TINTIN_FC_SAMPLE("s1")                 \
		     TINTIN_FC_SAMPLE("s2") TINTIN_FC_SAMPLE("s3")
#define TINTIN_FC_SAMPLE(s)                                                                        \
	"	ldrd %[xa], %[xb], [%[xp]], #8\n"                                                    \
	"	smlad %[" s "], %[wa], %[xa], %[" s "]\n"                                             \
	"	smlad %[" s "], %[wc], %[xb], %[" s "]\n"                                             \
	"	ldrd %[xa], %[xb], [%[xp]], #8\n"                                                    \
	"	smlad %[" s "], %[wb], %[xa], %[" s "]\n"                                             \
	"	smlad %[" s "], %[wd], %[xb], %[" s "]\n"
/* LDRD needs a word-aligned row; two LDRs do not. */
#define TINTIN_FC_LDRD "	ldrd %[wa], %[wb], [%[wp]], #8\n"
#define TINTIN_FC_LDR2 "	ldr %[wb], [%[wp], #4]\n	ldr %[wa], [%[wp]], #8\n"
#define TINTIN_FC_LOOP(body)                                                                       \
	__asm__("1:\n" body "	cmp %[wp], %[we]\n"                                                  \
		"	bne 1b\n"                                                                     \
		: [wp] "+r"(wp), [xp] "+r"(xp), [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2),      \
		  [s3] "+r"(s3), [wa] "=&r"(wa), [wb] "=&r"(wb), [wc] "=&r"(wc), [wd] "=&r"(wd),  \
		  [xa] "=&r"(xa), [xb] "=&r"(xb)                                                   \
		: [we] "r"(we)                                                                     \
		: "cc", "memory")
#define TINTIN_FC_GROUP4(load)                                                                     \
	TINTIN_FC_GROUP(load) TINTIN_FC_GROUP(load) TINTIN_FC_GROUP(load) TINTIN_FC_GROUP(load)

/*
 * Rows whose length is a multiple of 32 and word-aligned, with every bias small enough to
 * start the sums (acc[o] holds it): only the unrolled loop, and after each row wp is already
 * at the next one.
 */
static void tintin_fc_rows_fast(const int8_t *w, const uint32_t *ws, uint16_t in, uint16_t out,
				int32_t *acc)
{
	const int8_t *wp = w;

	for (int32_t *ap = acc; ap != acc + out; ap++) {
		const int8_t *we = wp + in;
		const uint32_t *xp = ws;
		int32_t s0 = ap[0];
		int32_t s1 = s0;
		int32_t s2 = s0;
		int32_t s3 = s0;
		uint32_t wa, wb, wc, wd, xa, xb;

		TINTIN_FC_LOOP(TINTIN_FC_GROUP4(TINTIN_FC_LDRD));
		ap[0] = s0;
		ap[out] = s1;
		ap[2u * out] = s2;
		ap[3u * out] = s3;
	}
}

/* Any other rows: the unrolled loop, then single groups, a group of four and single bytes. */
static void tintin_fc_rows(const int8_t *x, const int8_t *w, const uint32_t *ws, uint16_t in,
			   uint16_t out, int32_t *acc, int fold)
{
	const uint32_t groups = in / 8u;
	const uint16_t tail = in & 7u;

	for (uint16_t o = 0; o < out; o++) {
		const int8_t *wr = w + (size_t)o * in;
		const int8_t *wp = wr;
		const int8_t *we = wr + 32u * (groups / 4u);
		const uint32_t *xp = ws;
		const int32_t b0 = acc[o];
		int32_t s0 = fold ? b0 : 0;
		int32_t s1 = s0;
		int32_t s2 = s0;
		int32_t s3 = s0;
		uint32_t wa, wb, wc, wd, xa, xb;

		if (wp != we) {
			TINTIN_FC_LOOP(TINTIN_FC_GROUP4(TINTIN_FC_LDR2));
		}
		we = wr + 8u * groups;
		if (wp != we) {
			TINTIN_FC_LOOP(TINTIN_FC_GROUP(TINTIN_FC_LDR2));
		}
		if (tail != 0u) {
			int32_t t[4] = {s0, s1, s2, s3};
			uint16_t k = in - tail;

			if ((tail & 4u) != 0u) {
				const uint32_t v = tintin_load32(wp);
				const uint32_t v02 = tintin_sxtb16(v);
				const uint32_t v13 = tintin_sxtb16_ror8(v);

				for (uint32_t r = 0; r < 4u; r++) {
					t[r] = tintin_smlad(v13, xp[1], tintin_smlad(v02, xp[0], t[r]));
					xp += 2;
				}
				k += 4u;
			}
			for (; k < in; k++) {
				for (uint16_t r = 0; r < 4u; r++) {
					t[r] += (int32_t)wr[k] * x[(size_t)r * in + k];
				}
			}
			s0 = t[0];
			s1 = t[1];
			s2 = t[2];
			s3 = t[3];
		}
		if (!fold) {
			s0 = tintin_add_sat32(s0, b0);
			s1 = tintin_add_sat32(s1, b0);
			s2 = tintin_add_sat32(s2, b0);
			s3 = tintin_add_sat32(s3, b0);
		}
		acc[o] = s0;
		acc[(size_t)out + o] = s1;
		acc[2u * out + o] = s2;
		acc[3u * out + o] = s3;
	}
}

/* Samples 0..3 (rows of x, in apart) of every output into acc (rows out apart). */
static void tintin_fc_block4(const int8_t *x, const int8_t *w, const int32_t *bias,
			     int bias_shift, uint16_t in, uint16_t out, int32_t *acc,
			     uint32_t *ws)
{
	/*
	 * |sum| <= 65535 * 2^14 < 2^30 - 2^14, so with |bias| <= 2^30 the sums can start at the
	 * bias and never overflow, and no saturating add is needed (the usual case: a bias
	 * shifted right by at least one bit is always that small).
	 */
	int fold = 1;

	for (uint16_t o = 0; o < out; o++) {
		const int32_t b0 = tintin_bias_at(bias, bias_shift, o);

		fold &= (b0 >= -(1 << 30)) && (b0 <= (1 << 30));
		acc[o] = b0;
	}
	tintin_fc_widen4(x, in, ws);
	if (fold && (in % 32u) == 0u && ((uintptr_t)w & 3u) == 0u) {
		tintin_fc_rows_fast(w, ws, in, out, acc);
	} else {
		tintin_fc_rows(x, w, ws, in, out, acc, fold);
	}
}
#endif

void tintin_fc_forward_s8(const int8_t *x, const int8_t *w, const int32_t *bias, int bias_shift,
			  uint16_t batch, uint16_t in, uint16_t out, int32_t *acc, int32_t *ws)
{
	uint16_t o = 0;
	uint16_t b_first = 0;

#if TINTIN_DSP
	if (ws != NULL && in >= 8u) {
		for (; b_first + 4u <= batch; b_first += 4u) {
			tintin_fc_block4(x + (size_t)b_first * in, w, bias, bias_shift, in, out,
					 acc + (size_t)b_first * out, (uint32_t *)ws);
		}
	}
#else
	(void)ws;
#endif
	/* Four rows at a time: one pass over each input row feeds four outputs. */
	for (; o + 4u <= out; o += 4u) {
		const int8_t *wr = w + (size_t)o * in;

		for (uint16_t b = b_first; b < batch; b++) {
			int32_t s[4];
			int32_t *ar = acc + (size_t)b * out + o;

			tintin_dot4_s8(x + (size_t)b * in, wr, in, in, s);
			for (uint16_t r = 0; r < 4u; r++) {
				int32_t b0 = tintin_bias_at(bias, bias_shift, o + r);

				ar[r] = tintin_add_sat32(s[r], b0);
			}
		}
	}
	for (; o < out; o++) {
		const int8_t *wr = w + (size_t)o * in;
		int32_t b0 = tintin_bias_at(bias, bias_shift, o);

		for (uint16_t b = b_first; b < batch; b++) {
			int32_t s = tintin_dot_s8(x + (size_t)b * in, wr, in);

			acc[(size_t)b * out + o] = tintin_add_sat32(s, b0);
		}
	}
}

void tintin_fc_backward_cols_s8(const int8_t *err, const int8_t *w, uint16_t in, uint16_t out,
				uint16_t i0, uint16_t n, int32_t *acc)
{
	uint16_t o = 0;

	w += i0;
	for (uint16_t i = 0; i < n; i++) {
		acc[i] = 0;
	}
	/* Four weight rows per pass over the accumulator row; all-zero errors skip. */
	for (; o + 4u <= out; o += 4u) {
		int32_t e[4] = {err[o], err[o + 1u], err[o + 2u], err[o + 3u]};

		if ((e[0] | e[1] | e[2] | e[3]) != 0) {
			tintin_axpy4_s8(e, w + (size_t)o * in, in, acc, n);
		}
	}
	for (; o < out; o++) {
		if (err[o] != 0) {
			tintin_axpy_s8(err[o], w + (size_t)o * in, acc, n);
		}
	}
}

void tintin_fc_backward_s8(const int8_t *err, const int8_t *w, uint16_t batch, uint16_t in,
			   uint16_t out, int32_t *acc)
{
	for (uint16_t b = 0; b < batch; b++) {
		tintin_fc_backward_cols_s8(err + (size_t)b * out, w, in, out, 0u, in,
					   acc + (size_t)b * in);
	}
}

void tintin_fc_grad_row_s8(const int8_t *err, const int8_t *x, uint16_t batch, uint16_t in,
			   uint16_t out, uint16_t o, int32_t *g)
{
	uint16_t b = 0;

	/* The first sample with a nonzero error writes the row (batch 1: no zeroing pass). */
	while (b < batch && err[(size_t)b * out + o] == 0) {
		b++;
	}
	if (b == batch) {
		for (uint16_t i = 0; i < in; i++) {
			g[i] = 0;
		}
		return;
	}
	tintin_scale_s8(err[(size_t)b * out + o], x + (size_t)b * in, g, in);
	b++;
	/* Four samples per pass over the gradient row; all-zero errors skip. */
	for (; b + 4u <= batch; b += 4u) {
		int32_t e[4];

		for (uint16_t r = 0; r < 4u; r++) {
			e[r] = err[(size_t)(b + r) * out + o];
		}
		if ((e[0] | e[1] | e[2] | e[3]) != 0) {
			tintin_axpy4_s8(e, x + (size_t)b * in, in, g, in);
		}
	}
	for (; b < batch; b++) {
		int32_t e = err[(size_t)b * out + o];

		if (e != 0) {
			tintin_axpy_s8(e, x + (size_t)b * in, g, in);
		}
	}
}

int32_t tintin_fc_grad_bias_s8(const int8_t *err, uint16_t batch, uint16_t out, uint16_t o)
{
	int32_t s = 0;

	for (uint16_t b = 0; b < batch; b++) {
		s += err[(size_t)b * out + o];
	}
	return s;
}
