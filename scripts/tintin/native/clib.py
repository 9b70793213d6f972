# SPDX-License-Identifier: Apache-2.0
"""ctypes binding of the C runtime's shared library (libtintin.so).

Used by the tests (C against the NumPy reference), the demo and the host trainer. The library
is found through $TINTIN_LIB, else build/host/lib/tintin/libtintin.so in the source tree.
"""

from __future__ import annotations

import contextlib
import ctypes as ct
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tintin.core.spec import (
    DESC_MAGIC,
    DESC_VERSION,
    MODE_TRAIN,
    WEIGHT_LAYERS,
    ModelSpec,
    layer_shapes,
    table_fields,
    table_hash,
)
from tintin.native.tree import REPO

DEFAULT_LIB = REPO / "build" / "host" / "lib" / "tintin" / "libtintin.so"

P8 = ct.POINTER(ct.c_int8)
PU8 = ct.POINTER(ct.c_uint8)
P16 = ct.POINTER(ct.c_int16)
P32 = ct.POINTER(ct.c_int32)
PU32 = ct.POINTER(ct.c_uint32)


class Dims(ct.Structure):
    _fields_ = [("n", ct.c_uint16), ("h", ct.c_uint16), ("w", ct.c_uint16), ("c", ct.c_uint16)]


class Tensor(ct.Structure):
    _fields_ = [("data", P8), ("dims", Dims), ("exp", ct.c_int8)]


class LayerDesc(ct.Structure):
    _fields_ = [
        ("type", ct.c_uint8),
        ("train", ct.c_uint8),
        ("units", ct.c_uint16),
        ("kernel_h", ct.c_uint8),
        ("kernel_w", ct.c_uint8),
        ("stride", ct.c_uint8),
        ("pad", ct.c_uint8),
        ("w_exp", ct.c_int8),
        ("weights", P8),
        ("bias", P32),
    ]


class OptimCfg(ct.Structure):
    _fields_ = [
        (name, ct.c_uint8)
        for name in (
            "rule",
            "lr_shift",
            "lr_mult",
            "mu",
            "momentum_shift",
            "upscale_bits",
            "rounding",
            "upscale_scope",
        )
    ]


class ModelDesc(ct.Structure):
    _fields_ = [
        ("layers", ct.POINTER(LayerDesc)),
        ("n_layers", ct.c_uint8),
        ("loss", ct.c_uint8),
        ("max_batch", ct.c_uint16),
        ("input", Dims),
        ("optim", OptimCfg),
        ("seed", ct.c_uint32),
        ("magic", ct.c_uint32),
        ("version", ct.c_uint16),
        ("hash", ct.c_uint32),
    ]


MAX_LAYERS = 16  # TINTIN_MAX_LAYERS of the host build


class ModelBlob(ct.Structure):
    _fields_ = [("desc", ModelDesc), ("layers", LayerDesc * MAX_LAYERS)]


class Batch(ct.Structure):
    _fields_ = [
        ("x", P8),
        ("labels", PU8),
        ("targets", P8),
        ("n", ct.c_uint16),
        ("x_exp", ct.c_int8),
        ("t_exp", ct.c_int8),
    ]


class TrainSet(ct.Structure):
    """struct tintin_train_set: a data set for tintin_train_order."""

    _fields_ = [
        ("x", P8),
        ("labels", PU8),
        ("targets", P8),
        ("count", ct.c_uint32),
        ("x_exp", ct.c_int8),
        ("t_exp", ct.c_int8),
    ]


class LayerInfo(ct.Structure):
    _fields_ = [
        ("w", P8),
        ("w_lo", P8),
        ("bias", P32),
        ("w_mom", ct.c_void_p),
        ("b_mom", P32),
        ("n_w", ct.c_uint32),
        ("in_", ct.c_uint16),
        ("out", ct.c_uint16),
        ("type", ct.c_uint8),
        ("w_exp", ct.c_int8),
        ("act_exp", ct.c_int8),
        ("lr_off", ct.c_uint8),
    ]


class Stats(ct.Structure):
    _fields_ = [
        ("act_sat", ct.c_uint32),
        ("err_sat", ct.c_uint32),
        ("param_sat", ct.c_uint32),
        ("steps", ct.c_uint32),
        ("rescales", ct.c_uint32),
        ("update_clips", ct.c_uint32),
    ]


