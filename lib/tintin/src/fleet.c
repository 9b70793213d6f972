/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Fleet messages (tintin/fleet.h has the format): export writes a model's trained layers,
 * apply checks a whole message against the model before it writes any of it, so a message
 * is applied entirely or not at all.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <tintin/checkpoint.h>
#include <tintin/fleet.h>

#include "internal.h"
#include "le.h"

#define TINTIN_FLEET_HEAD 20u

/* Bytes of a layer's part: its 4-byte head, biases, weights, padding to 4. */
static size_t tintin_fleet_part(const struct tintin_layer_state *s, uint8_t what)
{
	size_t n = 4u;

	n += (what & TINTIN_PARAMS_BIASES) ? (size_t)s->rows * 4u : 0u;
	n += (what & TINTIN_PARAMS_WEIGHTS) ? (size_t)s->rows * s->row : 0u;
	return (n + 3u) & ~(size_t)3u;
}

static int tintin_fleet_ready(const struct tintin_model *m)
{
	int ret = tintin_check_ready(m);

	if (ret == 0 && (m->mode != TINTIN_MODE_TRAIN || m->desc->hash == 0u)) {
		TINTIN_LOG_ERR("tintin: fleet: the model must train and its table carry a hash");
		ret = -EINVAL;
	}
	return ret;
}

size_t tintin_fleet_bytes(const struct tintin_model *m)
{
	size_t n = TINTIN_FLEET_HEAD + 4u;

	if (m == NULL || m->desc == NULL || m->mode != TINTIN_MODE_TRAIN) {
		return 0u;
	}
	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		const uint8_t what = tintin_params_what(&m->layer[i]);

		n += what ? tintin_fleet_part(&m->layer[i], what) : 0u;
	}
	return n;
}

/* The header's fields (the CRC-32 is the caller's). */
static void tintin_fleet_put_head(uint8_t *buf, const struct tintin_model *m, uint8_t kind,
				  uint8_t layers, uint32_t round, uint32_t samples)
{
	tintin_put32(buf, TINTIN_FLEET_MAGIC);
	buf[4] = TINTIN_FLEET_VERSION;
	buf[5] = kind;
	buf[6] = layers;
	buf[7] = 0u;
	tintin_put32(buf + 8, m->desc->hash);
	tintin_put32(buf + 12, round);
	tintin_put32(buf + 16, samples);
}

/* Layer i's 4-byte head and its biases at p; returns where its weights go. */
static uint8_t *tintin_fleet_put_layer(uint8_t *p, uint8_t i, const struct tintin_layer_state *s,
				       uint8_t what)
{
	p[0] = i;
	p[1] = (uint8_t)s->w_exp;
	p[2] = what;
	p[3] = 0u;
	p += 4;
	for (uint16_t o = 0; (what & TINTIN_PARAMS_BIASES) && o < s->rows; o++, p += 4) {
		tintin_put32(p, (uint32_t)s->bias_ram[o]);
	}
	return p;
}

static void tintin_fleet_info_of(const uint8_t *msg, struct tintin_fleet_info *info)
{
	if (info != NULL) {
		info->round = tintin_get32(msg + 12);
		info->samples = tintin_get32(msg + 16);
		info->kind = msg[5];
	}
}

int tintin_fleet_export(const struct tintin_model *m, uint8_t kind, uint32_t round,
			uint32_t samples, uint8_t *buf, size_t cap, size_t *len)
{
	const size_t n = tintin_fleet_bytes(m);
	size_t pos = TINTIN_FLEET_HEAD;
	uint8_t layers = 0u;
	int ret = tintin_fleet_ready(m);

	if (ret != 0) {
		return ret;
	}
	if (buf == NULL || len == NULL || kind > TINTIN_FLEET_GLOBAL) {
		TINTIN_LOG_ERR("tintin: fleet: export needs buf and len and a known kind (%u)",
			       kind);
		return -EINVAL;
	}
	if (cap < n) {
		TINTIN_LOG_ERR("tintin: fleet: message of %u bytes, buffer of %u", (unsigned int)n,
			       (unsigned int)cap);
		return -ENOSPC;
	}
	memset(buf, 0, n);
	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		const struct tintin_layer_state *s = &m->layer[i];
		const uint8_t what = tintin_params_what(s);
		uint8_t *p;

		if (what == 0u) {
			continue;
		}
		p = tintin_fleet_put_layer(buf + pos, i, s, what);
		if (what & TINTIN_PARAMS_WEIGHTS) {
			memcpy(p, s->w_ram, (size_t)s->rows * s->row);
		}
		pos += tintin_fleet_part(s, what);
		layers++;
	}
	tintin_fleet_put_head(buf, m, kind, layers, round, samples);
	tintin_put32(buf + n - 4u, tintin_crc32(0u, buf, n - 4u));
	*len = n;
	return 0;
}

