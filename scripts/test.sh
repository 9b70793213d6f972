#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite (after scripts/install.sh). The last line is pytest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "test: ruff"
.venv/bin/ruff check scripts tests samples

echo "test: import layering of the tintin package (lint-imports, pyproject.toml's contracts)"
.venv/bin/lint-imports --no-cache

echo "test: ctest (host build, sanitizer build, sanitizer build at -m32)"
ctest --test-dir build/host --output-on-failure
ASAN_OPTIONS=detect_leaks=0 ctest --test-dir build/asan --output-on-failure
ASAN_OPTIONS=detect_leaks=0 ctest --test-dir build/asan32 --output-on-failure

echo "test: C against the NumPy reference under AddressSanitizer and UndefinedBehaviorSanitizer"
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
for build in asan asan-vec; do
	echo "test: C against the reference, build/$build"
	TINTIN_LIB="$PWD/build/$build/lib/tintin/libtintin.so" LD_PRELOAD="$asan:$ubsan" \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 HYPOTHESIS_PROFILE=sanitize \
		.venv/bin/python -m pytest -q -p no:cacheprovider -m "clib and not slow" tests/python
done

echo "test: libFuzzer targets, a bounded run each at -m64 and -m32 (scripts/fuzz.sh)"
bash scripts/fuzz.sh 10

echo "test: full suite"
TINTIN_LIB="$PWD/build/host/lib/tintin/libtintin.so" .venv/bin/python -m pytest -p no:cacheprovider tests/python
