"""Early stopping of hopeless trials, decided from the database, in the round's order.

A worker asks its pruner right after it has stored an epoch; the pruner reads the
round's stored epochs, so its decisions hold across worker processes and machines.
Validation accuracy is higher-is-better; epochs are 1-based.

**The order rule** (:mod:`hpsearch.run.order`): a decision for trial ``i`` is taken
against the trials of the round numbered below ``i`` only, waiting for those still
running, so a pruned round stores the same results with any number of workers.

``median`` (defaults :data:`MEDIAN_WARMUP_EPOCHS` = 5, :data:`MEDIAN_MIN_TRIALS` = 5)
    After epoch ``e``, a trial stops when all of these hold:

    - ``e > warmup_epochs``: no decision in the first ``warmup_epochs`` epochs;
    - at least ``min_trials`` earlier trials of the round reached epoch ``e``;
    - its best validation accuracy so far is strictly below the median of the
      validation accuracies *at epoch e* of those earlier trials.

``asha`` (defaults :data:`ASHA_MIN_EPOCHS` = 2, :data:`ASHA_ETA` = 4)
    Asynchronous successive halving. The rungs are the epochs
    ``min_epochs * eta**k`` below the study's epochs (50 epochs: 2, 8, 32). At a
    rung, a trial is compared with the earlier trials of the round that reached the
    rung, itself included (``n`` trials): it continues if its value is among the top
    ``n // eta`` (ties count in its favour) or, while ``n // eta`` is 0, if it is
    the best so far at the rung (as Optuna's ``SuccessiveHalvingPruner`` does);
    otherwise it stops. A trial's value at rung ``r`` is its best validation
    accuracy in epochs ``1..r``, not the one at epoch ``r``: with small
    validation sets the accuracy jitters from epoch to epoch, and one unlucky
    epoch should not decide.

``none`` never stops a trial.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from hpsearch import store
from hpsearch.errors import UsageError
from hpsearch.run.order import Decision, Earlier, GoneWatch, earlier
from hpsearch.store import FrozenTrial, Store

PRUNERS = ("none", "median", "asha")

MEDIAN_WARMUP_EPOCHS = 5
MEDIAN_MIN_TRIALS = 5
ASHA_MIN_EPOCHS = 2
ASHA_ETA = 4


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


#: How a pruner reads the round: the trials before one, as of an epoch (store.rung_rows).
Rows = Callable[[Store, int, int, int], list[FrozenTrial]]


class Pruner(Protocol):
    def decides_at(self, epoch: int) -> bool:
        """Whether the pruner may stop a trial after ``epoch`` (else it is not asked)."""
        ...

    def decide(
        self,
        session: Store,
        trial_id: int,
        round_id: int,
        epoch: int,
        watch: GoneWatch | None = None,
        rows: Rows | None = None,
    ) -> Decision:
        """Whether the trial goes on after ``epoch``, which is already stored (the round
        read by ``rows``, by default :func:`store.rung_rows`).

        ``watch`` carries what the earlier asks of the same decision saw of gone workers;
        without it, a trial before this one whose worker is gone keeps it waiting."""
        ...


class _InOrder:
    """A pruner that decides against the earlier trials of the round (the order rule)."""

    def decides_at(self, epoch: int) -> bool:
        raise NotImplementedError

    def stops(self, seen: Earlier, epoch: int) -> bool:
        """The rule, once every earlier trial has reached ``epoch`` or ended."""
        raise NotImplementedError

    def decide(
        self,
        session: Store,
        trial_id: int,
        round_id: int,
        epoch: int,
        watch: GoneWatch | None = None,
        rows: Rows | None = None,
    ) -> Decision:
        """``rows`` reads the round as :func:`store.rung_rows` does (its default); a
        training function's trials are read by their study's metric, oriented."""
        if not self.decides_at(epoch):
            return Decision.CONTINUE
        seen = earlier((rows or store.rung_rows)(session, round_id, trial_id, epoch), epoch)
        if seen.interrupted:
            return Decision.GIVE_UP
        if seen.gone and watch is not None and watch.confirms(seen.gone):
            return Decision.GIVE_UP
        if seen.pending:
            return Decision.WAIT
        return Decision.STOP if self.stops(seen, epoch) else Decision.CONTINUE


@dataclass(frozen=True)
class NoPruner:
    """Never stops a trial."""

    def decides_at(self, epoch: int) -> bool:
        return False

    def decide(
        self,
        session: Store,
        trial_id: int,
        round_id: int,
        epoch: int,
        watch: GoneWatch | None = None,
        rows: Rows | None = None,
    ) -> Decision:
        return Decision.CONTINUE


@dataclass(frozen=True)
class MedianPruner(_InOrder):
    """The median rule (see the module docstring), against the earlier trials."""

    warmup_epochs: int = MEDIAN_WARMUP_EPOCHS
    min_trials: int = MEDIAN_MIN_TRIALS

    def __post_init__(self) -> None:
        if self.warmup_epochs < 0 or self.min_trials < 0:
            raise UsageError("median pruner: warm-up epochs and min trials must be >= 0")

    def decides_at(self, epoch: int) -> bool:
        return epoch > self.warmup_epochs

    def stops(self, seen: Earlier, epoch: int) -> bool:
        reached = len(seen.at_epoch)
        return _median_decision(
            epoch, seen.own_best, seen.at_epoch, self.warmup_epochs, self.min_trials, reached
        )


@dataclass(frozen=True)
class AshaPruner(_InOrder):
    """Successive halving at the rungs (see the module docstring), against the earlier
    trials."""

    max_epochs: int
    min_epochs: int = ASHA_MIN_EPOCHS
    eta: int = ASHA_ETA

    def __post_init__(self) -> None:
        asha_rungs(self.max_epochs, min_epochs=self.min_epochs, eta=self.eta)  # validates

    @property
    def rungs(self) -> list[int]:
        return asha_rungs(self.max_epochs, min_epochs=self.min_epochs, eta=self.eta)

    def decides_at(self, epoch: int) -> bool:
        return epoch in self.rungs

    def stops(self, seen: Earlier, epoch: int) -> bool:
        return asha_stops(seen.own_best, [*seen.best, seen.own_best], eta=self.eta)


def make_pruner(name: str, max_epochs: int) -> Pruner:
    """The pruner called ``name`` (one of :data:`PRUNERS`) with its default settings."""
    if name == "none":
        return NoPruner()
    if name == "median":
        return MedianPruner()
    if name == "asha":
        return AshaPruner(max_epochs)
    raise UsageError(f"unknown pruner {name!r}: choose one of {', '.join(PRUNERS)}")
