"""What a worker keeps of a trial while it runs it, and how its end is told from its reports.

The plain types a :class:`~hpsearch.run.worker.Worker` passes around (its stop flag
and start line, its stats, a claim), the exceptions that end a trial from inside a
report, and :func:`outcome`: a trial's end as the store keeps it, from the reports it
stored (the book network's ``epoch_metrics``, or a training function's metrics).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from hpsearch.run.objective import TrialContext
from hpsearch.run.training import TrialSpec
from hpsearch.settings import Goal
from hpsearch.store import queue
from hpsearch.store.status import TrialStatus
from trainer import EpochMetrics


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


class StartLine(Protocol):
    """Where the workers of one run wait for each other (a ``multiprocessing.Barrier``)."""

    def wait(self, timeout: float | None = None) -> int: ...


#: How long a worker waits at the start line for the others to load their data.
START_WAIT_SECONDS = 300.0


class TrialLost(Exception):
    """The worker's claim on its trial is gone: another worker took the trial over."""


class WaitAbandoned(Exception):
    """A pruning decision waited for a trial that will not go on in this run."""


@dataclass
class WorkerStats:
    """What a worker did, for the caller and for benchmarks."""

    worker: str = ""
    trials: int = 0
    epochs: int = 0
    lost: int = 0  # trials taken over by another worker, left without a further write
    train_seconds: float = 0.0
    store_seconds: float = 0.0
    wait_seconds: float = 0.0  # pruning decisions waiting for earlier trials
    sample_seconds: float = 0.0  # trials of a learning round waiting and being sampled
    errors: list[str] = field(default_factory=list)
    store_fault: str = ""  # why it stopped: the store could not be written (StoreUnavailable)


@dataclass(frozen=True)
class Claim:
    """A claimed trial: its values, the attempt every write is conditional on, and its
    number in the round."""

    spec: TrialSpec
    attempt: int
    number: int = 0


def outcome(
    goal: Goal, book: bool, history: list, status: TrialStatus, error: str | None
) -> queue.Outcome:
    """How the trial ended, from its stored reports (not a diverged epoch's)."""
    runs = len(history)
    if book:
        best = max(history, key=lambda m: m.val_accuracy, default=None)
        final = history[-1] if history else None
        return queue.Outcome(status, runs, final, best, error)
    values = [report[goal.metric] for report in history]
    at = goal.best(values)
    if at is None:
        return queue.Outcome(status, runs, error=error)
    return queue.Outcome(
        status, runs, error=error, value=values[-1], best_value=values[at], best_epoch=at + 1
    )


def book_record(epoch: int, seconds: float, metrics: dict[str, float]) -> EpochMetrics:
    """The four metrics the book network reports, as ``epoch_metrics`` holds them."""
    names = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
    return EpochMetrics(epoch, seconds=seconds, **{name: metrics[name] for name in names})


def raiser(error: Exception):
    """A training function that raises ``error``: each trial it runs fails with the reason."""

    def fail(trial: TrialContext) -> None:
        raise error

    return fail


def fixed_settings(study: Any) -> dict[str, Any]:
    """The fixed settings a ``studies`` row gives its function's trials: those it was
    started with (``objective_settings``) and its ``epochs``; the book network's columns."""
    if study.objective is None:
        return {name: getattr(study, name) for name in ("dataset", "epochs", "batch_size")}
    return {**json.loads(study.objective_settings or "{}"), "epochs": study.epochs}
