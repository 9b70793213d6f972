/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* The embedded readings (env_data.h) as an env_source, for native_sim, qemu and the host. */

#ifndef ENV_REPLAY_H_
#define ENV_REPLAY_H_

#include "env_cl.h"

struct env_replay {
	uint32_t pos;
};

/** @brief A source that replays the embedded stream from its start. */
void env_replay_source(struct env_source *src, struct env_replay *rp);

/** @brief Readings in the embedded stream. */
uint32_t env_replay_len(void);

#endif /* ENV_REPLAY_H_ */
