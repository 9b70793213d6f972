/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include "fleet_cbor.h"

#include <errno.h>
#include <string.h>

#include <zcbor_decode.h>
#include <zcbor_encode.h>

int fleet_cbor_encode(const uint8_t *msg, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	ZCBOR_STATE_E(es, 1, out, cap, 1);

	bool ok = zcbor_list_start_encode(es, 3) && zcbor_tstr_put_lit(es, "tintin-fleet") &&
		  zcbor_uint32_put(es, FLEET_CBOR_VERSION) &&
		  zcbor_bstr_encode_ptr(es, (const char *)msg, len) && zcbor_list_end_encode(es, 3);

	if (!ok) {
		return -ENOSPC;
	}
	*out_len = (size_t)(es->payload - out);
	return 0;
}

int fleet_cbor_decode(const uint8_t *cbor, size_t len, const uint8_t **msg, size_t *msg_len)
{
	ZCBOR_STATE_D(ds, 1, cbor, len, 1);
	struct zcbor_string body;
	uint32_t version;

	bool ok = zcbor_list_start_decode(ds) && zcbor_tstr_expect_lit(ds, "tintin-fleet") &&
		  zcbor_uint32_decode(ds, &version) && version == FLEET_CBOR_VERSION &&
		  zcbor_bstr_decode(ds, &body) && zcbor_list_end_decode(ds);

	/* Nothing may follow the frame: a line carries exactly one. */
	if (!ok || ds->payload != cbor + len) {
		return -EINVAL;
	}
	*msg = body.value;
	*msg_len = body.len;
	return 0;
}

void fleet_hex_encode(const uint8_t *in, size_t n, char *text)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		text[2 * i] = digits[in[i] >> 4];
		text[2 * i + 1] = digits[in[i] & 0xf];
	}
	text[2 * n] = '\0';
}

static int fleet_nibble(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int fleet_hex_decode(const char *text, uint8_t *out, size_t cap)
{
	size_t n = strlen(text);

	if (n % 2u != 0u) {
		return -EINVAL;
	}
	if (n / 2u > cap) {
		return -ENOSPC;
	}
	for (size_t i = 0; i < n / 2u; i++) {
		int hi = fleet_nibble(text[2 * i]);
		int lo = fleet_nibble(text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2u);
}
