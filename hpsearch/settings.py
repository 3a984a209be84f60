"""What every trial of a study shares: ``StudySettings`` (the book network's data split
and network) and ``Goal`` (the metric the study ranks its trials by, and its direction)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

import numpy as np

from hpsearch.errors import UsageError
from trainer import ACTIVATIONS, MultiLayerNet, optimizer_class, weight_scale
from trainer.errors import ConfigError
from trainer.mnist import DATASETS


def parse_hidden(text: str) -> tuple[int, ...]:
    """Hidden layer sizes from ``"6x100"`` or ``"100,50,50"``; at least one layer."""
    text = text.strip().lower().replace(" ", "")
    if text in ("", "none"):
        text = "0"
    repeated = re.fullmatch(r"(\d+)x(\d+)", text)
    if repeated:
        sizes = (int(repeated[2]),) * int(repeated[1])
    elif re.fullmatch(r"\d+(,\d+)*", text):
        sizes = tuple(int(part) for part in text.split(","))
    else:
        raise UsageError(f"hidden layers {text!r}: write them as 6x100 or 100,100,50")
    if not sizes or any(size < 1 for size in sizes):
        raise UsageError(
            f"hidden layers {text!r}: the network needs at least one hidden layer, "
            "each of size >= 1 (6x100 or 100,100,50)"
        )
    return sizes


def parse_weight_init(text: str) -> str:
    """``he``/``relu``, ``xavier``/``sigmoid`` (lower case), or a standard deviation
    written as a number (``"0.01"``), kept as text as the ``studies`` table stores it."""
    name = text.strip().lower()
    try:
        std = float(name)
    except ValueError:
        weight_scale(name, 1)  # a name: ConfigError unless a known one
        return name
    weight_scale(std, 1)  # a number: ConfigError unless finite and > 0
    return f"{std:.10g}"


def weight_init_value(text: str) -> float | str:
    """The stored text as the trainer takes it: a number, or an initialisation's name."""
    try:
        return float(text)
    except ValueError:
        return text


#: The words a study's direction takes.
DIRECTIONS = ("maximize", "minimize")
#: The book's metric: the final validation accuracy, maximised.
BOOK_METRIC = "val_accuracy"


@dataclass(frozen=True)
class Goal:
    """The metric a study ranks its trials by (at their last epoch) and its direction."""

    metric: str = BOOK_METRIC
    direction: str = "maximize"

    def __post_init__(self) -> None:
        if not self.metric.isidentifier():
            raise UsageError(
                f"metric {self.metric!r}: a metric is named as a Python name is (val_loss, f1)"
            )
        if self.direction not in DIRECTIONS:
            raise UsageError(f"direction {self.direction!r}: choose one of {', '.join(DIRECTIONS)}")

    @property
    def sign(self) -> float:
        """+1 when maximised, -1 when minimised: ``sign * value`` is larger when better."""
        return 1.0 if self.direction == "maximize" else -1.0

    def best(self, values: list[float]) -> int | None:
        """The index of the best of ``values`` (the earliest on ties); None if empty."""
        if not values:
            return None
        return max(range(len(values)), key=lambda i: (self.sign * values[i], -i))


@dataclass(frozen=True)
class StudySettings:
    """Data and network settings of a study; defaults are the book's trial setting."""

    dataset: str = "mnist"  # a name of trainer.mnist.DATASETS
    train_size: int | None = 500  # None: the whole training set
    val_fraction: float = 0.2
    epochs: int = 50
    batch_size: int = 100
    hidden: tuple[int, ...] = (100,) * 6
    activation: str = "relu"
    weight_init: str = "he"
    optimizer: str = "sgd"
    batchnorm: bool = False
    dropout: float = 0.0
    dtype: str = "float64"

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            known = ", ".join(DATASETS)
            raise UsageError(f"unknown dataset {self.dataset!r}: choose one of {known}")
        if self.epochs < 1:
            raise UsageError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise UsageError(f"batch size must be >= 1, got {self.batch_size}")
        if not 0 < self.val_fraction < 1:
            raise UsageError(f"validation fraction must be in (0, 1), got {self.val_fraction}")
        if self.train_size is not None and self.train_size < 2:
            raise UsageError(f"train size must be >= 2 or 'all', got {self.train_size}")
        if self.activation not in ACTIVATIONS:
            valid = ", ".join(ACTIVATIONS)
            raise UsageError(f"unknown activation {self.activation!r}: choose one of {valid}")
        if not 0 <= self.dropout < 1:
            raise UsageError(f"dropout ratio must be in [0, 1), got {self.dropout}")
        if self.dtype not in ("float32", "float64"):
            raise UsageError(f"dtype must be float32 or float64, got {self.dtype!r}")
        if not self.hidden or any(size < 1 for size in self.hidden):
            raise UsageError(f"hidden layer sizes must be >= 1, at least one, got {self.hidden}")
        try:
            optimizer_class(self.optimizer)
            parse_weight_init(self.weight_init)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None

    def split_sizes(self, available: int) -> tuple[int, int]:
        """(train, validation) sample counts for a training set of ``available`` samples."""
        total = available if self.train_size is None else self.train_size
        if total > available:
            raise UsageError(f"train size {total} is larger than the {available} samples")
        n_val = int(total * self.val_fraction)
        n_train = total - n_val
        if n_val < 1:
            raise UsageError(
                f"train size {total} with validation fraction {self.val_fraction} "
                "leaves no validation sample"
            )
        if n_train < self.batch_size:
            raise UsageError(
                f"train size {total} leaves {n_train} training samples, fewer than "
                f"the batch size {self.batch_size}"
            )
        return n_train, n_val

    def network(
        self, input_size: int, output_size: int, weight_decay: float, rng: np.random.Generator
    ) -> MultiLayerNet:
        return MultiLayerNet(
            input_size,
            self.hidden,
            output_size,
            activation=self.activation,
            weight_init=weight_init_value(self.weight_init),
            weight_decay=weight_decay,
            batchnorm=self.batchnorm,
            dropout=self.dropout,
            rng=rng,
            dtype=np.dtype(self.dtype),
        )

    def columns(self) -> dict[str, object]:
        """The values as the ``studies`` table stores them."""
        values = asdict(self)
        values["hidden_sizes"] = ",".join(str(size) for size in values.pop("hidden"))
        return values

    @classmethod
    def from_study(cls, study) -> StudySettings:
        """The settings a ``studies`` row holds (its columns are named as the fields)."""
        return cls(**{field.name: getattr(study, field.name) for field in fields(cls)})
