# SPDX-License-Identifier: Apache-2.0
"""float32 trainer of the same networks, for side-by-side accuracy.

Same initial weights (the spec's int8 values times 2^w_exp), same learning rate (2^-lr_shift
times the lr_mult factor), same momentum form (v = beta v + lr g; p -= v), same batch order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tintin.core import data
from tintin.core import numerics as nx
from tintin.core.average import share
from tintin.core.spec import (
    BIAS_EXTRA_BITS,
    LAYER_DENSE,
    LAYER_MAXPOOL,
    LAYER_RELU,
    LOSS_MSE,
    POOL_LAYERS,
    TRAIN_FROZEN,
    TRAIN_FULL,
    WEIGHT_LAYERS,
    ModelSpec,
    Optim,
    layer_geometry,
)


def float_lr(optim: Optim) -> float:
    mult = sum(2.0**-k for k in range(8) if optim.lr_mult & (1 << k))
    return mult * 2.0**-optim.lr_shift


class FloatModel:
    """The same layers as the integer runtime in float32 (or float64 for gradient checks).

    Activations are [batch, elements] in NHWC order; conv weights are [rows, k_h*k_w*in_c].
    """

    def __init__(self, spec: ModelSpec, dtype: type = np.float32) -> None:
        self.spec, self.dtype = spec, dtype
        self.lr = dtype(float_lr(spec.optim))
        self.beta = dtype(1.0 - 2.0**-spec.optim.momentum_shift)
        self.params: dict[int, list[np.ndarray]] = {}
        self.moms: dict[int, list[np.ndarray]] = {}
        self.shapes = layer_geometry(spec)
        for i, layer in enumerate(spec.layers):
            if layer.kind not in WEIGHT_LAYERS:
                continue
            assert layer.weights is not None
            w = layer.weights.astype(np.float64).reshape(self.shapes[i].rows, -1)
            w = (w * 2.0**layer.w_exp).astype(dtype)
            b = np.zeros(layer.units, np.float64) if layer.bias is None else layer.bias
            b = (np.asarray(b, np.float64) * 2.0 ** (layer.w_exp - BIAS_EXTRA_BITS)).astype(dtype)
            self.params[i] = [w, b]
            self.moms[i] = [np.zeros_like(w), np.zeros_like(b)]

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        acts = [np.asarray(x, self.dtype).reshape(len(x), -1)]
        for i, layer in enumerate(self.spec.layers):
            cur = acts[-1]
            g = self.shapes[i].geom
            if layer.kind == LAYER_DENSE:
                w, b = self.params[i]
                cur = cur @ w.T + b
            elif layer.kind in WEIGHT_LAYERS:
                w, b = self.params[i]
                p = nx.patches(cur, g, dtype=self.dtype)
                cur = (p.reshape(len(cur), g.out_h, g.out_w, -1) @ w.T + b).reshape(len(cur), -1)
            elif layer.kind == LAYER_MAXPOOL:
                p = nx.patches(cur, g, fill=-np.inf, dtype=self.dtype)
                cur = p.max(axis=(3, 4)).reshape(len(cur), -1)
            elif layer.kind in POOL_LAYERS:
                p = nx.patches(cur, g, dtype=self.dtype)
                cur = (p.sum(axis=(3, 4)) / self.dtype(g.k_h * g.k_w)).reshape(len(cur), -1)
            elif layer.kind == LAYER_RELU:
                cur = np.maximum(cur, 0)
            acts.append(cur)
        return acts

    def _backward(self, i: int, g_out: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, list]:
        """Error at layer i's input and its parameter gradients ([] for pools and ReLU)."""
        layer, geo, n = self.spec.layers[i], self.shapes[i].geom, len(x)
        if layer.kind == LAYER_DENSE:
            w, _ = self.params[i]
            return g_out @ w, [g_out.T @ x, g_out.sum(axis=0)]
        if layer.kind in WEIGHT_LAYERS:
            w, _ = self.params[i]
            e = g_out.reshape(-1, geo.out_c)
            p = nx.patches(x, geo, dtype=self.dtype).reshape(e.shape[0], -1)
            d = (e @ w).reshape(n, geo.out_h, geo.out_w, geo.k_h, geo.k_w, geo.in_c)
            return nx.unpatch(d, geo), [e.T @ p, e.sum(axis=0)]
        if layer.kind == LAYER_MAXPOOL:
            return nx.maxpool_backward(x, g_out, geo, dtype=self.dtype), []
        if layer.kind in POOL_LAYERS:
            d = (g_out / self.dtype(geo.k_h * geo.k_w)).reshape(n, geo.out_h, geo.out_w, 1, 1, -1)
            d = np.broadcast_to(d, (n, geo.out_h, geo.out_w, geo.k_h, geo.k_w, geo.in_c))
            return nx.unpatch(np.ascontiguousarray(d), geo), []
        if layer.kind == LAYER_RELU:
            return g_out * (self._acts[i + 1] > 0), []
        return g_out, []

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._forward(x)[-1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.forward(x), axis=1)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == y))

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[int, list[np.ndarray]]]:
        """Mean loss over the batch and its gradient for every dense layer."""
        acts = self._forward(x)
        out, n = acts[-1], len(x)
        if self.spec.loss == LOSS_MSE:
            diff = out - np.asarray(y, self.dtype).reshape(out.shape)
            loss = 0.5 * float(np.sum(diff * diff)) / n
            g = diff / self.dtype(n)
        else:
            z = out - out.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            rows = np.arange(n)
            loss = -float(np.mean(np.log(p[rows, y] + 1e-30)))
            g = p.copy()
            g[rows, y] -= 1
            g /= self.dtype(n)
        grads: dict[int, list[np.ndarray]] = {}
        self._acts = acts
        for i in range(len(self.spec.layers) - 1, -1, -1):
            g, pg = self._backward(i, g, acts[i])
            if pg:
                grads[i] = pg
        return loss, grads

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        loss, grads = self.gradients(x, y)
        mom = self.spec.optim.momentum_shift != 0
        # The integer rule's rate at batch n < 8 is lr * n / 8 on the mean (nx.lr_batch).
        lr = self.lr * self.dtype(min(len(x), 8) / 8)
        for i, (gw, gb) in grads.items():
            mode = self.spec.layers[i].train
            for k, g in enumerate((gw, gb)):
                if mode == TRAIN_FROZEN or (k == 0 and mode != TRAIN_FULL):
                    continue
                step = lr * g.astype(self.dtype)
                if mom:
                    self.moms[i][k] = self.beta * self.moms[i][k] + step
                    step = self.moms[i][k]
                self.params[i][k] -= step
        return loss

    def average_from(self, model: FloatModel, q: int) -> None:
        """self = (1 - q / 2^16) self + q / 2^16 model, parameter by parameter: the float32
        twin of tintin_model_average (this model holds the running average)."""
        s = q / float(1 << 16)
        self.params = {i: [((1.0 - s) * a + s * p).astype(self.dtype)
                           for a, p in zip(self.params[i], ps, strict=True)]
                       for i, ps in model.params.items()}  # fmt: skip

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch: int, epoch: int, seed: int) -> None:
        """One pass over (x, y) in the integer trainers' sample order for this epoch."""
        for idx in data.batches(len(x), batch, epoch, seed):
            self.train_step(x[idx], y[idx])


def train(
    spec: ModelSpec,
    split: data.Split,
    epochs: int,
    batch: int,
    seed: int,
    progress: Callable[[int, float], None] | None = None,
    average: bool = False,
) -> list[float]:
    """Held-out accuracy per epoch, with the integer trainers' batch order; with average, of
    the running weight average after each epoch (tintin.core.average's schedule)."""
    model = FloatModel(spec)
    avg = FloatModel(spec) if average else None
    accs = []
    for epoch in range(epochs):
        model.train_epoch(split.x_train, split.y_train, batch, epoch, seed)
        if avg is not None:
            avg.average_from(model, share(epoch + 1))
        accs.append((avg if avg is not None else model).evaluate(split.x_test, split.y_test))
        if progress is not None:
            progress(epoch, accs[-1])
    return accs
