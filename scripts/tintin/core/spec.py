# SPDX-License-Identifier: Apache-2.0
"""Model specification shared by the NumPy reference, the C binding and the float32 trainer.

A spec is the Python twin of the C layer table (``struct tintin_model_desc``): layer types,
shapes, training modes, initial int8 weights with their exponents, loss and optimizer settings.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

# Enum values mirror lib/tintin/include/tintin/types.h.
LAYER_DENSE = 1
LAYER_RELU = 2
LAYER_FLATTEN = 3
LAYER_CONV2D = 4
LAYER_CONV1D = 5
LAYER_MAXPOOL = 6
LAYER_AVGPOOL = 7
LAYER_GAP = 8

WEIGHT_LAYERS = (LAYER_DENSE, LAYER_CONV2D, LAYER_CONV1D)
POOL_LAYERS = (LAYER_MAXPOOL, LAYER_AVGPOOL, LAYER_GAP)

PAD_VALID = 0
PAD_SAME = 1

TRAIN_FULL = 0
TRAIN_FROZEN = 1
TRAIN_BIAS_ONLY = 2

LOSS_XENT = 0
LOSS_MSE = 1

RULE_ALIGNED = 0
RULE_NITI = 1

ROUND_STOCHASTIC = 0
ROUND_PSEUDO = 1

# Which trained layers keep int16 masters when upscale_bits is set (enum tintin_upscale_scope).
UPSCALE_ALL = 0
UPSCALE_CONV = 1

MODE_TRAIN = 0
MODE_INFER = 1
MODE_AVERAGE = 2  # inference with RAM copies of the trained parameters: a weight average

# Bias and master weights carry this many more fractional bits than the int8 weights.
BIAS_EXTRA_BITS = 8
# Exponents stay within +-EXP_LIMIT (int8 in C); training keeps a layer's weight exponent
# within W_EXP_SPAN of its table's and checks for a finer grid every GROW_PERIOD steps.
EXP_LIMIT = 120
# An aligned update moves a parameter by at most this many int8 LSBs (TINTIN_UPDATE_LIMIT).
UPDATE_LIMIT = 8
W_EXP_SPAN = 8
LR_BACKOFF_MAX = 24  # a layer's rate backs off by at most 2^-24 (TINTIN_LR_BACKOFF_MAX)
GROW_PERIOD = 16

LAYER_NAMES = {
    "dense": LAYER_DENSE,
    "relu": LAYER_RELU,
    "flatten": LAYER_FLATTEN,
    "conv2d": LAYER_CONV2D,
    "conv1d": LAYER_CONV1D,
    "maxpool": LAYER_MAXPOOL,
    "avgpool": LAYER_AVGPOOL,
    "gap": LAYER_GAP,
}


@dataclass
class Layer:
    """One row of the layer table."""

    kind: int
    units: int = 0
    train: int = TRAIN_FULL
    weights: np.ndarray | None = None  # int8 [units, fan_in] or [units, k_h, k_w, in_c]
    w_exp: int = 0
    bias: np.ndarray | None = None  # int32 [units] at exponent w_exp - BIAS_EXTRA_BITS
    kernel_h: int = 0
    kernel_w: int = 0
    stride: int = 0  # pools: 0 = kernel_w
    pad: int = PAD_VALID


@dataclass
class Geom:
    """Conv/pool geometry per sample, as struct tintin_geom."""

    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    stride: int
    pad_t: int
    pad_l: int


@dataclass
class Shape:
    """Per-sample shape of one layer: sizes, weight rows, geometry (None for dense)."""

    in_dims: tuple[int, int, int]
    out_dims: tuple[int, int, int]
    row: int = 0
    rows: int = 0
    geom: Geom | None = None
    recip: int = 0

    @property
    def n_in(self) -> int:
        return int(np.prod(self.in_dims))

    @property
    def n_out(self) -> int:
        return int(np.prod(self.out_dims))


@dataclass
class Optim:
    """Optimizer settings (``struct tintin_optim_cfg``)."""

    # Defaults = TINTIN_OPTIM_DEFAULT (hybrid): int16 masters in convolutions only, int8 weights
    # in dense layers, no momentum, lr 2^-5 (docs/numerics.md).
    rule: int = RULE_ALIGNED
    lr_shift: int = 5  # learning rate 2^-lr_shift (times lr_mult) per batch of 8
    lr_mult: int = 1  # bit k set adds 2^-k to the multiplier: 1 -> 1.0, 3 -> 1.5, 5 -> 1.25
    mu: int = 0  # NITI rule: update bit-width
    momentum_shift: int = 0  # 0 = off, else beta = 1 - 2^-momentum_shift
    upscale_bits: int = BIAS_EXTRA_BITS  # 0 = int8 weights; 8 = int16 masters behind int8 views
    rounding: int = ROUND_STOCHASTIC
    upscale_scope: int = UPSCALE_CONV  # masters in every trained layer, or convolutions only

    def __post_init__(self) -> None:
        # Without masters the scope means nothing; the table keeps the one form C accepts.
        if self.upscale_bits == 0:
            self.upscale_scope = UPSCALE_ALL

    def master_bits(self, kind: int) -> int:
        """Extra fractional bits of a trained layer's weights: 8 with int16 masters, else 0."""
        if self.upscale_scope == UPSCALE_CONV and kind == LAYER_DENSE:
            return 0
        return self.upscale_bits

    @classmethod
    def hybrid(cls) -> Optim:
        """TINTIN_OPTIM_HYBRID (= the default): masters in convolutions only, lr 2^-5."""
        return cls()

    @classmethod
    def lean(cls) -> Optim:
        """TINTIN_OPTIM_LEAN: int8 weights everywhere, no momentum, lr 2^-5 (1 byte per weight)."""
        return cls(upscale_bits=0, upscale_scope=UPSCALE_ALL)

    @classmethod
    def compact(cls) -> Optim:
        """TINTIN_OPTIM_COMPACT: int16 masters without momentum, lr 2^-5 (2 bytes per weight)."""
        return cls(upscale_scope=UPSCALE_ALL)

    @classmethod
    def momentum(cls) -> Optim:
        """TINTIN_OPTIM_MOMENTUM: lr 2^-5, momentum 1 - 2^-3, int16 masters (batches of 8+)."""
        return cls(momentum_shift=3, upscale_scope=UPSCALE_ALL)


