"""Reading and writing studies, rounds, trials and epochs.

Every function takes a ``Session`` and leaves the transaction to the caller
(``with factory.begin() as session:``). Trials are queued in the database: a
round's trials are created ``pending`` and a worker claims one by switching it to
``running`` with a conditional UPDATE, so workers in other processes, or on other
machines sharing a PostgreSQL database, never run the same trial twice.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from hpsearch.errors import StudyExists, StudyNotFound, UsageError
from hpsearch.models import (
    COMPLETED,
    INTERRUPTED,
    PENDING,
    PRUNED,
    RUNNING,
    EpochMetric,
    Round,
    Study,
    Trial,
    utcnow,
)
from hpsearch.settings import StudySettings
from hpsearch.space import LogRange, SearchSpace, trial_params
from trainer import EpochMetrics

#: Statuses that can appear in a leaderboard: diverged and failed trials never do.
RANKED = (COMPLETED, PRUNED)

#: A running trial whose heartbeat is older than this is stale, wherever it runs.
STALE_AFTER = timedelta(minutes=10)
#: Workers refresh a running trial's heartbeat (and epoch count) at most this often.
HEARTBEAT_EVERY = timedelta(seconds=5)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_study(session: Session, name: str, seed: int, settings: StudySettings) -> Study:
    if session.scalar(select(Study.id).where(Study.name == name)) is not None:
        raise StudyExists(name)
    study = Study(name=name, seed=seed, dataset="mnist", **settings.columns())
    session.add(study)
    session.flush()
    return study


def get_study(session: Session, name: str) -> Study:
    study = session.scalar(select(Study).where(Study.name == name))
    if study is None:
        raise StudyNotFound(name)
    return study


def list_studies(session: Session) -> list[Study]:
    return list(session.scalars(select(Study).order_by(Study.created_at, Study.id)))


def round_space(round_: Round) -> SearchSpace:
    return SearchSpace(
        LogRange(round_.lr_low, round_.lr_high, "lr"),
        LogRange(round_.weight_decay_low, round_.weight_decay_high, "weight decay"),
    )


def create_round(
    session: Session,
    study: Study,
    space: SearchSpace,
    n_trials: int,
    *,
    parent: Round | None = None,
    top_k: int | None = None,
    pruner: str = "none",
) -> Round:
    """A new round with ``n_trials`` pending trials sampled from ``space``."""
    if n_trials < 1:
        raise UsageError(f"trials must be >= 1, got {n_trials}")
    number = 0 if parent is None else parent.number + 1
    round_ = Round(
        study=study,
        number=number,
        lr_low=space.lr.low,
        lr_high=space.lr.high,
        weight_decay_low=space.weight_decay.low,
        weight_decay_high=space.weight_decay.high,
        n_trials=n_trials,
        parent=parent,
        top_k=top_k,
        pruner=pruner,
    )
    session.add(round_)
    for i in range(n_trials):
        params = trial_params(study.seed, number, i, space)
        round_.trials.append(
            Trial(number=i, lr=params.lr, weight_decay=params.weight_decay, seed=params.seed)
        )
    session.flush()
    return round_


def latest_round(session: Session, study: Study) -> Round:
    round_ = session.scalar(
        select(Round).where(Round.study_id == study.id).order_by(Round.number.desc()).limit(1)
    )
    if round_ is None:
        raise UsageError(f"study {study.name!r} has no rounds")
    return round_


def get_round(session: Session, study: Study, number: int) -> Round:
    round_ = session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if round_ is None:
        raise UsageError(f"study {study.name!r} has no round {number}")
    return round_


def claim_trial(session: Session, round_id: int, worker: str) -> Trial | None:
    """Switch the next pending trial of the round to running; None when none is left."""
    while True:
        candidate = session.scalar(
            select(Trial.id)
            .where(Trial.round_id == round_id, Trial.status == PENDING)
            .order_by(Trial.number)
            .limit(1)
        )
        if candidate is None:
            return None
        now = utcnow()
        # An UPDATE gives a CursorResult (with rowcount); Session.execute is typed as Result.
        claimed = cast(
            "CursorResult[Any]",
            session.execute(
                update(Trial)
                .where(Trial.id == candidate, Trial.status == PENDING)
                .values(status=RUNNING, worker=worker, started_at=now, heartbeat_at=now)
            ),
        )
        if claimed.rowcount == 1:
            return session.get(Trial, candidate, populate_existing=True)


_INSERT_EPOCH = insert(EpochMetric.__table__)
_HEARTBEAT = (
    update(Trial.__table__)
    .where(Trial.__table__.c.id == bindparam("trial_id"))
    .values(heartbeat_at=bindparam("beat"), epochs_run=bindparam("epoch"))
)


_EPOCH_COLUMNS = (
    "trial_id", "epoch", "train_accuracy", "val_accuracy", "train_loss", "val_loss", "seconds",
)  # fmt: skip


def _epoch_values(trial_id: int, m: EpochMetrics) -> dict[str, object]:
    values = (
        trial_id,
        m.epoch,
        m.train_accuracy,
        m.val_accuracy,
        m.train_loss,
        m.val_loss,
        m.seconds,
    )
    return dict(zip(_EPOCH_COLUMNS, values, strict=True))


def record_epoch(
    session: Session | Connection,
    trial_id: int,
    metrics: EpochMetrics,
    *,
    heartbeat: bool = True,
) -> None:
    """Store one epoch; with ``heartbeat``, also refresh the trial's heartbeat and epoch count."""
    session.execute(_INSERT_EPOCH, _epoch_values(trial_id, metrics))
    if heartbeat:
        beat(session, trial_id, metrics.epoch)


