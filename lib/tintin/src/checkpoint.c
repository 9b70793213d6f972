/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <errno.h>
#include <string.h>

#include <tintin/checkpoint.h>

#include "checked.h"
#include "fnv.h"
#include "internal.h"
#include "le.h"

/* CRC-32, reflected polynomial 0xEDB88320, four bits at a time: a 64-byte table. */
static const uint32_t tintin_crc_nibble[16] = {
	0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
	0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
	0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
};

uint32_t tintin_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	for (size_t k = 0; k < len; k++) {
		crc ^= p[k];
		crc = (crc >> 4) ^ tintin_crc_nibble[crc & 15u];
		crc = (crc >> 4) ^ tintin_crc_nibble[crc & 15u];
	}
	return ~crc;
}

uint32_t tintin_checkpoint_model_hash(const struct tintin_model_desc *d)
{
	const struct tintin_optim_cfg *o = &d->optim;
	uint32_t h = TINTIN_FNV_BASIS;

	h = tintin_fnv_u32(h, TINTIN_CKPT_VERSION, 4);
	/* The whole table, not only its layout: a checkpoint trained on top of other frozen
	 * weights, initial weights or seed does not belong to this model.
	 */
	h = tintin_fnv_u32(h, tintin_model_desc_hash(d), 4);
	h = tintin_fnv_u32(h, d->n_layers | ((uint32_t)d->loss << 8) | ((uint32_t)d->max_batch << 16),
			   4);
	h = tintin_fnv_u32(h, d->input.h | ((uint32_t)d->input.w << 16), 4);
	h = tintin_fnv_u32(h, d->input.c, 4);
	h = tintin_fnv_u32(h, o->rule | ((uint32_t)o->lr_shift << 8) | ((uint32_t)o->lr_mult << 16) |
				  ((uint32_t)o->mu << 24), 4);
	h = tintin_fnv_u32(h, o->momentum_shift | ((uint32_t)o->upscale_bits << 8) |
				  ((uint32_t)o->rounding << 16) | ((uint32_t)o->upscale_scope << 24),
			   4);
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];

		h = tintin_fnv_u32(h, l->type | ((uint32_t)l->train << 8) | ((uint32_t)l->units << 16),
				   4);
		h = tintin_fnv_u32(h, l->kernel_h | ((uint32_t)l->kernel_w << 8) |
					  ((uint32_t)l->stride << 16) | ((uint32_t)l->pad << 24), 4);
		h = tintin_fnv_u32(h, (uint8_t)l->w_exp, 4);
	}
	return h;
}

/* A piece of payload that is not opaque bytes: layer i's weight exponent and rate back-off,
 * which a restore checks before anything loads.
 */
#define TINTIN_PIECE_BYTES (-1)

/*
 * The payload, in order: per layer the trained arrays that exist, then the PRNG and the
 * counters. fn sees each piece (layer: TINTIN_PIECE_BYTES, or the layer whose state the two
 * bytes w_exp, lr_off are); a nonzero return stops the walk and is returned. Only a walk
 * with load set writes the model.
 */
typedef int (*tintin_ckpt_fn)(void *arg, uint8_t *p, size_t n, int layer);

