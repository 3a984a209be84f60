"""Reading a study's epochs: curves, streamed rows for the exports, and what a pruner sees.

Part of the store (see :mod:`hpsearch.store`). The whole-study reads stream
:data:`BATCH_ROWS` rows at a time, so memory stays bounded however large the study.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hpsearch.store.models import EpochMetric, Round, Study, Trial, TrialMetric
from hpsearch.store.records import TRIAL_ROW, FrozenTrial

#: What a pruner reads through: a Session, or the Connection a worker writes epochs with.
Store = Session | Connection


def epoch_curves(session: Session, trial_ids: list[int]) -> dict[int, list[EpochMetric]]:
    """The stored epochs of each trial, by epoch."""
    curves: dict[int, list[EpochMetric]] = {trial_id: [] for trial_id in trial_ids}
    rows = session.scalars(
        select(EpochMetric)
        .where(EpochMetric.trial_id.in_(trial_ids))
        .order_by(EpochMetric.trial_id, EpochMetric.epoch)
    )
    for row in rows:
        curves[row.trial_id].append(row)
    return curves


def study_epochs(session: Session, study: Study) -> dict[int, list[EpochMetric]]:
    """Every stored epoch of the study, by trial id, each trial's by epoch (small studies:
    a whole-study read streams with :func:`trial_rows` and :func:`epoch_rows` instead)."""
    query = (
        select(EpochMetric)
        .join(Trial)
        .join(Round)
        .where(Round.study_id == study.id)
        .order_by(EpochMetric.trial_id, EpochMetric.epoch)
    )
    by_trial: dict[int, list[EpochMetric]] = defaultdict(list)
    for metric in session.scalars(query):
        by_trial[metric.trial_id].append(metric)
    return by_trial


#: Rows fetched at a time by the streaming reads: memory stays bounded by it.
BATCH_ROWS = 5000

#: An epoch's columns as :func:`epoch_rows` gives them, after its trial's id.
EPOCH_ROW = (
    EpochMetric.epoch, EpochMetric.train_accuracy, EpochMetric.val_accuracy,
    EpochMetric.train_loss, EpochMetric.val_loss, EpochMetric.seconds,
)  # fmt: skip


def trial_rows(session: Session, study: Study) -> Iterator[Sequence[Any]]:
    """The study's trials as plain rows of :data:`~hpsearch.store.records.TRIAL_ROW`,
    by round and number, fetched :data:`BATCH_ROWS` at a time."""
    query = (
        select(*TRIAL_ROW)
        .select_from(Trial)
        .join(Round)
        .where(Round.study_id == study.id)
        .order_by(Round.number, Trial.number)
    )
    yield from session.connection().execute(query.execution_options(yield_per=BATCH_ROWS))


def epoch_rows(session: Session, study: Study) -> Iterator[tuple[Any, ...]]:
    """The study's epochs as plain tuples ``(trial id, *EPOCH_ROW)``, in the order of
    :func:`trial_rows` and by epoch within a trial: one query, streamed from the database
    :data:`BATCH_ROWS` rows at a time."""
    query = (
        select(EpochMetric.trial_id, *EPOCH_ROW)
        .join(Trial)
        .join(Round)
        .where(Round.study_id == study.id)
        .order_by(Round.number, Trial.number, EpochMetric.epoch)
    )
    query = query.execution_options(yield_per=BATCH_ROWS, stream_results=True)
    yield from map(tuple, session.connection().execute(query))


# --- what a pruner reads of the round in progress ----------------------------------------


def rung_rows(session: Store, round_id: int, trial_id: int, epoch: int) -> list[FrozenTrial]:
    """The trial and every trial of the round before it (by number), as of ``epoch``: each
    with its epochs stored up to ``epoch`` as ``epochs_run``, the best validation accuracy
    of those as ``best_val_accuracy`` and the one at ``epoch`` as ``val_accuracy`` (None
    before the trial has stored it), beside its status, worker and times."""
    stored = (EpochMetric.trial_id == Trial.id) & (EpochMetric.epoch <= epoch)
    return rows_as_of(
        session, round_id, trial_id, epoch, EpochMetric, EpochMetric.val_accuracy, stored
    )


def rows_as_of(
    session: Store,
    round_id: int,
    trial_id: int,
    epoch: int,
    table: type[EpochMetric] | type[TrialMetric],
    score: ColumnElement[float] | InstrumentedAttribute[float],
    stored: ColumnElement[bool],
) -> list[FrozenTrial]:
    """:func:`rung_rows` over any per-epoch ``table``: its rows joined on ``stored`` (the
    trial's, up to ``epoch``), counted as ``epochs_run``; ``score`` (higher is better) gives
    ``best_val_accuracy`` and, at ``epoch``, ``val_accuracy``."""
    own_number = select(Trial.number).where(Trial.id == trial_id).scalar_subquery()
    round_number = select(Round.number).where(Round.id == round_id).scalar_subquery()
    at_epoch = case((table.epoch == epoch, score))
    rows = session.execute(
        select(
            Trial.id,
            round_number,
            Trial.number,
            Trial.status,
            Trial.worker,
            Trial.heartbeat_at,
            Trial.started_at,
            func.count(table.id),
            func.max(score),
            func.max(at_epoch),
        )  # fmt: skip
        .outerjoin(table, stored)
        .where(Trial.round_id == round_id, Trial.number <= own_number)
        .group_by(Trial.id)
        .order_by(Trial.number)
    ).all()
    return [
        FrozenTrial(
            row_id, round_no, number, status, val_accuracy=accuracy, best_val_accuracy=best,
            epochs_run=epochs, worker=worker, started_at=started_at, heartbeat_at=heartbeat_at,
        )
        for (row_id, round_no, number, status, worker, heartbeat_at, started_at, epochs,
             best, accuracy) in rows
    ]  # fmt: skip
