# SPDX-License-Identifier: Apache-2.0
"""Bit-exact NumPy twins of the C primitives (lib/tintin/src/fixedpoint.c, requantize.c,
loss.c, optim/sgd.c).

Every function works on int64 arrays holding int32 values and reproduces the C result for
every input, including negative ties and saturation. Division is done on magnitudes with the
sign restored, never with ``//`` or ``>>`` on negative numbers (NUMERICS.md 4.3).
"""

from __future__ import annotations

import numpy as np

I32_MAX = 2**31 - 1
M32 = 0xFFFFFFFF
GOLDEN = 0x9E3779B9

XENT_LOG2E_Q15 = 47274
XENT_PIN = 10
XENT_TAYLOR_EXP = -7

Array = np.ndarray


def i64(x: Array | int) -> Array:
    return np.asarray(x, dtype=np.int64)


# --- PRNG -----------------------------------------------------------------------------------


def prng_key(seed: int) -> int:
    """Key of a freshly seeded stream (tintin_prng_seed)."""
    return ((seed * GOLDEN) & M32) ^ 0x6A09E667


def prng_at(key: int, counter: int, k: Array | int) -> Array:
    """Draw k of the stream at this counter: murmur3 fmix32 of a Weyl sequence (uint32)."""
    x = ((i64(k) + counter) & M32).astype(np.uint64)
    x = (x * GOLDEN + key) & M32
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & M32
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & M32
    x ^= x >> 16
    return x.astype(np.int64)


# Row draws are those of the same stream 2^31 further on: key + 2^31 is the Weyl step times
# 2^31 (mod 2^32), as far from every column draw's index as a 32-bit counter allows.
ROW_DRAWS = 1 << 31
# A column draw keeps its top 16 bits (TINTIN_PRNG_COL_MASK): a batch-1 pass packs it with the
# input and the column index into one 32-bit word.
COL_MASK = 0xFFFF0000


def grid_draws(key: int, counter: int, rows: int, row: int) -> Array:
    """Draws of a dense layer's weight update at batch 1 (tintin_sgd_outer_rows): element
    (o, c) draws r ^ k ^ (((k << 5) * r) >> 4) (tintin_grid_draw) from row draw r = o and the
    top 16 bits k of column draw c, so the units of a layer share per-column numbers that a
    kernel computes once per step instead of once per weight. The top 4 bits are r's xor k's
    (a batch-1 pass sorts columns by them); the product below them keeps two rows' draws from
    differing by one constant xor, and as its bit p depends only on k's bits below p, k -> draw
    is a bijection for every r (the draws stay uniform). Every other update draws element k's
    own number (param_draws)."""
    col = prng_at(key, counter, np.arange(row))
    rowd = prng_at(key, (counter + ROW_DRAWS) & M32, np.arange(rows))
    return grid_draw(rowd[:, None], col[None, :])


def grid_draw(rowd: Array, col: Array) -> Array:
    """tintin_grid_draw: row draw r and column draw c (uint64 arrays of uint32 values) ->
    r ^ k ^ (((k << 5) * r) >> 4), k = c's top 16 bits (see grid_draws)."""
    k = col & COL_MASK
    return rowd ^ k ^ (((((k << 5) & M32) * rowd) & M32) >> 4)


def param_draws(key: int, counter: int, shape: tuple[int, ...]) -> Array:
    """Draws of a parameter update other than grid_draws': element k (row-major) draws
    counter + k, independent of every other element."""
    return prng_at(key, counter, np.arange(int(np.prod(shape)))).reshape(shape)


# --- integer helpers ------------------------------------------------------------------------


def bits(m: Array | int) -> Array:
    """floor(log2 m) + 1, and 0 for m == 0 (tintin_bits)."""
    m = i64(m)
    out = np.zeros(m.shape, np.int64)
    for k in range(33):
        out += m >= (1 << k)
    return out


def bits_int(m: int) -> int:
    return int(m).bit_length()


