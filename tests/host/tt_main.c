/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/* Host runner for the shared test bodies: `tt_tests [suite]` runs all tests or one suite. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tt_test.h"

static struct tt_case *head;
static struct tt_case **tail = &head;
static int failed;
static int skipped;

void tt_register(struct tt_case *c)
{
	/* Constructors run in file order; appending keeps the source order of each file. */
	*tail = c;
	tail = &c->next;
}

void tt_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	printf("    %s:%d: %s: ", file, line, expr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed = 1;
}

void tt_skip(void)
{
	skipped = 1;
}

int main(int argc, char **argv)
{
	int n = 0;
	int bad = 0;

	for (struct tt_case *c = head; c != NULL; c = c->next) {
		if (argc > 1 && strcmp(argv[1], c->suite) != 0) {
			continue;
		}
		failed = 0;
		skipped = 0;
		c->fn();
		printf("%s %s.%s\n", failed ? "FAIL" : (skipped ? "SKIP" : "PASS"), c->suite,
		       c->name);
		bad += failed;
		n++;
	}
	printf("%d tests, %d failed\n", n, bad);
	return (n == 0 || bad != 0) ? 1 : 0;
}
