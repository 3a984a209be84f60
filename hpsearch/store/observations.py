"""What a learning sampler reads: the trials one trial learns from, each ranked at the
fidelity it reached, and the trial's values once they are sampled.

Part of the store (see :mod:`hpsearch.store`). Which trials a trial learns from is the
batch rule of :mod:`hpsearch.space.samplers`: those of the study's earlier rounds, and
those of its own round numbered below its batch's first. :func:`trials_before` reads
them, and tells whether one of its own round's is still to finish (the worker then
waits), was interrupted, or runs with its worker gone (the worker gives up, as the
pruning order rule does: :mod:`hpsearch.run.order`).

**The fidelity rule** (BOHB's: the model is fitted at the highest budget with enough
trials). Completed and pruned trials both count. The fidelity is the highest epoch that
at least :data:`MIN_AT_FIDELITY` of them reached. A trial that reached it ranks by its
best score in epochs ``1..fidelity``; a trial pruned before it ranks below every trial
that reached it, by the epochs it ran, then by its best score (as successive halving
ranked it when it stopped it). The score is the validation accuracy, or a training
function's metric in the study's direction. A diverged trial ranks below all of them;
a failed one (an error, not a result) is not learned from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from hpsearch.space.domains import Value, format_value, value_number
from hpsearch.space.samplers import LearnedTrial
from hpsearch.space.tpe import N_STARTUP
from hpsearch.store.epochs import Store
from hpsearch.store.liveness import is_stale
from hpsearch.store.models import EpochMetric, Round, Study, Trial, TrialMetric, TrialParam, utcnow
from hpsearch.store.status import FINISHED, TrialStatus

#: Trials that must have reached an epoch for it to be the fidelity trials rank at.
MIN_AT_FIDELITY = N_STARTUP
_SCORED = (TrialStatus.COMPLETED, TrialStatus.PRUNED)
_LEARNED = (*_SCORED, TrialStatus.DIVERGED)
_CHUNK = 500  # bounded IN lists


@dataclass(frozen=True)
class Before:
    """What the trials a trial learns from show: the finished ones, ranked; and whether
    one of its own round's has yet to finish (``pending``), was interrupted, or runs
    with its worker gone (``gone``: each as (trial id, worker, started at))."""

    learned: list[LearnedTrial]
    pending: bool = False
    interrupted: bool = False
    gone: frozenset[tuple[int, str | None, datetime | None]] = frozenset()
    fidelity: int | None = None  # the epoch they rank at (None: none learned from)
    rounds: tuple[int, ...] = ()  # the rounds they are of

    @property
    def trial_count(self) -> int:
        return len(self.learned)


def fidelity(epochs_run: Sequence[int]) -> int | None:
    """The highest epoch at least :data:`MIN_AT_FIDELITY` of trials with these epochs
    reached (all of them, when fewer)."""
    if not epochs_run:
        return None
    ordered = sorted(epochs_run, reverse=True)
    return ordered[min(MIN_AT_FIDELITY, len(ordered)) - 1]


def trials_before(session: Store, round_id: int, start: int) -> Before:
    """The trials that trial ``start`` of the round (and every later one of its batch)
    learns from; when one of them is not finished yet, ``learned`` holds none."""
    if isinstance(session, Session):  # plain rows: the ORM's per-row work would cost more
        session = session.connection()
    study_id, number, objective, metric, direction = session.execute(
        select(Round.study_id, Round.number, Study.objective, Study.metric, Study.direction)
        .join(Study)
        .where(Round.id == round_id)
    ).one()
    before = and_(
        Round.study_id == study_id,
        or_(Round.number < number, and_(Round.id == round_id, Trial.number < start)),
    )
    sign = 1.0 if direction == "maximize" else -1.0
    best = Trial.best_val_accuracy if objective is None else sign * Trial.best_value
    rows = session.execute(
        select(Trial.id, Round.number, Trial.status, Trial.epochs_run, best)
        .join(Round)
        .where(before)
        .order_by(Round.number, Trial.number)
    ).all()
    if any(not TrialStatus(row.status).is_finished for row in rows):
        return _waiting(session, before)
    kept = [row for row in rows if row.status in _LEARNED]
    at = fidelity([row.epochs_run for row in kept if row.status in _SCORED])
    # a trial that ran no further than the fidelity: its stored best is its best up to it
    past = [row.id for row in kept if at is not None and row.epochs_run > at]
    scores = {row.id: row[-1] for row in kept if row[-1] is not None}
    scores |= _best_scores(session, objective, metric, sign, past, at or 0)
    values = _stored_texts(session, before)
    learned = []
    for row in kept:
        rank = (-1.0, 0.0)  # diverged: below every scored trial
        if row.status in _SCORED and at is not None:
            rank = (float(min(row.epochs_run, at)), float(scores.get(row.id, float("-inf"))))
        learned.append(LearnedTrial(values.get(row.id, {}), rank))
    rounds = tuple(sorted({row[1] for row in kept}))
    return Before(learned, fidelity=at, rounds=rounds)


def _waiting(session: Store, before: ColumnElement[bool]) -> Before:
    """What keeps a trial waiting: the unfinished trials ``before`` selects (read with
    their claims only then, so that the usual read has no times to parse)."""
    unfinished = session.execute(
        select(Trial.id, Trial.status, Trial.worker, Trial.heartbeat_at, Trial.started_at)
        .join(Round)
        .where(before, Trial.status.not_in(FINISHED))
    ).all()
    return Before(
        [],
        pending=True,
        interrupted=any(row.status == TrialStatus.INTERRUPTED for row in unfinished),
        gone=frozenset((row.id, row.worker, row.started_at) for row in unfinished if is_stale(row)),
    )


def _best_scores(
    session: Store, objective: str | None, metric: str, sign: float, ids: list[int], epoch: int
) -> dict[int, float]:
    """Each trial's best score in epochs ``1..epoch``, higher better."""
    scores: dict[int, float] = {}
    for first in range(0, len(ids), _CHUNK):
        chunk = ids[first : first + _CHUNK]
        if objective is None:
            query = (
                select(EpochMetric.trial_id, func.max(EpochMetric.val_accuracy))
                .where(EpochMetric.trial_id.in_(chunk), EpochMetric.epoch <= epoch)
                .group_by(EpochMetric.trial_id)
            )
        else:
            query = (
                select(TrialMetric.trial_id, func.max(sign * TrialMetric.value))
                .where(
                    TrialMetric.trial_id.in_(chunk),
                    TrialMetric.epoch <= epoch,
                    TrialMetric.name == metric,
                )
                .group_by(TrialMetric.trial_id)
            )
        scores |= {trial_id: float(best) for trial_id, best in session.execute(query)}
    return scores