def clamp(x: Array, lo: Array | int, hi: Array | int) -> Array:
    """np.clip for integers without its per-call overhead (the reference steps tiny arrays)."""
    return np.minimum(np.maximum(x, lo), hi)


def sat(x: Array, lim: int) -> Array:
    """Symmetric saturation to [-lim, lim]."""
    return clamp(i64(x), -lim, lim)


def sat8(x: Array) -> Array:
    return sat(x, 127)


def sat32(x: Array) -> Array:
    """tintin_add_sat32 of an exact sum: the symmetric int32 range."""
    return sat(x, I32_MAX)


def shl_saturates(x: Array, s: Array | int) -> Array:
    """Where x * 2^s (s >= 0) leaves the symmetric int32 range (tintin_shl_saturates)."""
    x, s = i64(x), i64(s)
    return (x != 0) & ((s >= 31) | (np.abs(x) > (I32_MAX >> np.minimum(s, 31))))


def shl_sat32(x: Array, s: Array | int) -> Array:
    """x * 2^s saturated to the symmetric int32 range, s >= 0."""
    x = i64(x)
    s = np.minimum(i64(s), 31)
    return np.where(shl_saturates(x, s), np.sign(x) * I32_MAX, x * (np.int64(1) << s))


def _split(x: Array, s: Array) -> tuple[Array, Array, Array]:
    """Sign, truncated quotient and remainder of |x| / 2^s (0 < s < 32)."""
    m = np.abs(x)
    return np.sign(x), m >> s, m & ((np.int64(1) << s) - 1)


def round_shift(x: Array | int, s: Array | int) -> Array:
    """x / 2^s rounded half away from zero; s <= 0 is identity, s >= 32 gives 0."""
    if np.ndim(s) == 0:  # the common case, without broadcasting's overhead
        x, s = i64(x), int(s)
        if s <= 0:
            return x
        return np.sign(x) * ((np.abs(x) + (1 << (s - 1))) >> s) if s < 32 else x * 0
    x, s = np.broadcast_arrays(i64(x), i64(s))
    ss = clamp(s, 1, 31)
    m = (np.abs(x) + (np.int64(1) << (ss - 1))) >> ss
    out = np.sign(x) * m
    return np.where(s <= 0, x, np.where(s >= 32, 0, out))


def decay_shift(x: Array | int, s: int) -> Array:
    """x / 2^s with the magnitude rounded up (tintin_decay_shift): momentum decays to 0."""
    x = i64(x)
    return np.sign(x) * ((np.abs(x) + ((1 << s) - 1)) >> s)


def sto_shift(x: Array | int, s: Array | int, r: Array | int) -> Array:
    """x / 2^s rounded up in magnitude when the dropped bits exceed the top s bits of r."""
    if np.ndim(s) == 0:  # the common case, without broadcasting's overhead
        x, s = i64(x), int(s)
        if s <= 0:
            return x
        if s >= 32:
            return x * 0
        sign, t, p = _split(x, s)
        return sign * (t + (p > (i64(r) >> (32 - s))))
    x, s, r = np.broadcast_arrays(i64(x), i64(s), i64(r))
    ss = clamp(s, 1, 31)
    sign, t, p = _split(x, ss)
    out = sign * (t + (p > (r >> (32 - ss))))
    return np.where(s <= 0, x, np.where(s >= 32, 0, out))


def floor_shift(x: Array, s: int) -> Array:
    """floor(x / 2^s) for 0 < s < 64, on magnitudes (tintin_floor_shift)."""
    x = i64(x)
    return np.where(x >= 0, x >> s, -((-x + ((1 << s) - 1)) >> s))


def sto_floor(x: Array | int, s: int, r: Array | int) -> Array:
    """floor((x + U) / 2^s) with U the top s bits of the draw r: x / 2^s rounded down or up
    with probabilities that make it exact in expectation (tintin_sto_floor). s <= 0 is x;
    s >= 32 gives 0, as tintin_sto_shift."""
    x = i64(x)
    if s <= 0:
        return x
    if s >= 32:
        return x * 0
    return floor_shift(x + (i64(r) >> (32 - s)), s)


