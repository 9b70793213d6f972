/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Model blobs: a model table and its parameters as one byte image loaded at run time.
 *
 * A blob carries what a generated header compiles in (`tintin gen model --blob` writes one),
 * for models delivered after the build: over the air, from a flash partition or a file. It
 * may be truncated, corrupt or hostile. tintin_model_blob_parse checks every field and every
 * size against the blob's length before use and builds a struct tintin_model_desc whose
 * weights and biases point into the blob (nothing is copied, so weights in memory-mapped
 * flash stay there). Its hash is the table hash that tintin_model_plan and tintin_model_init
 * verify, as for every table: a blob is accepted only when its structure parses *and* init
 * finds the hash matching the contents. Every byte of a valid blob is covered by one of the
 * two checks.
 *
 * Layout (little-endian integers, as on every supported core):
 *
 *   0   header, 36 bytes: magic "TTMB", u16 version, u8 layers, u8 loss, u16 max_batch,
 *       u16 input h, w, c, optimizer (u8 rule, lr_shift, lr_mult, mu, momentum_shift,
 *       upscale_bits, rounding, upscale_scope), u32 seed, u32 table hash (not 0), u32 total bytes
 *   36  one 16-byte record per layer: u8 type, train, u16 units, u8 kernel_h, kernel_w,
 *       stride, pad, i8 w_exp, u8 zero, u16 bias words (0 or the layer's rows), u32 weights
 *   ..  per layer with parameters, in order: its int8 weights, zero padding to a multiple of
 *       4 bytes, its int32 biases; the blob ends exactly after the last layer's data
 *
 * @defgroup tintin_blob Model blobs
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_BLOB_H_
#define TINTIN_BLOB_H_

#include <stddef.h>
#include <stdint.h>

#include <tintin/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** "TTMB" as a little-endian u32. */
#define TINTIN_BLOB_MAGIC 0x424d5454u
/** Blob format version this runtime reads. */
#define TINTIN_BLOB_VERSION 2u
/** Bytes of the blob header. */
#define TINTIN_BLOB_HEADER_BYTES 36u
/** Bytes of one layer record. */
#define TINTIN_BLOB_LAYER_BYTES 16u

/** A parsed blob: a model table whose weights and biases point into the blob. */
struct tintin_model_blob {
	struct tintin_model_desc desc;
	struct tintin_layer_desc layers[TINTIN_MAX_LAYERS];
};

/**
 * @brief Check a blob and build its model table in out.
 *
 * The blob must stay in place, unchanged, while a model built from out is in use.
 *
 * @param out   filled on success; zeroed on failure
 * @param blob  the image, 4-byte aligned (the biases are read in place)
 * @param size  bytes available at blob (at least the blob's total; a partition may be larger)
 * @retval 0 on success; pass &out->desc to tintin_model_plan and tintin_model_init.
 * @retval -EINVAL NULL or misaligned arguments, a truncated or malformed blob, a size that
 *         does not fit, a table the planner refuses (the log says which).
 * @retval -ENOTSUP a newer blob format, a big-endian core, or a layer or loss disabled in
 *         this build.
 * @retval -ERANGE an optimizer setting or exponent out of range.
 */
int tintin_model_blob_parse(struct tintin_model_blob *out, const void *blob, size_t size);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_BLOB_H_ */