/* A message's CRC-32 (over its first len - 4 bytes) and table hash against m's. */
static int tintin_fleet_sealed(const struct tintin_model *m, const uint8_t *msg, size_t len)
{
	if (tintin_get32(msg + len - 4u) != tintin_crc32(0u, msg, len - 4u)) {
		TINTIN_LOG_ERR("tintin: fleet: CRC-32 mismatch (corrupt message)");
		return -EINVAL;
	}
	if (tintin_get32(msg + 8) != m->desc->hash) {
		TINTIN_LOG_ERR("tintin: fleet: message of table 0x%08x, model of 0x%08x",
			       (unsigned int)tintin_get32(msg + 8), (unsigned int)m->desc->hash);
		return -EINVAL;
	}
	return 0;
}

/* Layer i's 4-byte head at msg + pos: its index, parts and exponent window. */
static int tintin_fleet_layer_ok(const struct tintin_model *m, uint8_t i, uint8_t what,
				 const uint8_t *msg, size_t pos)
{
	const uint8_t *p = msg + pos;

	if (p[0] != i || p[2] != what || p[3] != 0u) {
		TINTIN_LOG_ERR("tintin: fleet: part at %u is not layer %u's", (unsigned int)pos, i);
		return -EINVAL;
	}
	return tintin_layer_state_ok(m->desc, i, (int8_t)p[1], m->layer[i].lr_off);
}

/* The whole message against m, nothing written: 0, -EINVAL or -ERANGE. */
static int tintin_fleet_check(const struct tintin_model *m, const uint8_t *msg, size_t len)
{
	const size_t n = tintin_fleet_bytes(m);
	size_t pos = TINTIN_FLEET_HEAD;
	uint8_t layers = 0u;
	int ret;

	if (len != n || tintin_get32(msg) != TINTIN_FLEET_MAGIC || msg[4] != TINTIN_FLEET_VERSION ||
	    msg[5] > TINTIN_FLEET_GLOBAL || msg[7] != 0u) {
		TINTIN_LOG_ERR(
			"tintin: fleet: %u bytes are not a message for this model (%u bytes, "
			"magic, version 1, kind)",
			(unsigned int)len, (unsigned int)n);
		return -EINVAL;
	}
	ret = tintin_fleet_sealed(m, msg, n);
	for (uint8_t i = 0; ret == 0 && i < m->desc->n_layers; i++) {
		const struct tintin_layer_state *s = &m->layer[i];
		const uint8_t what = tintin_params_what(s);

		if (what == 0u) {
			continue;
		}
		ret = tintin_fleet_layer_ok(m, i, what, msg, pos);
		pos += tintin_fleet_part(s, what);
		layers++;
	}
	if (ret != 0) {
		return ret;
	}
	if (msg[6] != layers) {
		TINTIN_LOG_ERR("tintin: fleet: message of %u layers, model trains %u", msg[6],
			       layers);
		return -EINVAL;
	}
	return 0;
}

int tintin_fleet_apply(struct tintin_model *m, const uint8_t *msg, size_t len,
		       struct tintin_fleet_info *info)
{
	size_t pos = TINTIN_FLEET_HEAD;
	int ret = tintin_fleet_ready(m);

	if (ret == 0 && msg == NULL) {
		TINTIN_LOG_ERR("tintin: fleet: NULL message");
		ret = -EINVAL;
	}
	if (ret == 0) {
		ret = tintin_fleet_check(m, msg, len);
	}
	if (ret != 0) {
		return ret;
	}
	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		struct tintin_layer_state *s = &m->layer[i];
		const uint8_t what = tintin_params_what(s);
		const uint8_t *p = msg + pos;

