/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Checkpoints: CRC-32, a restore that continues training bit-exactly, a power cut after every
 * byte of a save (erase, payload and header) on a simulated NOR flash, corrupted and hostile
 * slots, and refused arguments.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tintin/tintin.h>

#include "tt_models.h"
#include "tt_test.h"

TT_SUITE(tintin_checkpoint);

static const int8_t ck_x[4][2 * 6] = {
	{90, -30, 12, 64, -100, 5, -20, 47, 88, -61, 33, 70},
	{-5, 120, -77, 40, 18, -93, 66, 2, -38, 101, -12, 54},
	{31, -64, 99, -17, 8, 73, -110, 26, 45, -3, 60, -81},
	{-70, 11, 36, -95, 57, 24, 13, -48, -29, 84, -66, 7},
};
static const uint8_t ck_y[4][2] = {{0, 2}, {1, 1}, {2, 0}, {1, 2}};

static uint32_t ck_arena[256];
static uint32_t ck_arena2[256];
static struct tintin_model ck_a;
static struct tintin_model ck_b;

static void ck_train(struct tintin_model *m, int from, int steps)
{
	for (int k = from; k < from + steps; k++) {
		struct tintin_batch b = {
			.x = ck_x[k % 4], .labels = ck_y[k % 4], .n = 2, .x_exp = -7};

		(void)tintin_model_train_step(m, &b);
	}
}

/* The whole trainable state as bytes, through the public layer view. */
static size_t ck_snap(const struct tintin_model *m, uint8_t *out)
{
	size_t n = 0u;

	for (uint8_t i = 0; i < m->desc->n_layers; i++) {
		struct tintin_layer_info li;

		if (tintin_model_layer_info(m, i, &li) != 0 || li.w == NULL) {
			continue;
		}
		memcpy(out + n, li.w, li.n_w);
		n += li.n_w;
		memcpy(out + n, li.w_lo, li.n_w);
		n += li.n_w;
		memcpy(out + n, li.w_mom, 2u * li.n_w);
		n += 2u * li.n_w;
		memcpy(out + n, li.bias, 4u * li.out);
		n += 4u * li.out;
		memcpy(out + n, li.b_mom, 4u * li.out);
		n += 4u * li.out;
	}
	memcpy(out + n, &m->prng, sizeof(m->prng));
	n += sizeof(m->prng);
	memcpy(out + n, &m->stats, sizeof(m->stats));
	return n + sizeof(m->stats);
}

/* NOR flash: erase sets 0xFF, a write can only clear bits; power fails after `budget` more
 * bytes of erase or write (-1: never), and nothing more reaches the medium after that.
 */
#define CK_SLOT 512u
struct ck_flash {
	uint8_t mem[2 * CK_SLOT];
	int32_t budget;
};
static struct ck_flash ck_fl;
static struct ck_flash ck_base;

static int ck_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct ck_flash *f = ctx;

	if (off > sizeof(f->mem) || len > sizeof(f->mem) - off) {
		return -EINVAL;
	}
	memcpy(buf, f->mem + off, len);
	return 0;
}

static int ck_program(struct ck_flash *f, uint32_t off, const uint8_t *src, size_t len)
{
	if (off > sizeof(f->mem) || len > sizeof(f->mem) - off) {
		return -EINVAL;
	}
	for (size_t k = 0; k < len; k++) {
		if (f->budget == 0) {
			return -EIO;
		}
		f->mem[off + k] = (src != NULL) ? (uint8_t)(f->mem[off + k] & src[k]) : 0xffu;
		if (f->budget > 0) {
			f->budget--;
		}
	}
	return 0;
}

static int ck_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	return ck_program(ctx, off, buf, len);
}

static int ck_erase(void *ctx, uint32_t off, size_t len)
{
	return ck_program(ctx, off, NULL, len);
}

static const struct tintin_storage ck_st = {
	.read = ck_read,
	.write = ck_write,
	.erase = ck_erase,
	.ctx = &ck_fl,
	.slot_size = CK_SLOT,
	.write_block = 8u,
};

static uint8_t ck_s1[512];
static uint8_t ck_s2[512];
static uint8_t ck_s3[512];

static int ck_init(struct tintin_model *m, uint32_t *arena)
{
	return tintin_model_init(m, &tt_dense_desc, TINTIN_MODE_TRAIN, arena, sizeof(ck_arena));
}

