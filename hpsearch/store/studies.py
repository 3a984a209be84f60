"""Reading and writing studies and rounds: the store's entry point.

The store is three modules: this one (studies, rounds, status counts),
:mod:`hpsearch.store` (ranked trials, leaderboards, epochs, what reports,
exports, plots and pruners read) and :mod:`hpsearch.store.queue` (the trial-queue
protocol workers follow). Every function takes a ``Session`` and leaves the
transaction to the caller (``with factory.begin() as session:``).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hpsearch.errors import StudyExists, StudyNotFound, UsageError
from hpsearch.settings import Goal, StudySettings
from hpsearch.space.domains import described, from_columns
from hpsearch.space.samplers import RANDOM, Sampling, sampled_batch
from hpsearch.space.sampling import SearchSpace, training_seed
from hpsearch.store.models import Round, RoundDomain, Study, Trial
from hpsearch.store.observations import param_rows, trials_before
from hpsearch.store.status import TrialStatus


def check_trials(n_trials: int) -> None:
    """A round needs at least one trial."""
    if n_trials < 1:
        raise UsageError(f"trials must be >= 1, got {n_trials}")


def create_study(
    session: Session,
    name: str,
    seed: int,
    settings: StudySettings,
    *,
    goal: Goal | None = None,
    objective: str | None = None,
    objective_settings: str | None = None,
) -> Study:
    """A new study: the book's network, or the training function ``objective`` names
    (``module:function``) with its fixed settings (a JSON object), ranked by ``goal``."""
    if study_exists(session, name):
        raise StudyExists(name)
    goal = goal or Goal()
    study = Study(
        name=name,
        seed=seed,
        **settings.columns(),
        objective=objective,
        objective_settings=objective_settings,
        metric=goal.metric,
        direction=goal.direction,
    )
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


def searched_names(study: Study) -> list[str]:
    """The study's searched parameters, in the order of its first round's space."""
    first = study.rounds[0].domains if study.rounds else []
    return [d.name for d in first]


def round_space(round_: Round) -> SearchSpace:
    """The space a round was sampled from, as its ``round_domains`` rows hold it."""
    domains = [
        from_columns(
            d.name, d.kind, log=d.log, low=d.low, high=d.high, choices=d.choices,
            condition_parent=d.condition_parent, condition_values=d.condition_values,
        )
        for d in round_.domains
    ]  # fmt: skip
    return SearchSpace(tuple(domains))


def create_round(
    session: Session,
    study: Study,
    space: SearchSpace,
    n_trials: int,
    *,
    parent: Round | None = None,
    top_k: int | None = None,
    pruner: str = "none",
    sampling: Sampling = RANDOM,
) -> Round:
    """A new round with ``n_trials`` pending trials sampled from ``space``: a row per
    domain, and per trial a row for each parameter that applies to it. With a learning
    sampler, the trials of the first batch are sampled now (from the earlier rounds'
    trials); the others are sampled by the worker that claims them, once the trials
    before their batch have finished (:mod:`hpsearch.store.observations`)."""
    check_trials(n_trials)
    number = 0 if parent is None else parent.number + 1
    round_ = Round(
        study=study,
        number=number,
        n_trials=n_trials,
        parent=parent,
        top_k=top_k,
        pruner=pruner,
        sampler=sampling.sampler,
        sampler_batch=sampling.batch,
    )
    session.add(round_)
    for position, domain in enumerate(space):
        round_.domains.append(
            RoundDomain(
                position=position, name=domain.name, spec=described(domain), **domain.columns()
            )
        )
    session.flush()
    learned = trials_before(session, round_.id, 0).learned if sampling.learns else []
    first = range(n_trials) if not sampling.learns else range(min(sampling.batch, n_trials))
    sampled = sampled_batch(sampling, study.seed, number, first, space, learned)
    for i in range(n_trials):
        trial = Trial(number=i, seed=training_seed(study.seed, number, i))
        if i < len(sampled):
            trial.params = param_rows(sampled[i].values)
        round_.trials.append(trial)
    session.flush()
    return round_


def round_sampling(round_: Round) -> Sampling:
    """How the round samples its trials, as its row holds it."""
    return Sampling(round_.sampler, round_.sampler_batch)


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
