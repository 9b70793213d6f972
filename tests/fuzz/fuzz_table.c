/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * libFuzzer target, structure-aware: the fuzzer's bytes are decoded into a layer table
 * (struct tintin_model_desc) whose every count and size is biased to the values that break
 * size arithmetic: 0, 1, 255, 256, 65535, powers of two and their neighbours, and factors
 * whose products wrap 2^16 or 2^32 (65531 x 60459 x 59673 = 1 mod 2^32). Random bytes almost
 * never make a table the planner accepts; decoded ones do often, so the fuzzer reaches init,
 * forward and training with geometry at the edges of the types.
 *
 * Per input: tintin_model_plan in both modes; when the table is accepted and its arena fits
 * FZ_ARENA, init (one byte short must say -ENOMEM), forward and a few training steps on
 * int8 inputs over the full range (-128 included) with random labels or targets and a
 * random input exponent, then inference. The table is also written as a model blob
 * (tintin/blob.h) and parsed back: the parse must accept it and give the same table, and a
 * blob with one byte changed must be refused by the parse or by the planner (the blob
 * header's promise). Checked: every return code is 0 or an errno the headers document for
 * that call; the arena used equals the plan; outputs lie inside the planned arena, whose end
 * is poisoned for AddressSanitizer; exponents stay in range after training.
 *
 * Input format (fz_val is a biased 16-bit value, see there; a missing byte reads as 0):
 *   n_layers, loss, fz_val max_batch, fz_val h, w, c, preset (0..4 lean, compact, momentum,
 *   NITI, hybrid; else 8 fz_val optimizer fields), seed, ident (0xfc..0xff corrupt the identity),
 *   then per layer: type, train, fz_val units, fz_val kernel_h, kernel_w, stride, pad, w_exp,
 *   weights, bias; then the blob's changed byte (fz_val offset, a byte to xor), and per
 *   mode run (training, then inference): x_exp (a second byte when the first is >= 0xc0),
 *   data, steps, 3 bytes PRNG seed, t_exp. tests/fuzz/seeds.c writes valid ones.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tintin/tintin.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define FZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define FZ_POISON(p, n)   ((void)(p), (void)(n))
#define FZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define FZ_ARENA   (256u * 1024u)
#define FZ_W_MAX   (128u * 1024u) /* weights one layer may point to */
#define FZ_W_SLACK 4096u          /* room for the per-layer offset into a region */
#define FZ_ROWS    65536u         /* every possible bias length */
#define FZ_IO      (256u * 1024u) /* input and target bytes of one batch */
#define FZ_BLOB    (512u * 1024u)
#define FZ_WORK    (1u << 20) /* multiply-adds of one forward pass we wait for */
#define FZ_STEPS   3u

static uint32_t fz_arena[FZ_ARENA / 4u];
static int8_t fz_w[3][FZ_W_MAX + FZ_W_SLACK]; /* random full range, all -128, all 127 */
static int32_t fz_b[3][FZ_ROWS + 64u];        /* zeros, small random, type limits */
static int8_t fz_x[FZ_IO];
static int8_t fz_t[FZ_IO];
static uint8_t fz_labels[1024];
static uint32_t fz_blob[FZ_BLOB / 4u];
static uint32_t fz_blob2[FZ_BLOB / 4u];
static struct tintin_layer_desc fz_layers[TINTIN_MAX_LAYERS];
static struct tintin_model fz_m;
static int fz_ready;

/* Values that break size arithmetic: limits of u8 and u16, primes just below them, and the
 * factors of products that wrap 2^16 (241 x 271, 3 x 21846, 6 x 10923, 10 x 6554) or 2^32
 * (65531 x 60459 x 59673 = 1, 1024 x 2048 x 2048 = 0, 641 x 6700417 = 2^32 + 1).
 */
static const uint16_t fz_special[32] = {
	0,     1,     2,     3,     5,     7,     127,   128,   255,   256,   257,
	65535, 65534, 32767, 32768, 32769, 65531, 60459, 59673, 65521, 21846, 10923,
	6554,  4097,  4095,  1024,  2048,  241,   271,   641,   43691, 251,
};

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static uint8_t fz_u8(struct fz_in *in)
{
	uint8_t b = 0u;

	if (in->n > 0u) {
		b = *in->p++;
		in->n--;
	}
	return b;
}

/*
 * A 16-bit value from one tag byte (two more for a raw value): 0..15 and 0..63 for the
 * shapes real models have, 2^k - 1, 2^k and 2^k + 1, fz_special, or any value.
 */
static uint16_t fz_val(struct fz_in *in)
{
	uint8_t tag = fz_u8(in);
	uint16_t v;

	if (tag < 0x40u) {
		return tag & 0x0fu;
	}
	if (tag < 0x80u) {
		return tag & 0x3fu;
	}
	if (tag < 0xb0u) {
		uint8_t k = (uint8_t)((tag - 0x80u) / 3u);

		return (uint16_t)((1u << (k & 15u)) + (tag - 0x80u) % 3u - 1u);
	}
	if (tag < 0xd0u) {
		return fz_special[tag & 0x1fu];
	}
	if (tag < 0xf0u) {
		return (uint16_t)(fz_special[tag & 0x1fu] ^ 1u);
	}
	v = fz_u8(in);
	return (uint16_t)(v | ((uint16_t)fz_u8(in) << 8));
}

static uint32_t fz_rand(uint32_t *s)
{
	/* xorshift32: reproducible across word sizes */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void fz_setup(void)
{
	uint32_t s = 0x2545f491u;

	for (size_t k = 0; k < sizeof(fz_w[0]); k++) {
		fz_w[0][k] = (int8_t)fz_rand(&s);
	}
	memset(fz_w[1], 0x80, sizeof(fz_w[1]));
	memset(fz_w[2], 0x7f, sizeof(fz_w[2]));
	for (size_t k = 0; k < FZ_ROWS + 64u; k++) {
		static const int32_t lim[4] = {INT32_MIN, INT32_MAX, -1, INT32_MIN + 1};

		fz_b[1][k] = (int32_t)(fz_rand(&s) % (1u << 21)) - (1 << 20);
		fz_b[2][k] = lim[k % 4u];
	}
	fz_ready = 1;
}

static void fz_expect(int ret, int ok)
{
	if (ok && ret != 0) {
		abort();
	}
	if (ret != 0 && ret != -EINVAL && ret != -ENOTSUP && ret != -ERANGE) {
		abort();
	}
}

static void fz_decode_layer(struct fz_in *in, struct tintin_layer_desc *l)
{
	uint8_t b = fz_u8(in);
	uint8_t ws;
	uint8_t bs;

	l->type = (uint8_t)(b < 0xf0u ? 1u + b % 8u : b % 10u);
	b = fz_u8(in);
	l->train = (uint8_t)(b < 0xf0u ? b % 3u : b);
	l->units = fz_val(in);
	l->kernel_h = (uint8_t)fz_val(in);
	l->kernel_w = (uint8_t)fz_val(in);
	l->stride = (uint8_t)fz_val(in);
	b = fz_u8(in);
	l->pad = (uint8_t)(b < 0xf0u ? b % 2u : b);
	b = fz_u8(in);
	l->w_exp = (int8_t)(b < 0xc0u ? -(int)(b % 16u) : (int)(int8_t)b);
	ws = fz_u8(in);
	l->weights = (ws == 0xffu) ? NULL : &fz_w[(ws >> 6) % 3u][(ws & 0x3fu) * 61u];
	bs = fz_u8(in);
	l->bias = (bs >> 6) == 0u ? NULL : &fz_b[(bs >> 6) - 1u][bs & 0x3fu];
}

static void fz_decode(struct fz_in *in, struct tintin_model_desc *d)
{
	static const struct tintin_optim_cfg presets[5] = {
		TINTIN_OPTIM_LEAN,
		TINTIN_OPTIM_COMPACT,
		TINTIN_OPTIM_MOMENTUM,
		{.rule = TINTIN_RULE_NITI, .mu = 2, .lr_mult = 1, .rounding = TINTIN_ROUND_PSEUDO},
		TINTIN_OPTIM_HYBRID,
	};
	uint8_t b;

	memset(d, 0, sizeof(*d));
	memset(fz_layers, 0, sizeof(fz_layers));
	b = fz_u8(in);
	d->n_layers = (uint8_t)(b < 0xf0u ? 1u + b % TINTIN_MAX_LAYERS : b % 20u);
	b = fz_u8(in);
	d->loss = (uint8_t)(b < 0xf0u ? b % 2u : b);
	d->max_batch = fz_val(in);
	d->input.h = fz_val(in);
	d->input.w = fz_val(in);
	d->input.c = fz_val(in);
	b = fz_u8(in);
	if (b < 5u) {
		d->optim = presets[b];
	} else {
		d->optim.rule = (uint8_t)fz_val(in);
		d->optim.lr_shift = (uint8_t)fz_val(in);
		d->optim.lr_mult = (uint8_t)fz_val(in);
		d->optim.mu = (uint8_t)fz_val(in);
		d->optim.momentum_shift = (uint8_t)fz_val(in);
		d->optim.upscale_bits = (uint8_t)fz_val(in);
		d->optim.rounding = (uint8_t)fz_val(in);
		d->optim.upscale_scope = (uint8_t)fz_val(in);
	}
	d->seed = fz_u8(in) * 0x9e3779b9u;
	b = fz_u8(in);
	d->magic = (b == 0xffu) ? TINTIN_BLOB_MAGIC : TINTIN_DESC_MAGIC;
	d->version = (uint16_t)((b == 0xfeu) ? TINTIN_DESC_VERSION + 1u : TINTIN_DESC_VERSION);
	d->hash = (b == 0xfdu) ? 1u : 0u; /* else set once the weights are known to fit */
	d->layers = fz_layers;
	for (uint8_t i = 0; i < d->n_layers && i < TINTIN_MAX_LAYERS; i++) {
		fz_decode_layer(in, &fz_layers[i]);
	}
}

static void fz_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void fz_put32(uint8_t *p, uint32_t v)
{
	fz_put16(p, v);
	fz_put16(p + 2, v >> 16);
}

/* The blob of an accepted table (tintin/blob.h's layout), or 0 when it does not fit. */
static size_t fz_blob_write(const struct tintin_model_desc *d, const uint32_t *n_w,
			    const uint16_t *rows, uint8_t *p)
{
	const struct tintin_optim_cfg *o = &d->optim;
	size_t off = TINTIN_BLOB_HEADER_BYTES + (size_t)d->n_layers * TINTIN_BLOB_LAYER_BYTES;

	memset(p, 0, off);
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		uint8_t *r = p + TINTIN_BLOB_HEADER_BYTES + (size_t)i * TINTIN_BLOB_LAYER_BYTES;
		uint16_t n_b = (l->bias != NULL) ? rows[i] : 0u;

		if (n_w[i] > FZ_BLOB - off || (size_t)n_b * 4u + 3u > FZ_BLOB - off - n_w[i]) {
			return 0u;
		}
		r[0] = l->type;
		r[1] = l->train;
		fz_put16(r + 2, l->units);
		r[4] = l->kernel_h;
		r[5] = l->kernel_w;
		r[6] = l->stride;
		r[7] = l->pad;
		r[8] = (uint8_t)l->w_exp;
		fz_put16(r + 10, n_b);
		fz_put32(r + 12, n_w[i]);
		if (n_w[i] != 0u) {
			memcpy(p + off, l->weights, n_w[i]);
		}
		off += n_w[i];
		while (off % 4u != 0u) {
			p[off++] = 0u;
		}
		if (n_b != 0u) {
			memcpy(p + off, l->bias, (size_t)n_b * 4u);
		}
		off += (size_t)n_b * 4u;
	}
	fz_put32(p, TINTIN_BLOB_MAGIC);
	fz_put16(p + 4, TINTIN_BLOB_VERSION);
	p[6] = d->n_layers;
	p[7] = d->loss;
	fz_put16(p + 8, d->max_batch);
	fz_put16(p + 10, d->input.h);
	fz_put16(p + 12, d->input.w);
	fz_put16(p + 14, d->input.c);
	p[16] = o->rule;
	p[17] = o->lr_shift;
	p[18] = o->lr_mult;
	p[19] = o->mu;
	p[20] = o->momentum_shift;
	p[21] = o->upscale_bits;
	p[22] = o->rounding;
	p[23] = o->upscale_scope;
	fz_put32(p + 24, d->seed);
	fz_put32(p + 28, d->hash);
	fz_put32(p + 32, (uint32_t)off);
	return off;
}

/* The parsed blob is the same table, pointers aside, and plans the same in both modes. */
static void fz_blob_same(const struct tintin_model_desc *d, const struct tintin_model_blob *b,
			 const uint32_t *n_w, const uint16_t *rows)
{
	const struct tintin_model_desc *e = &b->desc;
	size_t p1;
	size_t p2;

	if (e->n_layers != d->n_layers || e->loss != d->loss || e->max_batch != d->max_batch ||
	    e->input.h != d->input.h || e->input.w != d->input.w || e->input.c != d->input.c ||
	    memcmp(&e->optim, &d->optim, sizeof(d->optim)) != 0 || e->seed != d->seed ||
	    e->hash != d->hash) {
		abort();
	}
	for (uint8_t i = 0; i < d->n_layers; i++) {
		const struct tintin_layer_desc *l = &d->layers[i];
		const struct tintin_layer_desc *k = &e->layers[i];

		if (k->type != l->type || k->train != l->train || k->units != l->units ||
		    k->kernel_h != l->kernel_h || k->kernel_w != l->kernel_w ||
		    k->stride != l->stride || k->pad != l->pad || k->w_exp != l->w_exp ||
		    (n_w[i] != 0u && memcmp(k->weights, l->weights, n_w[i]) != 0) ||
		    (rows[i] != 0u && (k->bias == NULL) != (l->bias == NULL)) ||
		    (rows[i] != 0u && l->bias != NULL &&
		     memcmp(k->bias, l->bias, (size_t)rows[i] * sizeof(int32_t)) != 0)) {
			abort();
		}
	}
	for (int mode = TINTIN_MODE_TRAIN; mode <= TINTIN_MODE_INFER; mode++) {
		int r1 = tintin_model_plan(d, (enum tintin_mode)mode, &p1);
		int r2 = tintin_model_plan(e, (enum tintin_mode)mode, &p2);

		if (r1 != r2 || (r1 == 0 && p1 != p2)) {
			abort();
		}
	}
}

/* Blob round trip, then one byte changed: the parse or the planner must refuse it. */
static void fz_blob_check(const struct tintin_model_desc *d, const uint32_t *n_w,
			  const uint16_t *rows, struct fz_in *in)
{
	static struct tintin_model_blob parsed;
	uint8_t *p = (uint8_t *)fz_blob;
	size_t len = fz_blob_write(d, n_w, rows, p);
	size_t need;
	uint16_t at = fz_val(in);
	uint8_t x = fz_u8(in);
	int ret;

	if (len == 0u) {
		return;
	}
	if (tintin_model_blob_parse(&parsed, fz_blob, len) != 0) {
		abort();
	}
	fz_blob_same(d, &parsed, n_w, rows);
	/* A partition larger than the blob is fine; a blob cut short is not. */
	if (tintin_model_blob_parse(&parsed, fz_blob, len - 1u) != -EINVAL) {
		abort();
	}
	if (x == 0u) {
		x = 0x80u;
	}
	memcpy(fz_blob2, fz_blob, len);
	((uint8_t *)fz_blob2)[at % len] ^= x;
	ret = tintin_model_blob_parse(&parsed, fz_blob2, len);
	fz_expect(ret, 0);
	if (ret == 0 && (tintin_model_plan(&parsed.desc, TINTIN_MODE_TRAIN, &need) == 0 ||
			 tintin_model_plan(&parsed.desc, TINTIN_MODE_INFER, &need) == 0)) {
		abort(); /* a changed byte that neither check covers */
	}
}

/* Full-range int8 samples: random, all -128, all 127, or alternating extremes. */
static void fz_fill(int8_t *v, size_t len, uint8_t how, uint32_t *s)
{
	for (size_t k = 0; k < len; k++) {
		switch (how % 4u) {
		case 0:
			v[k] = (int8_t)fz_rand(s);
			break;
		case 1:
			v[k] = INT8_MIN;
			break;
		case 2:
			v[k] = INT8_MAX;
			break;
		default:
			v[k] = (k % 2u) ? INT8_MIN : INT8_MAX;
			break;
		}
	}
}

/* Multiply-adds of one sample's forward pass, from the layout init made. */
static uint64_t fz_work(const struct tintin_model *m)
{
	uint64_t w = 0u;

	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		const struct tintin_layer_state *s = &m->layer[i];
		uint32_t win = (uint32_t)s->geom.k_h * s->geom.k_w;

		w += (uint64_t)s->out * (s->row != 0u ? s->row : (win != 0u ? win : 1u));
		w += s->in;
	}
	return w;
}