static int tintin_ckpt_walk(struct tintin_model *m, tintin_ckpt_fn fn, void *arg, int load)
{
	int ret = 0;

	for (uint8_t i = 0; i < m->desc->n_layers && ret == 0; i++) {
		struct tintin_layer_state *s = &m->layer[i];
		const size_t n_w = tintin_size_mul(s->rows, s->row);
		const size_t mom_el = (s->w_lo != NULL) ? sizeof(int16_t) : 1u;
		const size_t n_b = tintin_size_mul(s->rows, sizeof(int32_t));

		if (s->w_ram != NULL) {
			ret = fn(arg, (uint8_t *)s->w_ram, n_w, TINTIN_PIECE_BYTES);
		}
		if (ret == 0 && s->w_lo != NULL) {
			ret = fn(arg, (uint8_t *)s->w_lo, n_w, TINTIN_PIECE_BYTES);
		}
		if (ret == 0 && s->w_mom != NULL) {
			ret = fn(arg, (uint8_t *)s->w_mom, tintin_size_mul(n_w, mom_el),
				 TINTIN_PIECE_BYTES);
		}
		if (ret == 0 && s->bias_ram != NULL) {
			ret = fn(arg, (uint8_t *)s->bias_ram, n_b, TINTIN_PIECE_BYTES);
		}
		if (ret == 0 && s->b_mom != NULL) {
			ret = fn(arg, (uint8_t *)s->b_mom, n_b, TINTIN_PIECE_BYTES);
		}
		if (ret == 0 && s->w_ram != NULL) {
			/* Training moves both: the weight grid and the layer's rate back-off. */
			uint8_t st[2] = {(uint8_t)s->w_exp, s->lr_off};

			ret = fn(arg, st, sizeof(st), i);
			if (ret == 0 && load) {
				s->w_exp = (int8_t)st[0];
				s->lr_off = st[1];
			}
		}
	}
	if (ret == 0) {
		ret = fn(arg, (uint8_t *)&m->prng, sizeof(m->prng), TINTIN_PIECE_BYTES);
	}
	if (ret == 0) {
		ret = fn(arg, (uint8_t *)&m->stats, sizeof(m->stats), TINTIN_PIECE_BYTES);
	}
	return ret;
}

static int tintin_ckpt_count(void *arg, uint8_t *p, size_t n, int layer)
{
	(void)p;
	(void)layer;
	*(size_t *)arg += n;
	return 0;
}

static size_t tintin_ckpt_payload(const struct tintin_model *m)
{
	size_t n = 0u;

	/* The walk only reads the model here. */
	(void)tintin_ckpt_walk((struct tintin_model *)(uintptr_t)m, tintin_ckpt_count, &n, 0);
	return n;
}

/*
 * Every storage call goes through here: a failure gets its log line, and a positive return
 * (drivers that return a byte count) is a broken contract, not a success or a slot verdict.
 */
static int tintin_st_ret(int ret, const char *what, uint32_t off)
{
	if (ret > 0) {
		TINTIN_LOG_ERR("tintin: checkpoint: storage %s at %u returned %d; callbacks must "
			       "return 0 or a negative errno",
			       what, (unsigned int)off, ret);
		return -EIO;
	}
	if (ret < 0) {
		TINTIN_LOG_ERR("tintin: checkpoint: storage %s at %u failed (%d)", what,
			       (unsigned int)off, ret);
	}
	return ret;
}

static int tintin_st_read(const struct tintin_storage *st, uint32_t off, void *buf, size_t n)
{
	return tintin_st_ret(st->read(st->ctx, off, buf, n), "read", off);
}

static int tintin_st_write(const struct tintin_storage *st, uint32_t off, const void *buf,
			   size_t n)
{
	return tintin_st_ret(st->write(st->ctx, off, buf, n), "write", off);
}

size_t tintin_checkpoint_bytes(const struct tintin_model *m)
{
	if (m == NULL || m->desc == NULL) {
		return 0u;
	}
	return TINTIN_CKPT_PAYLOAD_OFFSET + tintin_ckpt_payload(m);
}

struct tintin_ckpt_header {
	uint32_t magic;
	uint16_t version;
	uint16_t header_bytes;
	uint32_t seq;
	uint32_t model_hash;
	uint32_t payload_bytes;
	uint32_t payload_crc;
	uint32_t reserved;
	uint32_t header_crc;
};