		if (what == 0u) {
			continue;
		}
		s->w_exp = (int8_t)p[1];
		p += 4;
		for (uint16_t o = 0; (what & TINTIN_PARAMS_BIASES) && o < s->rows; o++, p += 4) {
			s->bias_ram[o] = (int32_t)tintin_get32(p);
		}
		if (what & TINTIN_PARAMS_WEIGHTS) {
			memcpy(s->w_ram, p, (size_t)s->rows * s->row);
		}
		tintin_params_restart(s);
		pos += tintin_fleet_part(s, what);
	}
	tintin_fleet_info_of(msg, info);
	return 0;
}

/* Input q of a gateway's round: the k updates, then the momentum's last and before. */
static const uint8_t *tintin_fleet_nth(const uint8_t *const *msgs, uint16_t k,
				       const struct tintin_fleet_momentum *mom, int q)
{
	return (q < k) ? msgs[q] : ((q == k) ? mom->last : mom->before);
}

/*
 * What tintin_fedavg_combine would refuse, for every layer before any is written: copies
 * further apart than TINTIN_FEDAVG_MAX_SPREAD less the extra bits of the shares.
 */
static int tintin_fleet_mergeable(const struct tintin_model *m, const uint8_t *const *msgs,
				  uint16_t k, const struct tintin_fleet_momentum *mom, int n,
				  int extra)
{
	size_t pos = TINTIN_FLEET_HEAD;

	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		const uint8_t what = tintin_params_what(&m->layer[i]);
		int lo = INT8_MAX;
		int hi = INT8_MIN;

		if (what == 0u) {
			continue;
		}
		for (int q = 0; q < n; q++) {
			const int e = (int8_t)tintin_fleet_nth(msgs, k, mom, q)[pos + 1u];

			lo = (e < lo) ? e : lo;
			hi = (e > hi) ? e : hi;
		}
		if (hi - lo > TINTIN_FEDAVG_MAX_SPREAD - extra) {
			TINTIN_LOG_ERR("tintin: fleet: layer %u's copies at exponents %d..%d", i,
				       lo, hi);
			return -ERANGE;
		}
		pos += tintin_fleet_part(&m->layer[i], what);
	}
	return 0;
}

/* A message the gateway may average: present, aligned, m's (0, -EINVAL or -ERANGE). */
static int tintin_fleet_input(const struct tintin_model *m, const uint8_t *msg, size_t len,
			      unsigned int q)
{
	if (msg == NULL || ((uintptr_t)msg & 3u) != 0u) {
		TINTIN_LOG_ERR("tintin: fleet: message %u is NULL or not 4-byte aligned", q);
		return -EINVAL;
	}
	return tintin_fleet_check(m, msg, len);
}

/*
 * The k updates, then with momentum the last two global models, checked; their shares of
 * 2^16 (then beta, -beta) in shares[]. Returns how many inputs, or -errno.
 */
static int tintin_fleet_inputs(const struct tintin_model *m, const uint8_t *const *msgs,
			       const size_t *lens, uint16_t k,
			       const struct tintin_fleet_momentum *mom,
			       struct tintin_fedavg_part *parts, int32_t *shares)
{
	const int with_mom = (mom != NULL && mom->beta != 0u);
	int ret = 0;

	for (uint16_t q = 0; ret == 0 && q < k; q++) {
		ret = tintin_fleet_input(m, msgs[q], lens[q], q);
		parts[q].samples = (ret == 0) ? tintin_get32(msgs[q] + 16) : 0u;
	}
	for (int q = k; ret == 0 && with_mom && q < k + 2; q++) {
		const uint8_t *g = tintin_fleet_nth(msgs, k, mom, q);

		ret = tintin_fleet_input(m, g, tintin_fleet_bytes(m), (unsigned int)q);
		if (ret == 0 && g[5] != TINTIN_FLEET_GLOBAL) {
			TINTIN_LOG_ERR("tintin: fleet: momentum needs the last two global models");
			ret = -EINVAL;
		}
	}
	ret = (ret == 0) ? tintin_fedavg_shares(parts, k, shares) : ret;
	if (ret == 0 && with_mom) {
		shares[k] = (int32_t)mom->beta;
		shares[k + 1] = -(int32_t)mom->beta;
	}
	return (ret == 0) ? k + (with_mom ? 2 : 0) : ret;
}