static void fz_check_out(const struct tintin_tensor *o, uint16_t n, size_t need)
{
	const uint8_t *lo = (const uint8_t *)fz_arena;
	const uint8_t *p = (const uint8_t *)o->data;
	size_t len = (size_t)n * o->dims.h * o->dims.w * o->dims.c;

	if (o->dims.n != n || p < lo || p > lo + need || len > (size_t)(lo + need - p)) {
		abort();
	}
}

/* Init at the planned size (one byte short must fail), then forward, train and infer. */
static void fz_run(const struct tintin_model_desc *d, enum tintin_mode mode, size_t need,
		   struct fz_in *in)
{
	struct tintin_tensor out;
	struct tintin_batch b;
	uint32_t s;
	int8_t x_exp;
	uint8_t how;
	uint8_t steps;
	uint32_t n_in;
	uint32_t n_out;
	uint16_t n;
	int ret;

	FZ_UNPOISON(fz_arena, sizeof(fz_arena));
	if (need > 0u && tintin_model_init(&fz_m, d, mode, fz_arena, need - 1u) != -ENOMEM) {
		abort();
	}
	ret = tintin_model_init(&fz_m, d, mode, fz_arena, need);
	fz_expect(ret, 1);
	if (tintin_model_arena_used(&fz_m) != need) {
		abort();
	}
	/* Anything past the plan is out of bounds from here on. */
	FZ_POISON((uint8_t *)fz_arena + need, sizeof(fz_arena) - need);
	n_in = fz_m.layer[0].in;
	n_out = fz_m.layer[d->n_layers - 1u].out;
	if ((uint32_t)d->input.h * d->input.w * d->input.c != n_in) {
		abort();
	}
	/* Batch: full first, as far as the buffers here hold it. */
	n = d->max_batch;
	if ((size_t)n * n_in > FZ_IO) {
		n = (uint16_t)(FZ_IO / n_in);
	}
	if ((size_t)n * n_out > FZ_IO) {
		n = (uint16_t)(FZ_IO / n_out);
	}
	if (n > sizeof(fz_labels)) {
		n = sizeof(fz_labels);
	}
	if (n == 0u || fz_work(&fz_m) * n > FZ_WORK) {
		return;
	}
	/* Mostly where real inputs are (-20..11), else any int8: forward refuses what takes an
	 * activation exponent out of range.
	 */
	how = fz_u8(in);
	x_exp = (int8_t)(how < 0xc0u ? (int)(how % 32u) - 20 : (int)(int8_t)fz_u8(in));
	how = fz_u8(in);
	steps = (uint8_t)(fz_u8(in) % (FZ_STEPS + 1u));
	s = fz_u8(in) | ((uint32_t)fz_u8(in) << 8) | ((uint32_t)fz_u8(in) << 16) | 1u;
	b.t_exp = (int8_t)((int)(fz_u8(in) % 16u) - 10);
	fz_fill(fz_x, (size_t)n * n_in, how, &s);
	fz_fill(fz_t, (size_t)n * n_out, how >> 2, &s);
	for (uint16_t k = 0; k < n; k++) {
		fz_labels[k] = (uint8_t)(n_out != 0u ? fz_rand(&s) % n_out : 0u);
	}
	ret = tintin_model_forward(&fz_m, fz_x, x_exp, n, &out);
	fz_expect(ret, 0);
	if (ret == 0) {
		fz_check_out(&out, n, need);
		if ((uint32_t)out.dims.h * out.dims.w * out.dims.c != n_out) {
			abort();
		}
	}
	b.x = fz_x;
	b.labels = fz_labels;
	b.targets = fz_t;
	for (uint8_t k = 0; k < steps; k++) {
		b.n = (k == 0u) ? n : (uint16_t)(1u + fz_rand(&s) % n);
		b.x_exp = x_exp;
		ret = tintin_model_train_step(&fz_m, &b);
		if (mode == TINTIN_MODE_INFER) {
			if (ret != -EINVAL) {
				abort();
			}
			continue;
		}
		/* XENT needs at least two classes and labels below 256; anything else is
		 * refused, and an exponent can run out of range.
		 */
		fz_expect(ret, 0);
#if TINTIN_STRICT_OVERFLOW == 0
		if (ret == 0 && tintin_model_check_exps(&fz_m) != 0) {
			abort();
		}
#endif
	}
	ret = tintin_model_forward(&fz_m, fz_x, x_exp, n, &out);
	fz_expect(ret, 0);
	if (ret == 0) {
		fz_check_out(&out, n, need);
	}
	if (n_out <= 256u) {
		ret = tintin_model_predict(&fz_m, fz_x, x_exp, n, fz_labels);
		fz_expect(ret, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tintin_model_desc d;
	struct fz_in in = {data, size};
	uint32_t n_w[TINTIN_MAX_LAYERS];
	uint16_t rows[TINTIN_MAX_LAYERS];
	size_t need[2];
	int ret[2];
	int params;
	int fits = 1;

	if (!fz_ready) {
		fz_setup();
	}
	fz_decode(&in, &d);
	params = tintin_model_desc_params(&d, n_w, rows);
	fz_expect(params, 0);
	for (uint8_t i = 0; params == 0 && i < d.n_layers; i++) {
		if (n_w[i] > FZ_W_MAX && d.layers[i].weights != NULL) {
			fits = 0; /* more weights than the regions hold: plan only */
		}
	}
	if (!fits) {
		d.hash = 0u; /* checking a hash reads every weight */
	} else if (params == 0 && d.hash == 0u) {
		d.hash = tintin_model_desc_hash(&d);
		if (d.hash == 0u) {
			abort(); /* desc_params accepted the table */
		}
	}
	for (int mode = TINTIN_MODE_TRAIN; mode <= TINTIN_MODE_INFER; mode++) {
		ret[mode] = tintin_model_plan(&d, (enum tintin_mode)mode, &need[mode]);
		if (ret[mode] != 0 && ret[mode] != -EINVAL && ret[mode] != -ENOTSUP &&
		    ret[mode] != -ERANGE && ret[mode] != -E2BIG) {
			abort();
		}
		/* The planner validates the table as desc_params does, and more. */
		if (params != 0 && ret[mode] != params) {
			abort();
		}
	}
	/* What trains also infers (not always in fewer bytes: inference's two ping-pong buffers
	 * can outgrow training's per-layer outputs).
	 */
	if (ret[0] == 0 && ret[1] != 0) {
		abort();
	}
	if (params == 0 && fits && d.magic == TINTIN_DESC_MAGIC &&
	    d.version == TINTIN_DESC_VERSION && d.hash != 1u) {
		fz_blob_check(&d, n_w, rows, &in);
	}
	for (int mode = TINTIN_MODE_TRAIN; mode <= TINTIN_MODE_INFER; mode++) {
		if (ret[mode] == 0 && fits && need[mode] <= FZ_ARENA) {
			fz_run(&d, (enum tintin_mode)mode, need[mode], &in);
		} else if (ret[mode] == 0 && fits && need[mode] < SIZE_MAX) {
			/* Too big for this arena: init must say so, not overrun it. */
			FZ_UNPOISON(fz_arena, sizeof(fz_arena));
			if (tintin_model_init(&fz_m, &d, (enum tintin_mode)mode, fz_arena,
					      sizeof(fz_arena)) != -ENOMEM) {
				abort();
			}
		} else if (ret[mode] != 0 &&
			   tintin_model_init(&fz_m, &d, (enum tintin_mode)mode, fz_arena,
					     sizeof(fz_arena)) != ret[mode]) {
			abort();
		}
	}
	return 0;
}