TT_TEST(tintin_checkpoint, test_crc32)
{
	static const char nine[] = "123456789";

	TT_ASSERT_EQ(tintin_crc32(0u, nine, 9u), 0xcbf43926u, "CRC-32 check value");
	TT_ASSERT_EQ(tintin_crc32(tintin_crc32(0u, nine, 4u), nine + 4, 5u), 0xcbf43926u,
		     "CRC-32 in two pieces");
	TT_ASSERT_EQ(tintin_crc32(0u, nine, 0u), 0u, "CRC-32 of nothing");
}

TT_TEST(tintin_checkpoint, test_restore_continues_bit_exact)
{
	struct tintin_ckpt_info info;
	uint32_t seq = 0u;
	size_t n;

	memset(&ck_fl, 0xff, sizeof(ck_fl));
	ck_fl.budget = -1;
	TT_ASSERT_EQ(ck_init(&ck_a, ck_arena), 0, "init");
	TT_ASSERT(tintin_checkpoint_bytes(&ck_a) <= CK_SLOT, "slot too small for the test model");
	TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_a, &ck_st, NULL), -ENOENT, "erased flash");
	ck_train(&ck_a, 0, 3);
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &ck_st, &seq), 0, "save");
	TT_ASSERT_EQ(seq, 1u, "first sequence number");
	ck_train(&ck_a, 3, 4);
	n = ck_snap(&ck_a, ck_s1);

	/* A reboot: a fresh model from the same table, restored, trains the same steps. */
	TT_ASSERT_EQ(ck_init(&ck_b, ck_arena2), 0, "init");
	TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_b, &ck_st, &info), 0, "restore");
	TT_ASSERT_EQ(info.seq, 1u, "restored sequence");
	TT_ASSERT_EQ(info.valid, 1u, "valid slots");
	ck_train(&ck_b, 3, 4);
	TT_ASSERT_EQ(ck_snap(&ck_b, ck_s2), n, "state size");
	TT_ASSERT(memcmp(ck_s1, ck_s2, n) == 0, "training after restore diverged");
	TT_ASSERT(ck_a.stats.steps == 7u && ck_b.stats.steps == 7u, "step counters");
}

/* Saves with a power cut after every byte: the restored state is the previous checkpoint or
 * the new one, never anything else, and the previous one for every cut before the new
 * header starts to land (erase and payload come first). Returns the bytes a save writes.
 */
static int ck_cut_every_byte(uint32_t *cuts, uint32_t *got_new)
{
	const uint32_t payload =
		(uint32_t)tintin_checkpoint_bytes(&ck_a) - TINTIN_CKPT_PAYLOAD_OFFSET;
	const int32_t header_at = (int32_t)(CK_SLOT + ((payload + 7u) & ~7u));
	size_t n_old;
	size_t n_new;
	int32_t total = -1;

	n_old = ck_snap(&ck_a, ck_s1);
	ck_train(&ck_a, 10, 1);
	n_new = ck_snap(&ck_a, ck_s2);
	ck_base = ck_fl;
	for (int32_t cut = 0; total < 0 || cut <= total; cut++) {
		int ret;
		int is_old;
		int is_new;

		ck_fl = ck_base;
		ck_fl.budget = cut;
		ret = tintin_checkpoint_save(&ck_a, &ck_st, NULL);
		if (ret == 0) {
			total = cut - ck_fl.budget;
		}
		ck_fl.budget = -1; /* power is back */
		if (ck_init(&ck_b, ck_arena2) != 0 ||
		    tintin_checkpoint_restore(&ck_b, &ck_st, NULL) != 0) {
			return -1000 - cut;
		}
		ck_snap(&ck_b, ck_s3);
		is_old = memcmp(ck_s3, ck_s1, n_old) == 0;
		is_new = memcmp(ck_s3, ck_s2, n_new) == 0;
		if (!is_old && !is_new) {
			return -2000 - cut; /* neither checkpoint */
		}
		if ((ret == 0 && !is_new) || (cut < header_at && !is_old)) {
			return -3000 - cut; /* complete yet old, or new before its header */
		}
		*got_new += (uint32_t)is_new;
		(*cuts)++;
	}
	return total;
}

TT_TEST(tintin_checkpoint, test_power_cut_after_every_byte)
{
	uint32_t cuts = 0u;
	uint32_t got_new = 0u;
	int total;

	memset(&ck_fl, 0xff, sizeof(ck_fl));
	ck_fl.budget = -1;
	TT_ASSERT_EQ(ck_init(&ck_a, ck_arena), 0, "init");
	ck_train(&ck_a, 0, 2);
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &ck_st, NULL), 0, "first save");
	/* One checkpoint on flash: the save goes to the empty slot. */
	total = ck_cut_every_byte(&cuts, &got_new);
	TT_ASSERT(total > 0, "cut test failed at code %d", total);
	/* Two on flash: the save replaces the older one, the newer one must survive. */
	ck_fl = ck_base;
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &ck_st, NULL), 0, "second save");
	total = ck_cut_every_byte(&cuts, &got_new);
	TT_ASSERT(total > 0, "cut test failed at code %d", total);
	TT_PRINT("tintin: power cut after each of %u byte positions of two saves: %u restored the "
		 "new checkpoint, the rest the previous one\n",
		 (unsigned int)cuts, (unsigned int)got_new);
}

