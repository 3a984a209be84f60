"""A training function's named metrics: each report written, and read back.

Part of the store (see :mod:`hpsearch.store`). A study that trains a function of the
user's (``studies.objective``) stores every metric of every report as a
``trial_metrics`` row (trial, epoch, name, value); the book's network keeps its
``epoch_metrics`` columns. A worker's write is conditional on its attempt still
running the trial, as :func:`hpsearch.store.queue.record_epoch` is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from hpsearch.store.epochs import BATCH_ROWS, rows_as_of
from hpsearch.store.models import Round, Study, Trial, TrialMetric, utcnow
from hpsearch.store.queue import EPOCH_ROW, Store, _rowcount
from hpsearch.store.records import FrozenTrial
from hpsearch.store.status import TrialStatus

_INSERT = insert(TrialMetric.__table__)


def write_report(
    connection: Connection,
    trial_id: int,
    attempt: int,
    epoch: int,
    metrics: Mapping[str, float],
    seconds: float,
) -> bool:
    """Store one report and the trial's epoch count and heartbeat, unless ``attempt`` no
    longer runs the trial; returns whether it did."""
    row = {"trial_id": trial_id, "claimed": attempt, "epoch": epoch, "beat": utcnow()}
    if _rowcount(connection.execute(EPOCH_ROW, row)) != 1:
        return False
    rows = [
        {"trial_id": trial_id, "epoch": epoch, "name": name, "value": value, "seconds": seconds}
        for name, value in metrics.items()
    ]
    if rows:
        connection.execute(_INSERT, rows)
    return True


def report_stored(session: Store, trial_id: int, attempt: int, epoch: int) -> bool:
    """Whether the report of ``epoch`` is stored while ``attempt`` still runs the trial
    (what a retried write looks for first, see :mod:`hpsearch.store.committed`)."""
    row = session.execute(
        select(TrialMetric.id)
        .join(Trial, Trial.id == TrialMetric.trial_id)
        .where(
            TrialMetric.trial_id == trial_id,
            TrialMetric.epoch == epoch,
            Trial.attempt == attempt,
            Trial.status == TrialStatus.RUNNING,
        )
        .limit(1)
    ).first()
    return row is not None


def trial_metrics(session: Store, trial_ids: Sequence[int]) -> dict[int, list[dict[str, float]]]:
    """Each trial's reports, by epoch: ``[{name: value, ...}, ...]`` (epoch 1 first)."""
    reports: dict[int, dict[int, dict[str, float]]] = {trial_id: {} for trial_id in trial_ids}
    for start in range(0, len(trial_ids), 500):  # bounded IN lists
        rows = session.execute(
            select(TrialMetric.trial_id, TrialMetric.epoch, TrialMetric.name, TrialMetric.value)
            .where(TrialMetric.trial_id.in_(trial_ids[start : start + 500]))
            .order_by(TrialMetric.trial_id, TrialMetric.epoch, TrialMetric.id)
        )
        for trial_id, epoch, name, value in rows:
            reports[trial_id].setdefault(epoch, {})[name] = value
    return {trial_id: [by[e] for e in sorted(by)] for trial_id, by in reports.items()}


def metric_rung_rows(
    session: Store, round_id: int, trial_id: int, epoch: int, metric: str, sign: float
) -> list[FrozenTrial]:
    """:func:`hpsearch.store.epochs.rung_rows` for a training function's trials: the
    study's ``metric`` times ``sign`` (+1 maximised, -1 minimised) stands for the
    validation accuracy, so the pruners' higher-is-better rules apply unchanged."""
    stored = (
        (TrialMetric.trial_id == Trial.id)
        & (TrialMetric.epoch <= epoch)
        & (TrialMetric.name == metric)
    )
    score = sign * TrialMetric.value
    return rows_as_of(session, round_id, trial_id, epoch, TrialMetric, score, stored)


def study_metric_names(session: Session, study: Study) -> list[str]:
    """Every metric name the study's trials reported, in name order."""
    query = (
        select(TrialMetric.name)
        .distinct()
        .join(Trial)
        .join(Round)
        .where(Round.study_id == study.id)
        .order_by(TrialMetric.name)
    )
    return list(session.scalars(query))


def metric_epoch_rows(
    session: Session, study: Study, names: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """The study's reports as ``(trial id, epoch, *values of names)`` (None for a metric
    an epoch did not report), in the order of :func:`hpsearch.store.epochs.trial_rows` and
    by epoch within a trial: one query, streamed."""
    query = (
        select(TrialMetric.trial_id, TrialMetric.epoch, TrialMetric.name, TrialMetric.value)
        .join(Trial)
        .join(Round)
        .where(Round.study_id == study.id)
        .order_by(Round.number, Trial.number, TrialMetric.epoch)
        .execution_options(yield_per=BATCH_ROWS, stream_results=True)
    )
    at = {name: i for i, name in enumerate(names)}
    rows = session.connection().execute(query)
    for (trial_id, epoch), reported in groupby(rows, key=itemgetter(0, 1)):
        values: list[float | None] = [None] * len(names)
        for *_, name, value in reported:
            values[at[name]] = value
        yield (trial_id, epoch, *values)
