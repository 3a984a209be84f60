"""The validation split: hold out part of the training set to choose hyperparameters.

As in the book (chapter 6.5), the test set is never looked at while searching: the
training samples are shuffled and the first ``val_fraction`` of them become the
validation set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trainer.errors import ConfigError


@dataclass(frozen=True, eq=False)
class Split:
    """Training and validation data (eq=False: numpy arrays do not compare to a bool)."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_val: np.ndarray
    t_val: np.ndarray

    @property
    def train_size(self) -> int:
        return len(self.x_train)

    @property
    def val_size(self) -> int:
        return len(self.x_val)


def validation_split(
    x: np.ndarray,
    t: np.ndarray,
    *,
    val_fraction: float = 0.2,
    train_size: int | None = None,
    seed: int | Sequence[int] | np.random.SeedSequence = 0,
) -> Split:
    """Shuffle the first ``train_size`` samples (all by default) and split off a validation set.

    ``train_size`` counts the samples taken before the split: the book's 500 with
    ``val_fraction=0.2`` gives 400 training and 100 validation samples. The same ``seed``
    gives the same split; ``x`` and ``t`` are not modified.
    """
    if len(x) != len(t):
        raise ConfigError(f"x and t differ in length: {len(x)} samples but {len(t)} labels")
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    n = len(x)
    if train_size is not None:
        if not 2 <= train_size <= n:
            raise ConfigError(f"train_size must be between 2 and {n}, got {train_size}")
        n = train_size
    val_size = int(n * val_fraction)
    if not 0 < val_size < n:
        raise ConfigError(
            f"val_fraction={val_fraction} of {n} samples leaves {val_size} for validation "
            f"and {n - val_size} for training; both need at least one"
        )

    order = np.random.default_rng(seed).permutation(n)  # fancy indexing copies: inputs untouched
    val_rows, train_rows = order[:val_size], order[val_size:]
    return Split(x[train_rows], t[train_rows], x[val_rows], t[val_rows])
