/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Build-time configuration of the Tin-Tin core.
 *
 * The core never reads CONFIG_* symbols. Every knob is a TINTIN_* macro with a default here;
 * a build sets them with -D flags (the Zephyr glue maps Kconfig onto them) or through a header
 * named by TINTIN_CONFIG_FILE, included first.
 */

#ifndef TINTIN_CONFIG_H_
#define TINTIN_CONFIG_H_

#ifdef TINTIN_CONFIG_FILE
#include TINTIN_CONFIG_FILE
#endif

#include <errno.h>

/** Maximum number of layers in one model; sizes struct tintin_model. */
#ifndef TINTIN_MAX_LAYERS
#define TINTIN_MAX_LAYERS 16
#endif
#if (TINTIN_MAX_LAYERS < 1) || (TINTIN_MAX_LAYERS > 64)
#error "TINTIN_MAX_LAYERS must be in 1..64"
#endif

/** Largest batch any model may declare (struct tintin_model_desc.max_batch). */
#ifndef TINTIN_MAX_BATCH
#define TINTIN_MAX_BATCH 256
#endif
#if (TINTIN_MAX_BATCH < 1) || (TINTIN_MAX_BATCH > 256)
#error "TINTIN_MAX_BATCH must be in 1..256"
#endif

/** Make a training step fail with -EOVERFLOW when a parameter saturates (1) or count it (0). */
#ifndef TINTIN_STRICT_OVERFLOW
#define TINTIN_STRICT_OVERFLOW 0
#endif

/**
 * Layer families compiled in. A disabled family's code is referenced nowhere (src/internal.h's
 * predicates answer no for it at compile time), so a --gc-sections link leaves it out, and a
 * table that uses it is refused by the planner, init and the blob parser with -ENOTSUP and a
 * log line. The same holds for the losses, rules and optimizer state below.
 */
#ifndef TINTIN_OP_DENSE
#define TINTIN_OP_DENSE 1
#endif
#ifndef TINTIN_OP_CONV
#define TINTIN_OP_CONV 1
#endif

#ifndef TINTIN_OP_POOL
#define TINTIN_OP_POOL 1
#endif

#ifndef TINTIN_OP_RELU
#define TINTIN_OP_RELU 1
#endif

/** Losses and update rules compiled in; a disabled one makes init return -ENOTSUP. */
#ifndef TINTIN_LOSS_XENT_ENABLED
#define TINTIN_LOSS_XENT_ENABLED 1
#endif
#ifndef TINTIN_LOSS_MSE_ENABLED
#define TINTIN_LOSS_MSE_ENABLED 1
#endif
#ifndef TINTIN_RULE_NITI_ENABLED
#define TINTIN_RULE_NITI_ENABLED 1
#endif

/** Optimizer state compiled in: momentum and int16 master weights (initial upscaling). */
#ifndef TINTIN_MOMENTUM_ENABLED
#define TINTIN_MOMENTUM_ENABLED 1
#endif
#ifndef TINTIN_UPSCALE_ENABLED
#define TINTIN_UPSCALE_ENABLED 1
#endif

/**
 * Rounding of updates in TINTIN_OPTIM_DEFAULT, _COMPACT and _MOMENTUM: 0 = true stochastic
 * (TINTIN_ROUND_STOCHASTIC, from the model's PRNG), 1 = NITI's pseudo-stochastic
 * (TINTIN_ROUND_PSEUDO, no PRNG draws).
 */
#ifndef TINTIN_ROUNDING_DEFAULT
#define TINTIN_ROUNDING_DEFAULT 0
#endif
#if (TINTIN_ROUNDING_DEFAULT != 0) && (TINTIN_ROUNDING_DEFAULT != 1)
#error "TINTIN_ROUNDING_DEFAULT must be 0 (stochastic) or 1 (pseudo-stochastic)"
#endif

/**
 * Error log hook: called with a printf-style format before a public function returns a
 * negative errno. Defaults to nothing; the Zephyr glue maps it to LOG_ERR and the host
 * build to stderr.
 */
#ifndef TINTIN_LOG_ERR
/* Default: discard, but still "use" the arguments so -Wunused stays quiet. */
static inline void tintin_log_discard(const char *fmt, ...)
{
	(void)fmt;
}
#define TINTIN_LOG_ERR(...) tintin_log_discard(__VA_ARGS__)
#endif

/*
 * TINTIN_NO_ASM (define it to build the plain C kernels only): without it the dot-product
 * kernels use hand-written Armv6-M code on Cortex-M0/M0+ and SXTB16/SMLAD on cores with the
 * DSP extension. Both compute the same integers; tests run both.
 */

/*
 * TINTIN_VECTOR_LOOPS: branch-free forms of the per-element loops (the stochastic update rows),
 * which a compiler turns into SIMD code: every element is computed, including those the
 * branching loops skip (a zero gradient moves nothing), so both forms store the same
 * integers. On by default only where the compiler targets AVX2 or wider (the host library
 * built for the host CPU, lib/tintin/CMakeLists.txt's TINTIN_NATIVE); microcontrollers keep the
 * branching loops, where skipping saves more than branches cost. Define it to 0 or 1 to
 * choose.
 */
#ifndef TINTIN_VECTOR_LOOPS
#if defined(__AVX2__)
#define TINTIN_VECTOR_LOOPS 1
#else
#define TINTIN_VECTOR_LOOPS 0
#endif
#endif

/* Per-element helpers that must inline for speed (the dtype switch then folds away). */
#if defined(__GNUC__) || defined(__clang__)
#define TINTIN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TINTIN_ALWAYS_INLINE inline
#endif

/* A function kept out of line, so that its stack frame stays off the callers' common path. */
#if defined(__GNUC__) || defined(__clang__)
#define TINTIN_NOINLINE __attribute__((noinline))
#else
#define TINTIN_NOINLINE
#endif

/* A branch that is almost never taken (saturation in the update loops): laid out off the
 * hot path instead of computed branch-free on every element.
 */
#if defined(__GNUC__) || defined(__clang__)
#define TINTIN_UNLIKELY(c) __builtin_expect(!!(c), 0)
#else
#define TINTIN_UNLIKELY(c) (c)
#endif

/* ENOTSUP and EOVERFLOW are POSIX, not ISO C; every libc we target has them. */
#ifndef ENOTSUP
#define ENOTSUP 134
#endif
#ifndef EOVERFLOW
#define EOVERFLOW 139
#endif

#endif /* TINTIN_CONFIG_H_ */
