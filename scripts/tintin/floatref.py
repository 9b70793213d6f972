# SPDX-License-Identifier: Apache-2.0
"""float32 trainer of the same networks, for side-by-side accuracy.

Same initial weights (the spec's int8 values times 2^w_exp), same learning rate (2^-lr_shift
times the lr_mult factor), same momentum form (v = beta v + lr g; p -= v), same batch order.
"""

from __future__ import annotations

import numpy as np

from tintin import data
from tintin.spec import (
    BIAS_EXTRA_BITS,
    LAYER_DENSE,
    LAYER_RELU,
    LOSS_MSE,
    TRAIN_FROZEN,
    TRAIN_FULL,
    ModelSpec,
    Optim,
)


def float_lr(optim: Optim) -> float:
    mult = sum(2.0**-k for k in range(8) if optim.lr_mult & (1 << k))
    return mult * 2.0**-optim.lr_shift


class FloatModel:
    """Dense/ReLU/flatten network in float32 (or float64 for gradient checks)."""

    def __init__(self, spec: ModelSpec, dtype: type = np.float32) -> None:
        self.spec, self.dtype = spec, dtype
        self.lr = dtype(float_lr(spec.optim))
        self.beta = dtype(1.0 - 2.0**-spec.optim.momentum_shift)
        self.params: dict[int, list[np.ndarray]] = {}
        self.moms: dict[int, list[np.ndarray]] = {}
        for i, layer in enumerate(spec.layers):
            if layer.kind != LAYER_DENSE:
                continue
            assert layer.weights is not None
            w = (layer.weights.astype(np.float64) * 2.0**layer.w_exp).astype(dtype)
            b = np.zeros(layer.units, np.float64) if layer.bias is None else layer.bias
            b = (np.asarray(b, np.float64) * 2.0 ** (layer.w_exp - BIAS_EXTRA_BITS)).astype(dtype)
            self.params[i] = [w, b]
            self.moms[i] = [np.zeros_like(w), np.zeros_like(b)]

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        acts = [np.asarray(x, self.dtype).reshape(len(x), -1)]
        for i, layer in enumerate(self.spec.layers):
            cur = acts[-1]
            if layer.kind == LAYER_DENSE:
                w, b = self.params[i]
                cur = cur @ w.T + b
            elif layer.kind == LAYER_RELU:
                cur = np.maximum(cur, 0)
            acts.append(cur)
        return acts

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
        for i in range(len(self.spec.layers) - 1, -1, -1):
            layer = self.spec.layers[i]
            if layer.kind == LAYER_RELU:
                g = g * (acts[i + 1] > 0)
            elif layer.kind == LAYER_DENSE:
                w, _ = self.params[i]
                grads[i] = [g.T @ acts[i], g.sum(axis=0)]
                g = g @ w
        return loss, grads

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        loss, grads = self.gradients(x, y)
        mom = self.spec.optim.momentum_shift != 0
        for i, (gw, gb) in grads.items():
            mode = self.spec.layers[i].train
            for k, g in enumerate((gw, gb)):
                if mode == TRAIN_FROZEN or (k == 0 and mode != TRAIN_FULL):
                    continue
                step = self.lr * g.astype(self.dtype)
                if mom:
                    self.moms[i][k] = self.beta * self.moms[i][k] + step
                    step = self.moms[i][k]
                self.params[i][k] -= step
        return loss


def train(spec: ModelSpec, split: data.Split, epochs: int, batch: int, seed: int) -> list[float]:
    """Held-out accuracy per epoch, with the integer trainers' batch order."""
    model = FloatModel(spec)
    accs = []
    for epoch in range(epochs):
        for idx in data.batches(len(split.x_train), batch, epoch, seed):
            model.train_step(split.x_train[idx], split.y_train[idx])
        accs.append(model.evaluate(split.x_test, split.y_test))
    return accs