def psto_shift(x: Array | int, s: Array | int) -> Array:
    """NITI pseudo-stochastic rounding: the dropped bits' high half against their low half."""
    x, s = np.broadcast_arrays(i64(x), i64(s))
    ss = clamp(s, 1, 31)
    sign, t, p = _split(x, ss)
    h = ss >> 1
    hi = p >> h
    lo = (p & ((np.int64(1) << h) - 1)) << (ss & 1)
    out = sign * (t + (hi > lo))
    return np.where(s <= 0, x, np.where(s >= 32, 0, out))


def trunc_shift(x: Array | int, s: int) -> Array:
    """x / 2^s truncated toward zero (NITI's div), s >= 0."""
    x = i64(x)
    if s >= 32:
        return np.zeros_like(x)
    return np.sign(x) * (np.abs(x) >> s)


def rescale_mult(x: Array, mult: int) -> Array:
    """x times sum(2^-k for set bits k of mult), one rounded shift per bit."""
    acc = np.zeros_like(i64(x))
    for k in range(8):
        if mult & (1 << k):
            acc = sat32(acc + round_shift(x, k))
    return acc


def range_shift(maxabs: int) -> int:
    return max(bits_int(maxabs) - 7, 0)


def requantize(acc: Array) -> tuple[Array, int, int]:
    """int32 to int8 with one shift for the whole tensor: (q, shift, saturated count)."""
    acc = i64(acc)
    shift = range_shift(int(np.max(np.abs(acc))) if acc.size else 0)
    v = round_shift(acc, shift)
    return sat8(v), shift, int(np.count_nonzero(np.abs(v) > 127))


# --- losses ---------------------------------------------------------------------------------


def _xent_scaled(z: Array, e: int) -> Array:
    s = trunc_shift(i64(z) * XENT_LOG2E_Q15, 15)
    if e >= 0:
        return shl_sat32(s, min(e, 20))
    return trunc_shift(s, -e)


def _xent_weights(z: Array, e: int) -> Array:
    """Unnormalised softmax weights, one row per sample (tintin_xent_weight)."""
    z = i64(z)
    if e > XENT_TAYLOR_EXP:
        s = _xent_scaled(z, e)
        s = s - (s.max(axis=1, keepdims=True) - XENT_PIN)
        return np.where(s <= 0, 0, (np.int64(1) << np.clip(s, 0, 30)) - 1)
    x = z * (1 << (e + 14)) if e + 14 >= 0 else round_shift(z, -(e + 14))
    return (1 << 15) + 2 * x + ((x * x) >> 14)


def xent_grad(z: Array, e: int, labels: Array, key: int, counter: int) -> tuple[Array, int]:
    """Integer softmax cross-entropy gradient of int8 logits [B, C] (tintin_xent_grad_s8)."""
    z = i64(z)
    nb, nc = z.shape
    w = _xent_weights(z, e)
    q = (w << 11) // w.sum(axis=1, keepdims=True)
    g = q.copy()
    rows = np.arange(nb)
    g[rows, labels] = q[rows, labels] - q.sum(axis=1)
    r = prng_at(key, counter, np.arange(nb * nc).reshape(nb, nc))
    return sat8(sto_shift(g, 4, r)), -7 - bits_int(nb - 1)


def mse_grad(y: Array, e_y: int, t: Array, e_t: int) -> tuple[Array, int, int]:
    """Gradient y - t of int8 outputs [B, N] against int8 targets: (err, exponent, saturated)."""
    # The finer grid, but at most 23 bits below the coarser (int32 room for int8 << 23); past
    # that the finer operand rounds onto it (tintin_mse_grad_s8).
    e = max(min(e_y, e_t), max(e_y, e_t) - 23)

    def align(v: Array, s: int) -> Array:
        return shl_sat32(v, s) if s >= 0 else round_shift(v, -s)

    acc = align(y, e_y - e) - align(t, e_t - e)
    err, shift, nsat = requantize(acc)
    return err, e + shift - bits_int(y.shape[0] - 1), nsat


