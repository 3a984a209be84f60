"""One record of a trial, as every reader of finished work sees it.

A :class:`FrozenTrial` (in the manner of optuna's) is a trial read from the store
into plain, immutable values: its identity, its status, the values it was sampled
with, its accuracies and times as stored, with its epochs (:class:`FrozenEpoch`)
when the reader asked for them. Reports, exports, figures, importance, the
dashboard and the pruners take these, never the ORM rows, so nothing they do can
write to the store or load more of it behind their back. A field a read did not
ask for keeps its default (no epochs, no times).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hpsearch.space.domains import Value
from hpsearch.store.models import EpochMetric, Round, Trial
from hpsearch.store.status import TrialStatus


@dataclass(frozen=True)
class FrozenEpoch:
    """One stored epoch of a trial (1-based), as ``epoch_metrics`` holds it."""

    epoch: int
    train_accuracy: float
    val_accuracy: float
    train_loss: float
    val_loss: float
    seconds: float


@dataclass(frozen=True)
class FrozenTrial:
    """A trial as it stood when it was read."""

    id: int
    round: int  # the round's number
    number: int  # within the round
    status: TrialStatus
    values: Mapping[str, Value] = field(default_factory=dict)  # its searched values
    val_accuracy: float | None = None  # at the last epoch run
    best_val_accuracy: float | None = None  # the best epoch's, as stored
    best_epoch: int | None = None
    train_accuracy: float | None = None  # at the last epoch run
    epochs_run: int = 0
    seed: int | None = None
    worker: str | None = None  # "host:pid"
    started_at: datetime | None = None  # UTC
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    epochs: tuple[FrozenEpoch, ...] = ()  # by epoch, when read with its epochs
    value: float | None = None  # a training function's: its study's metric, last epoch
    best_value: float | None = None  # and at its best epoch

    def __post_init__(self) -> None:  # a plain word is taken for the status it names
        object.__setattr__(self, "status", TrialStatus(self.status))

    @property
    def best_or_final_accuracy(self) -> float | None:
        """The accuracy a trial's values are judged by: its best epoch's, the last one's
        when no best is stored (a pruned trial by what it reached before it stopped)."""
        return self.best_val_accuracy if self.best_val_accuracy is not None else self.val_accuracy

    @property
    def best_or_final_value(self) -> float | None:
        """:attr:`best_or_final_accuracy` for a training function's metric: its best
        epoch's value, else its last one's."""
        return self.best_value if self.best_value is not None else self.value

    @property
    def seconds(self) -> float | None:
        """The trial's wall time, finished minus started; None unless both are stored."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def val_curve(self) -> tuple[float, ...]:
        """The validation accuracy of each epoch read."""
        return tuple(epoch.val_accuracy for epoch in self.epochs)

    @property
    def train_curve(self) -> tuple[float, ...]:
        """The train accuracy of each epoch read."""
        return tuple(epoch.train_accuracy for epoch in self.epochs)


def frozen_epoch(metric: EpochMetric) -> FrozenEpoch:
    """A stored epoch as a record."""
    return FrozenEpoch(
        metric.epoch,
        metric.train_accuracy,
        metric.val_accuracy,
        metric.train_loss,
        metric.val_loss,
        metric.seconds,
    )


def frozen_trial(
    trial: Trial,
    values: Mapping[str, Value] | None = None,
    curve: Sequence[EpochMetric] = (),
) -> FrozenTrial:
    """``trial`` (with its round loaded) as a record, with its ``values`` and epochs."""
    return FrozenTrial(
        id=trial.id,
        round=trial.round.number,
        number=trial.number,
        status=trial.status,
        values=dict(values or {}),
        val_accuracy=trial.val_accuracy,
        best_val_accuracy=trial.best_val_accuracy,
        best_epoch=trial.best_epoch,
        train_accuracy=trial.train_accuracy,
        epochs_run=trial.epochs_run,
        seed=trial.seed,
        worker=trial.worker,
        started_at=trial.started_at,
        heartbeat_at=trial.heartbeat_at,
        finished_at=trial.finished_at,
        error=trial.error,
        epochs=tuple(map(frozen_epoch, curve)),
        value=trial.value,
        best_value=trial.best_value,
    )


#: The columns a trial's record is read from in SQL, in the order :func:`frozen_row`
#: takes them (the query joins ``rounds``).
TRIAL_ROW = (
    Round.number, Trial.id, Trial.number, Trial.status, Trial.seed, Trial.epochs_run,
    Trial.val_accuracy, Trial.best_val_accuracy, Trial.best_epoch, Trial.train_accuracy,
    Trial.worker, Trial.started_at, Trial.heartbeat_at, Trial.finished_at, Trial.error,
    Trial.value, Trial.best_value,
)  # fmt: skip


def frozen_row(row: Sequence[Any], values: Mapping[str, Value] | None = None) -> FrozenTrial:
    """A row of :data:`TRIAL_ROW` as a record, with the trial's ``values`` (kept as given:
    the caller hands over a mapping of its own)."""
    (round_number, trial_id, number, status, seed, epochs_run, val, best, best_epoch, train,
     worker, started_at, heartbeat_at, finished_at, error, value, best_value) = row  # fmt: skip
    return FrozenTrial(
        trial_id, round_number, number, status, {} if values is None else values, val, best,
        best_epoch, train, epochs_run, seed, worker, started_at, heartbeat_at, finished_at,
        error, value=value, best_value=best_value,
    )  # fmt: skip
