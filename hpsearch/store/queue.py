"""The trial queue: how workers claim, run, finish and give back the trials of a round.

A round's trials are created ``pending``; a worker claims one by switching it to
``running`` (:func:`claim_trial`: a conditional UPDATE, or ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), so workers in other processes, or on other machines
sharing a PostgreSQL database, never run the same trial twice. Each claim is the
trial's next ``attempt``, and every later write of the worker (each epoch with
:class:`EpochWriter`, the heartbeat with :func:`beat`, the end with
:func:`finish_trial`) is conditional on that attempt still running the trial: a
worker whose trial was taken over writes nothing more. Whether a worker is alive
is :mod:`hpsearch.store.liveness`'s question; ``resume`` puts stale and interrupted
trials back in the queue (:func:`reset_trial`).

Every function takes a ``Session`` (or a ``Connection``) and leaves the
transaction to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from hpsearch.store.liveness import worker_name
from hpsearch.store.models import EpochMetric, Trial, TrialMetric, utcnow
from hpsearch.store.status import RERUNNABLE, TrialStatus
from trainer import EpochMetrics

Store = Session | Connection
_TRIALS = Trial.__table__
#: Databases on which a claim skips rows other claims have locked (``FOR UPDATE SKIP
#: LOCKED``) instead of waiting for them: PostgreSQL (see benchmarks/queue_load.py).
SKIP_LOCKED_DIALECTS = frozenset({"postgresql"})


def _rowcount(result: Any) -> int:
    # An UPDATE gives a CursorResult (with rowcount); Session.execute is typed as Result.
    return cast("CursorResult[Any]", result).rowcount


def claim_trial(
    session: Session, round_id: int, worker: str, *, skip_locked: bool | None = None
) -> Trial | None:
    """Switch the next pending trial of the round to running, as its next ``attempt``;
    None when none is left.

    The claim is a conditional UPDATE (``WHERE status = 'pending'``), retried when
    another worker took the trial first; with ``skip_locked`` (default: on the
    :data:`SKIP_LOCKED_DIALECTS`), one UPDATE of the first pending trial no other
    claim has locked.
    """
    if skip_locked is None:
        skip_locked = session.get_bind().dialect.name in SKIP_LOCKED_DIALECTS
    pending = select(_TRIALS.c.id).where(
        _TRIALS.c.round_id == round_id, _TRIALS.c.status == TrialStatus.PENDING
    )
    while True:
        now = utcnow()
        claim = update(_TRIALS).values(
            status=TrialStatus.RUNNING, worker=worker, started_at=now, heartbeat_at=now,
            attempt=_TRIALS.c.attempt + 1,
        )  # fmt: skip
        if skip_locked:
            first = pending.order_by(_TRIALS.c.number).limit(1).with_for_update(skip_locked=True)
            candidate = session.scalar(
                claim.where(_TRIALS.c.id == first.scalar_subquery()).returning(_TRIALS.c.id)
            )
            if candidate is None:
                return None
        else:
            candidate = session.scalar(pending.order_by(_TRIALS.c.number).limit(1))
            if candidate is None:
                return None
            won = claim.where(_TRIALS.c.id == candidate, _TRIALS.c.status == TrialStatus.PENDING)
            if _rowcount(session.execute(won)) != 1:
                continue  # another worker claimed it first
        return session.get(Trial, candidate, populate_existing=True)


def _owned(trial_id: int, attempt: int):
    """The WHERE of a worker's write: the trial still runs the attempt it claimed."""
    return (
        (_TRIALS.c.id == trial_id)
        & (_TRIALS.c.attempt == attempt)
        & (_TRIALS.c.status == TrialStatus.RUNNING)
    )


_INSERT_EPOCH = insert(EpochMetric.__table__)
_EPOCH_COLUMNS = (
    "trial_id", "epoch", "train_accuracy", "val_accuracy", "train_loss", "val_loss", "seconds",
)  # fmt: skip
#: An epoch's trial row: its epoch count and heartbeat, only while the attempt owns it.
EPOCH_ROW = _EPOCH_ROW = (
    update(_TRIALS)
    .where(_owned(bindparam("trial_id"), bindparam("claimed")))  # type: ignore[arg-type]
    .values(epochs_run=bindparam("epoch"), heartbeat_at=bindparam("beat"))
)


def _epoch_values(trial_id: int, m: EpochMetrics) -> dict[str, object]:
    values = (trial_id, m.epoch, m.train_accuracy, m.val_accuracy, m.train_loss, m.val_loss)
    return dict(zip(_EPOCH_COLUMNS, (*values, m.seconds), strict=True))


def record_epoch(
    session: Store, trial_id: int, metrics: EpochMetrics, *, attempt: int | None = None
) -> bool:
    """Store one epoch and the trial's epoch count and heartbeat; returns whether it did.

    With ``attempt`` (a worker's write), nothing is written unless that attempt still
    runs the trial: the trial row is updated first, so on PostgreSQL its lock keeps a
    concurrent :func:`reset_trial` waiting until the epoch is in.
    """
    row = {"trial_id": trial_id, "epoch": metrics.epoch, "beat": utcnow()}
    if attempt is None:
        session.execute(
            update(_TRIALS).where(_TRIALS.c.id == trial_id),
            {"epochs_run": metrics.epoch, "heartbeat_at": row["beat"]},
        )
    elif _rowcount(session.execute(_EPOCH_ROW, {**row, "claimed": attempt})) != 1:
        return False
    session.execute(_INSERT_EPOCH, _epoch_values(trial_id, metrics))
    return True


