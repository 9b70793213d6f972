/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Fleet messages: a node's trained parameters out, a global model in.
 *
 * A message carries the trained layers of one model (int8 weights, int32 biases, the weight
 * exponent), the table's hash, a round number and a sample count, and ends in a CRC-32. All
 * fields are little-endian; every layer's part starts 4-byte aligned:
 *
 *   0  u32 TINTIN_FLEET_MAGIC   4 u8 version   5 u8 kind   6 u8 layers   7 u8 0
 *   8  u32 table hash          12 u32 round   16 u32 samples
 *   per trained layer, in table order: u8 index, i8 w_exp, u8 what (bit 0 weights, bit 1
 *   biases), u8 0; rows int32 biases; n_w int8 weights; zeros up to a multiple of 4
 *   last 4: CRC-32 of everything before
 *
 * scripts/tintin/io/fleetmsg.py writes and reads the same bytes.
 *
 * @defgroup tintin_fleet Fleet messages
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_FLEET_H_
#define TINTIN_FLEET_H_

#include <stddef.h>
#include <stdint.h>

#include <tintin/fedavg.h>
#include <tintin/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/** "TTFU" */
#define TINTIN_FLEET_MAGIC   0x55465454u
#define TINTIN_FLEET_VERSION 1u
/** One radio frame: the env sample's model must fit it. */
#define TINTIN_FLEET_FRAME   222u

/** What a message holds. */
enum tintin_fleet_kind {
	TINTIN_FLEET_UPDATE = 0, /**< a node's parameters after local training */
	TINTIN_FLEET_GLOBAL = 1, /**< the fleet's averaged model, for the nodes to apply */
	TINTIN_FLEET_SPARSE = 2, /**< a node's update as its top-k changed weights */
};

/** A message's header fields, as tintin_fleet_apply read them. */
struct tintin_fleet_info {
	uint32_t round;
	uint32_t samples;
	uint8_t kind;
};

/** @brief Bytes of m's messages (0 for a model that is not initialised for training). */
size_t tintin_fleet_bytes(const struct tintin_model *m);

/**
 * @brief Write m's trained parameters as a message of *len = tintin_fleet_bytes(m) bytes.
 * @retval 0 on success.
 * @retval -EINVAL NULL arguments, a model not initialised for training, a table without a
 * hash, an unknown kind.
 * @retval -ENOSPC cap is smaller than the message.
 */
int tintin_fleet_export(const struct tintin_model *m, uint8_t kind, uint32_t round,
			uint32_t samples, uint8_t *buf, size_t cap, size_t *len);

/**
 * @brief Load a message's parameters into m: every trained layer's weights, biases and weight
 * exponent (int16 masters restart at 256 w, momentum at 0). The whole message is checked
 * first (length, magic, version, kind, CRC-32, the table's hash, every layer's index, parts
 * and exponent window), so a refused message leaves m as it was.
 * @param[out] info  optional: round, samples and kind of the message
 * @retval 0 on success.
 * @retval -EINVAL NULL arguments, a model not initialised for training, or a message that is
 * truncated, corrupt or of another table (the log says which).
 * @retval -ERANGE a weight exponent outside its layer's training window.
 */
int tintin_fleet_apply(struct tintin_model *m, const uint8_t *msg, size_t len,
		       struct tintin_fleet_info *info);

/**
 * @brief Write m's update as a sparse message: the k weights that changed most against the
 * global model base (the message the node applied this round), with every trained layer's
 * exponent and biases.
 *
 * Layout: the dense header with kind TINTIN_FLEET_SPARSE, then u32 the CRC-32 field of base;
 * per trained layer in table order its 4-byte head (index, w_exp, what, 0), rows int32 biases,
 * and when it trains weights u32 count and count entries (LEB128 gap to the previous index,
 * or the first index; int8 weight), zeros up to a multiple of 4; last the CRC-32.
 *
 * A weight's change is its distance to base's weight re-expressed at the layer's current
 * exponent (shifted up, saturating to +-127, or rounded half up when coarser), exactly what
 * tintin_fleet_apply_sparse rebuilds for the weights not sent. Layer i gets
 * ceil(k n_i / N) of the k (n_i its weights, N all trained weights); within a layer the
 * largest changes go first, lower indices first on ties, and unchanged weights never.
 * @retval 0 on success, *len the message's bytes.
 * @retval -EINVAL NULL arguments, a model not initialised for training, base not a global
 * model of m's table (checked as tintin_fleet_apply checks).
 * @retval -ERANGE an exponent of base outside its window.
 * @retval -ENOSPC cap too small for the message.
 */
