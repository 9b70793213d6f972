/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * A fleet message (tintin/fleet.h) framed as CBOR with zcbor, and the frame as one line of hex
 * on the console. The frame, in CDDL (docs/fleet.md; scripts/tintin/io/fleetcbor.py reads and
 * writes the same bytes):
 *
 *   tintin-fleet-frame = ["tintin-fleet", version: 1, message: bstr]
 */

#ifndef FLEET_CBOR_H_
#define FLEET_CBOR_H_

#include <stddef.h>
#include <stdint.h>

#define FLEET_CBOR_VERSION  1u
/* The frame around a message under 64 KiB: array head, the 12-character text, the version,
 * a bstr head of up to 3 bytes.
 */
#define FLEET_CBOR_OVERHEAD 18u

/**
 * @brief Frame msg as CBOR into out.
 * @retval 0 on success, -ENOSPC when out is too small.
 */
int fleet_cbor_encode(const uint8_t *msg, size_t len, uint8_t *out, size_t cap, size_t *out_len);

/**
 * @brief The message inside a CBOR frame: *msg points into cbor.
 * @retval 0 on success, -EINVAL for anything but a version-1 tintin-fleet frame.
 */
int fleet_cbor_decode(const uint8_t *cbor, size_t len, const uint8_t **msg, size_t *msg_len);

/** @brief Lower-case hex of n bytes into text (2n characters and a NUL). */
void fleet_hex_encode(const uint8_t *in, size_t n, char *text);

/**
 * @brief Bytes of a hex string (either case, even length).
 * @retval the number of bytes, or -EINVAL for an odd length or a character that is not hex,
 * -ENOSPC when out is too small.
 */
int fleet_hex_decode(const char *text, uint8_t *out, size_t cap);

#endif /* FLEET_CBOR_H_ */