# The presets by the names model files and the tools take (`optimizer: compact`, --optim).
PRESETS = {
    "default": Optim,
    "hybrid": Optim.hybrid,
    "lean": Optim.lean,
    "compact": Optim.compact,
    "momentum": Optim.momentum,
}


@dataclass
class ModelSpec:
    """A whole model: input shape (h, w, c per sample), layers, loss, optimizer, batch, seed."""

    input_shape: tuple[int, int, int]
    layers: list[Layer]
    loss: int = LOSS_XENT
    optim: Optim = field(default_factory=Optim)
    max_batch: int = 1
    seed: int = 1

    @property
    def input_size(self) -> int:
        h, w, c = self.input_shape
        return h * w * c


def quantize_weights(w: np.ndarray) -> tuple[np.ndarray, int]:
    """Float weights to int8 with one exponent, NITI-style: the largest magnitude uses the range.

    The exponent is the smallest e with max|w| <= 127 * 2^e, so nothing saturates.
    """
    m = float(np.max(np.abs(w)))
    if m == 0.0:
        return np.zeros(w.shape, np.int8), 0
    if not np.isfinite(m):
        raise ValueError("weights are not all finite")
    e = int(np.ceil(np.log2(m / 127.0)))
    if not -EXP_LIMIT <= e <= EXP_LIMIT:
        # The table's int8 w_exp holds +-EXP_LIMIT: 1e-40 would need 2^-139.
        raise ValueError(f"weights up to {m:.3g} need exponent {e}, outside +-{EXP_LIMIT}")
    q = np.clip(np.rint(w * 2.0**-e), -127, 127).astype(np.int8)
    return q, e


