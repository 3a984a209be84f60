"""A trial's status: one closed set of words, stored as plain text.

    pending ─claim─> running ─┬─> completed   every epoch run
                              ├─> pruned      stopped early by the round's pruner
                              ├─> diverged    the loss became non-finite
                              ├─> failed      an error inside the trial
                              └─> interrupted asked to stop; re-run by ``resume``

:class:`TrialStatus` is a ``str`` enum, so SQL reads and writes the plain words and
``str(status)`` is the word itself. The sets the code asks about are properties of
a status (in the manner of optuna's ``TrialState.is_finished()``) and tuples here.
"""

from __future__ import annotations

from enum import Enum

from trainer.training import COMPLETED, DIVERGED, STOPPED


class TrialStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    DIVERGED = "diverged"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    PRUNED = "pruned"

    def __str__(self) -> str:
        return self.value

    @property
    def is_finished(self) -> bool:
        """The trial will not run again."""
        return self in _FINISHED

    @property
    def is_ranked(self) -> bool:
        """The trial's final validation accuracy counts in a leaderboard."""
        return self in _RANKED

    @property
    def is_rerunnable(self) -> bool:
        """``resume`` puts the trial back in the queue (when its worker is gone)."""
        return self in _RERUNNABLE

    @property
    def is_lost(self) -> bool:
        """Finished without a score: diverged or failed."""
        return self.is_finished and not self.is_ranked

    @classmethod
    def of_outcome(cls, outcome: str) -> TrialStatus:
        """The status of a trial whose training ended with the trainer's ``outcome``
        (``completed``, ``diverged``, or ``stopped`` by the pruner)."""
        return _OUTCOMES[outcome]


_FINISHED = frozenset(
    {TrialStatus.COMPLETED, TrialStatus.DIVERGED, TrialStatus.FAILED, TrialStatus.PRUNED}
)
_RANKED = frozenset({TrialStatus.COMPLETED, TrialStatus.PRUNED})
_RERUNNABLE = frozenset({TrialStatus.RUNNING, TrialStatus.INTERRUPTED})
_OUTCOMES = {
    COMPLETED: TrialStatus.COMPLETED,
    DIVERGED: TrialStatus.DIVERGED,
    STOPPED: TrialStatus.PRUNED,
}

#: Every status, in the order of the class.
STATUSES = tuple(TrialStatus)
#: Statuses of a trial that will not run again.
FINISHED = tuple(s for s in TrialStatus if s.is_finished)
#: Statuses that can appear in a leaderboard: diverged and failed trials never do.
RANKED = tuple(s for s in TrialStatus if s.is_ranked)
#: Statuses ``resume`` re-queues (running ones only when stale).
RERUNNABLE = tuple(s for s in TrialStatus if s.is_rerunnable)
#: Statuses of a trial a round still waits for.
UNFINISHED = tuple(s for s in TrialStatus if not s.is_finished)
