/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Zephyr glue: CONFIG_TINTIN_* onto the core's TINTIN_* macros.
 *
 * zephyr/CMakeLists.txt names this header as TINTIN_CONFIG_FILE for the whole build, so the
 * library and the application see the same struct layouts.
 */

#ifndef TINTIN_ZEPHYR_CONFIG_H_
#define TINTIN_ZEPHYR_CONFIG_H_

#define TINTIN_MAX_LAYERS CONFIG_TINTIN_MAX_LAYERS
#define TINTIN_MAX_BATCH  CONFIG_TINTIN_MAX_BATCH

#ifdef CONFIG_TINTIN_OP_DENSE
#define TINTIN_OP_DENSE 1
#else
#define TINTIN_OP_DENSE 0
#endif
#ifdef CONFIG_TINTIN_OP_CONV
#define TINTIN_OP_CONV 1
#else
#define TINTIN_OP_CONV 0
#endif
#ifdef CONFIG_TINTIN_OP_POOL
#define TINTIN_OP_POOL 1
#else
#define TINTIN_OP_POOL 0
#endif
#ifdef CONFIG_TINTIN_OP_RELU
#define TINTIN_OP_RELU 1
#else
#define TINTIN_OP_RELU 0
#endif
#ifdef CONFIG_TINTIN_LOSS_XENT
#define TINTIN_LOSS_XENT_ENABLED 1
#else
#define TINTIN_LOSS_XENT_ENABLED 0
#endif
#ifdef CONFIG_TINTIN_LOSS_MSE
#define TINTIN_LOSS_MSE_ENABLED 1
#else
#define TINTIN_LOSS_MSE_ENABLED 0
#endif
#ifdef CONFIG_TINTIN_OPTIM_MOMENTUM
#define TINTIN_MOMENTUM_ENABLED 1
#else
#define TINTIN_MOMENTUM_ENABLED 0
#endif
#ifdef CONFIG_TINTIN_OPTIM_UPSCALE
#define TINTIN_UPSCALE_ENABLED 1
#else
#define TINTIN_UPSCALE_ENABLED 0
#endif
#ifdef CONFIG_TINTIN_OPTIM_NITI
#define TINTIN_RULE_NITI_ENABLED 1
#else
#define TINTIN_RULE_NITI_ENABLED 0
#endif
#ifdef CONFIG_TINTIN_ROUNDING_PSEUDO
#define TINTIN_ROUNDING_DEFAULT 1
#else
#define TINTIN_ROUNDING_DEFAULT 0
#endif
#ifdef CONFIG_TINTIN_STRICT_OVERFLOW
#define TINTIN_STRICT_OVERFLOW 1
#else
#define TINTIN_STRICT_OVERFLOW 0
#endif

/* Errors go to Zephyr's log as module "tintin" (tintin_zephyr.c), unless its level is off. */
#if defined(CONFIG_TINTIN_LOG_LEVEL) && (CONFIG_TINTIN_LOG_LEVEL > 0)
void tintin_z_log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define TINTIN_LOG_ERR(...) tintin_z_log_err(__VA_ARGS__)
#endif

#endif /* TINTIN_ZEPHYR_CONFIG_H_ */