int tintin_fleet_aggregate(struct tintin_model *m, const uint8_t *const *msgs, const size_t *lens,
			   uint16_t k, const struct tintin_fleet_momentum *mom,
			   const struct tintin_prng *r, struct tintin_fedavg_part *parts,
			   int32_t *shares)
{
	struct tintin_prng draw;
	size_t pos = TINTIN_FLEET_HEAD;
	uint64_t total = 0u;
	int ret = tintin_fleet_ready(m);
	int extra;
	int n;

	if (ret == 0 &&
	    (msgs == NULL || lens == NULL || k == 0u || r == NULL || parts == NULL ||
	     shares == NULL || (mom != NULL && mom->beta != 0u && k > UINT16_MAX - 2u))) {
		TINTIN_LOG_ERR("tintin: fleet: aggregate needs messages, their lengths, a stream "
			       "and scratch");
		ret = -EINVAL;
	}
	n = (ret == 0) ? tintin_fleet_inputs(m, msgs, lens, k, mom, parts, shares) : ret;
	if (n < 0) {
		return n;
	}
	for (int q = 0; q < n; q++) {
		total += (uint64_t)((shares[q] < 0) ? -(int64_t)shares[q] : shares[q]);
	}
	extra = tintin_fedavg_extra_bits(total); /* at most 2: beta < 2^16 */
	ret = tintin_fleet_mergeable(m, msgs, k, mom, n, extra);
	if (ret != 0) {
		return ret;
	}
	draw = *r;
	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		struct tintin_layer_state *s = &m->layer[i];
		const uint8_t what = tintin_params_what(s);
		const uint32_t n_w =
			(what & TINTIN_PARAMS_WEIGHTS) ? (uint32_t)s->rows * s->row : 0u;
		const uint16_t rows = (what & TINTIN_PARAMS_BIASES) ? s->rows : 0u;
		int8_t w_exp;

		if (what == 0u) {
			continue;
		}
		for (int q = 0; q < n; q++) {
			const uint8_t *p = tintin_fleet_nth(msgs, k, mom, q) + pos;

			parts[q].w_exp = (int8_t)p[1];
			parts[q].bias = rows ? p + 4 : NULL;
			parts[q].w = n_w ? (const int8_t *)(p + 4 + 4u * rows) : NULL;
		}
		/* Checked above, and the top is the layer's window: this cannot fail, so no
		 * layer is left half-averaged.
		 */
		(void)tintin_fedavg_combine(parts, (uint16_t)n, shares, n_w, rows,
					    tintin_w_exp_bound(&m->desc->layers[i], 1), &draw,
					    s->w_ram, rows ? s->bias_ram : NULL, &w_exp);
		s->w_exp = w_exp;
		tintin_params_restart(s);
		tintin_prng_advance(&draw, n_w + rows);
		pos += tintin_fleet_part(s, what);
	}
	return 0;
}

/* --- Sparse updates: the top-k changed weights against the global model --------------- */

#define TINTIN_FLEET_SPARSE_HEAD (TINTIN_FLEET_HEAD + 4u)
#define TINTIN_FLEET_VARINT_MAX  5u

/* Base's weight wb at exponent eb re-expressed at e: shifted up and saturated, or rounded
 * half up (floor((wb + 2^(s-1)) / 2^s)) when e is coarser. Windows keep |e - eb| <= 16.
 */
static int8_t tintin_fleet_rebase(int8_t wb, int eb, int e)
{
	int32_t v;

	if (eb >= e) {
		v = (int32_t)wb * ((int32_t)1 << (eb - e));
	} else {
		const int s = e - eb;
		const int32_t x = (int32_t)wb + ((int32_t)1 << (s - 1));

		/* Floor on magnitudes: no signed right shift. */
		v = (x >= 0) ? (int32_t)((uint32_t)x >> s)
			     : -(int32_t)(((uint32_t)-x + ((1u << s) - 1u)) >> s);
	}
	return (int8_t)((v > 127) ? 127 : ((v < -127) ? -127 : v));
}

/* |w - rebase(wb)| for one weight: 0..254. */
static int tintin_fleet_change(int8_t w, int8_t wb, int eb, int e)
{
	const int d = (int)w - (int)tintin_fleet_rebase(wb, eb, e);

	return (d < 0) ? -d : d;
}

