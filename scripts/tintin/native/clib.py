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
from tintin.native.cabi import (
    P8,
    P16,
    P32,
    PLAN_PARTS,
    PU8,
    PU32,
    SIGNATURES,
    Batch,
    CkptInfo,
    Dims,
    FedAvgPart,
    FleetInfo,
    FleetMomentum,
    LayerDesc,
    LayerInfo,
    LayoutLayer,
    ModelBlob,
    ModelDesc,
    ModelLayout,
    OptimCfg,
    Prng,
    Stats,
    Storage,
    StorageFile,
    Tensor,
    TrainSet,
)
from tintin.native.tree import REPO

DEFAULT_LIB = REPO / "build" / "host" / "lib" / "tintin" / "libtintin.so"


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
        for name, (res, args) in SIGNATURES.items():
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


def plan_parts(spec: ModelSpec, mode: int = MODE_TRAIN, dsp: bool = False) -> dict[str, int]:
    """The C planner's arena split by what it holds (PLAN_PARTS: bytes each, alignment
    padding apart), summing to plan(spec, mode, dsp)."""
    out = (ct.c_size_t * len(PLAN_PARTS))()
    cd = CDesc(spec)
    check("tintin_model_plan_parts",
          lib().tintin_model_plan_parts(ct.byref(cd.desc), mode, int(dsp), out))  # fmt: skip
    return dict(zip(PLAN_PARTS, (int(v) for v in out), strict=True))


def plan(spec: ModelSpec, mode: int = MODE_TRAIN, dsp: bool = False) -> int:
    """Arena bytes the C planner asks for; dsp: with the Armv7E-M dense kernel's workspace."""
    return plan_desc(CDesc(spec), mode, dsp)


class CLayout:
    """A model's arena layout (struct tintin_model_layout and its layer entries)."""

    def __init__(self, n_layers: int) -> None:
        self.layers = (LayoutLayer * max(n_layers, 1))()
        self.lay = ModelLayout()


def _u8(data: bytes) -> ct.Array:
    """A C copy of data (at least one byte, so that empty input still has an address)."""
    return (ct.c_uint8 * max(len(data), 1)).from_buffer_copy(data.ljust(1, b"\0"))


