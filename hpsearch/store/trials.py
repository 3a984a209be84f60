"""Reading a study's trials: rankings, leaderboards, their searched values, and records.

Part of the store (see :mod:`hpsearch.store`). "Ranked" trials are those whose
final validation accuracy counts (:data:`hpsearch.store.status.RANKED`); the best trial
of a round or study is the first completed one by final validation accuracy. The
leaderboard ranks completed and pruned trials together by that accuracy (the best
first, each with its status); narrowing takes a round's best completed trials, pruned
ones only to make up its top-k. Readers of finished work get trials as
:class:`~hpsearch.store.records.FrozenTrial` records (:func:`frozen_trials`,
:func:`searched_trials`, :func:`streamed_trials`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from hpsearch.space.domains import Value
from hpsearch.space.parameters import PARAMETERS, own_value
from hpsearch.store.epochs import Store, epoch_curves, trial_rows
from hpsearch.store.models import Round, Study, Trial, TrialParam
from hpsearch.store.records import TRIAL_ROW, FrozenTrial, frozen_row, frozen_trial
from hpsearch.store.status import FINISHED, RANKED, TrialStatus

#: Trials whose searched values are read at a time by :func:`streamed_trials`.
TRIAL_BATCH = 500

RANK_ORDER = (
    Trial.val_accuracy.desc(),
    Trial.best_val_accuracy.desc(),
    Trial.round_id,
    Trial.number,
)


def rank_order(study: Study | None = None) -> tuple[Any, ...]:
    """How the study's trials rank: the book network's by final (then best) validation
    accuracy, a training function's by its metric's final (then best) ``value`` in the
    study's direction; ties by round and number."""
    if study is None or study.objective is None:
        return RANK_ORDER
    if study.direction == "minimize":
        return (Trial.value.asc(), Trial.best_value.asc(), Trial.round_id, Trial.number)
    return (Trial.value.desc(), Trial.best_value.desc(), Trial.round_id, Trial.number)


def ranked(
    statuses: Sequence[TrialStatus] = (TrialStatus.COMPLETED,), study: Study | None = None
) -> Select[Trial]:
    """Trials of the given statuses, the best first (:func:`rank_order`)."""
    final = Trial.val_accuracy if study is None or study.objective is None else Trial.value
    return (
        select(Trial)
        .where(Trial.status.in_(statuses), final.is_not(None))
        .order_by(*rank_order(study))
    )


def round_top(session: Session, round_id: int, k: int, *, pruned: bool = False) -> list[Trial]:
    """The best ``k`` completed trials of a round, best first; with ``pruned``, made up to
    ``k`` with the best pruned ones (as narrowing takes them). Diverged and failed trials
    never count."""
    study = session.get_one(Round, round_id).study
    top = list(session.scalars(ranked(study=study).where(Trial.round_id == round_id).limit(k)))
    if pruned and len(top) < k:
        query = ranked((TrialStatus.PRUNED,), study).where(Trial.round_id == round_id)
        top += session.scalars(query.limit(k - len(top)))
    return top


def round_best(session: Session, round_id: int) -> Trial | None:
    """The completed trial of the round with the highest final validation accuracy."""
    return next(iter(round_top(session, round_id, 1)), None)


def best_trial(session: Session, study: Study) -> Trial | None:
    """The completed trial of the study with the highest final validation accuracy."""
    query = ranked(study=study).join(Round).where(Round.study_id == study.id)
    return session.scalar(query.limit(1))


def leaderboard(
    session: Session, study: Study, *, round_number: int | None = None, top: int | None = None
) -> list[Trial]:
    """The completed and pruned trials of the study, best final validation accuracy first
    whatever their status (a pruned trial's accuracy is of the epochs it ran, which is
    why its status is shown beside it), a completed trial before a pruned one of the same
    accuracy. Narrowing takes its top-k otherwise: completed trials first
    (:func:`round_top`)."""
    query = ranked(RANKED, study).join(Round).where(Round.study_id == study.id)
    order = rank_order(study)
    query = query.order_by(None).order_by(
        order[0], case((Trial.status == TrialStatus.PRUNED, 1), else_=0), *order[1:]
    )
    if round_number is not None:
        query = query.where(Round.number == round_number)
    if top is not None:
        query = query.limit(top)
    return list(session.scalars(query))


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