/* Weights of a layer that changed by at least t. */
static uint32_t tintin_fleet_at_least(const int8_t *w, const int8_t *wb, uint32_t n, int eb, int e,
				      int t)
{
	uint32_t c = 0u;

	for (uint32_t j = 0; j < n; j++) {
		c += (tintin_fleet_change(w[j], wb[j], eb, e) >= t) ? 1u : 0u;
	}
	return c;
}

/* LEB128 of v at buf[*pos], within cap; 0 or -ENOSPC. */
static int tintin_fleet_put_varint(uint8_t *buf, size_t cap, size_t *pos, uint32_t v)
{
	do {
		if (*pos >= cap) {
			return -ENOSPC;
		}
		buf[(*pos)++] = (uint8_t)((v & 0x7fu) | ((v > 0x7fu) ? 0x80u : 0u));
		v >>= 7;
	} while (v != 0u);
	return 0;
}

/* A global model of m's table: checked as tintin_fleet_apply checks, and of kind GLOBAL. */
static int tintin_fleet_base_ok(const struct tintin_model *m, const uint8_t *base, size_t len)
{
	int ret = (base == NULL) ? -EINVAL : tintin_fleet_check(m, base, len);

	if (ret == 0 && base[5] != TINTIN_FLEET_GLOBAL) {
		TINTIN_LOG_ERR("tintin: fleet: a sparse update is against a global model");
		ret = -EINVAL;
	}
	if (base == NULL) {
		TINTIN_LOG_ERR("tintin: fleet: NULL global model");
	}
	return ret;
}

/* Trained weights of m in all. */
static uint64_t tintin_fleet_all_weights(const struct tintin_model *m)
{
	uint64_t n = 0u;

	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		const struct tintin_layer_state *s = &m->layer[i];

		n += (tintin_params_what(s) & TINTIN_PARAMS_WEIGHTS) ? (uint64_t)s->rows * s->row
								     : 0u;
	}
	return n;
}

/* One layer's entries at buf[*pos]: u32 count, then (gap, weight) for the weights chosen. */
static int tintin_fleet_put_entries(const struct tintin_layer_state *s, const uint8_t *bp,
				    uint32_t k, uint8_t *buf, size_t cap, size_t *pos)
{
	const uint32_t n = (uint32_t)s->rows * s->row;
	const int8_t *wb = (const int8_t *)(bp + 4u + 4u * s->rows);
	const int eb = (int8_t)bp[1];
	const size_t at = *pos;
	uint32_t lo = 1u;
	uint32_t hi = 255u;
	uint32_t taken = 0u;
	uint32_t ties;
	uint32_t prev = 0u;

	/* The smallest change t with at most k weights changed by t or more. */
	while (lo < hi) {
		const uint32_t mid = (lo + hi) / 2u;

		if (tintin_fleet_at_least(s->w_ram, wb, n, eb, s->w_exp, (int)mid) <= k) {
			hi = mid;
		} else {
			lo = mid + 1u;
		}
	}
	/* Room left for the changes of exactly lo - 1, lowest indices first. */
	ties = (lo > 1u) ? k - tintin_fleet_at_least(s->w_ram, wb, n, eb, s->w_exp, (int)lo) : 0u;
	if (cap < at + 4u) {
		return -ENOSPC;
	}
	*pos += 4u;
	for (uint32_t j = 0; j < n; j++) {
		const int c = tintin_fleet_change(s->w_ram[j], wb[j], eb, s->w_exp);
		int ret;

		if (c < (int)lo && !(c == (int)lo - 1 && c > 0 && ties > 0u)) {
			continue;
		}
		ties -= (c < (int)lo) ? 1u : 0u;
		ret = tintin_fleet_put_varint(buf, cap, pos, (taken == 0u) ? j : j - prev - 1u);
		if (ret != 0 || *pos >= cap) {
			return -ENOSPC;
		}
		buf[(*pos)++] = (uint8_t)s->w_ram[j];
		prev = j;
		taken++;
	}
	tintin_put32(buf + at, taken);
	return 0;
}

