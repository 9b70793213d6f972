# SPDX-License-Identifier: Apache-2.0
"""The reference model: lib/tintin/src/model*.c in NumPy, bit for bit.

Forward, loss gradient, backward and the per-layer update in the same order and with the same
exponent decisions and PRNG draws as the C runtime, so that a training run gives identical
weights, exponents and saturation counts. Run it on a PC to see whether integer training works
on your data before touching a device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tintin.core import numerics as nx
from tintin.core.spec import (
    BIAS_EXTRA_BITS,
    EXP_LIMIT,
    GROW_PERIOD,
    LAYER_DENSE,
    LAYER_MAXPOOL,
    LAYER_RELU,
    LOSS_MSE,
    LR_BACKOFF_MAX,
    POOL_LAYERS,
    ROUND_STOCHASTIC,
    RULE_NITI,
    TRAIN_FROZEN,
    TRAIN_FULL,
    UPDATE_LIMIT,
    W_EXP_SPAN,
    WEIGHT_LAYERS,
    ModelSpec,
    Shape,
    layer_geometry,
)


class ExponentRangeError(ArithmeticError):
    """An exponent left +-EXP_LIMIT: where the C runtime returns -ERANGE."""


def check_exp(e: int, what: str) -> int:
    if not -EXP_LIMIT <= e <= EXP_LIMIT:
        raise ExponentRangeError(f"{what} exponent {e} out of range")
    return e


def bias_sat(bias: np.ndarray, shift: int) -> int:
    """Biases that saturate when shifted left by shift > 0 (tintin_bias_sat): counted as
    saturated activations, so an input scale far below the weights' shows in the stats."""
    if shift <= 0:
        return 0
    return int(np.count_nonzero(nx.shl_saturates(bias, shift)))


@dataclass
class Stats:
    """Saturation counters, as struct tintin_stats."""

    act_sat: int = 0
    err_sat: int = 0
    param_sat: int = 0
    steps: int = 0
    rescales: int = 0
    update_clips: int = 0


@dataclass
class DenseState:
    """Parameters of a dense or conv layer; w is [rows, row] (conv: [out_c, k_h*k_w*in_c])."""

    shape: Shape
    w: np.ndarray  # int8 view used by forward/backward
    w_exp: int
    bias: np.ndarray  # int32 at w_exp - BIAS_EXTRA_BITS
    train_w: bool
    train_b: bool
    w16: np.ndarray | None = None
    w_mom: np.ndarray | None = None
    b_mom: np.ndarray | None = None
    lr_off: int = 0  # rate back-off (tintin_backoff)