static void tintin_header_encode(const struct tintin_ckpt_header *h, uint8_t *b)
{
	tintin_put32(b, h->magic);
	tintin_put32(b + 4, (uint32_t)h->version | ((uint32_t)h->header_bytes << 16));
	tintin_put32(b + 8, h->seq);
	tintin_put32(b + 12, h->model_hash);
	tintin_put32(b + 16, h->payload_bytes);
	tintin_put32(b + 20, h->payload_crc);
	tintin_put32(b + 24, h->reserved);
	tintin_put32(b + 28, tintin_crc32(0u, b, 28u));
}

static void tintin_header_decode(const uint8_t *b, struct tintin_ckpt_header *h)
{
	uint32_t vh = tintin_get32(b + 4);

	h->magic = tintin_get32(b);
	h->version = (uint16_t)vh;
	h->header_bytes = (uint16_t)(vh >> 16);
	h->seq = tintin_get32(b + 8);
	h->model_hash = tintin_get32(b + 12);
	h->payload_bytes = tintin_get32(b + 16);
	h->payload_crc = tintin_get32(b + 20);
	h->reserved = tintin_get32(b + 24);
	h->header_crc = tintin_get32(b + 28);
}

/* Why a slot was not taken, for the log line of a failed restore. */
enum tintin_ckpt_verdict {
	TINTIN_CKPT_OK = 0,
	TINTIN_CKPT_NO_MAGIC,
	TINTIN_CKPT_BAD_VERSION,
	TINTIN_CKPT_BAD_HEADER_CRC,
	TINTIN_CKPT_OTHER_MODEL,
	TINTIN_CKPT_BAD_SIZE,
	TINTIN_CKPT_BAD_PAYLOAD_CRC,
	TINTIN_CKPT_BAD_STATE,
	TINTIN_CKPT_VERDICTS,
};

static const char *tintin_ckpt_why(int verdict)
{
	static const char *const why[TINTIN_CKPT_VERDICTS] = {
		"valid", "no checkpoint (magic)", "unknown format version", "header CRC mismatch",
		"another model or table", "payload size mismatch", "payload CRC mismatch",
		"exponent or back-off out of range",
	};

	return (verdict >= 0 && verdict < TINTIN_CKPT_VERDICTS) ? why[verdict] : "read error";
}

/* Reads a slot's payload without loading it: its CRC, and each layer's exponent and
 * back-off checked as a restore would load them.
 */
struct tintin_ckpt_verifier {
	const struct tintin_storage *st;
	const struct tintin_model_desc *d;
	uint32_t off;
	uint32_t crc;
	int state_ok;
};

static int tintin_ckpt_verify(void *arg, uint8_t *p, size_t n, int layer)
{
	struct tintin_ckpt_verifier *v = arg;
	uint8_t b[32];

	(void)p;
	for (size_t done = 0; done < n;) {
		size_t k = (n - done < sizeof(b)) ? n - done : sizeof(b);
		int ret = tintin_st_read(v->st, v->off, b, k);

		if (ret != 0) {
			return ret;
		}
		v->crc = tintin_crc32(v->crc, b, k);
		v->off += (uint32_t)k;
		done += k;
	}
	/* A state piece is two bytes, so b holds it whole. Keep reading: the CRC decides
	 * whether this is corruption or a slot written with a bad state.
	 */
	if (layer != TINTIN_PIECE_BYTES && v->state_ok &&
	    tintin_layer_state_ok(v->d, (uint8_t)layer, (int8_t)b[0], b[1]) != 0) {
		v->state_ok = 0;
	}
	return 0;
}

static uint32_t tintin_slot_base(const struct tintin_storage *st, uint8_t slot)
{
	return (uint32_t)slot * st->slot_size;
}

