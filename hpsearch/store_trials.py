"""Reading a study's trials and epochs: rankings, leaderboards, curves, exports.

Part of the store (see :mod:`hpsearch.store`). "Ranked" trials are those whose
final validation accuracy counts (:data:`hpsearch.status.RANKED`); the best trial
of a round or study is the first completed one by final validation accuracy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, case, func, select
from sqlalchemy.orm import Session

from hpsearch.domains import Value
from hpsearch.errors import UsageError
from hpsearch.models import EpochMetric, Round, Study, Trial, TrialParam
from hpsearch.parameters import PARAMETERS
from hpsearch.status import FINISHED, RANKED, TrialStatus

#: What a pruner reads through: a Session, or the Connection a worker writes epochs with.
Store = Session | Connection


RANK_ORDER = (
    Trial.val_accuracy.desc(),
    Trial.best_val_accuracy.desc(),
    Trial.round_id,
    Trial.number,
)


def ranked(statuses: Sequence[TrialStatus] = (TrialStatus.COMPLETED,)) -> Select[Trial]:
    """Trials of the given statuses, best final validation accuracy first."""
    return (
        select(Trial)
        .where(Trial.status.in_(statuses), Trial.val_accuracy.is_not(None))
        .order_by(*RANK_ORDER)
    )


def round_top(session: Session, round_id: int, k: int) -> list[Trial]:
    """The best ``k`` completed trials of a round, best first."""
    return list(session.scalars(ranked().where(Trial.round_id == round_id).limit(k)))


def round_best(session: Session, round_id: int) -> Trial | None:
    """The completed trial of the round with the highest final validation accuracy."""
    return next(iter(round_top(session, round_id, 1)), None)


def best_trial(session: Session, study: Study) -> Trial | None:
    """The completed trial of the study with the highest final validation accuracy."""
    return session.scalar(ranked().join(Round).where(Round.study_id == study.id).limit(1))


def narrowing_top(session: Session, round_id: int, k: int) -> list[Trial]:
    """Up to ``k`` best trials of a round as narrowing takes them: completed ones first,
    pruned ones only to make up ``k``; diverged and failed ones never count."""
    top = round_top(session, round_id, k)
    if len(top) < k:
        pruned = ranked((TrialStatus.PRUNED,)).where(Trial.round_id == round_id)
        top += session.scalars(pruned.limit(k - len(top)))
    return top


def top_trials(session: Session, round_: Round, k: int) -> list[Trial]:
    """The best ``k`` trials of a round for narrowing (see :func:`narrowing_top`); fewer
    than ``k`` is an error."""
    if k < 1:
        raise UsageError(f"top-k must be >= 1, got {k}")
    top = narrowing_top(session, round_.id, k)
    if len(top) < k:
        raise UsageError(
            f"top-k {k} is more than the {len(top)} completed or pruned trials "
            f"of round {round_.number}"
        )
    return top


def leaderboard(
    session: Session, study: Study, *, round_number: int | None = None, top: int | None = None
) -> list[Trial]:
    """Completed trials of the study, best final validation accuracy first, then the
    pruned ones, likewise (a pruned trial's accuracy is of fewer epochs)."""
    query = ranked(RANKED).join(Round).where(Round.study_id == study.id)
    query = query.order_by(None).order_by(
        case((Trial.status == TrialStatus.PRUNED, 1), else_=0), *RANK_ORDER
    )
    if round_number is not None:
        query = query.where(Round.number == round_number)
    if top is not None:
        query = query.limit(top)
    return list(session.scalars(query))


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


def study_trials(
    session: Session, study: Study, *, rounds: Sequence[int] | None = None, finished: bool = False
) -> list[Trial]:
    """The study's trials (of round ids ``rounds``; only finished ones), by round and number."""
    query = select(Trial).join(Round).where(Round.study_id == study.id)
    if rounds is not None:
        query = query.where(Trial.round_id.in_(rounds))
    if finished:
        query = query.where(Trial.status.in_(FINISHED))
    return list(session.scalars(query.order_by(Round.number, Trial.number)))


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

#: A trial's columns as :func:`trial_rows` gives them, after the round's number and id.
TRIAL_ROW = (
    Trial.number, Trial.lr, Trial.weight_decay, Trial.seed, Trial.status, Trial.epochs_run,
    Trial.val_accuracy, Trial.best_val_accuracy, Trial.best_epoch, Trial.train_accuracy,
    Trial.started_at, Trial.finished_at, Trial.worker, Trial.error,
)  # fmt: skip
#: An epoch's columns as :func:`epoch_rows` gives them, after its trial's id.
EPOCH_ROW = (
    EpochMetric.epoch, EpochMetric.train_accuracy, EpochMetric.val_accuracy,
    EpochMetric.train_loss, EpochMetric.val_loss, EpochMetric.seconds,
)  # fmt: skip


def trial_rows(session: Session, study: Study) -> Iterator[Sequence[Any]]:
    """The study's trials as plain rows ``(round number, round id, trial id, *TRIAL_ROW)``,
    by round and number, fetched :data:`BATCH_ROWS` at a time."""
    query = (
        select(Round.number, Round.id, Trial.id, *TRIAL_ROW)
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


@dataclass(frozen=True)
class RungRow:
    """A trial of a round as a pruning decision at ``epoch`` sees it."""

    trial_id: int
    number: int
    status: str
    worker: str | None
    heartbeat_at: datetime | None
    started_at: datetime | None
    epochs: int  # stored epochs up to ``epoch``
    best: float | None  # best validation accuracy in epochs 1..epoch
    at_epoch: float | None  # validation accuracy at ``epoch``


def rung_rows(session: Store, round_id: int, trial_id: int, epoch: int) -> list[RungRow]:
    """The trial and every trial of the round before it (by number), as of ``epoch``."""
    own_number = select(Trial.number).where(Trial.id == trial_id).scalar_subquery()
    at_epoch = case((EpochMetric.epoch == epoch, EpochMetric.val_accuracy))
    rows = session.execute(
        select(
            Trial.id,
            Trial.number,
            Trial.status,
            Trial.worker,
            Trial.heartbeat_at,
            Trial.started_at,
            func.count(EpochMetric.id),
            func.max(EpochMetric.val_accuracy),
            func.max(at_epoch),
        )  # fmt: skip
        .outerjoin(EpochMetric, (EpochMetric.trial_id == Trial.id) & (EpochMetric.epoch <= epoch))
        .where(Trial.round_id == round_id, Trial.number <= own_number)
        .group_by(Trial.id)
        .order_by(Trial.number)
    ).all()
    return [RungRow(*row) for row in rows]


def read_value(name: str, text: str) -> Value:
    """A stored ``trial_params.value_text`` as the value it was."""
    known = PARAMETERS.get(name)
    return known.parse(text) if known else text


def trial_values(session: Store, trial_ids: Sequence[int]) -> dict[int, dict[str, Value]]:
    """The searched values of each trial, by trial id: lr and weight decay (from the
    ``trials`` columns, which ``trial_params`` mirrors), then the others."""
    values: dict[int, dict[str, Value]] = {}
    for start in range(0, len(trial_ids), 500):  # bounded IN lists
        chunk = trial_ids[start : start + 500]
        for trial_id, lr, weight_decay in session.execute(
            select(Trial.id, Trial.lr, Trial.weight_decay).where(Trial.id.in_(chunk))
        ):
            values[trial_id] = {"lr": lr, "weight_decay": weight_decay}
        rows = session.execute(
            select(TrialParam.trial_id, TrialParam.name, TrialParam.value_text)
            .where(TrialParam.trial_id.in_(chunk), TrialParam.name.not_in(("lr", "weight_decay")))
            .order_by(TrialParam.trial_id, TrialParam.id)
        )
        for trial_id, name, text in rows:
            values[trial_id][name] = read_value(name, text)
    return {trial_id: values[trial_id] for trial_id in trial_ids}


#: The trials that show what their searched values are worth: those that ran to the end,
#: and those pruned (by the best accuracy they reached before they were stopped).
SEARCHED_STATUSES = (TrialStatus.COMPLETED, TrialStatus.PRUNED)


@dataclass(frozen=True)
class SearchedTrial:
    """A trial's searched values (by parameter name), its final accuracy and the best
    it reached."""

    round_number: int
    number: int
    values: dict[str, Value]
    val_accuracy: float
    best_val_accuracy: float


def searched_trials(
    session: Session,
    study: Study,
    *,
    round_number: int | None = None,
    statuses: Sequence[TrialStatus] = SEARCHED_STATUSES,
) -> list[SearchedTrial]:
    """The study's trials of ``statuses`` (of one round) with their searched values."""
    query = (
        select(
            Trial.id,
            Round.number,
            Trial.number,
            Trial.val_accuracy,
            func.coalesce(Trial.best_val_accuracy, Trial.val_accuracy),
        )
        .join(Round)
        .where(
            Round.study_id == study.id,
            Trial.status.in_(statuses),
            Trial.val_accuracy.is_not(None),
        )
        .order_by(Round.number, Trial.number)
    )
    if round_number is not None:
        query = query.where(Round.number == round_number)
    rows = session.execute(query).all()
    values = trial_values(session, [row[0] for row in rows])
    return [
        SearchedTrial(round_no, number, values[trial_id], accuracy, best)
        for trial_id, round_no, number, accuracy, best in rows
        if accuracy is not None and best is not None  # the query asks for it: for mypy
    ]


def searched_trial(trial: Trial, values: dict[str, Value]) -> SearchedTrial:
    """A trial already read, as :func:`searched_trials` gives it (best: its final
    accuracy when it has no best)."""
    assert trial.val_accuracy is not None, "only trials with an accuracy are searched"
    best = trial.best_val_accuracy if trial.best_val_accuracy is not None else trial.val_accuracy
    return SearchedTrial(trial.round.number, trial.number, values, trial.val_accuracy, best)
