/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Tin-Tin umbrella header: integer-only training for FPU-less microcontrollers.
 */

#ifndef TINTIN_TINTIN_H_
#define TINTIN_TINTIN_H_

#include <tintin/config.h>
#include <tintin/types.h>
#include <tintin/fixedpoint.h>
#include <tintin/arena.h>
#include <tintin/ops.h>
#include <tintin/loss.h>
#include <tintin/optim.h>
#include <tintin/model.h>
#include <tintin/checkpoint.h>
#include <tintin/blob.h>
#include <tintin/fedavg.h>
#include <tintin/average.h>
#include <tintin/fleet.h>

#endif /* TINTIN_TINTIN_H_ */
