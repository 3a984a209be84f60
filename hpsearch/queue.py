"""The trial queue: how workers claim, run, finish and give back the trials of a round.

A round's trials are created ``pending``; a worker claims one by switching it to
``running`` with a conditional UPDATE, so workers in other processes, or on other
machines sharing a PostgreSQL database, never run the same trial twice. While it
trains, the worker writes each epoch (:class:`EpochWriter`) and refreshes the
trial's heartbeat; it then finishes the trial (:func:`finish_trial`) or, asked to
stop, marks it ``interrupted``. A trial whose worker is gone is stale
(:func:`is_stale`); ``resume`` puts stale and interrupted trials back in the queue
(:func:`reset_trial`). A pruner reads the round in progress through
:func:`finished_count`, :func:`epoch_values` and :func:`rung_values`.

Every function takes a ``Session`` (or a ``Connection``) and leaves the
transaction to the caller.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from hpsearch.models import EpochMetric, Trial, utcnow
from hpsearch.status import RERUNNABLE, TrialStatus
from trainer import EpochMetrics

#: A running trial whose heartbeat is older than this is stale, wherever it runs.
STALE_AFTER = timedelta(minutes=10)
#: Workers refresh a running trial's heartbeat (and epoch count) at most this often.
HEARTBEAT_EVERY = timedelta(seconds=5)

Store = Session | Connection


def worker_name(pid: int | None = None) -> str:
    """``host:pid`` of this process, or of process ``pid`` of this host."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


def claim_trial(session: Session, round_id: int, worker: str) -> Trial | None:
    """Switch the next pending trial of the round to running; None when none is left."""
    while True:
        candidate = session.scalar(
            select(Trial.id)
            .where(Trial.round_id == round_id, Trial.status == TrialStatus.PENDING)
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
                .where(Trial.id == candidate, Trial.status == TrialStatus.PENDING)
                .values(status=TrialStatus.RUNNING, worker=worker, started_at=now, heartbeat_at=now)
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
    session: Store,
    trial_id: int,
    metrics: EpochMetrics,
    *,
    heartbeat: bool = True,
) -> None:
    """Store one epoch; with ``heartbeat``, also refresh the trial's heartbeat and epoch count."""
    session.execute(_INSERT_EPOCH, _epoch_values(trial_id, metrics))
    if heartbeat:
        beat(session, trial_id, metrics.epoch)


def beat(session: Store, trial_id: int, epoch: int) -> None:
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


@dataclass(frozen=True)
class Outcome:
    """How a trial ended: its status, the epochs it ran, its last and best epochs."""

    status: TrialStatus
    epochs_run: int
    final: EpochMetrics | None = None
    best: EpochMetrics | None = None
    error: str | None = None


def finish_trial(session: Session, trial_id: int, outcome: Outcome) -> None:
    """Store how a trial ended."""
    final, best = outcome.final, outcome.best
    session.execute(
        update(Trial)
        .where(Trial.id == trial_id)
        .values(
            status=outcome.status,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            epochs_run=outcome.epochs_run,
            val_accuracy=final.val_accuracy if final else None,
            train_accuracy=final.train_accuracy if final else None,
            best_val_accuracy=best.val_accuracy if best else None,
            best_epoch=best.epoch if best else None,
            error=outcome.error,
        )
    )


def is_stale(trial: Trial, now: datetime | None = None) -> bool:
    """A running trial whose worker is gone.

    On this host, a worker whose process no longer exists is gone at once; on any
    host, a worker whose heartbeat (refreshed every epoch) is older than
    ``STALE_AFTER`` is taken for gone.
    """
    if trial.status != TrialStatus.RUNNING:
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


def running_trials(session: Session, round_id: int) -> list[Trial]:
    """The trials of the round that are running, by number."""
    query = select(Trial).where(Trial.round_id == round_id, Trial.status == TrialStatus.RUNNING)
    return list(session.scalars(query.order_by(Trial.number)))


def rerunnable_trials(session: Session, round_id: int) -> list[Trial]:
    """The running and interrupted trials of the round: ``resume`` re-queues the stale ones."""
    query = select(Trial).where(Trial.round_id == round_id, Trial.status.in_(RERUNNABLE))
    return list(session.scalars(query))


def running_epochs(session: Session, round_id: int) -> list[tuple[int, int]]:
    """(number, epochs stored) of each running trial; ``epochs_run`` lags (HEARTBEAT_EVERY)."""
    rows = session.execute(
        select(Trial.number, func.count(EpochMetric.id))
        .outerjoin(EpochMetric, EpochMetric.trial_id == Trial.id)
        .where(Trial.round_id == round_id, Trial.status == TrialStatus.RUNNING)
        .group_by(Trial.id, Trial.number)
        .order_by(Trial.number)
    ).all()
    return [(number, epochs) for number, epochs in rows]


def reset_trial(session: Session, trial: Trial) -> None:
    """Put a stale or interrupted trial back in the queue, its partial epochs removed,
    so it is re-run from scratch with its stored parameters and seed."""
    session.execute(EpochMetric.__table__.delete().where(EpochMetric.trial_id == trial.id))
    session.execute(
        update(Trial)
        .where(Trial.id == trial.id)
        .values(
            status=TrialStatus.PENDING, worker=None, started_at=None, heartbeat_at=None,
            finished_at=None, epochs_run=0, val_accuracy=None, train_accuracy=None,
            best_val_accuracy=None, best_epoch=None, error=None,
        )
    )  # fmt: skip


def mark_interrupted(session: Session, trial_ids: Iterable[int]) -> int:
    """Mark those of ``trial_ids`` still running as interrupted; returns how many."""
    trial_ids = list(trial_ids)
    if not trial_ids:
        return 0
    result = cast(
        "CursorResult[Any]",  # an UPDATE's result, as in claim_trial
        session.execute(
            update(Trial)
            .where(Trial.id.in_(trial_ids), Trial.status == TrialStatus.RUNNING)
            .values(status=TrialStatus.INTERRUPTED, finished_at=utcnow())
        ),
    )
    return result.rowcount


def interrupt_workers(session: Session, round_id: int, pids: Iterable[int | None]) -> int:
    """Mark the running trials of the round held by these processes of this host interrupted."""
    workers = [worker_name(pid) for pid in pids if pid is not None]
    ids = session.scalars(
        select(Trial.id).where(
            Trial.round_id == round_id,
            Trial.status == TrialStatus.RUNNING,
            Trial.worker.in_(workers),
        )
    ).all()
    return mark_interrupted(session, ids)