int tintin_fleet_export_sparse(const struct tintin_model *m, const uint8_t *base, size_t base_len,
			       uint32_t round, uint32_t samples, uint32_t k, uint8_t *buf,
			       size_t cap, size_t *len)
{
	size_t pos = TINTIN_FLEET_SPARSE_HEAD;
	size_t bpos = TINTIN_FLEET_HEAD;
	uint8_t layers = 0u;
	uint64_t all;
	int ret = tintin_fleet_ready(m);

	if (ret == 0 && (buf == NULL || len == NULL)) {
		TINTIN_LOG_ERR("tintin: fleet: export needs buf and len");
		ret = -EINVAL;
	}
	ret = (ret == 0) ? tintin_fleet_base_ok(m, base, base_len) : ret;
	if (ret != 0) {
		return ret;
	}
	all = tintin_fleet_all_weights(m);
	for (uint8_t i = 0; ret == 0 && i < m->desc->n_layers; i++) {
		const struct tintin_layer_state *s = &m->layer[i];
		const uint8_t what = tintin_params_what(s);
		const uint64_t n_w = (uint64_t)s->rows * s->row;

		if (what == 0u) {
			continue;
		}
		if (cap < pos + 4u + ((what & TINTIN_PARAMS_BIASES) ? 4u * s->rows : 0u)) {
			ret = -ENOSPC;
			break;
		}
		pos = (size_t)(tintin_fleet_put_layer(buf + pos, i, s, what) - buf);
		if (what & TINTIN_PARAMS_WEIGHTS) {
			/* ceil(k n_i / N), at most the layer's weights (k < N keeps k n_i in 64
			 * bits for any model an arena can hold)
			 */
			uint64_t k_i = (k >= all) ? n_w : ((uint64_t)k * n_w + all - 1u) / all;

			k_i = (k_i > n_w) ? n_w : k_i;
			ret = tintin_fleet_put_entries(s, base + bpos, (uint32_t)k_i, buf, cap,
						       &pos);
		}
		while (ret == 0 && (pos & 3u) != 0u) {
			if (pos >= cap) {
				ret = -ENOSPC;
			} else {
				buf[pos++] = 0u;
			}
		}
		bpos += tintin_fleet_part(s, what);
		layers++;
	}
	if (ret == 0 && cap < pos + 4u) {
		ret = -ENOSPC;
	}
	if (ret != 0) {
		TINTIN_LOG_ERR("tintin: fleet: sparse message over the buffer of %u bytes",
			       (unsigned int)cap);
		return ret;
	}
	tintin_fleet_put_head(buf, m, TINTIN_FLEET_SPARSE, layers, round, samples);
	tintin_put32(buf + 20, tintin_get32(base + base_len - 4u));
	tintin_put32(buf + pos, tintin_crc32(0u, buf, pos));
	*len = pos + 4u;
	return 0;
}

/* LEB128 at msg[*pos] before end, at most 5 bytes and 32 bits; 0 or -EINVAL. */
static int tintin_fleet_get_varint(const uint8_t *msg, size_t end, size_t *pos, uint32_t *v)
{
	uint64_t x = 0u;

	for (unsigned int b = 0; b < TINTIN_FLEET_VARINT_MAX && *pos < end; b++) {
		const uint8_t c = msg[(*pos)++];

		x |= (uint64_t)(c & 0x7fu) << (7u * b);
		if ((c & 0x80u) == 0u) {
			*v = (uint32_t)x;
			return (x > UINT32_MAX) ? -EINVAL : 0;
		}
	}
	return -EINVAL;
}

/*
 * One layer's entries at msg[*pos]: checked (indices increasing below n, weights within
 * +-127) and, when w is not NULL, written over w. 0 or -EINVAL.
 */
static int tintin_fleet_get_entries(const uint8_t *msg, size_t end, size_t *pos, uint32_t n,
				    int8_t *w)
{
	uint32_t count;
	uint32_t next = 0u;

	if (end - *pos < 4u) {
		return -EINVAL;
	}
	count = tintin_get32(msg + *pos);
	*pos += 4u;
	if (count > n) {
		return -EINVAL;
	}
	for (uint32_t q = 0; q < count; q++) {
		uint32_t gap;

		if (tintin_fleet_get_varint(msg, end, pos, &gap) != 0 || *pos >= end ||
		    gap >= n - next || (int8_t)msg[*pos] == INT8_MIN) {
			return -EINVAL;
		}
		next += gap;
		if (w != NULL) {
			w[next] = (int8_t)msg[*pos];
		}
		(*pos)++;
		next++;
	}
	return 0;
}

/*
 * Walk a sparse message against base: checked throughout, and written into m when write is
 * set (only after a walk without it passed). 0, -EINVAL or -ERANGE.
 */