def _whole(v: object, what: str) -> int:
    """v as an int when it is one (3.0 too), never by truncation: 3.7 or True is an error."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what} must be a whole number, not {v!r}")
    if not np.isfinite(v) or v != int(v):
        raise ValueError(f"{what} must be a whole number, not {v!r}")
    return int(v)


def build(
    input_shape: tuple[int, int, int],
    rows: list[dict],
    seed: int,
    *,
    optim: Optim | None = None,
    max_batch: int = 1,
    loss: int = LOSS_XENT,
) -> ModelSpec:
    """A model from layer rows such as {"type": "conv2d", "units": 6, "kernel": [5, 5]}.

    Keys: type (a LAYER_NAMES key), units, kernel ([k_h, k_w], or [k] for 1-D layers),
    stride, pad ("valid"/"same"), train ("full"/"frozen"/"bias_only"). Weight layers get
    He-uniform float weights quantised to int8 and zero biases, from one seeded generator.
    """
    rng = np.random.default_rng(seed)
    trains = {"full": TRAIN_FULL, "frozen": TRAIN_FROZEN, "bias_only": TRAIN_BIAS_ONLY}
    sp = ModelSpec(
        input_shape, [], loss=loss, optim=optim or Optim(), max_batch=max_batch, seed=seed
    )
    for i, row in enumerate(rows):
        if row.get("type") not in LAYER_NAMES:
            raise ValueError(f"layer {i}: unknown type {row.get('type')!r}")
        kernel = row.get("kernel", [0, 0])
        if not isinstance(kernel, (list, tuple)) or len(kernel) not in (1, 2):
            raise ValueError(f"layer {i}: kernel must be [k] or [k_h, k_w], not {kernel!r}")
        if len(kernel) == 1:
            kernel = [1, *kernel]
        stride = row.get("stride", 1 if row["type"] in ("conv2d", "conv1d") else 0)
        layer = Layer(
            LAYER_NAMES[row["type"]],
            units=_whole(row.get("units", 0), f"layer {i}: units"),
            train=trains[row.get("train", "full")],
            kernel_h=_whole(kernel[0], f"layer {i}: kernel"),
            kernel_w=_whole(kernel[1], f"layer {i}: kernel"),
            stride=_whole(stride, f"layer {i}: stride"),
            pad=PAD_SAME if row.get("pad", "valid") == "same" else PAD_VALID,
        )
        sp.layers.append(layer)
        if layer.kind in WEIGHT_LAYERS:
            sh = shapes_of(input_shape, sp.layers, check_weights=False)[-1]
            limit = np.sqrt(6.0 / sh.row)
            w = rng.uniform(-limit, limit, size=(sh.rows, sh.row))
            q, e = quantize_weights(w)
            if layer.kind != LAYER_DENSE:
                q = q.reshape(sh.rows, sh.geom.k_h, sh.geom.k_w, sh.geom.in_c)
            layer.weights, layer.w_exp = q, e
            layer.bias = np.zeros(sh.rows, np.int32)
    layer_geometry(sp)  # validate the whole table
    return sp


def weight_layers(spec: ModelSpec) -> list[int]:
    """Indices of the layers with weights (dense and convolutions), in order."""
    return [i for i, layer in enumerate(spec.layers) if layer.kind in WEIGHT_LAYERS]


class HasParams(Protocol):
    """A trained model (RefModel, clib.CModel): its parameters per weight layer."""

    def layer_params(self, i: int) -> dict: ...


def trained_spec(sp: ModelSpec, model: HasParams) -> ModelSpec:
    """A copy of the spec carrying the model's current int8 weights, exponents and biases.

    The arrays are copies: the best epoch's snapshot must not follow later training.
    """
    out = copy.deepcopy(sp)
    for i, layer in enumerate(out.layers):
        if layer.kind not in WEIGHT_LAYERS:
            continue
        p = model.layer_params(i)
        assert layer.weights is not None
        layer.weights = np.array(p["w"], np.int8).reshape(layer.weights.shape)
        layer.w_exp = int(p["w_exp"])
        layer.bias = np.array(p["bias"], np.int32)
    return out


def train_last(spec: ModelSpec, k: int) -> ModelSpec:
    """Fine-tune the last k weight layers: freeze every weight layer below them."""
    weighted = [layer for layer in spec.layers if layer.kind in WEIGHT_LAYERS]
    for n, layer in enumerate(weighted):
        layer.train = TRAIN_FULL if n >= len(weighted) - k else TRAIN_FROZEN
    return spec


def mlp(
    sizes: list[int],
    seed: int,
    *,
    optim: Optim | None = None,
    max_batch: int = 1,
    loss: int = LOSS_XENT,
) -> ModelSpec:
    """A dense/ReLU MLP with He-uniform float init quantised to int8 (zero biases)."""
    rows: list[dict] = []
    for n, units in enumerate(sizes[1:]):
        rows.append({"type": "dense", "units": units})
        if n < len(sizes) - 2:
            rows.append({"type": "relu"})
    return build((1, 1, sizes[0]), rows, seed, optim=optim, max_batch=max_batch, loss=loss)


def _axis(n: int, k: int, stride: int, pad: int) -> tuple[int, int]:
    """Output size and leading padding along one axis (tintin_axis)."""
    if pad == PAD_SAME:
        out = -(-n // stride)
        total = max((out - 1) * stride + k - n, 0)
        if total // 2 >= k or total - total // 2 >= k:
            raise ValueError("padding larger than the kernel")
        return out, total // 2
    if k > n:
        raise ValueError(f"kernel {k} larger than input {n}")
    return (n - k) // stride + 1, 0


def pool_recip(n: int) -> int:
    """round(2^24 / n), as tintin_pool_recip."""
    return ((1 << 24) + n // 2) // n


def _geom(i: int, layer: Layer, dims: tuple[int, int, int]) -> Geom:
    h, w, c = dims
    kh, kw, stride = layer.kernel_h, layer.kernel_w, layer.stride
    if layer.kind == LAYER_GAP:
        kh, kw, stride = h, w, 1
    if layer.kind == LAYER_CONV1D:
        kh = 1
        if h != 1:
            raise ValueError(f"layer {i}: conv1d needs input height 1, got {h}")
    if stride == 0 and layer.kind in POOL_LAYERS:
        stride = kw
    if kh < 1 or kw < 1 or stride < 1:
        raise ValueError(f"layer {i}: bad kernel {kh}x{kw} or stride {stride}")
    try:
        oh, pt = _axis(h, kh, stride, layer.pad)
        ow, pl = _axis(w, kw, stride, layer.pad)
    except ValueError as exc:
        raise ValueError(f"layer {i}: {exc}") from None
    oc = layer.units if layer.kind in WEIGHT_LAYERS else c
    if layer.kind == LAYER_MAXPOOL and (kh - 1).bit_length() + (kw - 1).bit_length() > 8:
        # Training keeps each window's argmax as a packed index of at most 8 bits.
        raise ValueError(f"layer {i}: max-pool window {kh}x{kw} needs more than 8 bits to index")
    return Geom(h, w, c, oh, ow, oc, kh, kw, stride, pt, pl)


def layer_geometry(spec: ModelSpec) -> list[Shape]:
    """Per-layer shapes, as the C planner derives them; raises ValueError on a bad table."""
    return shapes_of(spec.input_shape, spec.layers)


def shapes_of(
    input_shape: tuple[int, int, int], layers: list[Layer], check_weights: bool = True
) -> list[Shape]:
    """Shapes of a layer list on an input; weights are checked against them unless told not."""
    out: list[Shape] = []
    dims = input_shape
    for i, layer in enumerate(layers):
        size = int(np.prod(dims))
        if layer.kind == LAYER_DENSE:
            sh = Shape(dims, (1, 1, layer.units), row=size, rows=layer.units)
            want: tuple[int, ...] = (layer.units, size)
        elif layer.kind in (LAYER_CONV2D, LAYER_CONV1D) or layer.kind in POOL_LAYERS:
            g = _geom(i, layer, dims)
            sh = Shape(dims, (g.out_h, g.out_w, g.out_c), geom=g, recip=pool_recip(g.k_h * g.k_w))
            sh.row, sh.rows = g.k_h * g.k_w * g.in_c, g.out_c
            want = (layer.units, g.k_h, g.k_w, g.in_c)
        elif layer.kind == LAYER_RELU:
            sh = Shape(dims, dims)
        elif layer.kind == LAYER_FLATTEN:
            sh = Shape(dims, (1, 1, size))
        else:
            raise ValueError(f"layer {i}: unknown layer type {layer.kind}")
        if layer.kind in WEIGHT_LAYERS and check_weights:
            if layer.weights is None or layer.weights.size != int(np.prod(want)):
                raise ValueError(f"layer {i}: weights must have shape {want}")
        out.append(sh)
        dims = sh.out_dims
    return out


def layer_shapes(spec: ModelSpec) -> list[tuple[int, int]]:
    """Per layer (input, output) elements per sample; raises ValueError on a bad table."""
    return [(sh.n_in, sh.n_out) for sh in layer_geometry(spec)]


# --- the C table's identity (struct tintin_model_desc magic, version, hash) -----------------

DESC_MAGIC = 0x444D5454  # "TTMD", TINTIN_DESC_MAGIC
DESC_VERSION = 1  # TINTIN_DESC_VERSION


def table_fields(layer: Layer) -> tuple[int, int, int, int, int, int, int, int]:
    """A layer row as the C table holds it: (type, train, units, kernel_h, kernel_w, stride,
    pad, w_exp), zero where the layer kind has no such field (as generated headers write it)."""
    weights = layer.kind in WEIGHT_LAYERS
    windowed = layer.kind in (LAYER_CONV2D, LAYER_CONV1D) or layer.kind in POOL_LAYERS
    return (
        layer.kind,
        layer.train if weights else 0,
        layer.units if weights else 0,
        layer.kernel_h if windowed else 0,
        layer.kernel_w if windowed else 0,
        layer.stride if windowed else 0,
        layer.pad if windowed else 0,
        layer.w_exp if weights else 0,
    )


def _fnv(h: int, data: bytes) -> int:
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def table_hash(sp: ModelSpec) -> int:
    """tintin_model_desc_hash: FNV-1a over the table's values, little-endian."""
    o = sp.optim
    h, w, c = sp.input_shape
    head = bytes([len(sp.layers), sp.loss]) + sp.max_batch.to_bytes(2, "little")
    head += h.to_bytes(2, "little") + w.to_bytes(2, "little") + c.to_bytes(2, "little")
    head += bytes([o.rule, o.lr_shift, o.lr_mult, o.mu, o.momentum_shift, o.upscale_bits])
    head += bytes([o.rounding, o.upscale_scope]) + (sp.seed & 0xFFFFFFFF).to_bytes(4, "little")
    out = _fnv(2166136261, head)
    for layer in sp.layers:
        kind, train, units, kh, kw, stride, pad, w_exp = table_fields(layer)
        row = bytes([kind, train]) + units.to_bytes(2, "little")
        row += bytes([kh, kw, stride, pad, w_exp & 0xFF])
        out = _fnv(out, row)
        if layer.kind in WEIGHT_LAYERS:
            assert layer.weights is not None
            out = _fnv(out, np.ascontiguousarray(layer.weights, np.int8).tobytes())
            if layer.bias is not None:
                out = _fnv(out, np.ascontiguousarray(layer.bias, "<i4").tobytes())
    return out


# What of a layer trains (tintin_params_what): its weights, its biases.
PARAM_WEIGHTS, PARAM_BIASES = 1, 2


def trained_params(sp: ModelSpec) -> dict[int, tuple[int, int, int]]:
    """Per trained layer: (PARAM_WEIGHTS | PARAM_BIASES it trains, rows, row)."""
    out = {}
    for i, (sh, layer) in enumerate(zip(layer_geometry(sp), sp.layers, strict=True)):
        if layer.kind not in WEIGHT_LAYERS or layer.train == TRAIN_FROZEN:
            continue
        what = PARAM_BIASES | (PARAM_WEIGHTS if layer.train == TRAIN_FULL else 0)
        out[i] = (what, sh.rows, sh.row)
    return out


def w_exp_window(sp: ModelSpec, i: int) -> tuple[int, int]:
    """The weight exponents layer i may train at: its table exponent +- W_EXP_SPAN."""
    lo, hi = (max(min(sp.layers[i].w_exp + d * W_EXP_SPAN, EXP_LIMIT), -EXP_LIMIT)
              for d in (-1, 1))  # fmt: skip
    return lo, hi