TT_TEST(tintin_checkpoint, test_corrupt_and_hostile_slots)
{
	struct tintin_ckpt_info info;
	uint8_t keep;

	memset(&ck_fl, 0xff, sizeof(ck_fl));
	ck_fl.budget = -1;
	TT_ASSERT_EQ(ck_init(&ck_a, ck_arena), 0, "init");
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &ck_st, NULL), 0, "save 1");
	ck_train(&ck_a, 0, 1);
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &ck_st, NULL), 0, "save 2");
	ck_base = ck_fl;
	/* Any single flipped byte of the newest slot's header or payload: back to seq 1. */
	for (uint32_t k = 0; k < tintin_checkpoint_bytes(&ck_a); k++) {
		if (k >= TINTIN_CKPT_HEADER_BYTES && k < TINTIN_CKPT_PAYLOAD_OFFSET) {
			continue; /* padding: not part of the checkpoint */
		}
		ck_fl = ck_base;
		ck_fl.mem[CK_SLOT + k] ^= 0x10u;
		TT_ASSERT_EQ(ck_init(&ck_b, ck_arena2), 0, "init");
		TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_b, &ck_st, &info), 0, "restore");
		TT_ASSERT(info.seq == 1u && info.slot == 0u, "byte %u flipped: took seq %u",
			  (unsigned int)k, (unsigned int)info.seq);
	}
	/* A hostile header with a valid CRC and a payload size far past the slot. */
	ck_fl = ck_base;
	ck_fl.mem[16] = 0xff;
	ck_fl.mem[17] = 0xff;
	ck_fl.mem[18] = 0xff;
	ck_fl.mem[19] = 0x7f;
	{
		uint32_t crc = tintin_crc32(0u, ck_fl.mem, 28u);

		for (int b = 0; b < 4; b++) {
			ck_fl.mem[28 + b] = (uint8_t)(crc >> (8 * b));
		}
	}
	TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_b, &ck_st, &info), 0, "hostile slot 0");
	TT_ASSERT(info.slot == 1u && info.valid == 1u, "hostile size taken");
	keep = ck_fl.mem[CK_SLOT + 100];
	ck_fl.mem[CK_SLOT + 100] = (uint8_t)~keep;
	TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_b, &ck_st, &info), -ENOENT, "both bad");
}

TT_TEST(tintin_checkpoint, test_bad_arguments_and_other_models)
{
	struct tintin_storage st = ck_st;
	struct tintin_model_desc other = tt_dense_desc;

	memset(&ck_fl, 0xff, sizeof(ck_fl));
	ck_fl.budget = -1;
	TT_ASSERT_EQ(ck_init(&ck_a, ck_arena), 0, "init");
	TT_ASSERT_EQ(tintin_checkpoint_save(NULL, &st, NULL), -EINVAL, "no model");
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, NULL, NULL), -EINVAL, "no storage");
	st.write_block = 3u;
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &st, NULL), -EINVAL, "write block 3");
	st = ck_st;
	st.slot_size = 64u;
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &st, NULL), -EINVAL, "slot too small");
	st = ck_st;
	st.read = NULL;
	TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_a, &st, NULL), -EINVAL, "no read");
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &ck_st, NULL), 0, "save");
	/* The same layers with another optimizer are another layout: not restored. */
	other.optim.momentum_shift = 0u;
	TT_ASSERT_EQ(
		tintin_model_init(&ck_b, &other, TINTIN_MODE_TRAIN, ck_arena2, sizeof(ck_arena2)),
		0, "init other");
	TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_b, &ck_st, NULL), -ENOENT, "other model");
	TT_ASSERT(tintin_checkpoint_model_hash(&other) !=
			  tintin_checkpoint_model_hash(&tt_dense_desc),
		  "hash ignores the optimizer");
	/* A storage error surfaces as itself, and the previous checkpoint stays. */
	ck_fl.budget = 0;
	TT_ASSERT_EQ(tintin_checkpoint_save(&ck_a, &ck_st, NULL), -EIO, "power gone");
	ck_fl.budget = -1;
	TT_ASSERT_EQ(tintin_checkpoint_restore(&ck_a, &ck_st, NULL), 0, "previous survives");
}

