"""One record of a trial, as every reader of finished work sees it.

A :class:`FrozenTrial` (in the manner of optuna's) is a trial read from the store
into plain, immutable values: its identity, its status, the values it was sampled
with and its accuracies, with its curves when the reader asked for them. Reports,
figures, importance and the dashboard take these, never the ORM rows, so nothing
they do can write to the store or load more of it behind their back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hpsearch.space.domains import Value
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.status import TrialStatus


@dataclass(frozen=True)
class FrozenTrial:
    """A trial as it stood when it was read."""

    id: int
    round: int  # the round's number
    number: int  # within the round
    status: TrialStatus
    values: Mapping[str, Value] = field(default_factory=dict)  # every searched value
    val_accuracy: float | None = None  # at the last epoch run
    best_val_accuracy: float | None = None  # the best epoch's; the last one's if none
    val_curve: tuple[float, ...] = ()  # per epoch, when read with its epochs
    train_curve: tuple[float, ...] = ()

    def __post_init__(self) -> None:  # a plain word is taken for the status it names
        object.__setattr__(self, "status", TrialStatus(self.status))


def frozen_trial(
    trial: Trial,
    values: Mapping[str, Value] | None = None,
    curve: Sequence[EpochMetric] = (),
) -> FrozenTrial:
    """``trial`` (with its round loaded) as a record, with its ``values`` and epochs."""
    best = trial.best_val_accuracy if trial.best_val_accuracy is not None else trial.val_accuracy
    return FrozenTrial(
        id=trial.id,
        round=trial.round.number,
        number=trial.number,
        status=TrialStatus(trial.status),
        values=dict(values or {}),
        val_accuracy=trial.val_accuracy,
        best_val_accuracy=best,
        val_curve=tuple(row.val_accuracy for row in curve),
        train_curve=tuple(row.train_accuracy for row in curve),
    )
