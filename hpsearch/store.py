"""Reading and writing studies and rounds: the store's entry point.

The store is three modules: this one (studies, rounds, status counts),
:mod:`hpsearch.store_trials` (ranked trials, leaderboards, epochs, what reports,
exports, plots and pruners read) and :mod:`hpsearch.queue` (the trial-queue
protocol workers follow). Every function takes a ``Session`` and leaves the
transaction to the caller (``with factory.begin() as session:``).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hpsearch.errors import StudyExists, StudyNotFound, UsageError
from hpsearch.models import Round, Study, Trial
from hpsearch.settings import StudySettings
from hpsearch.space import LogRange, SearchSpace, trial_params
from hpsearch.status import TrialStatus


def check_trials(n_trials: int) -> None:
    """A round needs at least one trial."""
    if n_trials < 1:
        raise UsageError(f"trials must be >= 1, got {n_trials}")


def create_study(session: Session, name: str, seed: int, settings: StudySettings) -> Study:
    if study_exists(session, name):
        raise StudyExists(name)
    study = Study(name=name, seed=seed, **settings.columns())
    session.add(study)
    session.flush()
    return study


def study_exists(session: Session, name: str) -> bool:
    return session.scalar(select(Study.id).where(Study.name == name)) is not None


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
    check_trials(n_trials)
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


def status_counts(session: Session, round_id: int) -> Counter[str]:
    """How many trials of the round have each status."""
    rows = session.execute(
        select(Trial.status, func.count()).where(Trial.round_id == round_id).group_by(Trial.status)
    )
    return Counter(dict(rows.all()))


def study_status_counts(session: Session, study: Study) -> Counter[str]:
    """How many trials of the study, all rounds together, have each status."""
    rows = session.execute(
        select(Trial.status, func.count())
        .join(Round)
        .where(Round.study_id == study.id)
        .group_by(Trial.status)
    )
    return Counter(dict(rows.all()))


def unfinished_count(session: Session, round_id: int) -> int:
    """Trials of the round that are pending, running or interrupted."""
    counts = status_counts(session, round_id)
    return sum(n for status, n in counts.items() if not TrialStatus(status).is_finished)