class CModel:
    """A C model in an arena owned by this object (optionally painted for high-water checks)."""

    GUARD = 64

    def __init__(
        self, spec: ModelSpec, mode: int = MODE_TRAIN, arena: int | None = None, paint: int = 0,
        blob: bytes | None = None, dsp: bool = False, layout: CLayout | None = None,
    ) -> None:  # fmt: skip
        """blob: build the C table by parsing this model blob of spec instead of directly;
        dsp: init with the Armv7E-M dense workspace (tintin_model_init_dsp); layout: init from
        this layout (tintin_model_init_layout) instead of planning."""
        self.spec = spec
        self.cdesc: CDesc | CBlob = CBlob(blob) if blob is not None else CDesc(spec)
        self.planned = layout.lay.bytes if layout is not None else plan_desc(self.cdesc, mode, dsp)
        size = self.planned if arena is None else arena
        # uint32 storage keeps the arena 4-byte aligned; the guard catches writes past it.
        self._buf = np.full((size + self.GUARD + 3) // 4, paint * 0x01010101, np.uint32)
        self.arena_size = size
        self.paint = paint
        self._m = ct.create_string_buffer(lib().tintin_model_struct_size())
        desc = ct.byref(self.cdesc.desc)
        if layout is not None:
            name = "tintin_model_init_layout"
            ret = lib().tintin_model_init_layout(self._m, desc, ct.byref(layout.lay),
                                                 self._buf.ctypes.data, size)  # fmt: skip
        else:
            name = "tintin_model_init_dsp" if dsp else "tintin_model_init"
            ret = getattr(lib(), name)(self._m, desc, mode, self._buf.ctypes.data, size)
        check(name, ret)
        self.outputs = layer_shapes(spec)[-1][1]
        self._work: np.ndarray | None = None  # train_order's and forward_order's batch

    def average_from(self, model: CModel, share: int) -> None:
        """Blend model's trained layers into this one, model weighing share of 2^16
        (tintin_model_average: this model holds the running average)."""
        check("tintin_model_average", lib().tintin_model_average(self._m, model._m, share))

    def fleet_export(self, kind: int, round_: int, samples: int) -> bytes:
        """This model's fleet message (tintin_fleet_export)."""
        n = int(lib().tintin_fleet_bytes(self._m))
        buf = (ct.c_uint8 * max(n, 1))()
        out = ct.c_size_t()
        check("tintin_fleet_export", lib().tintin_fleet_export(
            self._m, kind, round_, samples, buf, n, ct.byref(out)))  # fmt: skip
        return bytes(buf[: out.value])

    def fleet_apply(self, msg: bytes) -> FleetInfo:
        """Load a fleet message (tintin_fleet_apply); raises TintinError when refused."""
        info = FleetInfo()
        check("tintin_fleet_apply",
              lib().tintin_fleet_apply(self._m, _u8(msg), len(msg), ct.byref(info)))  # fmt: skip
        return info

    def fleet_export_sparse(self, base: bytes, round_: int, samples: int, k: int) -> bytes:
        """This model's update as its top-k changed weights against the global model base
        (tintin_fleet_export_sparse)."""
        cap = int(lib().tintin_fleet_bytes(self._m)) + 6 * k + 64  # varint + weight each
        buf = (ct.c_uint8 * cap)()
        out = ct.c_size_t()
        check("tintin_fleet_export_sparse", lib().tintin_fleet_export_sparse(
            self._m, _u8(base), len(base), round_, samples, k, buf, cap,
            ct.byref(out)))  # fmt: skip
        return bytes(buf[: out.value])

    def fleet_apply_sparse(self, base: bytes, msg: bytes) -> FleetInfo:
        """Rebuild a node's update from its sparse message against base
        (tintin_fleet_apply_sparse); raises TintinError when refused."""
        info = FleetInfo()
        check("tintin_fleet_apply_sparse", lib().tintin_fleet_apply_sparse(
            self._m, _u8(base), len(base), _u8(msg), len(msg), ct.byref(info)))  # fmt: skip
        return info

    def fleet_aggregate(self, msgs: list[bytes], key: int, counter: int,
                        momentum: tuple[bytes, bytes, int] | None = None) -> list[int]:  # fmt: skip
        """A gateway's round into this model (tintin_fleet_aggregate), with server momentum
        (last global, the one before, beta of 2^16) when given; the inputs' shares of 2^16."""
        extra = [momentum[0], momentum[1]] if momentum is not None else []
        # 4-byte aligned copies: the biases are read in place.
        bufs = [np.frombuffer(m.ljust(len(m) + (-len(m)) % 4, b"\0"), np.uint32).copy()
                for m in msgs + extra]  # fmt: skip
        k = max(len(msgs), 1)
        ptrs = (ct.c_void_p * k)(*[b.ctypes.data for b in bufs[: len(msgs)]])
        lens = (ct.c_size_t * k)(*[len(m) for m in msgs])
        parts = (FedAvgPart * (k + 2))()
        shares = (ct.c_int32 * (k + 2))()
        mom = None
        if momentum is not None:
            mom = ct.byref(FleetMomentum(bufs[-2].ctypes.data, bufs[-1].ctypes.data, momentum[2]))
        stream = Prng(key, counter)
        check("tintin_fleet_aggregate", lib().tintin_fleet_aggregate(
            self._m, ptrs, lens, len(msgs), mom, ct.byref(stream), parts, shares))  # fmt: skip
        n = len(msgs) + (2 if momentum is not None and momentum[2] else 0)
        return [int(v) for v in shares[:n]]

    def reseed(self, seed: int) -> None:
        """Restart the stochastic rounding stream from seed (tintin_prng_seed on m->prng)."""
        lib().tintin_prng_seed(lib().tintin_host_prng(self._m), seed & 0xFFFFFFFF)

    def layout(self) -> CLayout:
        """This model's layout, as tintin_model_init_layout takes it back."""
        out = CLayout(len(self.spec.layers))
        check("tintin_model_layout_of",
              lib().tintin_model_layout_of(self._m, ct.byref(out.lay), out.layers))  # fmt: skip
        return out

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
