# SPDX-License-Identifier: Apache-2.0
"""Host builds of this checkout's C (the runtime as a shared library, the samples' host
runners) into a per-user cache keyed by the sources' hash, so the tools work in a fresh west
workspace without a CMake build and never run stale code.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
from pathlib import Path

from tintin.native.tree import CORE, core_sources


class HostBuildError(RuntimeError):
    """No compiler, or the compiler refused the sources."""


def runtime_sources() -> list[Path]:
    """The core and the host ports (file storage), as lib/tintin/CMakeLists.txt builds them."""
    return [*core_sources(), *sorted((CORE / "port").glob("*.c"))]


def _inputs(extra: list[Path]) -> list[Path]:
    # Every file the build reads, internal headers under src/ included, keys the cache.
    own = [*(CORE / "src").rglob("*.[ch]"), *(CORE / "include").rglob("*.h"),
           *(CORE / "port").glob("*.[ch]")]  # fmt: skip
    return sorted(own) + extra


# The shared library (the Python tools' runtime, tintin train's trainer) is built for the
# host CPU, as lib/tintin/CMakeLists.txt's TINTIN_NATIVE builds build/host: the kernels
# vectorise, with the same integers. Executables (the samples' host runners) stay portable.
NATIVE_FLAGS = ["-O3", "-march=native", "-mprefer-vector-width=512"]


def _host_cpu() -> bytes:
    """What identifies the CPU a -march=native build is for: its model and feature flags."""
    try:
        info = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
    except OSError:
        return platform.processor().encode() + platform.machine().encode()
    keep = [ln for ln in info if ln.split(":")[0].strip() in ("model name", "flags", "Features")]
    return "\n".join(sorted(set(keep))).encode()


def build(name: str, sources: list[Path], includes: list[Path], shared: bool) -> Path:
    """Compile the runtime plus sources to <cache>/<name>-<hash>[.so]; reuse it when present.

    includes: extra include directories; every .c/.h under them and the sources key the
    cache along with the runtime's own files (and, for the shared library built for the host
    CPU, that CPU: a cache shared between machines never hands one another's build).
    """
    extra = sorted({*sources, *(p for d in includes for p in d.glob("*.[ch]"))})
    key = b"".join(p.read_bytes() for p in _inputs(extra))
    if shared:
        key += " ".join(NATIVE_FLAGS).encode() + _host_cpu()
    digest = hashlib.sha256(key).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tintin"
    out = cache / (f"{name}-{digest}" + (".so" if shared else ""))
    if out.exists():
        return out
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        raise HostBuildError(f"no C compiler to build {name}: run scripts/install.sh")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    cmd = [cc, "-std=c11", "-O2", "-I", str(CORE / "include"),
           f'-DTINTIN_CONFIG_FILE="{CORE / "port" / "stdio_log.h"}"',
           *(f"-I{d}" for d in includes), *(["-shared", "-fPIC"] if shared else []),
           *map(str, [*runtime_sources(), *sources]), "-o", str(tmp)]  # fmt: skip
    run = None
    if shared:
        # A compiler without -march=native (or not for this CPU) builds it portable instead.
        run = subprocess.run(cmd + NATIVE_FLAGS, capture_output=True, text=True, check=False)
    if run is None or run.returncode != 0:
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise HostBuildError(f"building {out.name} failed: {run.stderr.strip()[:300]}")
    tmp.replace(out)  # atomic: concurrent tools never load a half-written file
    return out
