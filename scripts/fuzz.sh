#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libFuzzer targets of the C runtime under AddressSanitizer and UndefinedBehaviorSanitizer
# (Debian's clang), each run from its seed corpus in tests/fuzz/corpus/<target>, at -m64 and
# at -m32: size_t is 32 bits on every target, so size arithmetic is fuzzed where it wraps.
# Debian's libclang-rt-14-dev ships the i386 runtimes (libclang_rt.fuzzer-i386.a and ASan's
# and UBSan's), so both word sizes run under libFuzzer itself; gcc-multilib brings the i386
# libc (scripts/install.sh).
#
#   bash scripts/fuzz.sh [SECONDS_PER_RUN]      (default 20, per target and word size; new
#                                                inputs go to build/fuzz/corpus_<target>)
#   bash scripts/fuzz.sh --seeds                (rewrite the seed corpora)
#   FUZZ_TARGETS="table" FUZZ_BITS=32 bash scripts/fuzz.sh 600   (some targets, one size)
#
# Targets (tests/fuzz/fuzz_<target>.c):
#   checkpoint  restore from arbitrary storage contents
#   train_step  a small CNN's training step, forward and evaluation on arbitrary batches
#   model_blob  blob parse, plan, init and a step from arbitrary bytes
#   table       structure-aware: layer tables decoded with every count biased to type limits
#               and to factors whose products wrap 2^16 and 2^32; plan, init, forward and
#               training on full-range int8 inputs, and the table's blob parsed back
#   fleet       fleet messages applied or aggregated from arbitrary bytes (CRC rewritten
#               on request, so the checks behind it are reached)
#
# A finding stops the run with libFuzzer's report and the input under build/fuzz/; add the
# input to the target's corpus when it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS="${FUZZ_TARGETS:-checkpoint train_step model_blob table fleet}"
BITS="${FUZZ_BITS:-64 32}"
OUT=build/fuzz
CORE=$(sed -n 's|^\t\(src/[^ ]*\.c\)$|lib/tintin/\1|p' lib/tintin/CMakeLists.txt)
FLAGS="-std=c11 -g -O1 -Ilib/tintin/include -Itests/fuzz -Itests/common -DTINTIN_CONFIG_FILE=\"$PWD/lib/tintin/port/stdio_log.h\""
mkdir -p "$OUT"

if [ "${1:-}" = "--seeds" ]; then
	gcc $FLAGS -Wall -Wextra -Werror tests/fuzz/seeds.c $CORE -o "$OUT/seeds"
	for t in $TARGETS; do mkdir -p "tests/fuzz/corpus/$t"; done
	"$OUT/seeds" tests/fuzz/corpus/checkpoint tests/fuzz/corpus/train_step tests/fuzz/corpus/table \
		tests/fuzz/corpus/fleet
	PYTHONPATH=scripts .venv/bin/python tests/fuzz/blob_seeds.py tests/fuzz/corpus/model_blob
	echo "fuzz: seed corpora written"
	exit 0
fi

SECONDS_PER_RUN=${1:-20}
for t in $TARGETS; do
	# One corpus of new inputs per target: what one word size finds, the other replays.
	mkdir -p "$OUT/corpus_$t"
	for bits in $BITS; do
		bin="$OUT/fuzz_${t}_m$bits"
		clang -m"$bits" $FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
			"tests/fuzz/fuzz_$t.c" $CORE -o "$bin"
		# Log lines of refused inputs are expected; only libFuzzer's own summary matters here.
		"$bin" -max_total_time="$SECONDS_PER_RUN" -print_final_stats=1 \
			-artifact_prefix="$OUT/${t}_m${bits}_" "$OUT/corpus_$t" "tests/fuzz/corpus/$t" \
			2>"$bin.log" || { tail -40 "$bin.log"; exit 1; }
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$bin.log")
		cov=$(grep -o 'cov: [0-9]*' "$bin.log" | tail -1)
		echo "fuzz: $t -m$bits: ${SECONDS_PER_RUN} s, $runs inputs, $cov, no finding"
	done
done