static int tintin_fleet_sparse_walk(struct tintin_model *m, const uint8_t *base, const uint8_t *msg,
				    size_t len, int write)
{
	const size_t end = len - 4u;
	size_t pos = TINTIN_FLEET_SPARSE_HEAD;
	size_t bpos = TINTIN_FLEET_HEAD;
	uint8_t layers = 0u;

	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		struct tintin_layer_state *s = &m->layer[i];
		const uint8_t what = tintin_params_what(s);
		const uint8_t *bp = base + bpos;
		const uint32_t n = (uint32_t)s->rows * s->row;
		int e;
		int ret;

		if (what == 0u) {
			continue;
		}
		if (end - pos < 4u) {
			TINTIN_LOG_ERR("tintin: fleet: sparse message truncated at layer %u", i);
			return -EINVAL;
		}
		ret = tintin_fleet_layer_ok(m, i, what, msg, pos);
		if (ret != 0) {
			return ret;
		}
		e = (int8_t)msg[pos + 1u];
		pos += 4u;
		if ((what & TINTIN_PARAMS_BIASES) && end - pos < 4u * (size_t)s->rows) {
			TINTIN_LOG_ERR("tintin: fleet: sparse message truncated in layer %u", i);
			return -EINVAL;
		}
		for (uint16_t o = 0; (what & TINTIN_PARAMS_BIASES) && o < s->rows; o++, pos += 4u) {
			if (write) {
				s->bias_ram[o] = (int32_t)tintin_get32(msg + pos);
			}
		}
		if (what & TINTIN_PARAMS_WEIGHTS) {
			const int8_t *wb = (const int8_t *)(bp + 4u + 4u * s->rows);

			for (uint32_t j = 0; write && j < n; j++) {
				s->w_ram[j] = tintin_fleet_rebase(wb[j], (int8_t)bp[1], e);
			}
			if (tintin_fleet_get_entries(msg, end, &pos, n, write ? s->w_ram : NULL) !=
			    0) {
				TINTIN_LOG_ERR("tintin: fleet: sparse entries of layer %u are "
					       "truncated, out of order or out of range",
					       i);
				return -EINVAL;
			}
		}
		for (; (pos & 3u) != 0u; pos++) {
			if (pos >= end || msg[pos] != 0u) {
				TINTIN_LOG_ERR("tintin: fleet: sparse layer %u's padding", i);
				return -EINVAL;
			}
		}
		if (write) {
			s->w_exp = (int8_t)e;
			tintin_params_restart(s);
		}
		bpos += tintin_fleet_part(s, what);
		layers++;
	}
	if (pos != end || msg[6] != layers) {
		TINTIN_LOG_ERR("tintin: fleet: sparse message of %u bytes for %u layers, not %u",
			       (unsigned int)len, msg[6], layers);
		return -EINVAL;
	}
	return 0;
}

int tintin_fleet_apply_sparse(struct tintin_model *m, const uint8_t *base, size_t base_len,
			      const uint8_t *msg, size_t len, struct tintin_fleet_info *info)
{
	int ret = tintin_fleet_ready(m);

	ret = (ret == 0) ? tintin_fleet_base_ok(m, base, base_len) : ret;
	if (ret == 0 &&
	    (msg == NULL || len < TINTIN_FLEET_SPARSE_HEAD + 4u ||
	     tintin_get32(msg) != TINTIN_FLEET_MAGIC || msg[4] != TINTIN_FLEET_VERSION ||
	     msg[5] != TINTIN_FLEET_SPARSE || msg[7] != 0u)) {
		TINTIN_LOG_ERR("tintin: fleet: %u bytes are not a sparse update (magic, version 1, "
			       "kind 2)",
			       (unsigned int)len);
		ret = -EINVAL;
	}
	ret = (ret == 0) ? tintin_fleet_sealed(m, msg, len) : ret;
	if (ret == 0 && tintin_get32(msg + 20) != tintin_get32(base + base_len - 4u)) {
		TINTIN_LOG_ERR("tintin: fleet: sparse update against another global model");
		ret = -EINVAL;
	}
	ret = (ret == 0) ? tintin_fleet_sparse_walk(m, base, msg, len, 0) : ret;
	if (ret != 0) {
		return ret;
	}
	(void)tintin_fleet_sparse_walk(m, base, msg, len, 1);
	tintin_fleet_info_of(msg, info);
	return 0;
}
