"""``MultiLayerNet``: the chapter's fully connected network, batch norm and dropout included.

One class covers the book's ``MultiLayerNet`` and ``MultiLayerNetExtend``. Each
hidden layer is ``Affine -> [BatchNormalization] -> activation -> [Dropout]``;
the last is ``Affine -> SoftmaxWithLoss``. Parameters live in ``params``
(``W1``, ``b1``, ``gamma1``, ``beta1``, ...), shared with the layers, so an
optimizer's in-place update is what the layers compute with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trainer.errors import ConfigError
from trainer.gradient import numerical_gradient
from trainer.initializers import WeightInit, weight_scale
from trainer.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss

ACTIVATIONS = {"relu": Relu, "sigmoid": Sigmoid}


class MultiLayerNet:
    """A fully connected network.

    ``weight_decay`` is the L2 coefficient λ: ``0.5·λ·ΣW²`` is added to the loss and
    ``λ·W`` to each weight's gradient (biases and batch-norm parameters are not decayed).
    ``dropout`` is the ratio of units dropped after each hidden activation (0: none).
    """

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Sequence[int],
        output_size: int,
        *,
        activation: str = "relu",
        weight_init: WeightInit = "he",
        weight_decay: float = 0.0,
        batchnorm: bool = False,
        dropout: float = 0.0,
        rng: np.random.Generator,
        dtype: np.dtype | type = np.float64,
    ) -> None:
        sizes = [input_size, *hidden_sizes, output_size]
        if any(int(s) < 1 for s in sizes):
            raise ConfigError(f"layer sizes must be positive, got {sizes}")
        if activation not in ACTIVATIONS:
            valid = ", ".join(ACTIVATIONS)
            raise ConfigError(f"unknown activation {activation!r}: choose one of {valid}")
        if not 0 <= dropout < 1:
            raise ConfigError(f"dropout ratio must be in [0, 1), got {dropout}")
        if weight_decay < 0:
            raise ConfigError(f"weight decay must be >= 0, got {weight_decay}")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ConfigError(f"dtype must be float32 or float64, got {self.dtype}")
        self.sizes = sizes
        self.weight_decay = weight_decay
        self.params: dict[str, np.ndarray] = {}
        self.affines: list[Affine] = []
        self.batchnorms: list[BatchNormalization] = []
        self.layers: list = []
        n_hidden = len(hidden_sizes)
        for i in range(1, len(sizes)):
            fan_in, fan_out = sizes[i - 1], sizes[i]
            scale = weight_scale(weight_init, fan_in)
            W = (scale * rng.standard_normal((fan_in, fan_out))).astype(self.dtype)
            b = np.zeros(fan_out, dtype=self.dtype)
            self.params[f"W{i}"], self.params[f"b{i}"] = W, b
            affine = Affine(W, b)
            self.affines.append(affine)
            self.layers.append(affine)
            if i > n_hidden:
                break
            if batchnorm:
                gamma = np.ones(fan_out, dtype=self.dtype)
                beta = np.zeros(fan_out, dtype=self.dtype)
                self.params[f"gamma{i}"], self.params[f"beta{i}"] = gamma, beta
                bn = BatchNormalization(gamma, beta)
                self.batchnorms.append(bn)
                self.layers.append(bn)
            self.layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                self.layers.append(Dropout(dropout, rng))
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Scores before the softmax, (N, output_size)."""
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def decay_loss(self) -> float:
        if self.weight_decay == 0:
            return 0.0
        squares = sum(float(np.sum(a.W * a.W)) for a in self.affines)
        return 0.5 * self.weight_decay * squares

    def loss(self, x: np.ndarray, t: np.ndarray, train: bool = False) -> float:
        """Mean cross entropy plus the weight-decay term."""
        scores = self.predict(x, train)
        return self.last_layer.forward(scores, t) + self.decay_loss()

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        labels = t.argmax(axis=1) if t.ndim != 1 else t
        return float(np.mean(self.predict(x).argmax(axis=1) == labels))

    def evaluate(
        self, x: np.ndarray, t: np.ndarray, batch_size: int = 10_000
    ) -> tuple[float, float]:
        """Loss and accuracy in evaluation mode, from one forward pass in batches."""
        labels = t.argmax(axis=1) if t.ndim != 1 else t
        n = x.shape[0]
        data_loss = 0.0
        correct = 0
        for start in range(0, n, batch_size):
            scores = self.predict(x[start : start + batch_size])
            batch_labels = labels[start : start + batch_size]
            data_loss += self.last_layer.forward(scores, batch_labels) * scores.shape[0]
            correct += int(np.sum(scores.argmax(axis=1) == batch_labels))
        return data_loss / n + self.decay_loss(), correct / n

    def loss_and_gradient(
        self, x: np.ndarray, t: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray]]:
        """One forward and one backward pass in training mode: the loss and every gradient."""
        loss = self.loss(x, t, train=True)
        dout = self.last_layer.backward(1.0)
        first, *rest = self.layers  # the first is an Affine, whose input is the data
        for layer in reversed(rest):
            dout = layer.backward(dout)
        first.parameter_backward(dout)
        grads: dict[str, np.ndarray] = {}
        for i, affine in enumerate(self.affines, start=1):
            assert affine.dW is not None and affine.db is not None  # set by the backward pass
            grads[f"W{i}"] = affine.dW + self.weight_decay * affine.W
            grads[f"b{i}"] = affine.db
        for i, bn in enumerate(self.batchnorms, start=1):
            assert bn.dgamma is not None and bn.dbeta is not None  # set by the backward pass
            grads[f"gamma{i}"] = bn.dgamma
            grads[f"beta{i}"] = bn.dbeta
        return loss, grads

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the loss by backpropagation (the book's ``gradient``)."""
        return self.loss_and_gradient(x, t)[1]

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients by central differences, for checking ``gradient`` (slow)."""
        return {
            key: numerical_gradient(lambda: self.loss(x, t, train=True), param)
            for key, param in self.params.items()
        }
