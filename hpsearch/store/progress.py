"""How far a study or a round has come: what the dashboard and a running round poll.

Part of the store (see :mod:`hpsearch.store`). Every figure here is counted, summed or
picked in SQL, so its cost does not grow with the rows a page shows: a study of 10,000
trials of 50 epochs is counted without loading an epoch row into Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hpsearch.store.models import EpochMetric, Round, Study, Trial
from hpsearch.store.records import TRIAL_ROW, FrozenTrial, frozen_row
from hpsearch.store.status import UNFINISHED, TrialStatus
from hpsearch.store.studies import status_counts
from hpsearch.store.trials import round_best

#: The latest trials started whose epochs' mean time the ETA takes: the speed of the
#: search as it runs now, and a bounded read on a study of millions of epochs (every
#: epoch of a study that has started fewer trials).
TIMED_TRIALS = 200


@dataclass(frozen=True)
class Progress:
    """A study's epochs so far and the work left."""

    epochs_stored: int  # epoch rows of every trial of the study
    epoch_seconds: float | None  # mean wall time of an epoch of the latest trials (TIMED_TRIALS)
    epochs_left: int  # epochs still to run by the unfinished trials
    running: int  # trials running now

    @property
    def eta_seconds(self) -> float | None:
        """Time to run the epochs left at the mean epoch time, the running workers in
        parallel; None when nothing runs or no epoch has been timed yet."""
        if not self.epochs_left or not self.running or self.epoch_seconds is None:
            return None
        return self.epochs_left * self.epoch_seconds / self.running


def study_progress(session: Session, study: Study) -> Progress:
    """Epochs stored, the mean epoch time of the :data:`TIMED_TRIALS` trials started
    last, epochs left and trials running, in four queries."""
    in_study = Trial.round_id.in_(select(Round.id).where(Round.study_id == study.id))
    of_study = EpochMetric.trial_id.in_(select(Trial.id).where(in_study))
    stored = session.scalar(select(func.count()).select_from(EpochMetric).where(of_study))
    latest = (
        select(Trial.id)
        .where(in_study, Trial.started_at.is_not(None))
        .order_by(Trial.started_at.desc(), Trial.id.desc())
        .limit(TIMED_TRIALS)
    )
    seconds = session.scalar(
        select(func.avg(EpochMetric.seconds)).where(EpochMetric.trial_id.in_(latest))
    )
    left = session.scalar(
        select(func.coalesce(func.sum(study.epochs - Trial.epochs_run), 0)).where(
            in_study, Trial.status.in_(UNFINISHED)
        )
    )
    running = session.scalar(
        select(func.count(Trial.id)).where(in_study, Trial.status == TrialStatus.RUNNING)
    )
    return Progress(
        epochs_stored=int(stored or 0),
        epoch_seconds=None if seconds is None else float(seconds),
        epochs_left=max(int(left or 0), 0),
        running=int(running or 0),
    )


@dataclass(frozen=True)
class RoundProgress:
    """A snapshot of a round, read from the store."""

    round_number: int
    total: int
    counts: dict[str, int]
    best_val_accuracy: float | None
    running: list[FrozenTrial]  # by number, without their values

    @property
    def done(self) -> int:
        waiting = (TrialStatus.PENDING, TrialStatus.RUNNING)
        return self.total - sum(self.counts.get(status, 0) for status in waiting)


def round_progress(session: Session, round_id: int) -> RoundProgress:
    """Where the round of that id is: its trials' statuses, its best, its running trials."""
    round_ = session.get_one(Round, round_id)
    counts = dict(status_counts(session, round_id))
    best = round_best(session, round_id)
    return RoundProgress(
        round_.number,
        round_.n_trials,
        counts,
        best.val_accuracy if best else None,
        running_records(session, round_id),
    )


def running_records(session: Session, round_id: int) -> list[FrozenTrial]:
    """The round's running trials by number, as records without their values: each
    with the epochs it has stored so far (``epochs_run``)."""
    query = (
        select(*TRIAL_ROW)
        .select_from(Trial)
        .join(Round)
        .where(Trial.round_id == round_id, Trial.status == TrialStatus.RUNNING)
        .order_by(Trial.number)
    )
    return [frozen_row(row) for row in session.execute(query)]


def study_trial(session: Session, study: Study, trial_id: int) -> Trial | None:
    """The trial of that id if it belongs to ``study``."""
    return session.scalar(
        select(Trial).join(Round).where(Trial.id == trial_id, Round.study_id == study.id)
    )


def running_trials(session: Session, study: Study) -> list[Trial]:
    """The study's running trials, by round and number."""
    query = (
        select(Trial)
        .join(Round)
        .where(Round.study_id == study.id, Trial.status == TrialStatus.RUNNING)
        .order_by(Round.number, Trial.number)
    )
    return list(session.scalars(query))