/* Reads and checks one slot's header and payload CRC. Returns a verdict (>= 0) or errno. */
static int tintin_ckpt_check(const struct tintin_model *m, const struct tintin_storage *st,
			     uint8_t slot, struct tintin_ckpt_header *h)
{
	const uint32_t base = tintin_slot_base(st, slot);
	const size_t want = tintin_ckpt_payload(m);
	uint8_t b[TINTIN_CKPT_HEADER_BYTES];
	struct tintin_ckpt_verifier v;
	int ret = tintin_st_read(st, base, b, sizeof(b));

	if (ret != 0) {
		return ret;
	}
	tintin_header_decode(b, h);
	if (h->magic != TINTIN_CKPT_MAGIC) {
		return TINTIN_CKPT_NO_MAGIC;
	}
	if (h->version != TINTIN_CKPT_VERSION || h->header_bytes != TINTIN_CKPT_HEADER_BYTES) {
		return TINTIN_CKPT_BAD_VERSION;
	}
	if (h->header_crc != tintin_crc32(0u, b, 28u)) {
		return TINTIN_CKPT_BAD_HEADER_CRC;
	}
	if (h->model_hash != tintin_checkpoint_model_hash(m->desc)) {
		return TINTIN_CKPT_OTHER_MODEL;
	}
	/* The size comes from storage: compare it before it bounds any read. */
	if (h->payload_bytes != want ||
	    want > (size_t)st->slot_size - TINTIN_CKPT_PAYLOAD_OFFSET) {
		return TINTIN_CKPT_BAD_SIZE;
	}
	v.st = st;
	v.d = m->desc;
	v.off = base + TINTIN_CKPT_PAYLOAD_OFFSET;
	v.crc = 0u;
	v.state_ok = 1;
	ret = tintin_ckpt_walk((struct tintin_model *)(uintptr_t)m, tintin_ckpt_verify, &v, 0);
	if (ret != 0) {
		return ret;
	}
	if (v.crc != h->payload_crc) {
		return TINTIN_CKPT_BAD_PAYLOAD_CRC;
	}
	return v.state_ok ? TINTIN_CKPT_OK : TINTIN_CKPT_BAD_STATE;
}

static int tintin_storage_ok(const struct tintin_storage *st, size_t need)
{
	if (st == NULL || st->read == NULL || st->write == NULL) {
		TINTIN_LOG_ERR("tintin: checkpoint: storage needs read and write callbacks");
		return -EINVAL;
	}
	if (st->write_block == 0u || st->write_block > TINTIN_CKPT_WRITE_BLOCK_MAX ||
	    (st->write_block & (st->write_block - 1u)) != 0u ||
	    (st->slot_size % st->write_block) != 0u) {
		TINTIN_LOG_ERR("tintin: checkpoint: write block %u must be a power of two <= %u "
			       "dividing the slot size %u",
			       st->write_block, TINTIN_CKPT_WRITE_BLOCK_MAX, st->slot_size);
		return -EINVAL;
	}
	if (st->slot_size < need || st->slot_size > UINT32_MAX / 2u) {
		TINTIN_LOG_ERR("tintin: checkpoint: slots of %u bytes, need %u", st->slot_size,
			       (unsigned int)need);
		return -EINVAL;
	}
	return 0;
}

static int tintin_model_ok(const struct tintin_model *m)
{
	if (m == NULL || m->desc == NULL || m->mode != TINTIN_MODE_TRAIN) {
		TINTIN_LOG_ERR("tintin: checkpoint: need an initialised training model");
		return -EINVAL;
	}
	return 0;
}

/* What save and restore start with: the arguments checked, then both slots; *newest is the
 * slot to restore, or -1. Returns 0, -EINVAL or a storage errno.
 */
static int tintin_ckpt_scan(const struct tintin_model *m, const struct tintin_storage *st,
			    struct tintin_ckpt_header h[2], int verdict[2], int *newest)
{
	int ret = tintin_model_ok(m);

	if (ret == 0) {
		ret = tintin_storage_ok(st, tintin_checkpoint_bytes(m));
	}
	if (ret != 0) {
		return ret;
	}
	*newest = -1;
	for (uint8_t k = 0; k < 2u; k++) {
		verdict[k] = tintin_ckpt_check(m, st, k, &h[k]);
		if (verdict[k] < 0) {
			TINTIN_LOG_ERR("tintin: checkpoint: reading slot %u failed (%d)", k,
				       verdict[k]);
			return verdict[k];
		}
		if (verdict[k] == TINTIN_CKPT_OK &&
		    (*newest < 0 || (int32_t)(h[k].seq - h[*newest].seq) > 0)) {
			*newest = k;
		}
	}
	return 0;
}

