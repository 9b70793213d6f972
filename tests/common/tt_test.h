/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * One set of C test bodies, two runners: under Zephyr the macros are ztest's (twister runs
 * them on native_sim and qemu_cortex_m3); on the host they register with the small runner in
 * tests/host/tt_main.c (ctest runs it in CI, where there is no Zephyr tree).
 */

#ifndef TT_TEST_H_
#define TT_TEST_H_

#ifdef __ZEPHYR__

#include <zephyr/ztest.h>

#define TT_SUITE(suite)          ZTEST_SUITE(suite, NULL, NULL, NULL, NULL, NULL)
#define TT_TEST(suite, name)     ZTEST(suite, name)
#define TT_ASSERT(cond, ...)     zassert_true(cond, __VA_ARGS__)
#define TT_ASSERT_EQ(a, b, ...)  zassert_equal(a, b, __VA_ARGS__)
#define TT_SKIP()                ztest_test_skip()
#define TT_PRINT(...)            printk(__VA_ARGS__)

#else /* host */

#include <stdio.h>

struct tt_case {
	const char *suite;
	const char *name;
	void (*fn)(void);
	struct tt_case *next;
};

void tt_register(struct tt_case *c);
void tt_fail(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tt_skip(void);

#define TT_SUITE(suite) extern int tt_suite_##suite
#define TT_TEST(suite, name)                                                                       \
	static void suite##_##name(void);                                                          \
	static struct tt_case tt_case_##suite##_##name = {#suite, #name, suite##_##name, NULL};    \
	__attribute__((constructor)) static void tt_reg_##suite##_##name(void)                     \
	{                                                                                          \
		tt_register(&tt_case_##suite##_##name);                                            \
	}                                                                                          \
	static void suite##_##name(void)
#define TT_ASSERT(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			tt_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                           \
			return;                                                                    \
		}                                                                                  \
	} while (0)
#define TT_ASSERT_EQ(a, b, ...) TT_ASSERT((a) == (b), __VA_ARGS__)
#define TT_SKIP()                                                                                  \
	do {                                                                                       \
		tt_skip();                                                                         \
		return;                                                                            \
	} while (0)
#define TT_PRINT(...) printf(__VA_ARGS__)

#endif /* __ZEPHYR__ */

/* Element-wise comparison of two integer arrays; names the first index that differs. */
#define TT_ASSERT_ARRAY_EQ(got, want, n, what)                                                     \
	do {                                                                                       \
		for (size_t tt_k = 0; tt_k < (size_t)(n); tt_k++) {                                \
			TT_ASSERT((got)[tt_k] == (want)[tt_k], "%s[%u]: got %d, want %d", what,    \
				  (unsigned int)tt_k, (int)(got)[tt_k], (int)(want)[tt_k]);        \
		}                                                                                  \
	} while (0)

#endif /* TT_TEST_H_ */