/* The first trained layer whose weights, biases or exponent differ between a and b, or -1. */
static int ck_first_difference(const struct tintin_model *a, const struct tintin_model *b)
{
	for (uint8_t i = 0; i < a->desc->n_layers; i++) {
		struct tintin_layer_info la;
		struct tintin_layer_info lb;

		if (tintin_model_layer_info(a, i, &la) != 0 ||
		    tintin_model_layer_info(b, i, &lb) != 0) {
			return i;
		}
		if (la.w != NULL && (la.w_exp != lb.w_exp || memcmp(la.w, lb.w, la.n_w) != 0 ||
				     memcmp(la.bias, lb.bias, 4u * la.out) != 0)) {
			return i;
		}
	}
	return -1;
}

/*
 * Fleet messages: a trained model's message loads whole into a fresh copy (weights, biases,
 * exponents), and a flipped byte, a truncation or another table's message is refused and
 * changes nothing. On every target this suite runs on, so the format's byte order is checked
 * on the cores themselves.
 */
TT_TEST(tintin_checkpoint, test_fleet_message_round_trip)
{
	static struct tintin_model_desc hashed;
	static uint8_t msg[512];
	struct tintin_fleet_info info = {0};
	size_t len = 0u;
	size_t n;

	hashed = tt_dense_desc;
	hashed.hash = tintin_model_desc_hash(&tt_dense_desc);
	TT_ASSERT_EQ(
		tintin_model_init(&ck_a, &hashed, TINTIN_MODE_TRAIN, ck_arena, sizeof(ck_arena)), 0,
		"init a");
	ck_train(&ck_a, 0, 12);
	TT_ASSERT_EQ(
		tintin_fleet_export(&ck_a, TINTIN_FLEET_GLOBAL, 5u, 77u, msg, sizeof(msg), &len), 0,
		"export");
	TT_ASSERT(len == tintin_fleet_bytes(&ck_a) && len % 4u == 0u, "length %u", (unsigned)len);
	TT_ASSERT_EQ(
		tintin_model_init(&ck_b, &hashed, TINTIN_MODE_TRAIN, ck_arena2, sizeof(ck_arena2)),
		0, "init b");
	n = ck_snap(&ck_b, ck_s1);
	msg[len / 2u] ^= 0x10u;
	TT_ASSERT_EQ(tintin_fleet_apply(&ck_b, msg, len, &info), -EINVAL, "flipped byte");
	msg[len / 2u] ^= 0x10u;
	TT_ASSERT_EQ(tintin_fleet_apply(&ck_b, msg, len - 4u, &info), -EINVAL, "truncated");
	TT_ASSERT_EQ(tintin_fleet_apply(&ck_a, msg, len, NULL), 0, "its own message");
	(void)ck_snap(&ck_b, ck_s2);
	TT_ASSERT(memcmp(ck_s1, ck_s2, n) == 0, "a refused message changed the model");
	TT_ASSERT_EQ(tintin_fleet_apply(&ck_b, msg, len, &info), 0, "apply");
	TT_ASSERT(info.round == 5u && info.samples == 77u && info.kind == TINTIN_FLEET_GLOBAL,
		  "header fields");
	TT_ASSERT(ck_first_difference(&ck_a, &ck_b) < 0, "layer %d differs after apply",
		  ck_first_difference(&ck_a, &ck_b));
	TT_ASSERT_EQ(tintin_model_init(&ck_b, &tt_dense_desc, TINTIN_MODE_TRAIN, ck_arena2,
				       sizeof(ck_arena2)),
		     0, "init without hash");
	TT_ASSERT_EQ(tintin_fleet_apply(&ck_b, msg, len, NULL), -EINVAL, "a table without hash");
}