/* Streams payload bytes to storage in whole write blocks, with their CRC. */
struct tintin_ckpt_writer {
	const struct tintin_storage *st;
	uint32_t off;
	uint32_t crc;
	uint16_t fill;
	uint8_t buf[TINTIN_CKPT_WRITE_BLOCK_MAX];
};

static int tintin_ckpt_flush(struct tintin_ckpt_writer *w)
{
	const struct tintin_storage *st = w->st;
	int ret;

	if (w->fill == 0u) {
		return 0;
	}
	memset(w->buf + w->fill, 0, st->write_block - w->fill);
	ret = tintin_st_write(st, w->off, w->buf, st->write_block);
	w->off += st->write_block;
	w->fill = 0u;
	return ret;
}

static int tintin_ckpt_put(void *arg, uint8_t *p, size_t n, int layer)
{
	struct tintin_ckpt_writer *w = arg;
	const struct tintin_storage *st = w->st;
	const uint16_t wb = st->write_block;
	int ret = 0;

	(void)layer;
	w->crc = tintin_crc32(w->crc, p, n);
	while (n > 0u && ret == 0) {
		if (w->fill == 0u && n >= wb) {
			size_t k = n - n % wb;

			ret = tintin_st_write(st, w->off, p, k);
			w->off += (uint32_t)k;
			p += k;
			n -= k;
		} else {
			size_t k = (size_t)(wb - w->fill) < n ? (size_t)(wb - w->fill) : n;

			memcpy(w->buf + w->fill, p, k);
			w->fill = (uint16_t)(w->fill + k);
			p += k;
			n -= k;
			if (w->fill == wb) {
				ret = tintin_ckpt_flush(w);
			}
		}
	}
	return ret;
}

int tintin_checkpoint_save(const struct tintin_model *m, const struct tintin_storage *st,
			   uint32_t *seq)
{
	struct tintin_ckpt_header h[2];
	struct tintin_ckpt_header nh;
	struct tintin_ckpt_writer w;
	uint8_t block[TINTIN_CKPT_PAYLOAD_OFFSET];
	int verdict[2];
	int newest;
	uint8_t target;
	int ret = tintin_ckpt_scan(m, st, h, verdict, &newest);

	if (ret != 0) {
		return ret;
	}
	/* Never touch the newest valid checkpoint: it is what a power cut falls back to. */
	target = (newest == 0) ? 1u : 0u;
	memset(&nh, 0, sizeof(nh));
	nh.magic = TINTIN_CKPT_MAGIC;
	nh.version = TINTIN_CKPT_VERSION;
	nh.header_bytes = TINTIN_CKPT_HEADER_BYTES;
	nh.seq = (newest < 0) ? 1u : h[newest].seq + 1u;
	nh.model_hash = tintin_checkpoint_model_hash(m->desc);
	nh.payload_bytes = (uint32_t)tintin_ckpt_payload(m);
	if (st->erase != NULL) {
		ret = tintin_st_ret(st->erase(st->ctx, tintin_slot_base(st, target), st->slot_size),
				    "erase", tintin_slot_base(st, target));
	} else {
		/* No erase: invalidate the old header first, so a cut below leaves no stale
		 * header in front of a half-written payload.
		 */
		memset(block, 0, sizeof(block));
		ret = tintin_st_write(st, tintin_slot_base(st, target), block, sizeof(block));
	}
	if (ret != 0) {
		return ret;
	}
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.off = tintin_slot_base(st, target) + TINTIN_CKPT_PAYLOAD_OFFSET;
	ret = tintin_ckpt_walk((struct tintin_model *)(uintptr_t)m, tintin_ckpt_put, &w, 0);
	if (ret == 0) {
		ret = tintin_ckpt_flush(&w);
	}
	if (ret != 0) {
		return ret;
	}
	/* The header goes last: the slot becomes valid with its final byte. */
	nh.payload_crc = w.crc;
	memset(block, 0, sizeof(block));
	tintin_header_encode(&nh, block);
	ret = tintin_st_write(st, tintin_slot_base(st, target), block, sizeof(block));
	if (ret != 0) {
		return ret;
	}
	ret = tintin_ckpt_check(m, st, target, &h[target]);
	if (ret != TINTIN_CKPT_OK) {
		TINTIN_LOG_ERR("tintin: checkpoint: slot %u read back wrong (%s)", target,
			       tintin_ckpt_why(ret));
		return (ret > 0) ? -EIO : ret;
	}
	if (seq != NULL) {
		*seq = nh.seq;
	}
	return 0;
}

