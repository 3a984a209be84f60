"""The chapter's layers, with the book's contract.

Each layer has ``forward(x, train=...)`` and ``backward(dout)``; a layer with
parameters keeps their gradients in attributes after ``backward`` (``dW``,
``db``, ``dgamma``, ``dbeta``). ``backward`` never modifies ``dout``.
"""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits (the row maximum is subtracted)."""
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """Mean cross entropy of probabilities ``y`` (N, C) against labels or one-hot ``t``."""
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.ndim == 1 and t.size == y.size else t.reshape(1)
    if t.ndim == 2:  # one-hot (N, C) -> indices (N,)
        t = t.argmax(axis=1)
    n = y.shape[0]
    tiny = np.finfo(y.dtype).tiny
    return float(-np.log(y[np.arange(n), t] + tiny).sum() / n)


class Affine:
    """``out = x @ W + b``; inputs of any shape are flattened to (N, fan_in)."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W = W
        self.b = b
        self.x: np.ndarray | None = None
        self.original_shape: tuple[int, ...] = ()
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self.original_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)  # (N, fan_in)
        return self.x @ self.W + self.b  # (N, fan_out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.parameter_backward(dout)
        dx = dout @ self.W.T  # (N, fan_in)
        return dx.reshape(self.original_shape)

    def parameter_backward(self, dout: np.ndarray) -> None:
        """The gradients of W and b alone: what a network's first layer needs, whose
        input is the data, with no gradient to pass back (its ``dx`` would cost as much
        as ``dW``, the largest product of the whole backward pass)."""
        assert self.x is not None, "backward before forward"
        self.dW = self.x.T @ dout  # (fan_in, fan_out)
        self.db = dout.sum(axis=0)


class Relu:
    def __init__(self) -> None:
        self.positive: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self.positive = x > 0
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.positive


class Sigmoid:
    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        # exp of a large negative x overflows harmlessly to inf -> out 0.
        with np.errstate(over="ignore"):
            self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.out is not None, "backward before forward"
        return dout * (1.0 - self.out) * self.out


class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy loss; ``t`` is labels (N,) or one-hot (N, C)."""

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None
        self.loss: float | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        assert self.y is not None and self.t is not None, "backward before forward"
        n = self.y.shape[0]
        if self.t.ndim == 2:  # one-hot
            dx = self.y - self.t
        else:
            dx = self.y.copy()
            dx[np.arange(n), self.t] -= 1
        return dx * (dout / n)


class BatchNormalization:
    """Batch normalisation (Ioffe & Szegedy 2015) of (N, D) inputs.

    Training normalises with the batch's mean and variance and updates the running
    averages ``running = momentum * running + (1 - momentum) * batch``; evaluation
    normalises with the running averages. ``gamma`` and ``beta`` are learnt.
    """

    def __init__(
        self,
        gamma: np.ndarray,
        beta: np.ndarray,
        momentum: float = 0.9,
        eps: float = 1e-7,
        running_mean: np.ndarray | None = None,
        running_var: np.ndarray | None = None,
    ) -> None:
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.eps = eps
        self.running_mean = np.zeros_like(gamma) if running_mean is None else running_mean
        self.running_var = np.zeros_like(gamma) if running_var is None else running_var
        self.batch_size = 0
        self.xc: np.ndarray | None = None
        self.xn: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        if train:
            mu = x.mean(axis=0)
            xc = x - mu
            var = (xc * xc).mean(axis=0)
            std = np.sqrt(var + self.eps)
            xn = xc / std
            self.batch_size = x.shape[0]
            self.xc, self.xn, self.std = xc, xn, std
            self.running_mean *= self.momentum
            self.running_mean += (1 - self.momentum) * mu
            self.running_var *= self.momentum
            self.running_var += (1 - self.momentum) * var
        else:
            xn = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gamma * xn + self.beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.xc is not None and self.xn is not None and self.std is not None, (
            "backward before a training forward"
        )
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (self.xn * dout).sum(axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -((dxn * self.xc) / (self.std * self.std)).sum(axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = dxc.sum(axis=0)
        return dxc - dmu / self.batch_size


class Dropout:
    """Inverted dropout: scales at train time, so evaluation is the identity.

    In training each unit is kept with probability ``1 - ratio`` and the kept ones
    are multiplied by ``1 / (1 - ratio)``; the book instead multiplies by
    ``1 - ratio`` at evaluation. Both give the same expected activation.
    """

    def __init__(self, ratio: float, rng: np.random.Generator) -> None:
        self.ratio = ratio
        self.rng = rng
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        if not train or self.ratio == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape) >= self.ratio
        self.mask = keep.astype(x.dtype) / (1.0 - self.ratio)
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout if self.mask is None else dout * self.mask