TT_TEST(tintin_checkpoint, test_fleet_sparse_round_trip)
{
	static struct tintin_model_desc hashed;
	static uint8_t base[512];
	static uint8_t msg[1024];
	struct tintin_fleet_info info = {0};
	size_t blen = 0u;
	size_t len = 0u;

	hashed = tt_dense_desc;
	hashed.hash = tintin_model_desc_hash(&tt_dense_desc);
	TT_ASSERT_EQ(
		tintin_model_init(&ck_a, &hashed, TINTIN_MODE_TRAIN, ck_arena, sizeof(ck_arena)), 0,
		"init a");
	TT_ASSERT_EQ(
		tintin_fleet_export(&ck_a, TINTIN_FLEET_GLOBAL, 4u, 0u, base, sizeof(base), &blen),
		0, "base");
	ck_train(&ck_a, 0, 12);
	/* Every weight's budget: the gateway rebuilds the node exactly. */
	TT_ASSERT_EQ(tintin_fleet_export_sparse(&ck_a, base, blen, 5u, 12u, 100000u, msg,
						sizeof(msg), &len),
		     0, "export sparse");
	TT_ASSERT(len % 4u == 0u && len < sizeof(msg), "length %u", (unsigned)len);
	TT_ASSERT_EQ(
		tintin_fleet_export_sparse(&ck_a, base, blen, 5u, 12u, 100000u, msg, 40u, &len),
		-ENOSPC, "small buffer");
	TT_ASSERT_EQ(tintin_fleet_export_sparse(&ck_a, base, blen, 5u, 12u, 100000u, msg,
						sizeof(msg), &len),
		     0, "export sparse again");
	TT_ASSERT_EQ(
		tintin_model_init(&ck_b, &hashed, TINTIN_MODE_TRAIN, ck_arena2, sizeof(ck_arena2)),
		0, "init b");
	msg[len / 2u] ^= 0x04u;
	TT_ASSERT_EQ(tintin_fleet_apply_sparse(&ck_b, base, blen, msg, len, &info), -EINVAL,
		     "flipped bit");
	msg[len / 2u] ^= 0x04u;
	TT_ASSERT_EQ(tintin_fleet_apply_sparse(&ck_b, base, blen, msg, len, &info), 0, "apply");
	TT_ASSERT(info.round == 5u && info.samples == 12u && info.kind == TINTIN_FLEET_SPARSE,
		  "header fields");
	TT_ASSERT(ck_first_difference(&ck_a, &ck_b) < 0,
		  "layer %d differs after the sparse round trip",
		  ck_first_difference(&ck_a, &ck_b));
}

/*
 * Weight averaging into a model laid out to average: all of the model copies it, a model
 * averaged with its own copy stays itself (the sums are exact at one exponent), a blend of two
 * different models differs from both, and bad arguments are refused, on every target this
 * suite runs on.
 */
TT_TEST(tintin_checkpoint, test_weight_average)
{
	static uint32_t arena3[256];
	static struct tintin_model avg;

	TT_ASSERT_EQ(tintin_average_share(1u, TINTIN_AVERAGE_SPAN, TINTIN_AVERAGE_FLOOR_SHIFT),
		     49152u, "first share 3/4");
	TT_ASSERT_EQ(tintin_average_share(1000u, TINTIN_AVERAGE_SPAN, TINTIN_AVERAGE_FLOOR_SHIFT),
		     2048u, "the floor, 1/32");
	TT_ASSERT_EQ(ck_init(&ck_a, ck_arena), 0, "init a");
	ck_train(&ck_a, 0, 12);
	TT_ASSERT_EQ(tintin_model_init(&avg, &tt_dense_desc, TINTIN_MODE_AVERAGE, arena3,
				       sizeof(arena3)),
		     0, "init the average");
	TT_ASSERT_EQ(tintin_model_average(&avg, &ck_a, TINTIN_AVERAGE_ALL), 0, "copy");
	TT_ASSERT(ck_first_difference(&avg, &ck_a) < 0, "layer %d differs after a copy",
		  ck_first_difference(&avg, &ck_a));
	TT_ASSERT_EQ(tintin_model_average(&avg, &ck_a, 20000u), 0, "average with itself");
	TT_ASSERT(ck_first_difference(&avg, &ck_a) < 0, "layer %d moved",
		  ck_first_difference(&avg, &ck_a));
	ck_train(&ck_a, 12, 12);
	TT_ASSERT_EQ(tintin_model_average(&avg, &ck_a, 20000u), 0, "blend");
	TT_ASSERT(ck_first_difference(&avg, &ck_a) >= 0, "the blend is the model");
	TT_ASSERT_EQ(tintin_model_average(&avg, &ck_a, 0u), -EINVAL, "share 0");
	TT_ASSERT_EQ(tintin_model_average(&avg, &ck_a, TINTIN_AVERAGE_ALL + 1u), -EINVAL,
		     "share over 2^16");
	TT_ASSERT_EQ(tintin_model_average(&ck_a, &ck_a, 100u), -EINVAL, "itself");
	TT_ASSERT_EQ(tintin_model_average(&ck_a, &avg, 100u), -EINVAL, "from an average");
	TT_ASSERT_EQ(tintin_model_average(NULL, &ck_a, 100u), -EINVAL, "NULL");
}