@dataclass
class RefModel:
    """A model built from a ModelSpec; every array is int64 holding the C type's values."""

    spec: ModelSpec
    dense: dict[int, DenseState] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    acts: list[np.ndarray] = field(default_factory=list)
    act_exps: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.spec
        self.shapes: list[Shape] = layer_geometry(s)
        self.key = nx.prng_key(s.seed)
        self.counter = 0
        mom = s.optim.momentum_shift != 0
        self.first_trained = len(s.layers)
        for i, layer in enumerate(s.layers):
            if layer.kind not in WEIGHT_LAYERS:
                continue
            assert layer.weights is not None
            w = nx.i64(layer.weights).reshape(self.shapes[i].rows, self.shapes[i].row)
            bias = nx.i64(layer.bias) if layer.bias is not None else np.zeros(layer.units, np.int64)
            st = DenseState(
                shape=self.shapes[i],
                w=w.copy(),
                w_exp=layer.w_exp,
                bias=bias.copy(),
                train_w=layer.train == TRAIN_FULL,
                train_b=layer.train != TRAIN_FROZEN,
            )
            if st.train_b and self.first_trained == len(s.layers):
                self.first_trained = i
            upscale = s.optim.master_bits(layer.kind)
            if st.train_w and upscale:
                st.w16 = w * (1 << upscale)
            if st.train_w and mom:
                st.w_mom = np.zeros_like(w)
            if st.train_b and mom:
                st.b_mom = np.zeros_like(bias)
            self.dense[i] = st

    def reseed(self, seed: int) -> None:
        """Restart the stochastic rounding stream from seed (tintin_prng_seed on m->prng)."""
        self.key = nx.prng_key(seed & nx.M32)
        self.counter = 0

    # --- forward ------------------------------------------------------------------------

    def forward(self, x: np.ndarray, x_exp: int) -> tuple[np.ndarray, int]:
        """int8 inputs [n, features] -> int8 outputs [n, outputs] and their exponent."""
        cur = nx.i64(x).reshape(x.shape[0], -1)
        e = check_exp(x_exp, "input")
        self.acts, self.act_exps = [], []
        for i, layer in enumerate(self.spec.layers):
            if layer.kind == LAYER_RELU:
                cur = np.maximum(cur, 0)
            elif layer.kind in WEIGHT_LAYERS or layer.kind in POOL_LAYERS:
                acc, base = self._forward_acc(i, cur, e)
                if acc is None:
                    cur = base
                    base = 0
                else:
                    cur, shift, nsat = nx.requantize(acc)
                    self.stats.act_sat += nsat
                    base += shift
                e = check_exp(e + base, "activation")
            self.acts.append(cur)
            self.act_exps.append(e)
        return cur, e

    def _forward_acc(self, i: int, x: np.ndarray, e: int) -> tuple[np.ndarray | None, object]:
        """int32 accumulators and their exponent offset, or (None, int8 output) for max-pool."""
        layer, sh = self.spec.layers[i], self.shapes[i]
        if layer.kind in WEIGHT_LAYERS:
            st = self.dense[i]
            sb = e + BIAS_EXTRA_BITS
            self.stats.act_sat += bias_sat(st.bias, -sb)
            if layer.kind == LAYER_DENSE:
                b0 = nx.round_shift(st.bias, sb) if sb >= 0 else nx.shl_sat32(st.bias, -sb)
                return nx.sat32(x @ st.w.T + b0), st.w_exp
            return nx.conv_forward(x, st.w, st.bias, sb, sh.geom), st.w_exp
        if layer.kind == LAYER_MAXPOOL:
            return None, nx.maxpool_forward(x, sh.geom)
        return nx.avgpool_forward(x, sh.geom, sh.recip), -24

    def predict(self, x: np.ndarray, x_exp: int) -> np.ndarray:
        """Argmax class per sample, first maximum wins, max_batch samples at a time."""
        out = []
        for k in range(0, len(x), self.spec.max_batch):
            y, _ = self.forward(x[k : k + self.spec.max_batch], x_exp)
            out.append(np.argmax(y, axis=1))
        return np.concatenate(out)

    def evaluate(self, x: np.ndarray, x_exp: int, labels: np.ndarray) -> int:
        return int(np.count_nonzero(self.predict(x, x_exp) == labels))

    # --- training -----------------------------------------------------------------------

    def _loss_grad(
        self,
        y: np.ndarray,
        e_y: int,
        labels: np.ndarray | None,
        targets: np.ndarray | None,
        t_exp: int,
    ) -> tuple[np.ndarray, int]:
        if self.spec.loss == LOSS_MSE:
            assert targets is not None
            err, e, nsat = nx.mse_grad(y, e_y, nx.i64(targets).reshape(y.shape), t_exp)
            self.stats.err_sat += nsat
            return err, e
        assert labels is not None
        err, e = nx.xent_grad(y, e_y, nx.i64(labels), self.key, self.counter)
        self.counter = (self.counter + y.size) & nx.M32
        return err, e

    def _apply(
        self, p: np.ndarray, mom: np.ndarray | None, d: np.ndarray, lim: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        # int16 masters (in planes, +-S16P_MAX) keep a full int16 momentum.
        mom_lim = 32767 if lim == nx.S16P_MAX else lim
        p, mom, nsat = nx.apply_update(p, mom, d, lim, self.spec.optim.momentum_shift, mom_lim)
        self.stats.param_sat += nsat
        return p, mom

    @staticmethod
    def _grads(st: DenseState, err: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weight gradient [rows, row] and bias gradient [rows] (int32 in C)."""
        if st.shape.geom is None:
            return err.T @ x, err.sum(axis=0)
        return nx.conv_grad(err, x, st.shape.geom)

    def _update_weights(self, st: DenseState, g: np.ndarray, e_g: int, batch: int) -> None:
        o = self.spec.optim
        master = st.w16 if st.w16 is not None else st.w
        lim = nx.S16P_MAX if st.w16 is not None else 127
        up = o.upscale_bits if st.w16 is not None else 0
        if o.rule == RULE_NITI:
            shift = nx.niti_shift(int(np.max(np.abs(g))), o.mu + up)
            d = nx.niti_delta(g, shift)
        else:
            s = st.w_exp - up + o.lr_shift - e_g
            d, clips = nx.aligned_delta(
                g,
                s,
                o.lr_mult,
                o.rounding == ROUND_STOCHASTIC,
                self._weight_draws(st, g.shape, batch),
                UPDATE_LIMIT << up,
            )
            self.stats.update_clips += clips
        master, st.w_mom = self._apply(master, st.w_mom, d, lim)
        if st.w16 is not None:
            st.w16 = master
            st.w = nx.planes_high(master)
        else:
            st.w = master
        self.counter = (self.counter + g.size) & nx.M32

    def _weight_draws(self, st: DenseState, shape: tuple[int, ...], batch: int) -> np.ndarray:
        """A dense layer at batch 1 draws per row and column (tintin_sgd_outer_rows' passes),
        any other weight update per element (tintin_update_weights)."""
        if st.shape.geom is None and batch == 1:
            return nx.grid_draws(self.key, self.counter, *shape)
        return nx.param_draws(self.key, self.counter, shape)

    def _rescale(self, st: DenseState, table_exp: int, clipped: bool) -> None:
        """The weight grid follows the weights, within W_EXP_SPAN (tintin_rescale_layer)."""
        lim = nx.S16P_MAX if st.w16 is not None else 127
        master = st.w16 if st.w16 is not None else st.w
        mom_lim = 32767 if st.w16 is not None else lim
        if clipped:
            if st.w_exp >= min(table_exp + W_EXP_SPAN, EXP_LIMIT):
                return
            step, e = (lambda a: nx.round_shift(a, 1)), 1
        else:
            if (
                self.stats.steps % GROW_PERIOD
                or st.w_exp <= max(table_exp - W_EXP_SPAN, -EXP_LIMIT)
                or not nx.fits_doubled(master, lim)
                or not nx.fits_doubled(st.w_mom, mom_lim)
                or not nx.fits_doubled(st.bias, nx.I32_MAX)
                or not nx.fits_doubled(st.b_mom, nx.I32_MAX)
            ):
                return
            step, e = (lambda a: a * 2), -1
        self.stats.rescales += 1
        if st.w16 is not None:
            st.w16 = step(st.w16)
            st.w = nx.planes_high(st.w16)
        else:
            st.w = step(st.w)
        for name in ("w_mom", "b_mom"):
            if getattr(st, name) is not None:
                setattr(st, name, step(getattr(st, name)))
        st.bias = step(st.bias)
        st.w_exp += e

    def _backoff(self, st: DenseState, clipped: bool) -> None:
        """A clamped update halves the layer's rate; clean steps restore it (tintin_backoff)."""
        if clipped:
            st.lr_off = min(st.lr_off + 1, LR_BACKOFF_MAX)
        elif st.lr_off and self.stats.steps % GROW_PERIOD == 0:
            st.lr_off -= 1

    def _update_bias(self, st: DenseState, g: np.ndarray, e_err: int) -> None:
        o = self.spec.optim
        if o.rule == RULE_NITI:
            shift = nx.niti_shift(int(np.max(np.abs(g))), o.mu + BIAS_EXTRA_BITS)
            d = nx.niti_delta(g, shift)
        else:
            s = st.w_exp - BIAS_EXTRA_BITS + o.lr_shift - e_err
            d, _ = nx.aligned_delta(
                g,
                s,
                o.lr_mult,
                o.rounding == ROUND_STOCHASTIC,
                nx.param_draws(self.key, self.counter, g.shape),
                UPDATE_LIMIT << BIAS_EXTRA_BITS,
            )
        st.bias, st.b_mom = self._apply(st.bias, st.b_mom, d, nx.I32_MAX)
        self.counter = (self.counter + g.size) & nx.M32

    def train_step(
        self,
        x: np.ndarray,
        x_exp: int,
        labels: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        t_exp: int = 0,
    ) -> None:
        """One SGD step on a batch, as tintin_model_train_step."""
        if self.spec.loss == LOSS_MSE:
            check_exp(t_exp, "target")
        x = nx.i64(x).reshape(x.shape[0], -1)
        y, e_y = self.forward(x, x_exp)
        err, e_err = self._loss_grad(y, e_y, labels, targets, t_exp)
        check_exp(e_err, "loss gradient")
        lr_b = nx.lr_batch(len(x))
        for i in range(len(self.spec.layers) - 1, self.first_trained - 1, -1):
            layer = self.spec.layers[i]
            if layer.kind == LAYER_RELU:
                err = np.where(self.acts[i] > 0, err, 0)
                continue
            if layer.kind not in WEIGHT_LAYERS and layer.kind not in POOL_LAYERS:
                continue
            xin, e_x = (x, x_exp) if i == 0 else (self.acts[i - 1], self.act_exps[i - 1])
            below = None
            if i > self.first_trained:
                acc, base = self._backward_acc(i, err, xin)
                below, shift, nsat = nx.requantize(acc)
                self.stats.err_sat += nsat
            st = self.dense.get(i)
            if st is not None:
                gw, gb = self._grads(st, err, xin)
                sat_w, clips = self.stats.param_sat, self.stats.update_clips
                rate = e_err - lr_b - st.lr_off
                if st.train_w:
                    self._update_weights(st, gw, rate + e_x, err.shape[0])
                clipped = self.stats.param_sat != sat_w
                if st.train_b:
                    self._update_bias(st, gb, rate)
                if st.train_w:
                    self._rescale(st, layer.w_exp, clipped)
                    self._backoff(st, self.stats.update_clips != clips)
            if below is not None:
                e_err = check_exp(e_err + base + shift, "error")
                err = below
        self.stats.steps += 1

    def _backward_acc(self, i: int, err: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, int]:
        """int32 error for the layer below and its exponent offset."""
        layer, sh = self.spec.layers[i], self.shapes[i]
        if layer.kind in WEIGHT_LAYERS:
            st = self.dense[i]
            if sh.geom is None:
                return err @ st.w, st.w_exp
            return nx.conv_backward(err, st.w, sh.geom), st.w_exp
        if layer.kind == LAYER_MAXPOOL:
            return nx.maxpool_backward(x, err, sh.geom), 0
        return nx.avgpool_backward(err, sh.geom, sh.recip), -24

    # --- inspection ---------------------------------------------------------------------

    def layer_params(self, i: int) -> dict[str, np.ndarray | int | None]:
        """Parameters of dense layer i, named as in struct tintin_layer_info."""
        st = self.dense[i]
        return {
            "w": st.w,
            "w16": st.w16,
            "bias": st.bias,
            "w_mom": st.w_mom,
            "b_mom": st.b_mom,
            "w_exp": st.w_exp,
            "lr_off": st.lr_off,
        }
