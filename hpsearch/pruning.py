"""Early stopping of hopeless trials, decided from the database.

A worker asks its pruner right after it has stored an epoch; the pruner reads the
round's stored epochs, so its decisions hold across worker processes and machines.
Validation accuracy is higher-is-better; epochs are 1-based.

``median`` (defaults :data:`MEDIAN_WARMUP_EPOCHS` = 5, :data:`MEDIAN_MIN_TRIALS` = 5)
    After epoch ``e``, a trial stops when all of these hold:

    - ``e > warmup_epochs``: no decision in the first ``warmup_epochs`` epochs;
    - at least ``min_trials`` trials of the round are completed or pruned;
    - its best validation accuracy so far is strictly below the median of the
      validation accuracies *at epoch e* of the other trials of the round that
      reached epoch ``e`` (no decision when none did).

``asha`` (defaults :data:`ASHA_MIN_EPOCHS` = 5, :data:`ASHA_ETA` = 3)
    Asynchronous successive halving. The rungs are the epochs
    ``min_epochs * eta**k`` below the study's epochs (50 epochs: 5, 15, 45). At a
    rung, a trial is compared with every trial of the round that reached the rung,
    itself included (``n`` trials): it continues if its value is among the top
    ``n // eta`` (ties count in its favour) or, while ``n // eta`` is 0, if it is
    the best so far at the rung (as Optuna's ``SuccessiveHalvingPruner`` does);
    otherwise it stops. A trial's value at rung ``r`` is its best validation
    accuracy in epochs ``1..r``, not the one at epoch ``r``: with small
    validation sets the accuracy jitters from epoch to epoch, and one unlucky
    epoch should not decide.

``none`` never stops a trial.

With one worker a pruned search is reproducible. With several, which trials stop
depends on the order in which trials reach each epoch, so it may differ slightly
from run to run.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hpsearch import store_trials
from hpsearch.errors import UsageError
from hpsearch.store_trials import Store

PRUNERS = ("none", "median", "asha")

MEDIAN_WARMUP_EPOCHS = 5
MEDIAN_MIN_TRIALS = 5
ASHA_MIN_EPOCHS = 5
ASHA_ETA = 3


# --- the rules, on plain curves ------------------------------------------------------------


def median_stops(
    curve: Sequence[float],
    others: Sequence[Sequence[float]],
    *,
    warmup_epochs: int,
    min_trials: int,
    finished_trials: int,
) -> bool:
    """Whether the median rule stops a trial after epoch ``len(curve)``.

    ``curve[i]`` is the validation accuracy after epoch ``i + 1``; ``others`` are the
    curves of the round's other trials; ``finished_trials`` counts completed or
    pruned trials.
    """
    epoch = len(curve)
    at_epoch = [other[epoch - 1] for other in others if len(other) >= epoch]
    return _median_decision(
        epoch, max(curve, default=0.0), at_epoch, warmup_epochs, min_trials, finished_trials
    )


def _median_decision(
    epoch: int,
    best: float,
    others_at_epoch: Sequence[float],
    warmup_epochs: int,
    min_trials: int,
    finished_trials: int,
) -> bool:
    if epoch <= warmup_epochs or finished_trials < min_trials or not others_at_epoch:
        return False
    return best < statistics.median(others_at_epoch)


def asha_rungs(max_epochs: int, *, min_epochs: int, eta: int) -> list[int]:
    """The rung epochs ``min_epochs * eta**k`` that are below ``max_epochs``."""
    if min_epochs < 1 or eta < 2:
        raise UsageError(f"ASHA needs min epochs >= 1 and eta >= 2, got {min_epochs} and {eta}")
    rungs = []
    rung = min_epochs
    while rung < max_epochs:
        rungs.append(rung)
        rung *= eta
    return rungs


def asha_stops(value: float, rung_values: Sequence[float], *, eta: int) -> bool:
    """Whether successive halving stops a trial of ``value`` at a rung.

    ``rung_values`` holds the values of every trial that reached the rung, this
    trial's included. The trial continues if fewer than ``max(n // eta, 1)`` values
    beat it strictly.
    """
    promoted = max(len(rung_values) // eta, 1)
    threshold = sorted(rung_values, reverse=True)[promoted - 1]
    return value < threshold


# --- the pruners, on the store -------------------------------------------------------------


class Pruner(Protocol):
    def should_stop(self, session: Store, trial_id: int, round_id: int, epoch: int) -> bool:
        """Whether the trial stops after ``epoch``, which is already stored."""
        ...


@dataclass(frozen=True)
class NoPruner:
    """Never stops a trial."""

    def should_stop(self, session: Store, trial_id: int, round_id: int, epoch: int) -> bool:
        return False


@dataclass(frozen=True)
class MedianPruner:
    """The median rule (see the module docstring); two queries after the warm-up."""

    warmup_epochs: int = MEDIAN_WARMUP_EPOCHS
    min_trials: int = MEDIAN_MIN_TRIALS

    def __post_init__(self) -> None:
        if self.warmup_epochs < 0 or self.min_trials < 0:
            raise UsageError("median pruner: warm-up epochs and min trials must be >= 0")

    def should_stop(self, session: Store, trial_id: int, round_id: int, epoch: int) -> bool:
        if epoch <= self.warmup_epochs:
            return False
        finished = store_trials.finished_count(session, round_id)
        if finished < self.min_trials:
            return False
        rows = store_trials.epoch_values(session, round_id, trial_id, epoch)
        best = max((value for owner, value in rows if owner == trial_id), default=0.0)
        others = [value for owner, value in rows if owner != trial_id]
        return _median_decision(epoch, best, others, self.warmup_epochs, self.min_trials, finished)


@dataclass(frozen=True)
class AshaPruner:
    """Asynchronous successive halving (see the module docstring); one query per rung."""

    max_epochs: int
    min_epochs: int = ASHA_MIN_EPOCHS
    eta: int = ASHA_ETA

    def __post_init__(self) -> None:
        asha_rungs(self.max_epochs, min_epochs=self.min_epochs, eta=self.eta)  # validates

    @property
    def rungs(self) -> list[int]:
        return asha_rungs(self.max_epochs, min_epochs=self.min_epochs, eta=self.eta)

    def should_stop(self, session: Store, trial_id: int, round_id: int, epoch: int) -> bool:
        if epoch not in self.rungs:
            return False
        values = store_trials.rung_bests(session, round_id, epoch)
        if trial_id not in values:
            return False
        return asha_stops(values[trial_id], list(values.values()), eta=self.eta)


def make_pruner(name: str, max_epochs: int) -> Pruner:
    """The pruner called ``name`` (one of :data:`PRUNERS`) with its default settings."""
    if name == "none":
        return NoPruner()
    if name == "median":
        return MedianPruner()
    if name == "asha":
        return AshaPruner(max_epochs)
    raise UsageError(f"unknown pruner {name!r}: choose one of {', '.join(PRUNERS)}")