def beat(session: Store, trial_id: int, attempt: int) -> bool:
    """Refresh the heartbeat of a trial the attempt still runs; False when it does not."""
    beat_now = update(_TRIALS).where(_owned(trial_id, attempt)).values(heartbeat_at=utcnow())
    return _rowcount(session.execute(beat_now)) == 1


class EpochWriter:
    """:func:`record_epoch` of a worker (with ``attempt``) for the hot path, on one Connection.

    An epoch of the book's setting takes ~20 ms; SQLAlchemy's per-statement work
    would cost a tenth of the write budget. The INSERT is compiled once for the
    connection's dialect and run on the driver's own cursor, inside the
    Connection's transaction (``with connection.begin():``), after the trial row's
    conditional UPDATE.
    """

    def __init__(self, connection: Connection) -> None:
        compiled = _INSERT_EPOCH.compile(
            dialect=connection.dialect, column_keys=list(_EPOCH_COLUMNS)
        )
        self.connection = connection
        self.sql = str(compiled)
        self.order = compiled.positiontup if compiled.positional else None

    def write(self, trial_id: int, attempt: int, metrics: EpochMetrics) -> bool:
        """Store the epoch unless the attempt lost the trial; returns whether it did."""
        row = {"trial_id": trial_id, "claimed": attempt, "epoch": metrics.epoch, "beat": utcnow()}
        if _rowcount(self.connection.execute(_EPOCH_ROW, row)) != 1:
            return False
        values = _epoch_values(trial_id, metrics)
        params = tuple(values[key] for key in self.order) if self.order else values
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute(self.sql, params)
        finally:
            cursor.close()
        return True


@dataclass(frozen=True)
class Outcome:
    """How a trial ended: its status, the epochs it ran, its last and best epochs."""

    status: TrialStatus
    epochs_run: int
    final: EpochMetrics | None = None
    best: EpochMetrics | None = None
    error: str | None = None
    # a training function's: the study's metric at the last and best epochs (models.Trial)
    value: float | None = None
    best_value: float | None = None
    best_epoch: int | None = None


def finish_trial(
    session: Session, trial_id: int, outcome: Outcome, *, attempt: int | None = None
) -> bool:
    """Store how a trial ended; with ``attempt`` (a worker's write), only if that attempt
    still runs it. Returns whether it was stored."""
    final, best = outcome.final, outcome.best
    where = _owned(trial_id, attempt) if attempt is not None else _TRIALS.c.id == trial_id
    result = session.execute(
        update(_TRIALS)
        .where(where)
        .values(
            status=outcome.status,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            epochs_run=outcome.epochs_run,
            val_accuracy=final.val_accuracy if final else None,
            train_accuracy=final.train_accuracy if final else None,
            best_val_accuracy=best.val_accuracy if best else None,
            best_epoch=best.epoch if best else outcome.best_epoch,
            error=outcome.error,
            value=outcome.value,
            best_value=outcome.best_value,
        )
    )
    return _rowcount(result) == 1


def running_trials(session: Session, round_id: int) -> list[Trial]:
    """The trials of the round that are running, by number."""
    query = select(Trial).where(Trial.round_id == round_id, Trial.status == TrialStatus.RUNNING)
    return list(session.scalars(query.order_by(Trial.number)))


def rerunnable_trials(session: Session, round_id: int) -> list[Trial]:
    """The running and interrupted trials of the round: ``resume`` re-queues the stale ones."""
    query = select(Trial).where(Trial.round_id == round_id, Trial.status.in_(RERUNNABLE))
    return list(session.scalars(query))


def reset_trial(session: Session, trial: Trial) -> bool:
    """Put a stale or interrupted trial back in the queue, its partial epochs removed,
    so it is re-run from scratch with its stored parameters and seed; returns whether it
    did. Only the claim ``trial`` was read with (its ``attempt``), still unfinished, is
    reset: a trial that finished, or was claimed again, since it was read stays as it is.
    The trial row is updated first: a worker still writing to it loses its ownership
    before its epochs are removed (see :func:`record_epoch`)."""
    reset = session.execute(
        update(_TRIALS)
        .where(
            _TRIALS.c.id == trial.id,
            _TRIALS.c.attempt == trial.attempt,
            _TRIALS.c.status.in_(RERUNNABLE),
        )
        .values(
            status=TrialStatus.PENDING, worker=None, started_at=None, heartbeat_at=None,
            finished_at=None, epochs_run=0, val_accuracy=None, train_accuracy=None,
            best_val_accuracy=None, best_epoch=None, error=None, value=None, best_value=None,
        )
    )  # fmt: skip
    if _rowcount(reset) != 1:
        return False
    session.execute(EpochMetric.__table__.delete().where(EpochMetric.trial_id == trial.id))
    session.execute(TrialMetric.__table__.delete().where(TrialMetric.trial_id == trial.id))
    return True


#: A trial's stored epochs: the book network's rows, or a training function's reports.
_stored_epochs = (
    select(func.count(EpochMetric.id))
    .where(EpochMetric.trial_id == Trial.id)
    .correlate(Trial)
    .scalar_subquery()
) + (
    select(func.count(TrialMetric.epoch.distinct()))
    .where(TrialMetric.trial_id == Trial.id)
    .correlate(Trial)
    .scalar_subquery()
)


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
            .values(
                status=TrialStatus.INTERRUPTED,
                finished_at=utcnow(),
                epochs_run=_stored_epochs,  # every stored epoch counts, as for a finished trial
            )
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