# --- optimizer ------------------------------------------------------------------------------

DTYPE_LIMITS = {0: 127, 1: 32767, 2: I32_MAX}
# int16 masters held as int8 planes (TINTIN_DTYPE_S16P): 256 * high + low within +-32639.
S16P_MAX = 127 * 256 + 127


def lr_batch(n: int) -> int:
    """Rate offset of a batch of n (tintin_lr_batch): every n <= 8 applies lr * sum / 8."""
    return 0 if n >= 8 else 3 - bits_int(n - 1)


def fits_doubled(a: Array | None, lim: int) -> bool:
    """Every magnitude at most lim // 2, so doubling is exact (tintin_param_fits_doubled)."""
    return a is None or int(np.max(np.abs(a), initial=0)) <= lim // 2


def planes_high(w: Array) -> Array:
    """High-byte plane of int16 masters: w rounded to the int8 grid, floor((w + 128) / 256)."""
    return (i64(w) + 128) >> 8


def apply_update(
    p: Array, mom: Array | None, d: Array, lim: int, momentum_shift: int,
    mom_lim: int | None = None,
) -> tuple[Array, Array | None, int]:  # fmt: skip
    """p -= d (through momentum v = v - ceil(v/2^m) + d when mom is given), saturating to +-lim
    (the momentum to +-mom_lim, by default the same).

    A parameter whose step is 0 is not stored, as in C (its loops skip it): a table's -128
    stays -128 until a step moves it, and only a store that passes +-lim counts as clipped.
    Returns the new parameters, the new momentum and how many parameter stores clipped.
    """
    if mom is not None:
        v_lim = lim if mom_lim is None else mom_lim
        mom = sat(sat32(mom - decay_shift(mom, momentum_shift) + d), v_lim)
        d = mom
    w = sat32(i64(p) - d)
    moved = i64(d) != 0
    return (
        np.where(moved, sat(w, lim), i64(p)),
        mom,
        int(np.count_nonzero(moved & (np.abs(w) > lim))),
    )


def aligned_delta(
    g: Array, s: int, lr_mult: int, stochastic: bool, r: Array, dmax: int
) -> tuple[Array, int]:
    """Update in parameter LSBs, g * lr_mult / 2^s rounded and clamped to +-dmax
    (tintin_sgd_aligned_row), and how many elements were clamped."""
    d = i64(g)
    if lr_mult != 1:
        d = rescale_mult(d, lr_mult)
    if s <= 0:
        d = shl_sat32(d, -s)
    elif stochastic:
        d = sto_floor(d, s, r)
    else:
        d = psto_shift(d, s)
    return clamp(d, -dmax, dmax), int(np.count_nonzero(np.abs(d) > dmax))


def niti_shift(maxabs: int, mu: int) -> int:
    return -1 if maxabs == 0 else bits_int(maxabs) - mu


def niti_delta(g: Array, shift: int) -> Array:
    g = i64(g)
    return g if shift < 1 else psto_shift(g, shift)


# --- convolution and pooling (NHWC; geometry from spec.Geom) -----------------------------