int tintin_fleet_export_sparse(const struct tintin_model *m, const uint8_t *base, size_t base_len,
			       uint32_t round, uint32_t samples, uint32_t k, uint8_t *buf,
			       size_t cap, size_t *len);

/**
 * @brief Rebuild a node's update from its sparse message and the global model base it is
 * against, into m (a gateway's copy): every trained layer takes the message's exponent and
 * biases, its weights base's re-expressed at that exponent with the sent ones in place. The
 * whole message is checked first (length, magic, version, kind, CRC-32, the table's hash,
 * base's CRC-32, every layer's head and exponent window, entries in increasing index order
 * within the layer, padding), so a refused message leaves m as it was. tintin_fleet_export
 * of kind TINTIN_FLEET_UPDATE then writes the dense update for tintin_fleet_aggregate.
 * @param[out] info  optional: round, samples and kind of the message
 * @retval 0 on success.
 * @retval -EINVAL NULL arguments, a message that is truncated, corrupt, of another table or
 * against another base, base not a global model of m's table.
 * @retval -ERANGE an exponent outside its layer's training window.
 */
int tintin_fleet_apply_sparse(struct tintin_model *m, const uint8_t *base, size_t base_len,
			      const uint8_t *msg, size_t len, struct tintin_fleet_info *info);

/**
 * Server momentum for a gateway's round (FedAvgM, with the server's rate 1): the new global
 * model is mean + beta * (last - before), where last and before are the gateway's last two
 * global models. That is FedAvgM's v = beta v + (mean - last), g = last + v, with v kept as
 * the step the globals took last round, so the gateway holds no state beyond its messages.
 */
struct tintin_fleet_momentum {
	const uint8_t *last;   /**< the last round's global model message (4-byte aligned) */
	const uint8_t *before; /**< the global model of the round before (the same at round 1) */
	uint16_t beta;         /**< beta as a share of 2^16 (0.875 = 57344); 0 averages only */
};

/**
 * @brief A gateway's round: average k nodes' update messages of m's model into m, with server
 * momentum when mom is given and its beta is nonzero.
 *
 * Every message is checked as tintin_fleet_apply checks it before anything is written (the
 * momentum's two must be global models). Then each trained layer becomes the
 * tintin_fedavg_combine of the messages' copies, weighted by their tintin_fedavg_shares of the
 * samples, plus beta times the last global model's copy minus beta times the one before; its
 * exponent stays within the layer's training window. Draws come from r: layer after layer in
 * table order, each taking n_w + rows numbers (the layers' weights and biases it carries).
 * tintin_fleet_export then writes the global model. The messages must be 4-byte aligned
 * (their biases are read in place, as the little-endian cores read them), all of
 * tintin_fleet_bytes(m).
 * @param mom     NULL, or the server momentum
 * @param parts   k entries of scratch (k + 2 with momentum)
 * @param shares  k entries (k + 2 with momentum): each message's share of 2^16, then beta and
 * -beta
 * @retval 0 on success; m is unchanged otherwise.
 * @retval -EINVAL NULL arguments, k = 0, a message refused as by tintin_fleet_apply, a
 * misaligned message, momentum messages that are not global models, no samples in all.
 * @retval -ERANGE an exponent outside its window, or copies further apart than
 * TINTIN_FEDAVG_MAX_SPREAD (minus tintin_fedavg_extra_bits with momentum).
 */
int tintin_fleet_aggregate(struct tintin_model *m, const uint8_t *const *msgs, const size_t *lens,
			   uint16_t k, const struct tintin_fleet_momentum *mom,
			   const struct tintin_prng *r, struct tintin_fedavg_part *parts,
			   int32_t *shares);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* TINTIN_FLEET_H_ */