def beat(session: Session | Connection, trial_id: int, epoch: int) -> None:
    """Refresh a running trial's heartbeat and epoch count."""
    session.execute(_HEARTBEAT, {"trial_id": trial_id, "beat": utcnow(), "epoch": epoch})


class EpochWriter:
    """:func:`record_epoch` for the worker's hot path, on one Connection.

    An epoch of the book's setting takes ~20 ms; SQLAlchemy's per-statement work
    would cost a tenth of the write budget. The INSERT is compiled once for the
    connection's dialect and run on the driver's own cursor, inside the
    Connection's transaction (``with connection.begin():``).
    """

    def __init__(self, connection: Connection) -> None:
        compiled = _INSERT_EPOCH.compile(
            dialect=connection.dialect, column_keys=list(_EPOCH_COLUMNS)
        )
        self.connection = connection
        self.sql = str(compiled)
        self.order = compiled.positiontup if compiled.positional else None

    def write(self, trial_id: int, metrics: EpochMetrics, *, heartbeat: bool) -> None:
        values = _epoch_values(trial_id, metrics)
        params = tuple(values[key] for key in self.order) if self.order else values
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute(self.sql, params)
        finally:
            cursor.close()
        if heartbeat:
            beat(self.connection, trial_id, metrics.epoch)


def finish_trial(
    session: Session,
    trial_id: int,
    status: str,
    *,
    epochs_run: int,
    final: EpochMetrics | None = None,
    best: EpochMetrics | None = None,
    error: str | None = None,
) -> None:
    session.execute(
        update(Trial)
        .where(Trial.id == trial_id)
        .values(
            status=status,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            epochs_run=epochs_run,
            val_accuracy=final.val_accuracy if final else None,
            train_accuracy=final.train_accuracy if final else None,
            best_val_accuracy=best.val_accuracy if best else None,
            best_epoch=best.epoch if best else None,
            error=error,
        )
    )


