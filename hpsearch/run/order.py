"""The order rule: a pruning decision waits for the earlier trials of its round.

**The order rule.** A decision for trial ``i`` at an epoch ``e`` is taken against
the trials of the same round numbered below ``i``, and only them. If one of those is
still running (or waiting to) and has not stored epoch ``e``, trial ``i`` waits until
it has, or has ended earlier (pruned, diverged, failed): then it does not count. So a
decision depends only on the trials before it, which are themselves decided the same
way: a round with a pruner stores the same results with 1, 2 or 3 workers, and after
an interrupted run is resumed. Workers claim trials in their order, so the trials a
trial waits for are already running, and the lowest running trial never waits; with
one worker nothing ever waits. A trial whose wait cannot end (a trial before it was
interrupted, or its worker is gone) gives up: it is marked ``interrupted`` and
``resume`` runs it again.

**A gone worker is seen twice.** A decision reads the store, then asks whether the
workers of the running trials it read are alive: in between, a worker may have ended
its trial and exited, and the read shows that trial running without a worker. So a
claim whose worker is gone makes the decision wait, and only a later read (begun after
that worker was seen gone, so showing all it ever wrote) that still shows the same
claim running makes it give up (:class:`GoneWatch`). Otherwise whether a trial gives up
would depend on when the worker before it exited.

This module sorts what a decision reads (:func:`earlier`) into what the pruners of
:mod:`hpsearch.run.pruning` decide from, or why they must wait (:class:`Decision`), and
asks again while they wait (:func:`wait_for_decision`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from hpsearch.store import FrozenTrial
from hpsearch.store.liveness import is_stale
from hpsearch.store.status import TrialStatus


class Decision(Enum):
    """A pruner's answer after an epoch."""

    CONTINUE = "continue"
    STOP = "stop"
    WAIT = "wait"  # a trial before this one has not reached the epoch yet: ask again
    GIVE_UP = "give up"  # a trial before this one will not reach it in this run


#: How long a waiting decision first sleeps before it asks again, and at most (seconds).
WAIT_FIRST, WAIT_MOST = 0.01, 0.2

#: One claim of a trial as the store shows it: (trial id, worker, started at).
ClaimKey = tuple[int, str | None, datetime | None]


@dataclass(frozen=True)
class Earlier:
    """What the trials before a trial show at an epoch: the values of those that
    reached it, or why the decision must wait (or cannot be taken in this run)."""

    own_best: float
    own_at_epoch: float | None
    best: list[float]  # each earlier trial's best up to the epoch, of those that reached it
    at_epoch: list[float]  # ... and its accuracy at the epoch
    pending: bool  # an earlier trial still has to reach the epoch (or end)
    interrupted: bool  # an earlier trial that has not reached it was interrupted
    gone: frozenset[ClaimKey]  # ... or runs, its worker gone (asked after the read)


def earlier(rows: Sequence[FrozenTrial], epoch: int) -> Earlier:
    """Sort the rows of :func:`store.rung_rows` (the trial itself last)."""
    *before, own = rows
    reached = [row for row in before if row.epochs_run >= epoch]
    waiting = [row for row in before if row.epochs_run < epoch and not row.status.is_finished]
    return Earlier(
        own_best=own.best_val_accuracy if own.best_val_accuracy is not None else 0.0,
        own_at_epoch=own.val_accuracy,
        best=[row.best_val_accuracy for row in reached if row.best_val_accuracy is not None],
        at_epoch=[row.val_accuracy for row in reached if row.val_accuracy is not None],
        pending=bool(waiting),
        interrupted=any(row.status == TrialStatus.INTERRUPTED for row in waiting),
        gone=frozenset(
            (row.id, row.worker, row.started_at)
            for row in waiting
            if row.status == TrialStatus.RUNNING and is_stale(row)
        ),
    )


class GoneWatch:
    """The claims one decision's reads found running with their worker gone.

    A worker keeps one per decision and asks each time in a new read transaction. A
    claim is lost for good when a read shows it running, its worker gone, after an
    earlier read already did: that worker was gone before this read began, and a gone
    worker writes nothing more. Seen once, it may be a worker that ended the trial and
    exited between the read and the question (see the module docstring).
    """

    def __init__(self) -> None:
        self.seen: frozenset[ClaimKey] = frozenset()

    def confirms(self, gone: frozenset[ClaimKey]) -> bool:
        """Whether a claim of ``gone`` (this read's) was gone at an earlier read."""
        confirmed = bool(gone & self.seen)
        self.seen |= gone
        return confirmed


def wait_for_decision(
    ask: Callable[[GoneWatch], Decision], stopping: Callable[[], bool]
) -> Decision:
    """Ask until the answer is not WAIT, sleeping longer each time, up to
    :data:`WAIT_MOST`; GIVE_UP when ``stopping()`` while it waits. ``ask`` reads the
    store in a transaction of its own each time, with the one watch of this decision."""
    watch = GoneWatch()
    pause = WAIT_FIRST
    while (decision := ask(watch)) is Decision.WAIT:
        if stopping():
            return Decision.GIVE_UP
        time.sleep(pause)
        pause = min(pause * 1.5, WAIT_MOST)
    return decision