struct tintin_ckpt_reader {
	const struct tintin_storage *st;
	uint32_t off;
	uint32_t crc;
};

static int tintin_ckpt_get(void *arg, uint8_t *p, size_t n, int layer)
{
	struct tintin_ckpt_reader *r = arg;
	int ret = tintin_st_read(r->st, r->off, p, n);

	(void)layer;
	if (ret == 0) {
		r->crc = tintin_crc32(r->crc, p, n);
		r->off += (uint32_t)n;
	}
	return ret;
}

int tintin_checkpoint_restore(struct tintin_model *m, const struct tintin_storage *st,
			      struct tintin_ckpt_info *info)
{
	struct tintin_ckpt_header h[2];
	struct tintin_ckpt_reader r;
	int verdict[2];
	int newest;
	int ret = tintin_ckpt_scan(m, st, h, verdict, &newest);

	if (ret != 0) {
		return ret;
	}
	if (info != NULL) {
		info->valid = (uint8_t)((verdict[0] == TINTIN_CKPT_OK) + (verdict[1] == TINTIN_CKPT_OK));
		info->slot = 0u;
		info->seq = 0u;
	}
	if (newest < 0) {
		TINTIN_LOG_ERR("tintin: checkpoint: none valid (slot 0: %s; slot 1: %s)",
			       tintin_ckpt_why(verdict[0]), tintin_ckpt_why(verdict[1]));
		/* A CRC-valid slot whose state training cannot produce: crafted, or a broken
		 * writer. Nothing was loaded.
		 */
		return (verdict[0] == TINTIN_CKPT_BAD_STATE || verdict[1] == TINTIN_CKPT_BAD_STATE)
			       ? -ERANGE
			       : -ENOENT;
	}
	/* Everything above only read storage: the slot is whole and its state in range. What
	 * can still fail is storage itself, or the slot changing under us; then the model goes
	 * back to its table's initial state, never a mix of two.
	 */
	r.st = st;
	r.off = tintin_slot_base(st, (uint8_t)newest) + TINTIN_CKPT_PAYLOAD_OFFSET;
	r.crc = 0u;
	ret = tintin_ckpt_walk(m, tintin_ckpt_get, &r, 1);
	if (ret == 0 && (r.crc != h[newest].payload_crc || tintin_model_check_exps(m) != 0)) {
		TINTIN_LOG_ERR("tintin: checkpoint: slot %d changed while loading", newest);
		ret = -EIO;
	}
	if (ret != 0) {
		TINTIN_LOG_ERR("tintin: checkpoint: loading slot %d failed (%d); the model is "
			       "back at its table's initial state",
			       newest, ret);
		(void)tintin_model_init(m, m->desc, TINTIN_MODE_TRAIN, m->arena.base,
					m->arena.size);
		return ret;
	}
	if (info != NULL) {
		info->slot = (uint8_t)newest;
		info->seq = h[newest].seq;
	}
	return 0;
}
