/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Power-loss-safe checkpoints of a model's whole trainable state.
 *
 * A checkpoint holds every trained parameter (int8 weights, the int16 masters' low bytes,
 * int32 biases), the optimizer state (momentum), the PRNG state and the step and saturation
 * counters: restoring one and training on gives the same integers as never having stopped.
 *
 * Storage is two slots of slot_size bytes. A save writes the slot that does not hold the
 * newest valid checkpoint: erase, payload, then the header last, so until the header's last
 * byte lands the slot is invalid and the other slot still holds the previous checkpoint. A
 * restore takes the valid slot with the highest sequence number. Valid means: magic, format
 * version, header CRC-32, the model's layout hash, a payload size equal to what this model
 * needs, and the payload CRC-32. Every size read from storage is checked before use, so a
 * hostile or half-written image gives an error, never an out-of-bounds access.
 *
 * Slot layout (little-endian integers, as on every supported core):
 *
 *   0   header: magic "TTCK", u16 version, u16 header bytes (32), u32 sequence,
 *       u32 model hash, u32 payload bytes, u32 payload CRC-32, u32 zero, u32 header CRC-32
 *   32  zero padding to TINTIN_CKPT_PAYLOAD_OFFSET
 *   64  payload: per layer in order, the trained arrays (w, w_lo, w_mom, bias, b_mom) that
 *       exist and, when the weights train, their exponent (int8) and rate back-off
 *       (u8); then prng key and counter, then struct tintin_stats (u32 each)
 *
 * @defgroup tintin_checkpoint Checkpoints
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_CHECKPOINT_H_
#define TINTIN_CHECKPOINT_H_

#include <stddef.h>
#include <stdint.h>

#include <tintin/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/** "TTCK" as a little-endian u32. */
#define TINTIN_CKPT_MAGIC 0x4b435454u
/** Format version this runtime writes and reads. */
#define TINTIN_CKPT_VERSION 4u
/** Bytes of the header proper. */
#define TINTIN_CKPT_HEADER_BYTES 32u
/** Where the payload starts in a slot (the header block, padded for write units). */
#define TINTIN_CKPT_PAYLOAD_OFFSET 64u
/** Largest write unit a storage may ask for. */
#define TINTIN_CKPT_WRITE_BLOCK_MAX 64u

/**
 * Where checkpoints live. Slot k occupies [k * slot_size, (k + 1) * slot_size).
 *
 * Every callback returns 0 when all len bytes were read, written or erased, or a negative
 * errno (-EIO for a medium error is usual; any negative value is passed back to the caller
 * of save or restore unchanged). A positive return, such as the byte count some drivers
 * give, breaks this contract: it is logged and treated as -EIO, never as success. A short
 * read or write must be reported as an error, not as a smaller count.
 */
struct tintin_storage {
	/** Read len bytes at off. */
	int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
	/** Write len bytes at off; off and len are multiples of write_block. */
	int (*write)(void *ctx, uint32_t off, const void *buf, size_t len);
	/** Erase [off, off + len) to the medium's erased state; NULL when writes need no erase.
	 *  Called with whole slots, so slot_size must be a multiple of the erase unit.
	 */
	int (*erase)(void *ctx, uint32_t off, size_t len);
	void *ctx;
	uint32_t slot_size;   /**< bytes per slot, at least tintin_checkpoint_bytes() */
	uint16_t write_block; /**< write unit: a power of two, 1..TINTIN_CKPT_WRITE_BLOCK_MAX */
};

/** What a restore found. */
struct tintin_ckpt_info {
	uint32_t seq;  /**< sequence number of the restored checkpoint */
	uint8_t slot;  /**< slot it came from */
	uint8_t valid; /**< number of valid slots found (0..2) */
};

/** @brief Slot bytes a checkpoint of this (initialised, training) model needs. */
size_t tintin_checkpoint_bytes(const struct tintin_model *m);

/**
 * @brief Identity of a model description for checkpoints: FNV-1a over every field that
 * shapes state and over the whole table (tintin_model_desc_hash(): frozen and initial
 * weights, biases, exponents, seed), so a checkpoint restores only into the table it was
 * trained from.
 */
uint32_t tintin_checkpoint_model_hash(const struct tintin_model_desc *desc);

/**
 * @brief Write the model's trainable state as the next checkpoint.
 * @param[out] seq  sequence number written, or NULL
 * @retval 0 written and read back intact
 * @retval -EINVAL bad arguments, a model not in training mode, or slots too small
 * @retval -EIO the read-back did not match, or a callback returned a positive value
 * @retval other negative errno from the storage callbacks (the previous checkpoint survives)
 *
 * Every failure is logged. The model is only read.
 */
int tintin_checkpoint_save(const struct tintin_model *m, const struct tintin_storage *st,
			   uint32_t *seq);

/**
 * @brief Load the newest valid checkpoint into an initialised training model.
 * @param[out] info  what was found, or NULL
 * Both slots are read and checked whole (header, payload CRC, every layer's exponent and
 * rate back-off) before the model is touched. A failure up to there leaves the model as it
 * was. Only a storage fault during the load itself, or a slot that changes between the
 * check and the load, can stop a load half-way: then the model is put back to its table's
 * initial state (as after tintin_model_init()), never left a mix of two states.
 *
 * @retval 0 restored
 * @retval -ENOENT no slot holds a valid checkpoint of this model (the model is untouched)
 * @retval -ERANGE the only CRC-valid slots hold an exponent or back-off training cannot
 * produce (tintin_model_check_exps()); the model is untouched
 * @retval -EINVAL bad arguments or storage geometry (the model is untouched)
 * @retval -EIO a callback returned a positive value, or the slot changed while loading
 * @retval other negative errno from the storage callbacks
 */
int tintin_checkpoint_restore(struct tintin_model *m, const struct tintin_storage *st,
			      struct tintin_ckpt_info *info);

/** @brief CRC-32 (IEEE 802.3, as zlib's crc32) of len bytes, continuing from crc (0 to start). */
uint32_t tintin_crc32(uint32_t crc, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_CHECKPOINT_H_ */