def is_stale(trial: Trial, now: datetime | None = None) -> bool:
    """A running trial whose worker is gone.

    On this host, a worker whose process no longer exists is gone at once; on any
    host, a worker whose heartbeat (refreshed every epoch) is older than
    ``STALE_AFTER`` is taken for gone.
    """
    if trial.status != RUNNING:
        return False
    host, _, pid = (trial.worker or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _process_alive(int(pid)):
        return True
    beat = trial.heartbeat_at or trial.started_at
    return beat is None or (now or utcnow()) - beat > STALE_AFTER


def _process_alive(pid: int) -> bool:
    """Whether a process of this host runs with ``pid`` (a zombie does not run)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: a killed worker whose parent died too may linger unreaped as a zombie
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def reset_trial(session: Session, trial: Trial) -> None:
    """Put a stale or interrupted trial back in the queue, its partial epochs removed,
    so it is re-run from scratch with its stored parameters and seed."""
    session.execute(EpochMetric.__table__.delete().where(EpochMetric.trial_id == trial.id))
    session.execute(
        update(Trial)
        .where(Trial.id == trial.id)
        .values(
            status=PENDING, worker=None, started_at=None, heartbeat_at=None,
            finished_at=None, epochs_run=0, val_accuracy=None, train_accuracy=None,
            best_val_accuracy=None, best_epoch=None, error=None,
        )
    )  # fmt: skip


def mark_interrupted(session: Session, trial_ids: list[int]) -> int:
    """Mark those of ``trial_ids`` still running as interrupted; returns how many."""
    if not trial_ids:
        return 0
    result = cast(
        "CursorResult[Any]",  # an UPDATE's result, as in claim_trial
        session.execute(
            update(Trial)
            .where(Trial.id.in_(trial_ids), Trial.status == RUNNING)
            .values(status=INTERRUPTED, finished_at=utcnow())
        ),
    )
    return result.rowcount


def status_counts(session: Session, round_id: int) -> Counter[str]:
    rows = session.execute(
        select(Trial.status, func.count()).where(Trial.round_id == round_id).group_by(Trial.status)
    )
    return Counter(dict(rows.all()))


def ranked(statuses=(COMPLETED,)):
    """Trials of the given statuses, best final validation accuracy first."""
    return (
        select(Trial)
        .where(Trial.status.in_(statuses), Trial.val_accuracy.is_not(None))
        .order_by(
            Trial.val_accuracy.desc(), Trial.best_val_accuracy.desc(), Trial.round_id, Trial.number
        )
    )


def top_trials(session: Session, round_: Round, k: int) -> list[Trial]:
    """The best ``k`` trials of a round for narrowing: completed ones first, pruned ones
    only to make up ``k``; diverged and failed ones never count."""
    if k < 1:
        raise UsageError(f"top-k must be >= 1, got {k}")
    top = list(session.scalars(ranked().where(Trial.round_id == round_.id).limit(k)))
    if len(top) < k:
        pruned = ranked((PRUNED,)).where(Trial.round_id == round_.id).limit(k - len(top))
        top += session.scalars(pruned)
    if len(top) < k:
        raise UsageError(
            f"top-k {k} is more than the {len(top)} completed or pruned trials "
            f"of round {round_.number}"
        )
    return top


def leaderboard(
    session: Session, study: Study, *, round_number: int | None = None, top: int | None = None
) -> list[Trial]:
    """Completed (and pruned) trials of the study, best final validation accuracy first."""
    query = ranked(RANKED).join(Round).where(Round.study_id == study.id)
    if round_number is not None:
        query = query.where(Round.number == round_number)
    if top is not None:
        query = query.limit(top)
    return list(session.scalars(query))


def best_trial(session: Session, study: Study) -> Trial | None:
    """The completed trial with the highest final validation accuracy."""
    return session.scalar(ranked().join(Round).where(Round.study_id == study.id).limit(1))


def epoch_curves(session: Session, trial_ids: list[int]) -> dict[int, list[EpochMetric]]:
    curves: dict[int, list[EpochMetric]] = {trial_id: [] for trial_id in trial_ids}
    rows = session.scalars(
        select(EpochMetric)
        .where(EpochMetric.trial_id.in_(trial_ids))
        .order_by(EpochMetric.trial_id, EpochMetric.epoch)
    )
    for row in rows:
        curves[row.trial_id].append(row)
    return curves