class Prng(ct.Structure):
    _fields_ = [("key", ct.c_uint32), ("counter", ct.c_uint32)]


class Param(ct.Structure):
    _fields_ = [
        ("data", ct.c_void_p),
        ("mom", ct.c_void_p),
        ("high", ct.c_void_p),
        ("dtype", ct.c_uint8),
        ("exp", ct.c_int8),
    ]


class SgdRows(ct.Structure):
    """struct tintin_sgd_rows: an update prepared by tintin_sgd_rows_init."""

    _fields_ = [
        ("data", ct.c_void_p),
        ("mom", ct.c_void_p),
        ("high", ct.c_void_p),
        ("key", ct.c_uint32),
        ("counter", ct.c_uint32),
        ("s", ct.c_int32),
        ("dmax", ct.c_int32),
        ("clips", ct.c_void_p),
        ("dtype", ct.c_uint8),
        ("lr_mult", ct.c_uint8),
        ("mshift", ct.c_uint8),
        ("stochastic", ct.c_uint8),
        ("preset", ct.c_uint8),
    ]


class CGeom(ct.Structure):
    """struct tintin_geom; build one from a spec.Geom with CGeom(*dataclasses.astuple(g))."""

    _fields_ = [
        *((name, ct.c_uint16) for name in ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c")),
        *((name, ct.c_uint8) for name in ("k_h", "k_w", "stride", "pad_t", "pad_l")),
    ]


class Storage(ct.Structure):
    """struct tintin_storage (filled in by tintin_storage_file_open)."""

    _fields_ = [
        ("read", ct.c_void_p),
        ("write", ct.c_void_p),
        ("erase", ct.c_void_p),
        ("ctx", ct.c_void_p),
        ("slot_size", ct.c_uint32),
        ("write_block", ct.c_uint16),
    ]


class StorageFile(ct.Structure):
    _fields_ = [("f", ct.c_void_p)]


class CkptInfo(ct.Structure):
    _fields_ = [("seq", ct.c_uint32), ("slot", ct.c_uint8), ("valid", ct.c_uint8)]


class TintinError(RuntimeError):
    """A C call returned a negative errno; log: what the C runtime logged (see c_log)."""

    def __init__(self, func: str, ret: int, log: str = "") -> None:
        name = os.strerror(-ret) if ret < 0 else str(ret)
        msg = f"{func} failed: {ret} ({name})"
        super().__init__(f"{log} ({msg})" if log else msg)
        self.func, self.ret, self.errno, self.log = func, ret, -ret, log


@contextlib.contextmanager
def c_log() -> Iterator[None]:
    """Holds back what the C runtime writes to stderr (the host build's TINTIN_LOG_ERR lines)
    inside the block; a TintinError raised in it carries those lines in its message, so a tool
    reports a refusal as one line instead of C's line plus an errno line. For one-off calls
    (plan, init), not loops: it redirects file descriptor 2.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except TintinError as exc:
            os.dup2(saved, 2)
            held.seek(0)
            log = " ".join(held.read().decode(errors="replace").split())
            log = log.removeprefix("tintin: ")
            raise TintinError(exc.func, exc.ret, log or exc.log) from None
        finally:
            os.dup2(saved, 2)
            os.close(saved)


_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "tintin_model_plan": (ct.c_int, [ct.POINTER(ModelDesc), ct.c_int, ct.POINTER(ct.c_size_t)]),
    "tintin_model_plan_dsp": (
        ct.c_int,
        [ct.POINTER(ModelDesc), ct.c_int, ct.POINTER(ct.c_size_t)],
    ),
    "tintin_model_init": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(ModelDesc), ct.c_int, ct.c_void_p, ct.c_size_t],
    ),
    "tintin_model_forward": (
        ct.c_int,
        [ct.c_void_p, P8, ct.c_int8, ct.c_uint16, ct.POINTER(Tensor)],
    ),
    "tintin_model_predict": (ct.c_int, [ct.c_void_p, P8, ct.c_int8, ct.c_uint16, PU8]),
    "tintin_model_train_step": (ct.c_int, [ct.c_void_p, ct.POINTER(Batch)]),
    "tintin_model_evaluate": (ct.c_int, [ct.c_void_p, P8, ct.c_int8, PU8, ct.c_uint32, PU32]),
    "tintin_model_layer_info": (ct.c_int, [ct.c_void_p, ct.c_uint8, ct.POINTER(LayerInfo)]),
    "tintin_train_order_work": (ct.c_size_t, [ct.c_void_p]),
    "tintin_train_order": (
        ct.c_int,
        [
            ct.c_void_p,
            ct.POINTER(TrainSet),
            PU32,
            ct.c_uint32,
            ct.c_uint16,
            ct.c_void_p,
            ct.c_size_t,
            PU32,
        ],
    ),
    "tintin_host_vector_loops": (ct.c_int, []),
    "tintin_forward_order": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(TrainSet), PU32, ct.c_uint32, ct.c_void_p, ct.c_size_t, P8, P8],
    ),
    "tintin_model_get_stats": (ct.c_int, [ct.c_void_p, ct.POINTER(Stats)]),
    "tintin_model_arena_used": (ct.c_size_t, [ct.c_void_p]),
    "tintin_model_struct_size": (ct.c_size_t, []),
    "tintin_prng_seed": (None, [ct.POINTER(Prng), ct.c_uint32]),
    "tintin_prng_at": (ct.c_uint32, [ct.POINTER(Prng), ct.c_uint32]),
    "tintin_bits": (ct.c_int, [ct.c_uint32]),
    "tintin_add_sat32": (ct.c_int32, [ct.c_int32, ct.c_int32]),
    "tintin_shl_sat32": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_round_shift": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_crc32": (ct.c_uint32, [ct.c_uint32, ct.c_void_p, ct.c_size_t]),
    "tintin_model_desc_hash": (ct.c_uint32, [ct.POINTER(ModelDesc)]),
    "tintin_model_blob_parse": (ct.c_int, [ct.POINTER(ModelBlob), ct.c_void_p, ct.c_size_t]),
    "tintin_checkpoint_bytes": (ct.c_size_t, [ct.c_void_p]),
    "tintin_checkpoint_save": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(Storage), ct.POINTER(ct.c_uint32)],
    ),
    "tintin_checkpoint_restore": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(Storage), ct.POINTER(CkptInfo)],
    ),
    "tintin_storage_file_open": (
        ct.c_int,
        [ct.POINTER(Storage), ct.POINTER(StorageFile), ct.c_char_p, ct.c_uint32],
    ),
    "tintin_storage_file_close": (ct.c_int, [ct.POINTER(StorageFile)]),
    "tintin_decay_shift": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_sto_shift": (ct.c_int32, [ct.c_int32, ct.c_int, ct.c_uint32]),
    "tintin_psto_shift": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_rescale_mult": (ct.c_int32, [ct.c_int32, ct.c_uint8]),
    "tintin_requantize_s8": (ct.c_int, [P32, ct.c_size_t, P8, PU32]),
    "tintin_fc_forward_s8": (
        None,
        [P8, P8, P32, ct.c_int, ct.c_uint16, ct.c_uint16, ct.c_uint16, P32, P32],
    ),
    "tintin_fc_backward_s8": (None, [P8, P8, ct.c_uint16, ct.c_uint16, ct.c_uint16, P32]),
    "tintin_fc_grad_row_s8": (
        None,
        [P8, P8, ct.c_uint16, ct.c_uint16, ct.c_uint16, ct.c_uint16, P32],
    ),
    "tintin_fc_grad_bias_s8": (ct.c_int32, [P8, ct.c_uint16, ct.c_uint16, ct.c_uint16]),
    "tintin_relu_forward_s8": (None, [P8, ct.c_size_t, PU8]),
    "tintin_relu_backward_s8": (None, [P8, P8, ct.c_size_t]),
    "tintin_relu_backward_mask_s8": (None, [PU8, P8, ct.c_size_t]),
    "tintin_maxpool_idx_bits": (ct.c_int, [ct.c_void_p, PU8]),
    "tintin_maxpool_idx_bytes": (ct.c_size_t, [ct.c_void_p, ct.c_size_t]),
    "tintin_maxpool_forward_s8": (None, [P8, ct.c_uint16, ct.c_void_p, P8, PU8]),
    "tintin_maxpool_backward_s8": (None, [PU8, P8, ct.c_uint16, ct.c_void_p, P32]),
    "tintin_xent_grad_s8": (
        ct.c_int,
        [P8, ct.c_int, PU8, ct.c_uint16, ct.c_uint16, ct.POINTER(Prng), P8],
    ),
    "tintin_mse_grad_s8": (
        ct.c_int,
        [P8, ct.c_int, P8, ct.c_int, ct.c_uint32, ct.c_uint16, P32, P8, PU32],
    ),
    "tintin_sgd_aligned_row": (
        None,
        [
            ct.POINTER(OptimCfg),
            ct.POINTER(Param),
            ct.c_uint32,
            P32,
            ct.c_uint16,
            ct.c_int,
            ct.POINTER(Prng),
            PU32,
        ],
    ),
    "tintin_sgd_rows_init": (
        None,
        [ct.POINTER(SgdRows), ct.POINTER(OptimCfg), ct.POINTER(Param), ct.c_int, ct.POINTER(Prng)],
    ),
    "tintin_sgd_outer_row": (
        None,
        [ct.POINTER(SgdRows), ct.c_uint32, ct.c_int32, P8, ct.c_uint16, PU32],
    ),
    "tintin_sgd_niti_row": (
        None,
        [ct.POINTER(OptimCfg), ct.POINTER(Param), ct.c_uint32, P32, ct.c_uint16, ct.c_int, PU32],
    ),
    "tintin_sgd_niti_shift": (ct.c_int, [ct.c_uint32, ct.c_int]),
}

_lib: ct.CDLL | None = None


def library_path() -> Path:
    return Path(os.environ.get("TINTIN_LIB", str(DEFAULT_LIB)))


def lib() -> ct.CDLL:
    """The loaded shared library: TINTIN_LIB, the CMake build, or one built on first use."""
    global _lib
    if _lib is None:
        path = library_path()
        if not path.exists():
            if "TINTIN_LIB" in os.environ:
                raise FileNotFoundError(f"TINTIN_LIB={path} does not exist")
            from tintin.native import hostcc

            try:
                path = hostcc.build("libtintin", [], [], shared=True)
            except hostcc.HostBuildError as exc:
                raise FileNotFoundError(f"{DEFAULT_LIB} not found; {exc}") from exc
        handle = ct.CDLL(str(path))
        for name, (res, args) in _SIGNATURES.items():
            try:
                fn = getattr(handle, name)
            except AttributeError:  # an OSError, as a library that does not load at all
                raise OSError(f"{path} has no {name}: it was built from older sources; "
                              "rebuild it (cmake --build build/host)") from None  # fmt: skip
            fn.restype = res
            fn.argtypes = args
        _lib = handle
    return _lib


def ptr(a: np.ndarray | None, kind: type) -> object:
    """ctypes pointer to a contiguous array (NULL for None)."""
    if a is None:
        return ct.cast(None, kind)
    assert a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(kind)


def check(func: str, ret: int) -> int:
    if ret < 0:
        raise TintinError(func, ret)
    return ret


class CDesc:
    """A spec as a C layer table; keeps every array it points to alive."""

    def __init__(self, spec: ModelSpec) -> None:
        self.keep: list[np.ndarray] = []
        self.layers = (LayerDesc * len(spec.layers))()
        for i, layer in enumerate(spec.layers):
            d = self.layers[i]
            (d.type, d.train, d.units, d.kernel_h, d.kernel_w, d.stride, d.pad,
             d.w_exp) = table_fields(layer)  # fmt: skip
            if layer.kind in WEIGHT_LAYERS:
                assert layer.weights is not None
                w = np.ascontiguousarray(layer.weights, np.int8)
                self.keep.append(w)
                d.weights = ptr(w, P8)
                if layer.bias is not None:
                    b = np.ascontiguousarray(layer.bias, np.int32)
                    self.keep.append(b)
                    d.bias = ptr(b, P32)
        o = spec.optim
        h, w_, c = spec.input_shape
        self.desc = ModelDesc(
            layers=self.layers,
            n_layers=len(spec.layers),
            loss=spec.loss,
            max_batch=spec.max_batch,
            input=Dims(0, h, w_, c),
            optim=OptimCfg(
                o.rule,
                o.lr_shift,
                o.lr_mult,
                o.mu,
                o.momentum_shift,
                o.upscale_bits,
                o.rounding,
                o.upscale_scope,
            ),
            seed=spec.seed,
            magic=DESC_MAGIC,
            version=DESC_VERSION,
            hash=table_hash(spec),  # init recomputes it: C and this module must agree
        )


class CBlob:
    """A model blob parsed by the C runtime; its table points into a 4-byte aligned copy."""

    def __init__(self, blob: bytes) -> None:
        self._buf = np.zeros((len(blob) + 3) // 4, np.uint32)
        self._buf.view(np.uint8)[: len(blob)] = np.frombuffer(blob, np.uint8)
        self._parsed = ModelBlob()
        ret = lib().tintin_model_blob_parse(ct.byref(self._parsed), self._buf.ctypes.data,
                                            len(blob))  # fmt: skip
        check("tintin_model_blob_parse", ret)
        self.desc = self._parsed.desc


def plan_desc(cd: CDesc | CBlob, mode: int = MODE_TRAIN, dsp: bool = False) -> int:
    name = "tintin_model_plan_dsp" if dsp else "tintin_model_plan"
    out = ct.c_size_t()
    check(name, getattr(lib(), name)(ct.byref(cd.desc), mode, ct.byref(out)))
    return out.value


def plan(spec: ModelSpec, mode: int = MODE_TRAIN, dsp: bool = False) -> int:
    """Arena bytes the C planner asks for; dsp: with the Armv7E-M dense kernel's workspace."""
    return plan_desc(CDesc(spec), mode, dsp)


class CModel:
    """A C model in an arena owned by this object (optionally painted for high-water checks)."""

    GUARD = 64

    def __init__(
        self, spec: ModelSpec, mode: int = MODE_TRAIN, arena: int | None = None, paint: int = 0,
        blob: bytes | None = None,
    ) -> None:  # fmt: skip
        """blob: build the C table by parsing this model blob of spec instead of directly."""
        self.spec = spec
        self.cdesc: CDesc | CBlob = CBlob(blob) if blob is not None else CDesc(spec)
        self.planned = plan_desc(self.cdesc, mode)
        size = self.planned if arena is None else arena
        # uint32 storage keeps the arena 4-byte aligned; the guard catches writes past it.
        self._buf = np.full((size + self.GUARD + 3) // 4, paint * 0x01010101, np.uint32)
        self.arena_size = size
        self.paint = paint
        self._m = ct.create_string_buffer(lib().tintin_model_struct_size())
        check(
            "tintin_model_init",
            lib().tintin_model_init(
                self._m, ct.byref(self.cdesc.desc), mode, self._buf.ctypes.data, size
            ),
        )
        self.outputs = layer_shapes(spec)[-1][1]
        self._work: np.ndarray | None = None  # train_order's and forward_order's batch

    @property
    def arena_bytes(self) -> np.ndarray:
        return self._buf.view(np.uint8)

    def high_water(self) -> int:
        """One past the highest arena byte that no longer holds the paint."""
        touched = np.nonzero(self.arena_bytes != self.paint)[0]
        return int(touched[-1]) + 1 if touched.size else 0

    def arena_used(self) -> int:
        return int(lib().tintin_model_arena_used(self._m))

    def forward(self, x: np.ndarray, x_exp: int) -> tuple[np.ndarray, int]:
        x = np.ascontiguousarray(x, np.int8)
        t = Tensor()
        check(
            "tintin_model_forward",
            lib().tintin_model_forward(self._m, ptr(x, P8), x_exp, len(x), ct.byref(t)),
        )
        out = np.ctypeslib.as_array(t.data, shape=(len(x) * self.outputs,)).copy()
        return out.reshape(len(x), self.outputs).astype(np.int64), int(t.exp)

    def predict(self, x: np.ndarray, x_exp: int) -> np.ndarray:
        out = []
        for k in range(0, len(x), self.spec.max_batch):
            xb = np.ascontiguousarray(x[k : k + self.spec.max_batch], np.int8)
            cls = np.zeros(len(xb), np.uint8)
            check(
                "tintin_model_predict",
                lib().tintin_model_predict(self._m, ptr(xb, P8), x_exp, len(xb), ptr(cls, PU8)),
            )
            out.append(cls)
        return np.concatenate(out)

    def evaluate(self, x: np.ndarray, x_exp: int, labels: np.ndarray) -> int:
        x = np.ascontiguousarray(x, np.int8)
        y = np.ascontiguousarray(labels, np.uint8)
        correct = ct.c_uint32()
        check(
            "tintin_model_evaluate",
            lib().tintin_model_evaluate(
                self._m, ptr(x, P8), x_exp, ptr(y, PU8), len(x), ct.byref(correct)
            ),
        )
        return correct.value

    def train_step(
        self,
        x: np.ndarray,
        x_exp: int,
        labels: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        t_exp: int = 0,
    ) -> int:
        """One training step; returns the C return code (raises on a negative errno)."""
        x = np.ascontiguousarray(x, np.int8)
        lab = None if labels is None else np.ascontiguousarray(labels, np.uint8)
        tgt = None if targets is None else np.ascontiguousarray(targets, np.int8)
        b = Batch(ptr(x, P8), ptr(lab, PU8), ptr(tgt, P8), len(x), x_exp, t_exp)
        return check("tintin_model_train_step", lib().tintin_model_train_step(self._m, ct.byref(b)))

    def _set_inputs(self, x: np.ndarray) -> np.ndarray:
        """A whole set's inputs as C reads them: contiguous int8 rows of the input size."""
        x = np.ascontiguousarray(x, np.int8).reshape(len(x), -1)
        if x.shape[1] != self.spec.input_size:
            raise ValueError(f"x: samples of {x.shape[1]} values, the model takes "
                             f"{self.spec.input_size}")  # fmt: skip
        return x

    def _order(self, order: np.ndarray, count: int) -> np.ndarray:
        """Indices into a set of count samples, as C reads them (uint32)."""
        idx = np.asarray(order)
        if idx.ndim != 1 or (idx.size and (idx.min() < 0 or idx.max() >= count)):
            raise ValueError(f"order: need a list of indices in 0..{count - 1}")
        return np.ascontiguousarray(idx, np.uint32)

    def _work_buffer(self) -> np.ndarray:
        """One gathered batch for tintin_train_order / tintin_forward_order, made once."""
        if self._work is None:
            self._work = np.zeros(lib().tintin_train_order_work(self._m), np.uint8)
        return self._work

    def train_order(
        self,
        x: np.ndarray,
        x_exp: int,
        order: np.ndarray,
        batch: int | None = None,
        labels: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        t_exp: int = 0,
    ) -> int:
        """Train on x[order], batch samples per step (default max_batch), in one C call.

        The same steps as train_step(x[order[k : k + batch]], ...) for k = 0, batch, ...: the
        C runtime reads each batch from the set itself, so an epoch crosses into C once instead
        of once per step. x, labels and targets are the whole set (only copied when not
        already contiguous int8/uint8); returns the steps taken (raises on a negative errno,
        after the steps before the failing one have trained).
        """
        x = self._set_inputs(x)
        lab = None if labels is None else np.ascontiguousarray(labels, np.uint8)
        tgt = None if targets is None else np.ascontiguousarray(targets, np.int8)
        # C reads len(x) samples of each: a shorter array would be read past its end.
        if lab is not None and lab.shape != (len(x),):
            raise ValueError(f"labels: need {len(x)}, one per sample, have {lab.shape}")
        if tgt is not None and tgt.size != len(x) * self.outputs:
            raise ValueError(f"targets: need {len(x)} x {self.outputs}, have {tgt.shape}")
        b = self.spec.max_batch if batch is None else batch
        if not 1 <= b <= self.spec.max_batch:
            raise ValueError(f"batch {b}: need 1..{self.spec.max_batch} (max_batch)")
        idx, work = self._order(order, len(x)), self._work_buffer()
        ts = TrainSet(ptr(x, P8), ptr(lab, PU8), ptr(tgt, P8), len(x), x_exp, t_exp)
        steps = ct.c_uint32(0)
        ret = lib().tintin_train_order(self._m, ct.byref(ts), ptr(idx, PU32), len(idx), b,
                                       work.ctypes.data, work.size, ct.byref(steps))  # fmt: skip
        check("tintin_train_order", ret)
        return int(steps.value)

    def forward_order(
        self, x: np.ndarray, x_exp: int, order: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Forward passes over x[order] (all of x when order is None), max_batch samples at a
        time, in one C call, reading the samples where they lie in x.

        Returns the int8 outputs [n, outputs] and each pass's exponent, ceil(n / max_batch) of
        them: the same as forward() on x[order[k : k + max_batch]] for k = 0, max_batch, ...
        """
        x = self._set_inputs(x)
        idx = None if order is None else self._order(order, len(x))
        n = len(x) if idx is None else len(idx)
        work = self._work_buffer()
        out = np.zeros((n, self.outputs), np.int8)
        exps = np.zeros(-(-n // self.spec.max_batch), np.int8)
        ts = TrainSet(ptr(x, P8), ptr(None, PU8), ptr(None, P8), len(x), x_exp, 0)
        ret = lib().tintin_forward_order(self._m, ct.byref(ts), ptr(idx, PU32), n,
                                         work.ctypes.data, work.size, ptr(out, P8),
                                         ptr(exps, P8))  # fmt: skip
        check("tintin_forward_order", ret)
        return out, exps.astype(np.int64)

    def checkpoint_bytes(self) -> int:
        return int(lib().tintin_checkpoint_bytes(self._m))

    def _with_file(self, path: Path, slot_size: int | None, func: str, *args: object) -> int:
        """Opens path as two-slot storage (slots rounded up to 256 bytes), calls func."""
        size = slot_size or -(-self.checkpoint_bytes() // 256) * 256
        st, f = Storage(), StorageFile()
        ret = lib().tintin_storage_file_open(ct.byref(st), ct.byref(f), str(path).encode(), size)
        check("tintin_storage_file_open", ret)
        try:
            return check(func, getattr(lib(), func)(self._m, ct.byref(st), *args))
        finally:
            check("tintin_storage_file_close", lib().tintin_storage_file_close(ct.byref(f)))

    def save_checkpoint(self, path: Path, slot_size: int | None = None) -> int:
        """Writes the trainable state as the next checkpoint in path; returns its sequence."""
        seq = ct.c_uint32(0)
        self._with_file(path, slot_size, "tintin_checkpoint_save", ct.byref(seq))
        return int(seq.value)

    def restore_checkpoint(self, path: Path, slot_size: int | None = None) -> CkptInfo:
        """Loads the newest valid checkpoint in path (TintinError with errno ENOENT if none)."""
        info = CkptInfo()
        self._with_file(path, slot_size, "tintin_checkpoint_restore", ct.byref(info))
        return info

    def act_exps(self) -> list[int]:
        """Every layer's activation exponent after the last forward pass."""
        out = []
        for i in range(len(self.spec.layers)):
            info = LayerInfo()
            check("tintin_model_layer_info",
                  lib().tintin_model_layer_info(self._m, i, ct.byref(info)))  # fmt: skip
            out.append(int(info.act_exp))
        return out

    def stats(self) -> dict[str, int]:
        s = Stats()
        check("tintin_model_get_stats", lib().tintin_model_get_stats(self._m, ct.byref(s)))
        return {name: int(getattr(s, name)) for name, _ in Stats._fields_}

    def layer_params(self, i: int) -> dict[str, np.ndarray | int | None]:
        """Copies of dense layer i's parameters, named as in RefModel.layer_params."""
        info = LayerInfo()
        check("tintin_model_layer_info", lib().tintin_model_layer_info(self._m, i, ct.byref(info)))
        n_w, out = int(info.n_w), int(info.out)

        def arr(p: object, n: int) -> np.ndarray | None:
            return None if not p else np.ctypeslib.as_array(p, shape=(n,)).astype(np.int64)

        w_mom = None
        if info.w_mom:
            kind = P16 if info.w_lo else P8
            w_mom = arr(ct.cast(info.w_mom, kind), n_w)
        shape = (out, int(info.in_))
        res: dict[str, np.ndarray | int | None] = {
            "w": arr(info.w, n_w),
            "w16": None,
            "bias": arr(info.bias, out),
            "w_mom": w_mom,
            "b_mom": arr(info.b_mom, out),
            "w_exp": int(info.w_exp),
            "lr_off": int(info.lr_off),
        }
        lo = arr(info.w_lo, n_w)
        if lo is not None:
            # int16 masters live as planes: the int8 weights are their high bytes.
            res["w16"] = res["w"] * 256 + lo  # type: ignore[operator]
        for k in ("w", "w16", "w_mom"):
            v = res[k]
            if isinstance(v, np.ndarray):
                res[k] = v.reshape(shape)
        if res["bias"] is None:
            res["bias"] = np.zeros(out, np.int64)
        return res
