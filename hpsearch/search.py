"""The search's steps as operations on the store: start, narrow, resume.

These tie the store, the sampling and the runner together; the CLI only parses
options and prints. Each step validates everything (settings, ranges, the data
itself) before it writes anything, and creates a round and all its trials in
one transaction, so a step that fails leaves nothing half-made behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.errors import Interrupted, RoundBusy, StudyExists, UsageError
from hpsearch.models import INTERRUPTED, PENDING, RUNNING, Round, Study, Trial
from hpsearch.narrowing import Narrowing, narrow
from hpsearch.pruning import make_pruner
from hpsearch.runner import RoundProgress, RunSummary, run_round
from hpsearch.settings import StudySettings
from hpsearch.space import SearchSpace
from hpsearch.worker import DataSource, load_split


@dataclass(frozen=True)
class RunOptions:
    db_url: str
    workers: int
    source: DataSource
    on_progress: Callable[[RoundProgress], None] | None = None


def check_workers(workers: int) -> None:
    if workers < 1:
        raise UsageError(f"workers must be >= 1, got {workers}")


def check_start(
    name: str,
    *,
    seed: int,
    settings: StudySettings,
    n_trials: int,
    source: DataSource,
    pruner: str = "none",
) -> None:
    """Everything :func:`create` needs, checked before anything is written: the values,
    and the data itself (it exists, verifies and fits the split)."""
    if n_trials < 1:
        raise UsageError(f"trials must be >= 1, got {n_trials}")
    if seed < 0:
        raise UsageError(f"seed must be >= 0, got {seed}")
    if not name.strip():
        raise UsageError("a study needs a name")
    make_pruner(pruner, settings.epochs)
    load_split(settings, seed, source)


def create(
    factory: sessionmaker[Session],
    name: str,
    *,
    seed: int,
    settings: StudySettings,
    space: SearchSpace,
    n_trials: int,
    pruner: str = "none",
) -> int:
    """STEP0 and STEP1: create the study and its round 0 in one transaction; returns
    the round's id. Check the values first with :func:`check_start`."""
    try:
        with factory.begin() as session:
            study = store.create_study(session, name, seed, settings)
            return store.create_round(session, study, space, n_trials, pruner=pruner).id
    except IntegrityError:  # created by another process since create_study looked
        raise StudyExists(name) from None


def start(
    factory: sessionmaker[Session],
    name: str,
    *,
    seed: int,
    settings: StudySettings,
    space: SearchSpace,
    n_trials: int,
    source: DataSource,
    pruner: str = "none",
) -> int:
    """:func:`check_start`, then :func:`create`."""
    check_start(name, seed=seed, settings=settings, n_trials=n_trials, source=source, pruner=pruner)
    return create(
        factory, name, seed=seed, settings=settings, space=space, n_trials=n_trials, pruner=pruner
    )


@dataclass(frozen=True)
class NarrowPlan:
    parent: Round
    top: list[Trial]
    narrowing: Narrowing

    @property
    def old(self) -> SearchSpace:
        return store.round_space(self.parent)


def plan_narrowing(
    session: Session,
    study: Study,
    top_k: int,
    *,
    margin: float = 0.1,
    snap: bool = False,
    expand: bool = False,
) -> NarrowPlan:
    """The top-k trials of the latest round and the ranges they give."""
    if margin < 0:
        raise UsageError(f"margin must be >= 0, got {margin}")
    parent = store.latest_round(session, study)
    open_trials = store.status_counts(session, parent.id)
    unfinished = sum(open_trials.get(s, 0) for s in (PENDING, RUNNING, INTERRUPTED))
    if unfinished:
        raise RoundBusy(
            f"round {parent.number} of {study.name!r} has {unfinished} unfinished trials: "
            f"wait for it to end, or run `hpsearch resume {study.name}`"
        )
    top = store.top_trials(session, parent, top_k)
    pairs = [(trial.lr, trial.weight_decay) for trial in top]
    narrowing = narrow(store.round_space(parent), pairs, margin=margin, snap=snap, expand=expand)
    return NarrowPlan(parent, top, narrowing)


def create_narrowed_round(
    factory: sessionmaker[Session],
    name: str,
    top_k: int,
    n_trials: int,
    *,
    margin: float = 0.1,
    snap: bool = False,
    expand: bool = False,
    pruner: str = "none",
) -> int:
    """STEP3: a new round from the narrowed ranges; returns its id."""
    if n_trials < 1:
        raise UsageError(f"trials must be >= 1, got {n_trials}")
    try:
        with factory.begin() as session:
            study = store.get_study(session, name)
            plan = plan_narrowing(session, study, top_k, margin=margin, snap=snap, expand=expand)
            make_pruner(pruner, study.epochs)
            round_ = store.create_round(
                session,
                study,
                plan.narrowing.space,
                n_trials,
                parent=plan.parent,
                top_k=top_k,
                pruner=pruner,
            )
            return round_.id
    except IntegrityError:
        raise RoundBusy(
            f"another command created the next round of {name!r} at the same time"
        ) from None


def prepare_resume(factory: sessionmaker[Session], name: str) -> tuple[int, int]:
    """Re-queue the latest round's stale and interrupted trials.

    Returns (round id, trials re-queued). Refuses while a live process still runs
    trials of the round (see ``store.is_stale``).
    """
    with factory.begin() as session:
        study = store.get_study(session, name)
        round_ = store.latest_round(session, study)
        trials = session.scalars(
            select(Trial).where(
                Trial.round_id == round_.id, Trial.status.in_((RUNNING, INTERRUPTED))
            )
        ).all()
        live = [t for t in trials if t.status == RUNNING and not store.is_stale(t)]
        if live:
            workers = ", ".join(sorted({t.worker or "?" for t in live}))
            raise RoundBusy(
                f"round {round_.number} of {name!r} is being run by {workers}; "
                "wait for it to end (or stop it) before resuming"
            )
        for trial in trials:
            store.reset_trial(session, trial)
        return round_.id, len(trials)


def run(
    factory: sessionmaker[Session], name: str, round_id: int, options: RunOptions
) -> RunSummary:
    """Run the pending trials of a round; Ctrl-C raises Interrupted with what to do next."""
    check_workers(options.workers)
    try:
        return run_round(
            factory,
            options.db_url,
            round_id,
            workers=options.workers,
            source=options.source,
            on_progress=options.on_progress,
        )
    except Interrupted:
        raise Interrupted(
            f"interrupted: finished epochs are kept; continue with `hpsearch resume {name}`"
        ) from None