def _window_index(g: object) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Row and column indices into the padded input for every (output, tap) pair."""
    rows = (np.arange(g.out_h) * g.stride)[:, None] + np.arange(g.k_h)[None, :]
    cols = (np.arange(g.out_w) * g.stride)[:, None] + np.arange(g.k_w)[None, :]
    hp = max(g.in_h + g.pad_t, int(rows.max()) + 1)
    wp = max(g.in_w + g.pad_l, int(cols.max()) + 1)
    return rows, cols, hp, wp


def patches(x: Array, g: object, fill: float = 0, dtype: type = np.int64) -> Array:
    """[B, in_h*in_w*in_c] -> [B, out_h, out_w, k_h, k_w, in_c], padding filled with `fill`.

    Integer (int64) for the reference; the float32 trainer passes its own dtype.
    """
    nb = x.shape[0]
    rows, cols, hp, wp = _window_index(g)
    xp = np.full((nb, hp, wp, g.in_c), fill, dtype)
    xp[:, g.pad_t : g.pad_t + g.in_h, g.pad_l : g.pad_l + g.in_w] = np.asarray(x, dtype).reshape(
        nb, g.in_h, g.in_w, g.in_c
    )
    return xp[:, rows[:, None, :, None], cols[None, :, None, :], :]


def unpatch(d: Array, g: object) -> Array:
    """Adjoint of patches: add [B, oh, ow, kh, kw, c] back onto the input, padding dropped."""
    nb = d.shape[0]
    rows, cols, hp, wp = _window_index(g)
    acc = np.zeros((nb, hp, wp, g.in_c), d.dtype)
    r = np.broadcast_to(rows[:, None, :, None], d.shape[1:5])
    c = np.broadcast_to(cols[None, :, None, :], d.shape[1:5])
    np.add.at(acc, (slice(None), r, c), d)
    return acc[:, g.pad_t : g.pad_t + g.in_h, g.pad_l : g.pad_l + g.in_w].reshape(nb, -1)


def conv_forward(x: Array, w: Array, bias: Array, bias_shift: int, g: object) -> Array:
    """int32 accumulators [B, out_h*out_w*out_c] of a convolution (tintin_conv_forward_s8)."""
    p = patches(x, g)
    nb = p.shape[0]
    acc = p.reshape(nb, g.out_h, g.out_w, -1) @ i64(w).reshape(g.out_c, -1).T
    b0 = round_shift(bias, bias_shift) if bias_shift >= 0 else shl_sat32(bias, -bias_shift)
    return sat32(acc + b0).reshape(nb, -1)


def conv_backward(err: Array, w: Array, g: object) -> Array:
    nb = err.shape[0]
    d = i64(err).reshape(nb, g.out_h, g.out_w, g.out_c) @ i64(w).reshape(g.out_c, -1)
    return unpatch(d.reshape(nb, g.out_h, g.out_w, g.k_h, g.k_w, g.in_c), g)


def conv_grad(err: Array, x: Array, g: object) -> tuple[Array, Array]:
    """Weight gradient [out_c, k_h*k_w*in_c] and bias gradient [out_c]."""
    e = i64(err).reshape(-1, g.out_c)
    p = patches(x, g).reshape(e.shape[0], -1)
    return e.T @ p, e.sum(axis=0)


def maxpool_forward(x: Array, g: object) -> Array:
    p = patches(x, g, fill=-1000)
    return p.max(axis=(3, 4)).reshape(x.shape[0], -1)


def maxpool_backward(x: Array, err: Array, g: object, dtype: type = np.int64) -> Array:
    """Each window's error to its first maximum (row-major scan of the window)."""
    p = patches(x, g, fill=-1000, dtype=dtype)
    nb = p.shape[0]
    flat = p.transpose(0, 1, 2, 5, 3, 4).reshape(nb, g.out_h, g.out_w, g.in_c, -1)
    first = flat.argmax(axis=-1)
    d = np.zeros_like(flat)
    e = np.asarray(err, dtype).reshape(first.shape)[..., None]
    np.put_along_axis(d, first[..., None], e, axis=-1)
    d = d.reshape(nb, g.out_h, g.out_w, g.in_c, g.k_h, g.k_w).transpose(0, 1, 2, 4, 5, 3)
    return unpatch(d, g)


def avgpool_forward(x: Array, g: object, recip: int) -> Array:
    # recip rounds to nearest, so a window all at -128 falls just below int32: saturate (C).
    s = i64(patches(x, g).sum(axis=(3, 4))) * recip
    return np.maximum(s, -I32_MAX).reshape(x.shape[0], -1)


def avgpool_backward(err: Array, g: object, recip: int) -> Array:
    nb = err.shape[0]
    d = (i64(err) * recip).reshape(nb, g.out_h, g.out_w, 1, 1, g.in_c)
    d = np.broadcast_to(d, (nb, g.out_h, g.out_w, g.k_h, g.k_w, g.in_c))
    return sat32(unpatch(np.ascontiguousarray(d), g))
