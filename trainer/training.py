"""``Trainer``: mini-batch training with per-epoch metrics, early stop and divergence.

Unlike the book's ``Trainer``, which draws every mini-batch at random with
replacement, an epoch here is one pass over a fresh seeded permutation of the
training set: every sample is seen once per epoch (the last batch is smaller
when the batch size does not divide the set). Each step runs the forward pass
once; the loss it gives is the one checked for divergence.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from trainer.errors import ConfigError
from trainer.network import MultiLayerNet
from trainer.optimizers import make_optimizer

COMPLETED = "completed"
DIVERGED = "diverged"
STOPPED = "stopped"


@dataclass(frozen=True)
class EpochMetrics:
    """Metrics measured in evaluation mode after epoch ``epoch`` (1-based)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float


@dataclass
class TrainingResult:
    """The whole history and how training ended.

    ``status`` is ``completed``, ``diverged`` (a non-finite loss in epoch
    ``last_epoch``; that epoch is not in ``history``) or ``stopped`` (the callback
    asked to stop after epoch ``last_epoch``).
    """

    status: str
    history: list[EpochMetrics] = field(default_factory=list)
    last_epoch: int = 0

    @property
    def final(self) -> EpochMetrics | None:
        return self.history[-1] if self.history else None

    @property
    def best(self) -> EpochMetrics | None:
        """The epoch with the highest validation accuracy (the earliest on ties)."""
        return max(self.history, key=lambda m: m.val_accuracy, default=None)


EpochCallback = Callable[[EpochMetrics], object]


class Trainer:
    """Trains ``network`` for ``epochs`` passes and reports every epoch to ``on_epoch``.

    ``on_epoch(metrics)`` is called after each epoch; a truthy return value stops
    training (status ``stopped``). A non-finite loss stops training with status
    ``diverged`` instead of raising. Without a validation set (``x_val=None``, as
    for a final run on train + validation) the validation metrics are NaN.
    """

    def __init__(
        self,
        network: MultiLayerNet,
        x_train: np.ndarray,
        t_train: np.ndarray,
        x_val: np.ndarray | None,
        t_val: np.ndarray | None,
        *,
        epochs: int = 20,
        batch_size: int = 100,
        optimizer: str = "sgd",
        optimizer_params: Mapping[str, float] | None = None,
        rng: np.random.Generator,
        on_epoch: EpochCallback | None = None,
    ) -> None:
        if epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {epochs}")
        if batch_size < 1:
            raise ConfigError(f"batch size must be >= 1, got {batch_size}")
        if len(x_train) == 0 or (x_val is not None and len(x_val) == 0):
            raise ConfigError("training and validation sets must not be empty")
        self.network = network
        self.x_train = np.asarray(x_train, dtype=network.dtype)
        self.t_train = t_train
        self.x_val = None if x_val is None else np.asarray(x_val, dtype=network.dtype)
        self.t_val = t_val
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = make_optimizer(optimizer, **dict(optimizer_params or {}))
        self.rng = rng
        self.on_epoch = on_epoch

    def train_epoch(self) -> bool:
        """One pass over a fresh permutation; False if the loss became non-finite."""
        net, optimizer = self.network, self.optimizer
        order = self.rng.permutation(len(self.x_train))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            loss, grads = net.loss_and_gradient(self.x_train[batch], self.t_train[batch])
            if not math.isfinite(loss):
                return False
            optimizer.update(net.params, grads)
        return True

    def measure(self, epoch: int, started: float) -> EpochMetrics:
        train_loss, train_accuracy = self.network.evaluate(self.x_train, self.t_train)
        val_loss, val_accuracy = math.nan, math.nan
        if self.x_val is not None:
            assert self.t_val is not None, "x_val given without t_val"
            val_loss, val_accuracy = self.network.evaluate(self.x_val, self.t_val)
        return EpochMetrics(
            epoch=epoch,
            train_loss=train_loss,
            train_accuracy=train_accuracy,
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            seconds=time.perf_counter() - started,
        )

    def train(self) -> TrainingResult:
        result = TrainingResult(status=COMPLETED)
        # Overflow at a high learning rate is expected; it surfaces as a non-finite loss.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(1, self.epochs + 1):
                started = time.perf_counter()
                result.last_epoch = epoch
                if not self.train_epoch():
                    result.status = DIVERGED
                    return result
                metrics = self.measure(epoch, started)
                val_ok = self.x_val is None or math.isfinite(metrics.val_loss)
                if not (math.isfinite(metrics.train_loss) and val_ok):
                    result.status = DIVERGED
                    return result
                result.history.append(metrics)
                stop = self.on_epoch is not None and self.on_epoch(metrics)
                if stop and epoch < self.epochs:  # asked after the last epoch: completed
                    result.status = STOPPED
                    return result
        return result