def _stored_texts(session: Store, before: ColumnElement[bool]) -> dict[int, dict[str, str]]:
    """The stored values of the trials ``before`` selects, by trial id."""
    texts: dict[int, dict[str, str]] = {}
    rows = session.execute(
        select(TrialParam.trial_id, TrialParam.name, TrialParam.value_text)
        .join(Trial, Trial.id == TrialParam.trial_id)
        .join(Round)
        .where(before, Trial.status.in_(_LEARNED))
    )
    for trial_id, name, text in rows:
        texts.setdefault(trial_id, {})[name] = text
    return texts


def param_rows(values: Mapping[str, Value], trial_id: int | None = None) -> list[TrialParam]:
    """A trial's ``trial_params`` rows, in the order of ``values`` (the space's)."""
    return [
        TrialParam(
            trial_id=trial_id,
            name=name,
            value_num=value_number(value),
            value_text=format_value(value),
        )  # fmt: skip
        for name, value in values.items()
    ]


def store_sampled(
    session: Session, trial_id: int, attempt: int, values: Mapping[str, Value]
) -> bool:
    """Store the values sampled for a trial the attempt still runs (refreshing its
    heartbeat); False when it no longer does. Values already stored (an earlier
    attempt's, or this one's write retried) are kept: they are the same."""
    owned = (
        update(Trial)
        .where(Trial.id == trial_id, Trial.attempt == attempt, Trial.status == TrialStatus.RUNNING)
        .values(heartbeat_at=utcnow())
    )
    if session.execute(owned).rowcount != 1:  # type: ignore[attr-defined]
        return False
    if session.scalar(select(func.count()).where(TrialParam.trial_id == trial_id)):
        return True
    session.add_all(param_rows(values, trial_id))
    session.flush()
    return True
