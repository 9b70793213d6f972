#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libFuzzer targets of the C runtime under AddressSanitizer and UndefinedBehaviorSanitizer
# (Debian's clang), each run from its seed corpus in tests/fuzz/corpus/<target>:
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 20; new inputs go to build/fuzz/)
#   bash scripts/fuzz.sh --seeds                (rewrite the seed corpora)
#   FUZZ_TARGETS="model_blob" bash scripts/fuzz.sh 600   (some of the targets only)
#
# A finding stops the run with libFuzzer's report and the input under build/fuzz/; add the
# input to the target's corpus when it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS="${FUZZ_TARGETS:-checkpoint train_step model_blob}"
OUT=build/fuzz
CORE=$(sed -n 's|^\t\(src/[^ ]*\.c\)$|lib/tintin/\1|p' lib/tintin/CMakeLists.txt)
FLAGS="-std=c11 -g -O1 -Ilib/tintin/include -Itests/fuzz -Itests/common -DTINTIN_CONFIG_FILE=\"$PWD/lib/tintin/port/stdio_log.h\""
mkdir -p "$OUT"

if [ "${1:-}" = "--seeds" ]; then
	gcc $FLAGS -Wall -Wextra -Werror tests/fuzz/seeds.c $CORE -o "$OUT/seeds"
	for t in $TARGETS; do mkdir -p "tests/fuzz/corpus/$t"; done
	"$OUT/seeds" tests/fuzz/corpus/checkpoint tests/fuzz/corpus/train_step
	PYTHONPATH=scripts .venv/bin/python tests/fuzz/blob_seeds.py tests/fuzz/corpus/model_blob
	echo "fuzz: seed corpora written"
	exit 0
fi

SECONDS_PER_TARGET=${1:-20}
for t in $TARGETS; do
	clang $FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		"tests/fuzz/fuzz_$t.c" $CORE -o "$OUT/fuzz_$t"
	mkdir -p "$OUT/corpus_$t"
	# Log lines of refused inputs are expected; only libFuzzer's own summary matters here.
	"$OUT/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
		-artifact_prefix="$OUT/${t}_" "$OUT/corpus_$t" "tests/fuzz/corpus/$t" \
		2>"$OUT/fuzz_$t.log" || { tail -40 "$OUT/fuzz_$t.log"; exit 1; }
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz_$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$OUT/fuzz_$t.log" | tail -1)
	echo "fuzz: $t: ${SECONDS_PER_TARGET} s, $runs inputs, $cov, no finding"
done