def read_value(name: str, text: str) -> Value:
    """A stored ``trial_params.value_text`` as the value it was."""
    known = PARAMETERS.get(name)
    return known.parse(text) if known else own_value(text)


def trial_values(session: Store, trial_ids: Sequence[int]) -> dict[int, dict[str, Value]]:
    """The searched values of each trial, by trial id, from its ``trial_params`` rows
    (in the order they were written: the space's)."""
    values: dict[int, dict[str, Value]] = {trial_id: {} for trial_id in trial_ids}
    for start in range(0, len(trial_ids), 500):  # bounded IN lists
        chunk = trial_ids[start : start + 500]
        rows = session.execute(
            select(TrialParam.trial_id, TrialParam.name, TrialParam.value_text)
            .where(TrialParam.trial_id.in_(chunk))
            .order_by(TrialParam.trial_id, TrialParam.id)
        )
        for trial_id, name, text in rows:
            values[trial_id][name] = read_value(name, text)
    return values


def frozen_trials(
    session: Session,
    trials: Sequence[Trial],
    *,
    names: Sequence[str] | None = None,
    epochs: bool = False,
) -> list[FrozenTrial]:
    """``trials`` as records, with their searched values (only those of ``names``, in
    that order, when given) and, with ``epochs``, their stored epochs."""
    ids = [trial.id for trial in trials]
    values = trial_values(session, ids)
    if names is not None:
        values = {i: {n: values[i][n] for n in names if n in values[i]} for i in ids}
    curves = epoch_curves(session, ids) if epochs else {}
    return [frozen_trial(t, values[t.id], curves.get(t.id, ())) for t in trials]


def streamed_trials(session: Session, study: Study) -> Iterator[FrozenTrial]:
    """The study's trials as records with their searched values, by round and number,
    read :data:`TRIAL_BATCH` trials at a time: memory holds one batch."""
    rows = trial_rows(session, study)
    while batch := list(islice(rows, TRIAL_BATCH)):
        values = trial_values(session, [row[1] for row in batch])
        for row in batch:
            yield frozen_row(row, values[row[1]])


def _searched(
    query: Any, study: Study, round_number: int | None, statuses: Sequence[TrialStatus]
) -> Any:
    query = query.select_from(Trial).join(Round)
    query = query.where(
        Round.study_id == study.id,
        Trial.status.in_(statuses),
        (Trial.value if study.objective else Trial.val_accuracy).is_not(None),
    )
    return query if round_number is None else query.where(Round.number == round_number)


def count_searched_trials(
    session: Session,
    study: Study,
    *,
    round_number: int | None = None,
    statuses: Sequence[TrialStatus] = RANKED,
) -> int:
    """How many trials :func:`searched_trials` reads without ``most``."""
    query = _searched(select(func.count(Trial.id)), study, round_number, statuses)
    return int(session.scalar(query) or 0)


def searched_trials(
    session: Session,
    study: Study,
    *,
    round_number: int | None = None,
    statuses: Sequence[TrialStatus] = RANKED,
    most: int | None = None,
    seed: int = 0,
) -> list[FrozenTrial]:
    """The study's trials of ``statuses`` (of one round) that have an accuracy (a training
    function's: a value of its metric), with their
    searched values: by default the completed and pruned ones (a pruned trial by the best
    accuracy it reached before it was stopped: :attr:`FrozenTrial.best_or_final_accuracy`),
    those that show what their values are worth. With ``most``, at most that many: when
    there are more, a uniform sample drawn with ``seed`` (the same trials every time),
    still in round and trial order."""
    query = _searched(select(*TRIAL_ROW), study, round_number, statuses)
    query = query.order_by(Round.number, Trial.number)
    ids = None
    if most is not None:  # the ids first: only the sample's rows are read
        order = _searched(select(Trial.id), study, round_number, statuses)
        ids = list(session.scalars(order.order_by(Round.number, Trial.number)))
    if ids is None or most is None or len(ids) <= most:
        rows = list(session.execute(query).all())
    else:
        picked = np.random.default_rng(seed).choice(len(ids), size=most, replace=False)
        wanted = [ids[i] for i in sorted(picked.tolist())]
        rows = []
        for start in range(0, len(wanted), 500):  # bounded IN lists, in order
            rows += session.execute(query.where(Trial.id.in_(wanted[start : start + 500]))).all()
    values = trial_values(session, [row[1] for row in rows])
    return [frozen_row(row, values[row[1]]) for row in rows]
