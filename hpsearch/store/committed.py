"""Whether a worker's write went through: what a retried unit of work looks for first.

A fault may come after a transaction committed, its acknowledgement lost with the
connection; the retry (:mod:`hpsearch.store.retry`) must then find that write instead
of making it twice: a second claim, a second epoch row (unique per trial and epoch),
an end stored over an end. Each question is asked inside the retry's transaction.
"""

from __future__ import annotations

from sqlalchemy import select

from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.queue import Store
from hpsearch.store.status import TrialStatus


def claimed_trial(session: Store, round_id: int, worker: str) -> int | None:
    """The trial of the round that ``worker`` claimed and has stored no epoch of.

    A worker holds one trial at a time: between two trials, such a trial is the claim
    whose commit it did not see (or one a dead process of the same name left, which a
    claim may take over all the same: nothing of it was stored).
    """
    return session.scalar(
        select(Trial.id)
        .where(
            Trial.round_id == round_id,
            Trial.worker == worker,
            Trial.status == TrialStatus.RUNNING,
            Trial.epochs_run == 0,
        )
        .order_by(Trial.number)
        .limit(1)
    )


def epoch_stored(session: Store, trial_id: int, attempt: int, epoch: int) -> bool:
    """Whether ``epoch`` of the trial is stored while ``attempt`` still runs it."""
    row = session.execute(
        select(EpochMetric.id)
        .join(Trial, Trial.id == EpochMetric.trial_id)
        .where(
            EpochMetric.trial_id == trial_id,
            EpochMetric.epoch == epoch,
            Trial.attempt == attempt,
            Trial.status == TrialStatus.RUNNING,
        )
    ).first()
    return row is not None


def finished(session: Store, trial_id: int, attempt: int, status: TrialStatus) -> bool:
    """Whether ``attempt`` stored the trial's end as ``status`` (no later attempt claimed it)."""
    row = session.execute(
        select(Trial.id).where(
            Trial.id == trial_id, Trial.attempt == attempt, Trial.status == status
        )
    ).first()
    return row is not None
