/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

#include <errno.h>

#include "env_data.h"
#include "replay.h"

static int env_replay_next(void *ctx, struct env_reading *r)
{
	struct env_replay *rp = ctx;

	if (rp->pos >= ENV_STREAM_N) {
		return -ENODATA;
	}
	r->t = env_stream_raw[rp->pos * ENV_STREAM_SIZE];
	r->h = env_stream_raw[rp->pos * ENV_STREAM_SIZE + 1u];
	r->label = (int8_t)env_stream_y[rp->pos];
	rp->pos++;
	return 0;
}

static int env_replay_skip(void *ctx, uint32_t readings)
{
	struct env_replay *rp = ctx;

	if (readings > ENV_STREAM_N) {
		return -EINVAL;
	}
	rp->pos = readings;
	return 0;
}

void env_replay_source(struct env_source *src, struct env_replay *rp)
{
	rp->pos = 0u;
	src->name = "replay of the embedded readings";
	src->next = env_replay_next;
	src->skip = env_replay_skip;
	src->ctx = rp;
}

uint32_t env_replay_len(void)
{
	return ENV_STREAM_N;
}
